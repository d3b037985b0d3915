"""The import pages' forms: the upload or paste, the columns, the values, the set-aside rows and the confirmation."""

from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    HiddenField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)

from clearinghouse.forms import BaseForm
from clearinghouse.imports.choices import PROPOSAL_KINDS, DuplicatePolicy
from clearinghouse.imports.mapping import FIELDS
from clearinghouse.imports.values import KEEP_AS_TEXT, NEW_KIND, ValueRow, check_meaning, split_status
from clearinghouse.imports.vocabulary import AgreementStatus, Approval

NOT_IMPORTED = ""
KEEP_PREFIX = "keep:"  # a column with no field, kept with each product (services.KEEP_AS)
FIELD_CHOICES = [
    SelectChoice(NOT_IMPORTED, "Don't import this column"),
    *(SelectChoice(name, label) for name, label in FIELDS.items()),
    SelectChoice(f"{KEEP_PREFIX}tags", "Keep with each product: as tags"),
    SelectChoice(f"{KEEP_PREFIX}notes", "Keep with each product: as notes for staff"),
    SelectChoice(f"{KEEP_PREFIX}links", "Keep with each product: as links, unpublished"),
]
PASTE_MAX = 2 * 1024 * 1024


class UploadForm(BaseForm):
    file = FileField("Inventory file")
    pasted = TextAreaField("Or paste the table")
    submit = SubmitField("Continue to the columns")

    def validate(self, extra_validators=None) -> bool:
        if not super().validate(extra_validators):
            return False
        if not self.file.data and not (self.pasted.data or "").strip():
            self.file.errors = ["Choose a file, or paste the table from your spreadsheet."]
            return False
        return True


class SheetForm(BaseForm):
    sheet = SelectField("Sheet or table to import", choices=[])
    choose = SubmitField("Use this sheet")


class MappingForm(BaseForm):
    """One select per column of the file; `for_headers` adds the fields for a given file."""

    submit = SubmitField("Save and check the values")

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
        chosen = {
            header: self[f"column_{position}"].data or NOT_IMPORTED for position, header in enumerate(self.headers)
        }
        return {header: NOT_IMPORTED if value.startswith(KEEP_PREFIX) else value for header, value in chosen.items()}

    def keep(self) -> dict[str, str]:
        """header → tags | notes | links, for the columns kept with each product."""
        return {
            header: value.removeprefix(KEEP_PREFIX)
            for position, header in enumerate(self.headers)
            if (value := self[f"column_{position}"].data or "").startswith(KEEP_PREFIX)
        }

    def show_problems(self, problems: dict[str, str]) -> str | None:
        """Put each problem on its column; return the one about the file as a whole (no product column)."""
        for position, header in enumerate(self.headers):
            if header in problems:
                self[f"column_{position}"].errors = [problems[header]]
        return problems.get("")


CHOOSE = SelectChoice("?", "Choose…")
APPROVAL_CHOICES = [
    CHOOSE,
    SelectChoice("", "Does not say (leave as it is)"),
    *(SelectChoice(value.value, value.label) for value in Approval),
]
AGREEMENT_CHOICES = [
    CHOOSE,
    SelectChoice("", "Does not say (leave as it is)"),
    *(SelectChoice(value.value, value.label) for value in AgreementStatus),
]


def _kind_choices(kinds: dict[str, str], row: ValueRow, meaning: str | None) -> list[SelectChoice]:
    """The district's kinds, then adding the value as a new kind or keeping it as text (issue 11, item 9)."""
    new = meaning if meaning and meaning.startswith(NEW_KIND) else f"{NEW_KIND}{row.raw.strip()}"
    return [
        CHOOSE,
        *(SelectChoice(slug, name) for slug, name in kinds.items()),
        SelectChoice(new, f"Add “{new.removeprefix(NEW_KIND)}” as a new kind"),
        SelectChoice(KEEP_AS_TEXT, "Keep the words as text for staff (the product gets the default kind)"),
    ]


class ValuesForm(BaseForm):
    """For each distinct value of a checked column, what it means (prefilled with the proposal)."""

    submit = SubmitField("Save these meanings and continue")

    @classmethod
    def for_values(
        cls, readings: dict[str, list[ValueRow]], chosen: dict[str, dict[str, str]], kinds: dict[str, str]
    ) -> "ValuesForm":
        """`kinds`: the district's kinds of product offered, slug → name."""
        form_class = type("FileValuesForm", (cls,), {})
        entries: list[tuple[str, int, ValueRow, str | None]] = []
        for name, rows in readings.items():
            for index, row in enumerate(rows):
                meaning = chosen.get(name, {}).get(row.key, row.proposed)
                entries.append((name, index, row, meaning))
                prefix = f"{name}_{index}"
                if name == "status":
                    approval, agreement = split_status(meaning) if meaning is not None else (None, None)
                    setattr(
                        form_class,
                        f"{prefix}_approval",
                        SelectField(
                            f"Approval for “{row.raw}”",
                            choices=APPROVAL_CHOICES,
                            default="?" if meaning is None else (approval.value if approval else ""),
                        ),
                    )
                    setattr(
                        form_class,
                        f"{prefix}_agreement",
                        SelectField(
                            f"Agreement for “{row.raw}”",
                            choices=AGREEMENT_CHOICES,
                            default="?" if meaning is None else (agreement.value if agreement else ""),
                        ),
                    )
                elif name == "agreement_status":
                    setattr(
                        form_class,
                        prefix,
                        SelectField(
                            f"Agreement for “{row.raw}”",
                            choices=AGREEMENT_CHOICES,
                            default="?" if meaning is None else meaning,
                        ),
                    )
                elif name == "kind":
                    setattr(
                        form_class,
                        prefix,
                        SelectField(
                            f"Kind for “{row.raw}”", choices=_kind_choices(kinds, row, meaning), default=meaning or "?"
                        ),
                    )
                else:
                    setattr(form_class, prefix, StringField(f"Meaning of “{row.raw}”", default=meaning or ""))
        form = form_class()
        form.entries = entries
        form.kinds = kinds
        return form

    def fields_of(self, name: str, index: int) -> list:
        prefix = f"{name}_{index}"
        if name == "status":
            return [self[f"{prefix}_approval"], self[f"{prefix}_agreement"]]
        return [self[prefix]]

    def meanings(self) -> dict[str, dict[str, str]]:
        """field → value key → meaning; a value left on "Choose…" (or a text left empty while the app could not
        read it) gets an error instead."""
        chosen: dict[str, dict[str, str]] = {}
        for name, index, row, _meaning in self.entries:
            widgets = self.fields_of(name, index)
            if name == "status":
                approval, agreement = (widget.data for widget in widgets)
                if approval == "?" or agreement == "?":
                    for widget in widgets:
                        if widget.data == "?":
                            widget.errors = ["Choose what this value says."]
                    continue
                value = f"{approval}/{agreement}"
            else:
                value = (widgets[0].data or "").strip()
                if value == "?" or (not value and not row.matched and name in ("grade_bands", "schools")):
                    widgets[0].errors = [
                        "Choose what this value means."
                        if name in ("kind", "agreement_status")
                        else "Write what this value means, or “none”."
                    ]
                    continue
            try:
                chosen.setdefault(name, {})[row.key] = check_meaning(name, value, raw=row.raw, kinds=self.kinds)
            except ValueError as err:
                widgets[0].errors = [str(err)]
        return chosen


class ProposalsForm(BaseForm):
    """Which kinds of fact read from the text the import takes (each kind as a whole)."""

    status = BooleanField(PROPOSAL_KINDS["status"])
    signed_on = BooleanField(PROPOSAL_KINDS["signed_on"])
    expires_on = BooleanField(PROPOSAL_KINDS["expires_on"])
    grades = BooleanField(PROPOSAL_KINDS["grades"])
    name = BooleanField(PROPOSAL_KINDS["name"])
    submit = SubmitField("Save and continue to the vendors")

    def kinds(self) -> list:
        return [self[name] for name in PROPOSAL_KINDS]


class VendorsForm(BaseForm):
    """The vendors and names step: which proposals to follow, rows kept, and the vendors the officer writes."""

    split = BooleanField("Split a name that holds several products (“A / B”, “A, B and C”) into one product each")
    parent = BooleanField("Take the company in brackets (“Product (Parent Co)”, “Product by Co”) as the vendor")
    groups = BooleanField("Treat the spellings of one vendor as one vendor")
    infer = BooleanField("Without a vendor in the row, take it from the name or the website's address")
    keep_rows = SelectMultipleField("Rows to import although they do not look like products", coerce=int, choices=[])
    submit = SubmitField("Save and continue to the repeated rows")

    @classmethod
    def with_vendor_fields(cls, idents: list[str], written: dict[str, str]) -> "VendorsForm":
        form_class = type("FileVendorsForm", (cls,), {})
        for ident in idents:
            setattr(
                form_class, f"vendor_{ident.replace('.', '_')}", StringField("Vendor", default=written.get(ident, ""))
            )
        form = form_class()
        form.idents = idents
        return form

    def vendor_field(self, ident: str):
        return self[f"vendor_{ident.replace('.', '_')}"]

    def written(self) -> dict[str, str]:
        return {ident: (self.vendor_field(ident).data or "").strip() for ident in self.idents}


class DuplicatesForm(BaseForm):
    policy = SelectField(
        "For repeated rows not decided one by one",
        choices=[
            SelectChoice(DuplicatePolicy.KEEP_FIRST, "Import the first row, set the others aside"),
            SelectChoice(DuplicatePolicy.MERGE, "Merge them into one product"),
            SelectChoice(DuplicatePolicy.SET_ASIDE, "Set all of them aside"),
        ],
    )
    submit = SubmitField("Save and continue to the preview")

    @classmethod
    def for_groups(cls, groups: list, chosen: dict[str, str]) -> "DuplicatesForm":
        form_class = type("FileDuplicatesForm", (cls,), {})
        for index, group in enumerate(groups):
            options = [
                *(
                    SelectChoice(f"keep:{row.number}", f"Import row {row.number}, set the others aside")
                    for row in group.rows
                ),
                SelectChoice("merge", "Merge them into one product"),
                SelectChoice("set-aside", "Set all of them aside"),
            ]
            setattr(
                form_class, f"group_{index}", SelectField(f"“{group.product}”", choices=options, default=group.choice)
            )
        form = form_class()
        form.groups = groups
        return form

    def group_field(self, index: int):
        return self[f"group_{index}"]


class SetAsideForm(BaseForm):
    """Rows to set aside (a checkbox beside each problem), every row with a problem, or rows to put back."""

    rows = SelectMultipleField("Rows", coerce=int, choices=[], validate_choice=False)
    set_aside = SubmitField("Set the ticked rows aside")
    set_aside_all = SubmitField("Set aside every row with a problem")
    put_back = SubmitField("Put the ticked rows back")


class DestructionForm(BaseForm):
    """For each agreement that ended before the import: whether a destruction request is opened."""

    open = SelectMultipleField("Open a destruction request", choices=[], validate_choice=False)
    shown = SelectMultipleField("Agreements on this page", choices=[], validate_choice=False)  # hidden inputs
    submit = SubmitField("Save these decisions")


class ExhibitBForm(BaseForm):
    """A vendor's Exhibit B, pasted or uploaded; then the matches the officer accepts."""

    text = TextAreaField("Paste the schedule of data (Exhibit B)")
    file = FileField("Or choose the packet (Markdown, CSV or text)")
    accept = SelectMultipleField("Add these to the product", coerce=int, choices=[], validate_choice=False)
    version = HiddenField()
    read = SubmitField("Read the schedule")
    apply = SubmitField("Add the ticked data to the product")


class ConfirmForm(BaseForm):
    plan = HiddenField()  # a digest of the preview the officer saw
    submit = SubmitField("Import it")
