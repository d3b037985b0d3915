"""The import pages' forms: the upload, the column mapping, and the confirmation."""

from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField, SelectChoice, SelectField, SubmitField

from clearinghouse.forms import BaseForm
from clearinghouse.imports.mapping import FIELDS

NOT_IMPORTED = ""
FIELD_CHOICES = [
    SelectChoice(NOT_IMPORTED, "Don't import this column"),
    *(SelectChoice(name, label) for name, label in FIELDS.items()),
]


class UploadForm(BaseForm):
    file = FileField("Inventory file (CSV)", validators=[FileRequired("Choose a CSV file to upload.")])
    submit = SubmitField("Upload and match columns")


class MappingForm(BaseForm):
    """One select per column of the file; `for_headers` adds the fields for a given file."""

    submit = SubmitField("Preview the import")

    @classmethod
    def for_headers(cls, headers: list[str], initial: dict[str, str]) -> "MappingForm":
        form_class = type("FileMappingForm", (cls,), {})
        for position, header in enumerate(headers):
            setattr(
                form_class,
                f"column_{position}",
                SelectField(header, choices=FIELD_CHOICES, default=initial.get(header, NOT_IMPORTED)),
            )
        form = form_class()
        form.headers = headers
        return form

    def column_fields(self) -> list:
        return [self[f"column_{position}"] for position in range(len(self.headers))]

    def mapping(self) -> dict[str, str]:
        return {header: self[f"column_{position}"].data or NOT_IMPORTED for position, header in enumerate(self.headers)}

    def show_problems(self, problems: dict[str, str]) -> str | None:
        """Put each problem on its column; return the one about the file as a whole (no product column)."""
        for position, header in enumerate(self.headers):
            if header in problems:
                self[f"column_{position}"].errors = [problems[header]]
        return problems.get("")


class ConfirmForm(BaseForm):
    plan = HiddenField()  # the signed file id and mapping the preview was drawn from
    submit = SubmitField("Import all of it")
