"""Forms for officers' destruction requests: a new directive, and withdrawing one."""

from wtforms import (
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    widgets,
)
from wtforms.validators import DataRequired, Length, Optional

from clearinghouse.destruction.models import DispositionNature, DispositionSchedule, RequestScope, RequestStatus
from clearinghouse.destruction.services import REASON_MAX
from clearinghouse.forms import BaseForm, DayField, GetForm
from clearinghouse.locking import VersionField

SIGNER_MAX = 200
TRANSFER_MAX = 300


class MultiCheckboxField(SelectMultipleField):
    """A list of checkboxes (the field() macro draws it as a fieldset)."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class NewRequestForm(BaseForm):
    vendor_id = SelectField("Vendor", coerce=int, validators=[DataRequired("Choose the vendor the directive is for.")])
    agreement_id = SelectField("Agreement (optional)", coerce=int, default=0)
    reason = TextAreaField(
        "Reason",
        validators=[DataRequired("Say why the data must be disposed of."), Length(max=REASON_MAX)],
    )
    scope = RadioField(
        "Extent of disposition",
        choices=[SelectChoice(scope.value, scope.label) for scope in RequestScope],
        default=RequestScope.ALL.value,
    )
    category_ids = MultiCheckboxField("Categories of data (for a partial disposition)", coerce=int)
    nature = RadioField(
        "Nature of disposition",
        choices=[SelectChoice(nature.value, nature.label) for nature in DispositionNature],
        default=DispositionNature.DESTROY.value,
    )
    transfer_to = StringField("Transfer to", validators=[Optional(), Length(max=TRANSFER_MAX)])
    instructions = TextAreaField("Instructions", validators=[Optional(), Length(max=REASON_MAX)])
    schedule = RadioField(
        "Schedule",
        choices=[SelectChoice(schedule.value, schedule.label) for schedule in DispositionSchedule],
        default=DispositionSchedule.BY_DATE.value,
    )
    due_on = DayField("Due date", validators=[Optional()])
    district_signer_name = StringField("District's authorized signer", validators=[Optional(), Length(max=SIGNER_MAX)])
    district_signer_title = StringField("Signer's title", validators=[Optional(), Length(max=SIGNER_MAX)])

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        if self.scope.data == RequestScope.CATEGORIES.value and not self.category_ids.data:
            self.category_ids.errors = [
                *self.category_ids.errors,
                "For a partial disposition, tick at least one category.",
            ]
            ok = False
        if self.nature.data == DispositionNature.TRANSFER.value and not (self.transfer_to.data or "").strip():
            self.transfer_to.errors = [*self.transfer_to.errors, "Say where the data must be transferred to."]
            ok = False
        return ok


class WithdrawForm(BaseForm):
    reason = TextAreaField(
        "Why is the request withdrawn?",
        validators=[DataRequired("Say why the request is withdrawn."), Length(max=REASON_MAX)],
    )
    version = VersionField()


class FilterForm(GetForm):
    """The list's filters (GET, so no CSRF token)."""

    state = SelectField(
        "Show",
        choices=[
            SelectChoice("all", "All requests"),
            SelectChoice("open", RequestStatus.OPEN.label),
            SelectChoice("overdue", "Overdue"),
            SelectChoice("submitted", RequestStatus.SUBMITTED.label),
            SelectChoice("closed", "Closed"),
        ],
        default="all",
    )
    vendor_id = SelectField("Vendor", coerce=int, default=0)
    page = IntegerField(default=1, validators=[Optional()])
