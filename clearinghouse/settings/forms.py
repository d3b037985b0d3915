"""The district settings form: every field checked for shape before the service saves it."""

import re
from functools import cache
from typing import Any, ClassVar
from zoneinfo import available_timezones

from wtforms import EmailField, IntegerField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.fields import SelectChoice
from wtforms.validators import DataRequired, Email, InputRequired, Length, NumberRange, ValidationError

from clearinghouse.forms import BaseForm
from clearinghouse.locking import VersionField
from clearinghouse.settings.models import EDITABLE_FIELDS, DistrictSettings
from clearinghouse.translation_fields import TranslatedForm, initial_translations, with_translation_fields

NOTICE_MAX = 50_000
DAYS_MAX = 3650
HHMM = re.compile(r"([01]\d|2[0-3]):[0-5]\d")


@cache
def time_zone_choices() -> tuple[SelectChoice, ...]:
    return tuple(SelectChoice(name, name.replace("_", " ")) for name in sorted(available_timezones()))


def parse_day_list(raw: str, *, label: str) -> str:
    """ "90, 60,30 ,7" → "90,60,30,7": positive whole numbers, largest first, each once."""
    pieces = [piece.strip() for piece in (raw or "").split(",") if piece.strip()]
    if not pieces:
        raise ValidationError(f"Enter at least one number of days for {label}, like 30 or 90,60,30.")
    for piece in pieces:
        if not piece.isdigit() or not 1 <= int(piece) <= DAYS_MAX:
            raise ValidationError(
                f"“{piece}” is not a number of days from 1 to {DAYS_MAX}. "
                "Separate the numbers with commas, like 90,60,30,7."
            )
    return ",".join(str(day) for day in DistrictSettings.parse_days(",".join(pieces)))


class DayList:
    """Validate and normalise a comma-separated list of day counts in place."""

    def __init__(self, label: str):
        self.label = label

    def __call__(self, form, field) -> None:
        field.data = parse_day_list(field.data, label=self.label)


def _sweep_time(form, field) -> None:
    if not HHMM.fullmatch((field.data or "").strip()):
        raise ValidationError("Enter a time of day as HH:MM on the 24-hour clock, like 06:00.")
    field.data = field.data.strip()


def _email(label: str) -> EmailField:
    return EmailField(
        label,
        validators=[
            DataRequired(f"Enter the {label.lower()}."),
            Length(max=254),
            Email("Enter a valid e-mail address, like privacy@district.org."),
        ],
    )


class SettingsForm(TranslatedForm, BaseForm):
    """Build it with `settings_form`, which adds the privacy notice in the site's other languages."""

    TRANSLATED: ClassVar = {"privacy_notice_md": ("Privacy notice (Markdown)", NOTICE_MAX)}
    version = VersionField()
    district_name = StringField(
        "District name", validators=[DataRequired("Enter the district's name."), Length(max=200)]
    )
    time_zone = SelectField("Time zone", validators=[DataRequired("Choose the district's time zone.")])
    privacy_office_email = _email("Privacy office e-mail")
    sender_email = _email("Sender e-mail")
    default_destruction_window_days = IntegerField(
        "Default destruction window (days)",
        validators=[
            InputRequired("Enter a number of days from 1 to 365."),
            NumberRange(1, 365, "Enter a number of days from 1 to 365."),
        ],
    )
    expiry_warning_days = StringField(
        "Expiry warnings (days before an agreement ends)", validators=[Length(max=100), DayList("expiry warnings")]
    )
    reminder_days_before_due = StringField(
        "Reminders (days before a destruction request is due)", validators=[Length(max=100), DayList("reminders")]
    )
    overdue_reminder_interval_days = IntegerField(
        "Overdue reminder interval (days)",
        validators=[
            InputRequired("Enter a number of days from 1 to 90."),
            NumberRange(1, 90, "Enter a number of days from 1 to 90."),
        ],
    )
    sweep_time = StringField("Daily sweep time (HH:MM, district time)", validators=[Length(max=5), _sweep_time])
    digest_business_days = IntegerField(
        "E-mail updates to families (business days)",
        validators=[
            InputRequired("Enter a number of business days from 1 to 30."),
            NumberRange(1, 30, "Enter a number of business days from 1 to 30."),
        ],
    )
    district_signer_name = StringField("District signer's name", validators=[Length(max=200)])
    district_signer_title = StringField("District signer's title", validators=[Length(max=200)])
    privacy_notice_md = TextAreaField("Privacy notice (Markdown)", validators=[Length(max=NOTICE_MAX)])
    preview = SubmitField("Preview the notice")
    submit = SubmitField("Save settings")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.time_zone.choices = list(time_zone_choices())

    def values(self) -> dict:
        """The setting columns as typed, and the notice's translations, ready for the service."""
        return {**{name: self[name].data for name in EDITABLE_FIELDS}, "translations": self.translations()}


def settings_form(settings: DistrictSettings, **kwargs: Any) -> SettingsForm:
    """The settings form drawn from `settings`, with the privacy notice in each other language."""
    initial = initial_translations(settings, SettingsForm.TRANSLATED)
    return with_translation_fields(SettingsForm)(obj=settings, data=initial, **kwargs)
