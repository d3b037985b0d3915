"""Forms for agreements: add/edit/renew (one form), terminate, and the list's filters."""

from datetime import date, timedelta
from typing import Any

from flask_wtf.file import FileField
from wtforms import BooleanField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from clearinghouse.agreements.models import Agreement, AgreementKind, DataDisposal
from clearinghouse.agreements.models import _add_years as add_years  # leap-day safe, same rule as term_ends_on
from clearinghouse.agreements.rules import term_problems
from clearinghouse.agreements.services import AgreementInput
from clearinghouse.directory.staff_forms import MultiCheckboxField, choices, optional_int, strip
from clearinghouse.forms import BaseForm, DayField, GetForm
from clearinghouse.locking import VersionField
from clearinghouse.timeutil import LATEST_DATE, district_today


class DaysField(IntegerField):
    def process_formdata(self, valuelist: list[Any]) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError("Enter a whole number of days, or leave it blank for the district's default.") from None


class AgreementForm(BaseForm):
    kind = SelectField(
        "Kind of agreement",
        choices=choices((k.value, k.label) for k in AgreementKind),
        default=AgreementKind.NDPA.value,
    )
    reference = StringField("Reference", validators=[Length(max=200)], filters=[strip])
    product_ids = MultiCheckboxField("Products it covers", coerce=int, validate_choice=False)
    dates_not_recorded = BooleanField("On file, dates not recorded (the district holds it; leave the dates blank)")
    signed_on = DayField("Signed on", validators=[Optional()])
    effective_on = DayField("In effect from", validators=[Optional()])
    expires_on = DayField("Expires on", validators=[Optional()])
    is_open_ended = BooleanField("Open-ended (no expiry date)")
    auto_renews = BooleanField("Renews automatically each year")
    destruction_window_days = DaysField(
        "Destruction window (days after it ends)",
        validators=[Optional(), NumberRange(0, 3650, "Enter a number of days between 0 and 3650.")],
    )
    disposal_method = SelectField(
        "What happens to the data when it ends",
        choices=choices(
            [
                ("", "The agreement does not say"),
                (DataDisposal.DESTROY.value, "The vendor destroys or deletes it"),
                (DataDisposal.RETURN.value, "The vendor returns it to the district, then deletes it"),
            ]
        ),
        default="",
    )
    document = FileField("Signed agreement (PDF)")
    is_document_published = BooleanField("Publish the signed document on the public site")
    internal_notes = TextAreaField("Internal notes", validators=[Length(max=20000)])
    version = VersionField()

    def validate(self, extra_validators: dict | None = None) -> bool:
        """Field checks, then every date problem at once (the service checks them again)."""
        valid = super().validate(extra_validators)
        problems = term_problems(
            signed_on=self.signed_on.data,
            effective_on=self.effective_on.data,
            expires_on=self.expires_on.data,
            is_open_ended=bool(self.is_open_ended.data),
            today=self.today(),
            dates_recorded=not self.dates_not_recorded.data,
        )
        for name, message in problems:
            if not self[name].errors:  # a date that did not parse already says so
                self[name].errors.append(message)
                valid = False
        return valid

    def today(self) -> date:
        return district_today()

    @property
    def lost_upload(self) -> bool:
        """A file was chosen but the form is shown again: file inputs can't be refilled."""
        return self.is_submitted() and self.document.data is not None

    def to_input(self) -> AgreementInput:
        return AgreementInput(
            kind=AgreementKind(self.kind.data),
            reference=self.reference.data or "",
            product_ids=list(self.product_ids.data or []),
            dates_recorded=not self.dates_not_recorded.data,
            signed_on=self.signed_on.data,
            effective_on=self.effective_on.data,
            expires_on=None if self.is_open_ended.data else self.expires_on.data,
            is_open_ended=bool(self.is_open_ended.data),
            auto_renews=bool(self.auto_renews.data),
            destruction_window_days=self.destruction_window_days.data,
            disposal_method=DataDisposal(self.disposal_method.data) if self.disposal_method.data else None,
            is_document_published=bool(self.is_document_published.data),
            internal_notes=self.internal_notes.data or "",
            document=self.document.data or None,
        )


def agreement_data(agreement: Agreement) -> dict[str, Any]:
    """An edit form's initial values (not `obj=`: the document field must never hold the stored file)."""
    return {
        "kind": agreement.kind.value,
        "reference": agreement.reference,
        "product_ids": [p.id for p in agreement.products],
        "dates_not_recorded": agreement.dates_recorded is False,
        "signed_on": agreement.signed_on,
        "effective_on": agreement.effective_on,
        "expires_on": agreement.expires_on,
        "is_open_ended": agreement.signed_on is not None and agreement.expires_on is None,
        "auto_renews": agreement.auto_renews,
        "destruction_window_days": agreement.destruction_window_days,
        "disposal_method": agreement.disposal_method.value if agreement.disposal_method else "",
        "is_document_published": agreement.is_document_published,
        "internal_notes": agreement.internal_notes,
        "version": agreement.version,
    }


def renewal_data(predecessor: Agreement, today: date) -> dict[str, Any]:
    """The renewal form, prefilled: same kind and products, starting the day after the current term
    ends, for a term as long as the current one; signed today; the document still to choose.

    Dates that would fall past `LATEST_DATE` (an agreement saved with a far expiry before dates had a
    range) are not proposed: the form starts today, or leaves the expiry for the officer to enter.
    """
    term_end = predecessor.term_ends_on(today)
    starts = term_end + timedelta(days=1) if term_end and term_end < LATEST_DATE else today
    expires = None
    if predecessor.effective_on and predecessor.expires_on:
        years = max(1, round((predecessor.expires_on - predecessor.effective_on).days / 365.25))
        if starts.year + years <= LATEST_DATE.year:
            expires = add_years(starts, years) - timedelta(days=1)
    reference = f"{predecessor.reference} — renewal {starts.year}" if predecessor.reference else ""
    return {
        "kind": predecessor.kind.value,
        "reference": reference[:200],
        "product_ids": [p.id for p in predecessor.products],
        "signed_on": today,
        "effective_on": starts,
        "expires_on": expires,
        "is_open_ended": expires is None,
        "auto_renews": predecessor.auto_renews,
        "destruction_window_days": predecessor.destruction_window_days,
        "disposal_method": predecessor.disposal_method.value if predecessor.disposal_method else "",
        "version": predecessor.version,
    }


class TerminateForm(BaseForm):
    terminated_on = DayField("Ends on", validators=[InputRequired("Enter the day the agreement ends.")])
    reason = TextAreaField(
        "Reason",
        validators=[InputRequired("Give the reason for ending the agreement."), Length(max=5000)],
        filters=[strip],
    )
    version = VersionField()


class VendorChoiceForm(GetForm):
    """Step one of adding an agreement (a GET form): whose agreement it is."""

    vendor_id = SelectField("Vendor", coerce=optional_int)


class AgreementFilterForm(GetForm):
    """The list's filters, read from the query string."""

    state = SelectField("State")
    vendor_id = SelectField("Vendor", coerce=optional_int)
