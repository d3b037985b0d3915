"""Forms of tool requests: asking for a tool, withdrawing, and the privacy office's steps."""

from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    IntegerField,
    RadioField,
    SearchField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    widgets,
)
from wtforms.validators import Length, NumberRange, Optional

from clearinghouse.directory.models import NOTE_MAX
from clearinghouse.forms import BaseForm, DayField, GetForm
from clearinghouse.intake.models import (
    COST_MAX,
    GRADES_MAX,
    NAME_MAX,
    STUDENTS_MAX,
    TEXT_MAX,
    URL_MAX,
    CostKind,
    Decision,
)
from clearinghouse.locking import VersionField


class MultiCheckboxField(SelectMultipleField):
    """A list of checkboxes (the field() macro draws it as a fieldset)."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class RequestForm(BaseForm):
    name = StringField("The tool's name", validators=[Length(max=NAME_MAX)])
    website = StringField("Its website", validators=[Optional(), Length(max=URL_MAX)])
    kind = SelectField("What kind of tool is it?")  # the district's kinds, by slug (`queries.kind_choices`)
    school_ids = MultiCheckboxField("Which schools would use it?", coerce=int)
    purpose = TextAreaField("What is it for?", validators=[Length(max=TEXT_MAX)])
    grades = StringField("Which grades?", validators=[Optional(), Length(max=GRADES_MAX)])
    student_count = IntegerField(
        "Roughly how many students?",
        validators=[Optional(), NumberRange(0, STUDENTS_MAX, f"Give a number between 0 and {STUDENTS_MAX:,}.")],
    )
    cost_kind = RadioField(
        "Is it free or paid?",
        choices=[SelectChoice(kind.value, kind.label) for kind in CostKind],
        default=CostKind.UNKNOWN.value,
    )
    cost = StringField("If paid, roughly what does it cost?", validators=[Optional(), Length(max=COST_MAX)])
    data_needed = TextAreaField(
        "What student data would it need, if you know?", validators=[Optional(), Length(max=TEXT_MAX)]
    )
    needed_by = DayField("When do you need it by?", validators=[Optional()])


class WithdrawForm(BaseForm):
    version = VersionField()
    reason = TextAreaField("Why (optional)", validators=[Optional(), Length(max=TEXT_MAX)])


class JoinForm(BaseForm):
    """Only the CSRF token: joining needs no answer."""


class FindProductForm(GetForm):
    """The words a request's page searches product names for (`?find=`), to offer them for linking."""

    find = SearchField("Find a product by its name", validators=[Optional(), Length(max=NAME_MAX)])


class LinkForm(BaseForm):
    # The choices are the products the page found (`queries.link_choices`); the service checks
    # that the one sent still exists, as one found by other words may have been.
    product_id = RadioField(
        "The product",
        coerce=int,
        default=0,
        validate_choice=False,
        invalid_value_message="Choose one of the products offered, or a new product.",
    )
    find = HiddenField()  # the words that found the choices, so a refused form offers them again
    vendor_name = StringField("Or a new product: its vendor's name", validators=[Optional(), Length(max=NAME_MAX)])
    product_name = StringField("The new product's name", validators=[Optional(), Length(max=NAME_MAX)])


class InviteForm(BaseForm):
    email = EmailField("The vendor contact's e-mail address", validators=[Length(max=254)])
    name = StringField("Their name (optional)", validators=[Optional(), Length(max=NAME_MAX)])


class DecideForm(BaseForm):
    version = VersionField()
    decision = RadioField("Decision", choices=[SelectChoice(d.value, d.label) for d in Decision], validate_choice=False)
    note = TextAreaField("Conditions, or why it is not approved", validators=[Optional(), Length(max=NOTE_MAX)])
    accept_declaration = BooleanField("Accept the vendor's declaration as the product's data uses and purposes")
