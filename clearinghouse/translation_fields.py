"""Staff form fields for public text in the site's other languages.

A form that holds public text (a product's purpose, a vendor's description…) lists it in
TRANSLATED: {field: (label, max length)}. `with_translation_fields` gives the form one optional
text area per other configured language for each, named `<field>__<language>`
(`purpose_md__es`), so a district that adds a language gets its fields without a code change.
Staff pages are in English, so the labels are too ("… in Spanish").
"""

from functools import cache
from typing import Any, ClassVar

from babel import Locale
from wtforms import Field, TextAreaField
from wtforms.validators import Length

from clearinghouse.i18n import configured_languages

SEPARATOR = "__"


def other_languages() -> tuple[str, ...]:
    """The configured languages besides the default one: those staff may translate into."""
    return configured_languages()[1:]


def language_label(code: str) -> str:
    """The language's name in English, for staff pages: "Spanish"."""
    return Locale.parse(code).get_display_name("en") or code


def field_name(field: str, language: str) -> str:
    return f"{field}{SEPARATOR}{language}"


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def translation_field(label: str, max_length: int, language: str) -> TextAreaField:
    return TextAreaField(
        f"{label} in {language_label(language)}",
        validators=[Length(max=max_length)],
        filters=[_strip],
        render_kw={"lang": language},
    )


class TranslatedForm:
    """Mixin for a form with public text: TRANSLATED names it, `with_translation_fields` adds its fields."""

    TRANSLATED: ClassVar[dict[str, tuple[str, int]]] = {}

    def translation_fields_of(self, field: str) -> list[Field]:
        """The field's translations, one per other language, for the template to draw under it."""
        form: Any = self  # a WTForms form: indexing and `in` give its fields
        return [form[field_name(field, code)] for code in other_languages() if field_name(field, code) in form]

    def translations(self, fields: dict[str, tuple[str, int]] | None = None) -> dict[str, dict[str, str]]:
        """{language: {field: text}} as typed; a blank text removes that translation."""
        names = self.TRANSLATED if fields is None else fields
        form: Any = self
        return {
            code: {
                field: form[field_name(field, code)].data or "" for field in names if field_name(field, code) in form
            }
            for code in other_languages()
        }


@cache
def _subclass(form_class: type, languages: tuple[str, ...]) -> type:
    fields = {
        field_name(field, code): translation_field(label, max_length, code)
        for field, (label, max_length) in form_class.TRANSLATED.items()
        for code in languages
    }
    return type(f"{form_class.__name__}WithTranslations", (form_class,), fields)


def with_translation_fields(form_class: type) -> type:
    """`form_class` with a text area per other configured language for each of its TRANSLATED fields."""
    return _subclass(form_class, other_languages())


def initial_translations(record: Any, fields: dict[str, tuple[str, int]] | tuple[str, ...]) -> dict[str, str]:
    """The record's current translations as form data ({"purpose_md__es": "…"})."""
    return {field_name(field, code): record.translation(code, field) for field in fields for code in other_languages()}
