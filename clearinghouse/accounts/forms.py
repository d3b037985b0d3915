"""The shape of sign-in, password, user and invitation input."""

from flask_babel import lazy_gettext as _l
from wtforms import EmailField, PasswordField, SelectField, StringField, SubmitField
from wtforms.fields import SelectChoice
from wtforms.validators import DataRequired, Email, EqualTo, InputRequired, Length

from clearinghouse.accounts.models import EMAIL_MAX, NAME_MAX, PASSWORD_MIN_LENGTH, Role
from clearinghouse.accounts.passwords import PASSWORD_MAX_LENGTH
from clearinghouse.forms import BaseForm

PASSWORD_HINT = (
    f"At least {PASSWORD_MIN_LENGTH} characters. A few unrelated words work well; common passwords "
    "and your e-mail name are refused."
)


def _new_password(label: str) -> PasswordField:
    return PasswordField(
        label,
        validators=[InputRequired("Enter a password."), Length(max=PASSWORD_MAX_LENGTH)],
        render_kw={"autocomplete": "new-password"},
    )


def _confirmation(of: str) -> PasswordField:
    return PasswordField(
        "Type the password again",
        render_kw={"autocomplete": "new-password"},
        validators=[
            InputRequired("Type the password again."),
            EqualTo(of, "The two passwords are not the same. Type them again."),
        ],
    )


def _email(label: str = "E-mail address") -> EmailField:
    return EmailField(
        label,
        validators=[
            DataRequired("Enter an e-mail address."),
            Length(max=EMAIL_MAX),
            Email("Enter a valid e-mail address, like name@example.org."),
        ],
        render_kw={"autocomplete": "off"},
    )


class LoginForm(BaseForm):
    """The public sign-in form, in the page's language (the other forms here serve staff and vendors)."""

    # No format check here: every failure gets the same message, whatever was wrong.
    email = EmailField(
        _l("E-mail address"),
        validators=[DataRequired(_l("Enter your e-mail address.")), Length(max=EMAIL_MAX)],
        render_kw={"autocomplete": "username"},
    )
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(_l("Enter your password.")), Length(max=PASSWORD_MAX_LENGTH)],
        render_kw={"autocomplete": "current-password"},
    )
    submit = SubmitField(_l("Sign in"))


class ChangePasswordForm(BaseForm):
    current_password = PasswordField(
        "Current password",
        validators=[InputRequired("Enter your current password.")],
        render_kw={"autocomplete": "current-password"},
    )
    new_password = _new_password("New password")
    confirm = _confirmation("new_password")
    submit = SubmitField("Change password")


class AcceptInvitationForm(BaseForm):
    name = StringField(
        "Your name",
        validators=[DataRequired("Enter your name."), Length(max=NAME_MAX)],
        render_kw={"autocomplete": "name"},
    )
    password = _new_password("Choose a password")
    confirm = _confirmation("password")
    submit = SubmitField("Set password and sign in")


class StaffUserForm(BaseForm):
    email = _email()
    name = StringField("Name", validators=[DataRequired("Enter the person's name."), Length(max=NAME_MAX)])
    role = SelectField(
        "Role",
        choices=[SelectChoice(r.value, r.label) for r in (Role.OFFICER, Role.ADMIN)],
        validators=[DataRequired()],
    )
    submit = SubmitField("Create and send invitation")


class InviteVendorUserForm(BaseForm):
    vendor_id = SelectField("Vendor", coerce=int, validators=[DataRequired("Choose the vendor.")])
    email = _email("Contact's e-mail address")
    name = StringField("Contact's name", validators=[DataRequired("Enter the contact's name."), Length(max=NAME_MAX)])
    submit = SubmitField("Send invitation")

    def set_vendors(self, vendors: list[tuple[int, str]]) -> None:
        self.vendor_id.choices = [SelectChoice(vendor_id, name) for vendor_id, name in vendors]


class ActionForm(BaseForm):
    """A button that changes something: only the CSRF token."""
