"""The public directory's search and filter form: a GET form, so it needs no CSRF token and no JavaScript."""

import secrets
import weakref
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from flask import get_template_attribute, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape
from werkzeug.datastructures import MultiDict
from wtforms import Field, Form, SearchField, SelectChoice, SelectField, ValidationError
from wtforms.fields.core import UnboundField
from wtforms.meta import DefaultMeta
from wtforms.widgets import Select, html_params

from clearinghouse.directory.models import ProductStatus
from clearinghouse.directory.queries import (
    AgreementFilter,
    Choice,
    DirectoryFilters,
    FilterOptions,
    Sort,
    StatusFilter,
)
from clearinghouse.directory.search import SEARCH_TEXT_MAX
from clearinghouse.i18n import current_language
from clearinghouse.text import visible_text


def search_text(value: str | None) -> str:
    """A visitor's search text, reduced to what can be searched (never an error)."""
    return visible_text(value, SEARCH_TEXT_MAX)


class DrawnChoices(list):
    """A select's SelectChoices with their markup drawn once, for every page that offers them.

    `pieces` is the markup of the options (and optgroups) in order, none selected; `at` gives the
    pieces of each value. The directory's choices are kept per filter lists and language
    (`directory_choices`), so a page only marks the chosen option.
    """

    def __init__(self, choices: Iterable[SelectChoice]):
        super().__init__(choices)
        pieces: list[str] = []
        at: dict[str, list[int]] = {}
        group = None
        for choice in self:
            if choice.optgroup != group:
                if group is not None:
                    pieces.append("</optgroup>")
                if choice.optgroup is not None:
                    pieces.append(f'<optgroup label="{escape(choice.optgroup)}">')
                group = choice.optgroup
            at.setdefault(choice.value, []).append(len(pieces))
            pieces.append(f'<option value="{escape(choice.value)}">{escape(choice.label)}</option>')
        if group is not None:
            pieces.append("</optgroup>")
        self.pieces = pieces
        self.at = at
        self.openings: dict[tuple, str] = {}  # (name, attributes) → the <select …> tag, drawn once


class QuickSelect(Select):
    """WTForms' Select drawn from the field's DrawnChoices, with the same markup.

    The directory draws about 150 options on every page; WTForms' widget builds several objects and
    an attribute dict per option, which cost milliseconds there.
    """

    def __call__(self, field: SelectField, **kwargs) -> Markup:
        kwargs.setdefault("id", field.id)
        choices = field.choices if isinstance(field.choices, DrawnChoices) else DrawnChoices(field.choices)
        pieces = list(choices.pieces)
        for n in choices.at.get(field.data, ()) if isinstance(field.data, str) else ():
            pieces[n] = "<option selected " + pieces[n].removeprefix("<option ")
        key = (field.name, *sorted(kwargs.items()))
        opening = choices.openings.get(key)
        if opening is None:
            opening = choices.openings[key] = f"<select {html_params(name=field.name, **kwargs)}>"
        return Markup(opening + "".join(pieces) + "</select>")  # noqa: S704 - every value and label is escaped in DrawnChoices


class QuickSelectField(SelectField):
    """A SelectField of string SelectChoices, drawn by QuickSelect and checked with one lookup."""

    widget = QuickSelect()

    def pre_validate(self, form: Form) -> None:
        choices = self.choices if isinstance(self.choices, DrawnChoices) else DrawnChoices(self.choices)
        if self.data not in choices.at:
            raise ValidationError(_("Not a valid choice."))


FIELD_MACRO = ("_macros/forms.html", "field")  # the one markup of a form field: label, hint, error, ARIA
DRAWN_FIELDS_MAX = 2_000  # filter fields kept whole per language and filter lists (`draw_field`)
# Where the control goes in a field drawn by the macro without it (no card, label or hint holds it).
CONTROL_MARK = f"<!--control-{secrets.token_hex(8)}-->"
VALUE_MARK = f"value-{secrets.token_hex(8)}"  # where the search box's value goes (no value holds it)


class _Outline:
    """A field as the `field` macro sees it, but whose control is drawn as CONTROL_MARK; it keeps the
    attributes the macro gave the control."""

    def __init__(self, field: Field) -> None:
        self._field = field
        self.attributes: dict[str, Any] = {}

    def __getattr__(self, name: str) -> Any:
        return getattr(self._field, name)

    def __call__(self, **attributes: Any) -> Markup:
        self.attributes = attributes
        return Markup(CONTROL_MARK)  # noqa: S704 - a comment of hex digits made here


@dataclass(frozen=True)
class DirectoryChoices:
    """The choices of the directory's selects, in one language, drawn once."""

    element: DrawnChoices
    category: DrawnChoices
    school: DrawnChoices
    tag: DrawnChoices
    kind: DrawnChoices
    status: DrawnChoices
    agreement: DrawnChoices
    sort: DrawnChoices
    # slug → id of the elements, categories, schools and tags
    ids: dict[str, dict[str, int]]
    # (field name, hint) → the `field` macro's markup before and after the control, and its attributes
    outlines: dict[tuple[str, str | None], tuple[Markup, dict[str, Any], Markup]] = field(default_factory=dict)
    # (field name, hint, chosen value) → a filter field as `draw_field` draws it (the search box is not kept)
    drawn: dict[tuple[str, str | None, str | None], Markup] = field(default_factory=dict)
    # (field name, hint) → the search box's <input> with VALUE_MARK where its value goes
    boxes: dict[tuple[str, str | None], str] = field(default_factory=dict)
    # (drawing, script root, chosen values, whether anything is asked) → the search and filter form as
    # `kept_filters` keeps it, with VALUE_MARK where the search box's value goes
    filter_forms: dict[tuple, str] = field(default_factory=dict)


# Each FilterOptions (the memoized one is shared by every anonymous page of a data version) → its
# drawn choices per language. Weak: a FilterOptions made for one request takes its entry with it.
_DRAWN: "weakref.WeakKeyDictionary[FilterOptions, dict[str, DirectoryChoices]]" = weakref.WeakKeyDictionary()
# The same drawn choices per what the options hold: a FilterOptions read afresh (a signed-in reader,
# the page cache off, a new data version whose write left the filter lists alone) finds the choices
# drawn for equal options, with their fields, instead of drawing ~150 options and nine fields again.
_DRAWN_BY_CONTENT: dict[tuple, dict[str, DirectoryChoices]] = {}
DRAWN_OPTIONS_MAX = 4  # distinct filter lists kept (each change of a list is a new one); each holds up to
# DRAWN_FIELDS_MAX drawn fields per language, so old lists are let go soon


def _drawn(options: FilterOptions) -> dict[str, DirectoryChoices]:
    """The drawn choices per language of `options`, shared by every FilterOptions holding the same
    choices (Choice compares by value: id, slug, name in the reader's language, category)."""
    drawn = _DRAWN.get(options)
    if drawn is None:
        content = (
            tuple(options.elements),
            tuple(options.categories),
            tuple(options.schools),
            tuple(options.tags),
            tuple(options.kinds),
        )
        drawn = _DRAWN_BY_CONTENT.get(content)
        if drawn is None:
            if len(_DRAWN_BY_CONTENT) >= DRAWN_OPTIONS_MAX:
                _DRAWN_BY_CONTENT.clear()
            drawn = _DRAWN_BY_CONTENT[content] = {}
        _DRAWN[options] = drawn
    return drawn


def directory_choices(options: FilterOptions) -> DirectoryChoices:
    """The directory's select choices for `options` in the reader's language, drawn once for each."""
    language = current_language()
    drawn = _drawn(options)
    if language not in drawn:
        drawn[language] = DirectoryChoices(
            element=DrawnChoices(
                [SelectChoice("", _("Any data element"))]
                + [SelectChoice(e.slug, e.name, optgroup=e.category.name) for e in options.elements]
            ),
            category=DrawnChoices(
                [SelectChoice("", _("Any category"))] + [SelectChoice(c.slug, c.name) for c in options.categories]
            ),
            school=DrawnChoices(
                [SelectChoice("", _("Any school"))] + [SelectChoice(s.slug, s.name) for s in options.schools]
            ),
            tag=DrawnChoices([SelectChoice("", _("Any tag"))] + [SelectChoice(t.slug, t.name) for t in options.tags]),
            kind=DrawnChoices(
                [SelectChoice("", _("Any kind"))] + [SelectChoice(k.slug, k.name) for k in options.kinds]
            ),
            status=DrawnChoices(
                [
                    SelectChoice("", _("Any current status (not retired)")),
                    *(SelectChoice(s.value, str(s.label)) for s in ProductStatus),
                    SelectChoice(StatusFilter.ALL.value, _("Any status, retired included")),
                ]
            ),
            agreement=DrawnChoices(
                [SelectChoice("", _("Any agreement"))] + [SelectChoice(a.value, str(a.label)) for a in AgreementFilter]
            ),
            sort=DrawnChoices(
                [SelectChoice("", _("Best match, else name"))] + [SelectChoice(s.value, str(s.label)) for s in Sort]
            ),
            ids={
                "element": {e.slug: e.id for e in options.elements},
                "category": {c.slug: c.id for c in options.categories},
                "school": {s.slug: s.id for s in options.schools},
                "tag": {t.slug: t.id for t in options.tags},
                "kind": {k.slug: k.id for k in options.kinds},
            },
        )
    return drawn[language]


# Each field of the directory's forms bound once per worker (`BoundOnce`): (unbound field, name, prefix) → it.
_BOUND: dict[tuple[UnboundField, str, str], Field] = {}


class BoundOnce(DefaultMeta):
    """WTForms' binding of a field (`Meta.bind_field`, its hook for it), made once per worker: every
    form gets a copy of the field bound then, and reads the request's values into it (`process`)
    and checks them (`validate`) as WTForms does. Binding sets only what the field's declaration
    and name give (its label, flags, validators, filters, widget), ~5 µs a field; the directory's
    form has nine, on every search. A copy has its own attributes and shares only what binding made
    and nothing changes afterwards (the label, the flags, the validators)."""

    def bind_field(self, form: Form, unbound_field: UnboundField, options: dict[str, Any]) -> Field:
        if options.get("translations") is not None:  # WTForms' own messages in a language: bound afresh
            return super().bind_field(form, unbound_field, options)
        key = (unbound_field, options["name"], options.get("prefix", ""))
        bound = _BOUND.get(key)
        if bound is None:
            bound = _BOUND[key] = super().bind_field(form, unbound_field, options)
        field = object.__new__(type(bound))
        field.__dict__.update(bound.__dict__)
        field.meta, field._form = self, form  # as binding sets them (`Field.__init__`): this form's
        return field


class SearchForm(Form):
    Meta = BoundOnce

    q = SearchField(_l("Search by product, company or purpose"), filters=[search_text])


class DirectoryForm(SearchForm):
    """The directory's search box and filters; values are slugs and words, so URLs stay readable."""

    element = QuickSelectField(_l("Data element"), default="")
    category = QuickSelectField(_l("Category of data"), default="")
    school = QuickSelectField(_l("School"), default="")
    tag = QuickSelectField(_l("Tag"), default="")
    kind = QuickSelectField(_l("Kind of product"), default="")
    status = QuickSelectField(_l("Approval for use"), default="")
    agreement = QuickSelectField(_l("Data-privacy agreement"), default="")
    sort = QuickSelectField(_l("Sort by"), default="")

    FILTER_FIELDS = ("element", "category", "school", "tag", "kind", "status", "agreement")

    def __init__(self, formdata: MultiDict, options: FilterOptions):
        super().__init__(formdata)
        self.options = options
        self.was_cut = len(formdata.get("q", "")) > SEARCH_TEXT_MAX
        self.choices = choices = directory_choices(options)
        for name in (*self.FILTER_FIELDS, "sort"):
            self[name].choices = getattr(choices, name)
        self._drawing_kept = False  # `kept_filters` is drawing the form to keep: the search box gets VALUE_MARK

    def kept_filters(self, drawing: str, caller: Callable[[], Markup]) -> Markup:
        """The search and filter form (`{% call form.kept_filters("name") %}<form …>…</form>{% endcall %}`,
        `drawing` naming the markup the call draws), drawn once per language, filter lists, script root,
        chosen values and whether anything is asked (its "Clear" link), with the search box's value put
        in for each page. The form holds nothing else that changes: its address and every label are the
        same for a language, and a select's value that is not a choice was dropped (`ignored_fields`,
        called first) with its error, so no field of it has one. Up to DRAWN_FIELDS_MAX forms a
        language and filter lists."""
        names = (*self.FILTER_FIELDS, "sort")
        chosen = tuple(self[name].data for name in names)
        key = (drawing, request.script_root, chosen, self.has_filters)
        drawn_plain = not any(self[name].errors for name in ("q", *names))  # a field with an error: the macro's own
        keepable = drawn_plain and all(isinstance(value, str) for value in chosen)
        kept = self.choices.filter_forms.get(key) if keepable else None
        if kept is None:
            self._drawing_kept = True
            try:
                kept = str(caller())
            finally:
                self._drawing_kept = False
            if keepable:
                if len(self.choices.filter_forms) >= DRAWN_FIELDS_MAX:
                    self.choices.filter_forms.clear()
                self.choices.filter_forms[key] = kept
        words = str(escape(self.q._value()))  # as WTForms' html_params escapes a value
        return Markup(kept.replace(VALUE_MARK, words))  # noqa: S704 - drawn by the template, words escaped

    def draw_field(self, name: str, hint: str | None = None) -> Markup:
        """The field as the `field` macro draws it (`{{ field(form[name], hint=hint) }}`).

        The directory draws nine fields on every page; the macro's label, hint and ARIA around each
        control are the same on every page of a language, so they are drawn once per language and
        filter lists, and only the control (its value, its chosen option) per page; a select is kept
        whole for each chosen value. A field with an error is drawn by the macro itself.
        """
        control = self[name]
        if control.errors:
            return get_template_attribute(*FIELD_MACRO)(control, hint=hint)
        # A select is the same for every page that chose the same value: kept whole.
        key = (name, hint, control.data) if name != "q" and isinstance(control.data, str | None) else None
        if key is not None and key in self.choices.drawn:
            return self.choices.drawn[key]
        macro = get_template_attribute(*FIELD_MACRO)
        outline = self.choices.outlines.get((name, hint))
        if outline is None:
            stand_in = _Outline(control)
            before, after = str(macro(stand_in, hint=hint)).split(CONTROL_MARK)
            outline = (Markup(before), stand_in.attributes, Markup(after))  # noqa: S704 - drawn by the macro
            self.choices.outlines[(name, hint)] = outline
        before, attributes, after = outline
        if name == "q":  # the search box: WTForms' <input> drawn once, the reader's words put in
            box = self.choices.boxes.get((name, hint))
            if box is None:
                box = self.choices.boxes[(name, hint)] = str(control(**attributes, value=VALUE_MARK))
            words = VALUE_MARK if self._drawing_kept else str(escape(control._value()))  # as html_params escapes
            return before + Markup(box.replace(VALUE_MARK, words)) + after  # noqa: S704 - WTForms' markup, words escaped
        drawn = before + control(**attributes) + after
        if key is not None:
            if len(self.choices.drawn) >= DRAWN_FIELDS_MAX:
                self.choices.drawn.clear()
            self.choices.drawn[key] = drawn
        return drawn

    def ignored_fields(self) -> list[str]:
        """Validate, drop every value that is not a known choice, and name the fields dropped."""
        self.validate()
        ignored = []
        for name in (*self.FILTER_FIELDS, "sort"):
            field = self[name]
            if field.errors:
                ignored.append(str(field.label.text))
                field.data = ""
                field.errors = []
        return ignored

    def filters(self) -> DirectoryFilters:
        """The validated values as DirectoryFilters (call `ignored_fields` first)."""
        ids = self.choices.ids
        element = ids["element"].get(self.element.data or "")
        category = ids["category"].get(self.category.data or "")
        school = ids["school"].get(self.school.data or "")
        tag = ids["tag"].get(self.tag.data or "")
        kind = ids["kind"].get(self.kind.data or "")
        status = self.status.data or ""
        return DirectoryFilters(
            text=self.q.data or "",
            element_id=element,
            category_id=category,
            school_id=school,
            tag_id=tag,
            kind_id=kind,
            status=StatusFilter(status) if status == StatusFilter.ALL else ProductStatus(status) if status else None,
            agreement=AgreementFilter(self.agreement.data) if self.agreement.data else None,
            sort=Sort(self.sort.data) if self.sort.data else None,
        )

    def params(self) -> dict[str, str]:
        """The non-empty values, for links that keep the search (pagination)."""
        names = ("q", *self.FILTER_FIELDS, "sort")
        return {name: self[name].data for name in names if self[name].data}

    @property
    def has_filters(self) -> bool:
        return any(self[name].data for name in ("q", *self.FILTER_FIELDS))

    @property
    def chosen_school(self) -> Choice | None:
        """The school the filter chose (the page links to the school's own), or None (call `ignored_fields`
        first: a slug that is no school's is dropped there)."""
        slug = self.school.data
        return next((school for school in self.options.schools if school.slug == slug), None) if slug else None
