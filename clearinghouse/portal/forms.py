"""The vendor's disposal certificate form."""

from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, RadioField, SelectChoice, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from clearinghouse.destruction.certificates import ATTESTATION
from clearinghouse.destruction.models import DisposalMethod
from clearinghouse.forms import BaseForm, DayField

NAME_MAX = 200
METHOD_OTHER_MAX = 2000


class CertificateForm(BaseForm):
    document = FileField(
        "Signed certificate (PDF)",
        validators=[FileRequired("Choose the signed certificate, a PDF file.")],
    )
    signer_name = StringField(
        "Name of the person who signed",
        validators=[DataRequired("Enter the name of the person who signed."), Length(max=NAME_MAX)],
        render_kw={"autocomplete": "name", "maxlength": NAME_MAX},
    )
    signer_title = StringField(
        "Their title",
        validators=[DataRequired("Enter the signer's title, for example Chief Privacy Officer."), Length(max=NAME_MAX)],
        render_kw={"autocomplete": "organization-title", "maxlength": NAME_MAX},
    )
    disposed_on = DayField(
        "Date the data was destroyed or returned",
        validators=[InputRequired("Enter the date the data was destroyed or returned.")],
    )
    method = RadioField(
        "How the data was disposed of",
        choices=[SelectChoice(method.value, method.label) for method in DisposalMethod],
        validators=[InputRequired("Choose how the data was disposed of.")],
    )
    method_other = TextAreaField(
        "Describe the method",
        validators=[Optional(), Length(max=METHOD_OTHER_MAX)],
        render_kw={"maxlength": METHOD_OTHER_MAX, "rows": 3},
    )
    attests_all_copies = BooleanField(
        ATTESTATION,
        validators=[
            DataRequired("Confirm that all copies, including those of subcontractors, were returned or destroyed.")
        ],
    )
    submit = SubmitField("Submit the certificate")

    def validate_method_other(self, field: TextAreaField) -> None:
        if self.method.data == DisposalMethod.OTHER.value and not (field.data or "").strip():
            raise ValidationError("Describe the method used, since you chose “Other method”.")

    def ask_for_file_again(self) -> None:
        """A browser cannot refill a file input: say so when the form comes back for another reason."""
        if self.is_submitted() and not self.document.errors and self.errors:
            self.document.errors = ["Choose the file again: files are not kept when the form has errors."]
