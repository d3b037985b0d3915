"""Staff forms for the directory: vendors, products with their data uses, data elements, schools."""

from collections.abc import Iterable
from typing import Any, ClassVar
from urllib.parse import urlsplit

from wtforms import (
    BooleanField,
    EmailField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    URLField,
)
from wtforms.validators import DataRequired, Email, Length, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from clearinghouse.directory.models import (
    KIND_NAME_MAX,
    MARKDOWN_MAX,
    NAME_MAX,
    NOTE_MAX,
    PURPOSE_MAX,
    URL_MAX,
    DataCategory,
    DataElement,
    Product,
    ProductKind,
    ProductStatus,
    StatedAgreementStatus,
    Vendor,
)
from clearinghouse.directory.services import PRODUCT_FIELDS
from clearinghouse.forms import BaseForm, bounded_int
from clearinghouse.locking import VersionField
from clearinghouse.translation_fields import (
    TranslatedForm,
    field_name,
    initial_translations,
    other_languages,
    translation_field,
    with_translation_fields,
)


def strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def optional_int(value: Any) -> int | None:
    """Coerce a select's value; the empty "Choose…" option is None."""
    if value in ("", None):
        return None
    return bounded_int(value)


def kind_slug(value: Any) -> str:
    """A kind select's value: the kind's slug (the form is filled from a product's ProductKind)."""
    if isinstance(value, ProductKind):
        return value.slug
    return "" if value is None else str(value)


def choices(pairs: Iterable[tuple[Any, str]]) -> list[SelectChoice]:
    """(value, label) pairs as the options of a select or a list of checkboxes."""
    return [SelectChoice(value, label) for value, label in pairs]


def http_url(form: BaseForm, field: StringField) -> None:
    """Only full http(s) addresses: no javascript:, no relative paths."""
    parts = urlsplit(field.data or "")
    if parts.scheme not in ("http", "https") or not parts.netloc or any(ch.isspace() for ch in field.data):
        raise ValidationError("Enter a full web address that starts with https:// (or http://).")


class MultiCheckboxField(SelectMultipleField):
    """A list of checkboxes (the forms macro draws it as a fieldset with a legend)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def url_field(label: str) -> URLField:
    return URLField(label, validators=[Optional(), Length(max=URL_MAX), http_url], filters=[strip])


class VendorForm(TranslatedForm, BaseForm):
    """Build it with `vendor_form`, which adds the description's translations."""

    TRANSLATED: ClassVar = {"description_md": ("Description", MARKDOWN_MAX)}
    name = StringField(
        "Name", validators=[DataRequired("Enter the vendor's name."), Length(max=NAME_MAX)], filters=[strip]
    )
    website = url_field("Website")
    privacy_policy_url = url_field("Privacy policy address")
    contact_email = EmailField(
        "Public privacy contact e-mail",
        validators=[Optional(), Email("Enter an e-mail address like privacy@vendor.example."), Length(max=254)],
        filters=[strip],
    )
    description_md = TextAreaField("Description (Markdown)", validators=[Length(max=MARKDOWN_MAX)])
    internal_notes = TextAreaField("Internal notes", validators=[Length(max=MARKDOWN_MAX)])
    version = VersionField()

    def values(self) -> dict[str, Any]:
        names = ("name", "website", "privacy_policy_url", "contact_email", "description_md", "internal_notes")
        return {**{name: self[name].data or "" for name in names}, "translations": self.translations()}


def vendor_form(vendor: Vendor | None = None, **kwargs: Any) -> VendorForm:
    """The vendor form, with the description in each other language (filled from `vendor`)."""
    initial = initial_translations(vendor, VendorForm.TRANSLATED) if vendor is not None else {}
    return with_translation_fields(VendorForm)(obj=vendor, data=initial, **kwargs)


class ProductForm(TranslatedForm, BaseForm):
    """The product's own fields; `product_form` adds one checkbox and purpose per data element, and
    the purposes' translations. The page draws a purpose only for the ticked elements (the product's
    own); the others are checkboxes to add, grouped by category. A purpose may be left blank for now."""

    TRANSLATED: ClassVar = {
        "purpose_md": ("What the district uses it for", MARKDOWN_MAX),
        "status_note": ("Conditions or reason", NOTE_MAX),
        "agreement_note": ("The vendor's reason", NOTE_MAX),
    }

    vendor_id = SelectField("Vendor", coerce=optional_int, validators=[DataRequired("Choose the vendor.")])
    name = StringField(
        "Name", validators=[DataRequired("Enter the product's name."), Length(max=NAME_MAX)], filters=[strip]
    )
    kind = SelectField("Kind", coerce=kind_slug, validators=[DataRequired("Choose the kind of product.")])
    status = SelectField(
        "Approval for use",
        choices=choices((s.value, s.label) for s in ProductStatus),
        default=ProductStatus.UNDER_REVIEW.value,
    )
    status_note = TextAreaField("Conditions or reason", validators=[Length(max=NOTE_MAX)], filters=[strip])
    agreement_status = SelectField(
        "Data-privacy agreement, when none is recorded",
        choices=choices((s.value, s.label) for s in StatedAgreementStatus),
        default=StatedAgreementStatus.NONE_ON_FILE.value,
    )
    agreement_note = TextAreaField(
        "The vendor's reason for declining", validators=[Length(max=NOTE_MAX)], filters=[strip]
    )
    website = url_field("Website")
    purpose_md = TextAreaField(
        "What the district uses it for (Markdown)",
        validators=[DataRequired("Say, in plain words, what the product is used for."), Length(max=MARKDOWN_MAX)],
    )
    grade_bands = StringField("Grade bands", validators=[Length(max=100)], filters=[strip])
    school_ids = MultiCheckboxField("Schools that use it", coerce=int, validate_choice=False)
    internal_notes = TextAreaField("Internal notes", validators=[Length(max=MARKDOWN_MAX)])
    version = VersionField()

    elements: tuple[DataElement, ...] = ()

    def values(self) -> dict[str, Any]:
        """The product's own fields. A data use's purpose may stay blank: the public then reads
        "Purpose not yet stated", and saving never waits for it."""
        texts = [name for name in PRODUCT_FIELDS if name in self._fields and name != "kind"]
        return {
            **{name: self[name].data or "" for name in texts},
            "kind": self.kind.data,
            "translations": self.translations(),
        }

    def use_translations(self) -> dict[int, dict[str, dict[str, str]]]:
        """{data element id: {language: {"purpose": text}}} for every ticked element."""
        return {
            element.id: {
                code: {"purpose": self[field_name(f"purpose_{element.id}", code)].data or ""}
                for code in other_languages()
            }
            for element in self.elements
            if self[f"use_{element.id}"].data
        }

    def data_uses(self) -> dict[int, str]:
        """{data element id: purpose} for every ticked element."""
        return {
            element.id: (self[f"purpose_{element.id}"].data or "").strip()
            for element in self.elements
            if self[f"use_{element.id}"].data
        }

    def data_use_rows(self) -> list[tuple[DataElement, Any, Any, list[Any]]]:
        """(element, checkbox, purpose, purpose's translations) of each ticked element: the product's
        own data uses (or, after a refused save, the ones that were ticked), in taxonomy order."""
        return [
            (
                element,
                self[f"use_{element.id}"],
                self[f"purpose_{element.id}"],
                self.translation_fields_of(f"purpose_{element.id}"),
            )
            for element in self.elements
            if self[f"use_{element.id}"].data
        ]

    def offered_groups(self) -> list[tuple[DataCategory, list[tuple[DataElement, Any]]]]:
        """(category, [(element, checkbox)]) of the elements not ticked, to add: checkboxes only."""
        groups: list[tuple[DataCategory, list]] = []
        for element in self.elements:
            use = self[f"use_{element.id}"]
            if use.data:
                continue
            if not groups or groups[-1][0].id != element.category_id:
                groups.append((element.category, []))
            groups[-1][1].append((element, use))
        return groups


class CopyUsesForm(BaseForm):
    """Copy the data uses of another product onto this one."""

    source_id = SelectField(
        "Copy the data uses of", coerce=optional_int, validators=[DataRequired("Choose the product to copy from.")]
    )
    version = VersionField()


def product_form(elements: list[DataElement], **kwargs: Any) -> ProductForm:
    """A ProductForm with a checkbox and a purpose for each element offered (no JavaScript needed).

    Fields are named by element id (`use_12`, `purpose_12`), so a list that changed between
    drawing and posting the form cannot shift one element's purpose onto another.
    """
    fields: dict[str, Any] = {"elements": tuple(elements)}
    for element in elements:
        fields[f"use_{element.id}"] = BooleanField(element.name)
        fields[f"purpose_{element.id}"] = TextAreaField(
            f"Why it receives {element.name}", validators=[Length(max=PURPOSE_MAX)], filters=[strip]
        )
        for code in other_languages():
            fields[field_name(f"purpose_{element.id}", code)] = translation_field(
                f"Why it receives {element.name},", PURPOSE_MAX, code
            )
    form_class = type("ProductFormWithUses", (with_translation_fields(ProductForm),), fields)
    return form_class(**kwargs)


def product_translations(product: Product) -> dict[str, str]:
    """The product's translations, and its data uses', as form data."""
    initial = initial_translations(product, ProductForm.TRANSLATED)
    for use in product.data_uses:
        for code in other_languages():
            initial[field_name(f"purpose_{use.data_element_id}", code)] = use.translation(code, "purpose")
    return initial


class ElementForm(TranslatedForm, BaseForm):
    """Build it with `element_form`, which adds the name's and description's translations."""

    TRANSLATED: ClassVar = {"name": ("Name", NAME_MAX), "description": ("Plain-language description", MARKDOWN_MAX)}
    category_id = SelectField("Category", coerce=optional_int)
    new_category = StringField("…or a new category", validators=[Length(max=NAME_MAX)], filters=[strip])
    name = StringField(
        "Name", validators=[DataRequired("Enter the data element's name."), Length(max=NAME_MAX)], filters=[strip]
    )
    description = TextAreaField("Plain-language description", validators=[Length(max=MARKDOWN_MAX)])
    is_sensitive = BooleanField("Sensitive (health, disability, discipline, free or reduced lunch, biometrics…)")

    def validate_category_id(self, field: SelectField) -> None:
        if field.data is None and not self.new_category.data:
            raise ValidationError("Choose the category, or name a new one.")

    def values(self) -> dict[str, Any]:
        return {
            "category_id": self.category_id.data,
            "new_category": self.new_category.data or "",
            "name": self.name.data or "",
            "description": self.description.data or "",
            "is_sensitive": bool(self.is_sensitive.data),
            "translations": self.translations(),
        }


def element_form(element: DataElement | None = None, **kwargs: Any) -> ElementForm:
    """The data element form, with its name and description in each other language."""
    initial = initial_translations(element, ElementForm.TRANSLATED) if element is not None else {}
    return with_translation_fields(ElementForm)(obj=element, data=initial, **kwargs)


class KindForm(TranslatedForm, BaseForm):
    """A kind of product's name, and (added by `kind_form`) its name in each other language."""

    TRANSLATED: ClassVar = {"name": ("Name", KIND_NAME_MAX)}
    name = StringField(
        "Name",
        validators=[
            DataRequired("Enter the kind's name."),
            Length(max=KIND_NAME_MAX, message=f"The kind's name can be at most {KIND_NAME_MAX} characters."),
        ],
        filters=[strip],
    )


def kind_form(kind: Any = None, **kwargs: Any) -> KindForm:
    """The kind form, with its name in each other language (filled from the kind when it is given)."""
    initial = initial_translations(kind, KindForm.TRANSLATED) if kind is not None else {}
    return with_translation_fields(KindForm)(obj=kind, data=initial, **kwargs)


class MoveForm(BaseForm):
    """Up or down a list (no JavaScript): the button pressed names the direction."""

    direction = SelectField("Direction", choices=[SelectChoice("up", "Up"), SelectChoice("down", "Down")])


class SchoolForm(BaseForm):
    name = StringField(
        "Name", validators=[DataRequired("Enter the school's name."), Length(max=NAME_MAX)], filters=[strip]
    )
    grade_band = StringField("Grade band (e.g. K-5)", validators=[Length(max=40)], filters=[strip])


class VersionForm(BaseForm):
    """A button that changes a versioned record (retire, bring back): CSRF and the version."""

    version = VersionField()


class ConfirmForm(BaseForm):
    """A button that changes an unversioned record: CSRF only."""


class TagsForm(BaseForm):
    """The product's tags, comma-separated; versioned with the product."""

    tags = StringField("Tags (separated by commas)", validators=[Length(max=4000)], filters=[strip])
    version = VersionField()


class NoteForm(BaseForm):
    note_label = StringField("Heading (optional)", validators=[Length(max=NAME_MAX)], filters=[strip])
    note_body = TextAreaField("Note", validators=[DataRequired("Write the note."), Length(max=MARKDOWN_MAX)])


class LinkForm(BaseForm):
    link_label = StringField("Label (optional)", validators=[Length(max=NAME_MAX)], filters=[strip])
    link_url = URLField(
        "Address",
        validators=[DataRequired("Enter the link's address."), Length(max=URL_MAX), http_url],
        filters=[strip],
    )
    is_public = BooleanField("Publish it on the product's page")
