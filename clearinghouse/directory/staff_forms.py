"""Staff forms for the directory: vendors, products with their data uses, data elements, schools."""

from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from flask_wtf import FlaskForm
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
    MARKDOWN_MAX,
    NAME_MAX,
    PURPOSE_MAX,
    URL_MAX,
    DataCategory,
    DataElement,
    ProductKind,
    ProductStatus,
)
from clearinghouse.locking import VersionField


def strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def optional_int(value: Any) -> int | None:
    """Coerce a select's value; the empty "Choose…" option is None."""
    if value in ("", None):
        return None
    return int(value)


def choices(pairs: Iterable[tuple[Any, str]]) -> list[SelectChoice]:
    """(value, label) pairs as the options of a select or a list of checkboxes."""
    return [SelectChoice(value, label) for value, label in pairs]


def http_url(form: FlaskForm, field: StringField) -> None:
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


class VendorForm(FlaskForm):
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

    def values(self) -> dict[str, str]:
        names = ("name", "website", "privacy_policy_url", "contact_email", "description_md", "internal_notes")
        return {name: self[name].data or "" for name in names}


class ProductForm(FlaskForm):
    """The product's own fields; `product_form` adds one checkbox and purpose per data element."""

    vendor_id = SelectField("Vendor", coerce=optional_int, validators=[DataRequired("Choose the vendor.")])
    name = StringField(
        "Name", validators=[DataRequired("Enter the product's name."), Length(max=NAME_MAX)], filters=[strip]
    )
    kind = SelectField(
        "Kind", choices=choices((k.value, k.label) for k in ProductKind), default=ProductKind.OTHER.value
    )
    status = SelectField(
        "Status", choices=choices((s.value, s.label) for s in ProductStatus), default=ProductStatus.UNDER_REVIEW.value
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

    def validate(self, extra_validators: dict | None = None) -> bool:
        valid = super().validate(extra_validators)
        for element in self.elements:
            purpose = self[f"purpose_{element.id}"]
            if self[f"use_{element.id}"].data and not (purpose.data or "").strip():
                purpose.errors.append(f"Say why the product receives {element.name}, or untick it.")
                valid = False
        return valid

    def values(self) -> dict[str, Any]:
        names = ("name", "kind", "status", "website", "purpose_md", "grade_bands", "internal_notes")
        return {name: self[name].data or "" for name in names}

    def data_uses(self) -> dict[int, str]:
        """{data element id: purpose} for every ticked element."""
        return {
            element.id: (self[f"purpose_{element.id}"].data or "").strip()
            for element in self.elements
            if self[f"use_{element.id}"].data
        }

    def data_use_groups(self) -> list[tuple[DataCategory, list[tuple[DataElement, Any, Any]]]]:
        """(category, [(element, checkbox, purpose)]) in taxonomy order, for the template."""
        groups: list[tuple[DataCategory, list]] = []
        for element in self.elements:
            if not groups or groups[-1][0].id != element.category_id:
                groups.append((element.category, []))
            groups[-1][1].append((element, self[f"use_{element.id}"], self[f"purpose_{element.id}"]))
        return groups


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
    form_class = type("ProductFormWithUses", (ProductForm,), fields)
    return form_class(**kwargs)


class ElementForm(FlaskForm):
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
        }


class SchoolForm(FlaskForm):
    name = StringField(
        "Name", validators=[DataRequired("Enter the school's name."), Length(max=NAME_MAX)], filters=[strip]
    )
    grade_band = StringField("Grade band (e.g. K-5)", validators=[Length(max=40)], filters=[strip])


class VersionForm(FlaskForm):
    """A button that changes a versioned record (retire, bring back): CSRF and the version."""

    version = VersionField()


class ConfirmForm(FlaskForm):
    """A button that changes an unversioned record: CSRF only."""
