"""The follow form and the forms behind a subscriber's links (no CSRF token: see blueprint.py)."""

from flask_babel import lazy_gettext as _l
from wtforms import EmailField, HiddenField, SelectField, SelectMultipleField, SubmitField
from wtforms.validators import DataRequired, Email, Length
from wtforms.widgets import CheckboxInput, ListWidget

from clearinghouse.forms import BaseForm
from clearinghouse.i18n import configured_languages, language_name
from clearinghouse.subscriptions.models import EMAIL_MAX, Scope


class _NoToken(BaseForm):
    class Meta:
        csrf = False


class FollowForm(_NoToken):
    """An e-mail address, and what to follow: `scope` (district, product, school) and the page's slug."""

    email = EmailField(
        _l("Your e-mail address"),
        validators=[
            DataRequired(_l("Enter your e-mail address.")),
            Length(max=EMAIL_MAX, message=_l("That address is too long.")),
            Email(_l("Enter an e-mail address like name@example.org.")),
        ],
        render_kw={"autocomplete": "email", "maxlength": EMAIL_MAX, "spellcheck": "false"},
    )
    scope = HiddenField(default=Scope.DISTRICT.value, validators=[Length(max=20)])
    target = HiddenField(default="", validators=[Length(max=200)])
    submit = SubmitField(_l("Follow"))


class ConfirmForm(_NoToken):
    submit = SubmitField(_l("Confirm"))


class UnsubscribeForm(_NoToken):
    submit = SubmitField(_l("Unsubscribe and delete my address"))


class DeleteForm(_NoToken):
    submit = SubmitField(_l("Delete my address and every subscription"))


class ManageForm(_NoToken):
    keep = SelectMultipleField(
        _l("What you follow"), coerce=int, widget=ListWidget(prefix_label=False), option_widget=CheckboxInput()
    )
    language = SelectField(_l("Language of the e-mails"))
    submit = SubmitField(_l("Save changes"))

    def __init__(self, *args, follows: list[tuple[int, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.keep.choices = follows
        self.language.choices = [(code, language_name(code)) for code in configured_languages()]


class RemoveAddressForm(BaseForm):
    """Staff: remove an address a parent asked the privacy office to remove (CSRF-protected)."""

    email = EmailField(
        "E-mail address to remove",
        validators=[
            DataRequired("Enter the address to remove."),
            Length(max=EMAIL_MAX, message="That address is too long."),
            Email("Enter an e-mail address like name@example.org."),
        ],
        render_kw={"autocomplete": "off", "maxlength": EMAIL_MAX, "spellcheck": "false"},
    )
    submit = SubmitField("Remove the address")
