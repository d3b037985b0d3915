"""Filter forms of the audit log and of the public change history (GET forms: no CSRF token)."""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import SelectChoice, SelectField, fields
from wtforms.validators import Optional, ValidationError

from clearinghouse.forms import BaseForm, DayField, GetForm

ANY = ""
SYSTEM_ACTOR = "system"
RECORD_ID_MAX = 2**31 - 1  # the largest integer key both databases store


class _GetForm(GetForm):
    """A filter form whose values go into the pagination links."""

    def filled(self) -> dict[str, str]:
        """The filters in use, as query-string values (for pagination links)."""
        return {name: str(field.data) for name, field in self._fields.items() if field.data not in (None, ANY)}


def _known_choice(form: BaseForm, field: SelectField) -> None:
    if field.data not in {choice.value for choice in field.choices}:
        raise ValidationError(_("Choose one of the listed options for “%(field)s”.", field=field.label.text))


class IntegerField(fields.IntegerField):
    """A whole-number field whose error says what to type."""

    def process_formdata(self, valuelist: list[str]) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError as err:
            raise ValueError("Enter a whole number, like 42.") from err


def _record_number(form: BaseForm, field: IntegerField) -> None:
    # None means the text was not a number: that error is already on the field.
    if field.data is not None and not 1 <= field.data <= RECORD_ID_MAX:
        raise ValidationError("Enter a record number of 1 or more.")


class AuditFilterForm(_GetForm):
    actor = SelectField("Who", validators=[_known_choice], validate_choice=False, default=ANY)
    action = SelectField("Action", validators=[_known_choice], validate_choice=False, default=ANY)
    record_type = SelectField("Record type", validators=[_known_choice], validate_choice=False, default=ANY)
    record_id = IntegerField("Record number", validators=[Optional(), _record_number])
    date_from = DayField("From", validators=[Optional()])
    date_to = DayField("To", validators=[Optional()])

    def __init__(self, *args, actors: list[tuple[str, str]], actions: list[str], record_types: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.actor.choices = [
            SelectChoice(ANY, "Anyone"),
            SelectChoice(SYSTEM_ACTOR, "The system (sweep and commands)"),
            *(SelectChoice(value, label) for value, label in actors),
        ]
        self.action.choices = [SelectChoice(ANY, "Any action"), *(SelectChoice(a) for a in actions)]
        self.record_type.choices = [
            SelectChoice(ANY, "Any record"),
            *(SelectChoice(t, t.replace("_", " ")) for t in record_types),
        ]

    def validate_date_to(self, field: DayField) -> None:
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError("The end date must be on or after the start date.")


class ChangesFilterForm(_GetForm):
    """The public change history's filter, in the page's language."""

    vendor = SelectField(_l("Provider"), validators=[_known_choice], validate_choice=False, default=ANY)

    def __init__(self, *args, vendors: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.vendor.choices = [
            SelectChoice(ANY, _("All providers")),
            *(SelectChoice(slug, name) for slug, name in vendors),
        ]
