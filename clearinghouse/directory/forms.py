"""The public directory's search and filter form: a GET form, so it needs no CSRF token and no JavaScript."""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape
from werkzeug.datastructures import MultiDict
from wtforms import Form, SearchField, SelectChoice, SelectField, ValidationError
from wtforms.widgets import Select, html_params

from clearinghouse.directory.models import ProductStatus
from clearinghouse.directory.queries import (
    AgreementFilter,
    DirectoryFilters,
    FilterOptions,
    Sort,
    StatusFilter,
)
from clearinghouse.directory.search import SEARCH_TEXT_MAX
from clearinghouse.text import visible_text


def search_text(value: str | None) -> str:
    """A visitor's search text, reduced to what can be searched (never an error)."""
    return visible_text(value, SEARCH_TEXT_MAX)


class QuickSelect(Select):
    """WTForms' Select drawn in one pass over the field's SelectChoices, with the same markup.

    The directory draws about 150 options on every page; WTForms' widget builds several objects and
    an attribute dict per option, which cost milliseconds there.
    """

    def __call__(self, field: SelectField, **kwargs) -> Markup:
        kwargs.setdefault("id", field.id)
        html = [f"<select {html_params(name=field.name, **kwargs)}>"]
        group = None
        for choice in field.choices:
            if choice.optgroup != group:
                if group is not None:
                    html.append("</optgroup>")
                if choice.optgroup is not None:
                    html.append(f'<optgroup label="{escape(choice.optgroup)}">')
                group = choice.optgroup
            selected = "selected " if choice.value == field.data else ""
            html.append(f'<option {selected}value="{escape(choice.value)}">{escape(choice.label)}</option>')
        if group is not None:
            html.append("</optgroup>")
        html.append("</select>")
        return Markup("".join(html))  # noqa: S704 - every value and label is escaped above


class QuickSelectField(SelectField):
    """A SelectField of string SelectChoices, drawn by QuickSelect and checked with one pass."""

    widget = QuickSelect()

    def pre_validate(self, form: Form) -> None:
        if not any(choice.value == self.data for choice in self.choices):
            raise ValidationError(_("Not a valid choice."))


class SearchForm(Form):
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
        self.element.choices = [SelectChoice("", _("Any data element"))] + [
            SelectChoice(e.slug, e.name, optgroup=e.category.name) for e in options.elements
        ]
        self.category.choices = [SelectChoice("", _("Any category"))] + [
            SelectChoice(c.slug, c.name) for c in options.categories
        ]
        self.school.choices = [SelectChoice("", _("Any school"))] + [
            SelectChoice(s.slug, s.name) for s in options.schools
        ]
        self.tag.choices = [SelectChoice("", _("Any tag"))] + [SelectChoice(t.slug, t.name) for t in options.tags]
        self.kind.choices = [SelectChoice("", _("Any kind"))] + [SelectChoice(k.slug, k.name) for k in options.kinds]
        self.status.choices = [
            SelectChoice("", _("Any current status (not retired)")),
            *(SelectChoice(s.value, s.label) for s in ProductStatus),
            SelectChoice(StatusFilter.ALL.value, _("Any status, retired included")),
        ]
        self.agreement.choices = [SelectChoice("", _("Any agreement"))] + [
            SelectChoice(a.value, a.label) for a in AgreementFilter
        ]
        self.sort.choices = [SelectChoice("", _("Best match, else name"))] + [
            SelectChoice(s.value, s.label) for s in Sort
        ]

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
        options = self.options
        element = {e.slug: e.id for e in options.elements}.get(self.element.data or "")
        category = {c.slug: c.id for c in options.categories}.get(self.category.data or "")
        school = {s.slug: s.id for s in options.schools}.get(self.school.data or "")
        tag = {t.slug: t.id for t in options.tags}.get(self.tag.data or "")
        kind = {k.slug: k.id for k in options.kinds}.get(self.kind.data or "")
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
