"""The vendor's questionnaire: one form, built for the taxonomy's data elements and enough
subprocessor rows, read into `declarations.services.Answers`."""

from wtforms import BooleanField, IntegerField, RadioField, SelectChoice, StringField, TextAreaField
from wtforms.validators import Length, NumberRange, Optional

from clearinghouse.declarations.models import PURPOSE_MAX, SHORT_MAX, DeclarationVersion, Terms
from clearinghouse.declarations.services import DAYS_MAX, HOURS_MAX, TEXT_MAX, Answers, SubprocessorAnswer
from clearinghouse.directory.models import DataCategory, DataElement
from clearinghouse.forms import BaseForm
from clearinghouse.locking import VersionField

YES_NO = [SelectChoice("yes", "Yes"), SelectChoice("no", "No")]
SPARE_ROWS = 2  # empty subprocessor rows below the ones answered
EXHIBIT_B_MAX = 100_000


class QuestionnaireForm(BaseForm):
    version = VersionField()
    exhibit_b = TextAreaField(
        "Paste your NDPA Exhibit B (optional)", validators=[Optional(), Length(max=EXHIBIT_B_MAX)]
    )
    no_student_data = BooleanField("The product receives no student data")
    storage_location = StringField("Where is the data stored?", validators=[Optional(), Length(max=SHORT_MAX)])
    retention = TextAreaField("How long is the data kept?", validators=[Optional(), Length(max=TEXT_MAX)])
    disposal_method = StringField("How is the data disposed of?", validators=[Optional(), Length(max=SHORT_MAX)])
    disposal_window_days = IntegerField(
        "Within how many days of the district's request is it disposed of?",
        validators=[Optional(), NumberRange(0, DAYS_MAX, f"Enter a number of days between 0 and {DAYS_MAX}.")],
    )
    breach_notice_hours = IntegerField(
        "Within how many hours do you tell the district of a breach?",
        validators=[Optional(), NumberRange(0, HOURS_MAX, f"Enter a number of hours between 0 and {HOURS_MAX}.")],
    )
    sells_data = RadioField("Do you sell student data?", choices=YES_NO, validate_choice=False)
    targeted_ads = RadioField("Do you show students targeted advertising?", choices=YES_NO, validate_choice=False)
    cross_site_tracking = RadioField("Do you track students across other sites?", choices=YES_NO, validate_choice=False)
    terms = RadioField(
        "Which agreement do you sign?",
        choices=[SelectChoice(t.value, t.label) for t in Terms],
        validate_choice=False,
    )

    element_ids: list[int]
    rows: int

    def element(self, element_id: int):
        return self[f"element_{element_id}"], self[f"purpose_{element_id}"]

    def declared(self, categories: list[tuple[DataCategory, list[DataElement]]]) -> list[tuple]:
        """(element, its box, its purpose) of each element ticked (in the answers, the post or a pasted
        Exhibit B): the page asks the purpose of these only."""
        return [(e, *self.element(e.id)) for _, elements in categories for e in elements if self.element(e.id)[0].data]

    def offered(self, categories: list[tuple[DataCategory, list[DataElement]]]) -> list[tuple]:
        """(category, [(element, its box, its purpose)]) of the elements not ticked, to add from closed
        lists: no page shows every element with an open purpose box (issue 12)."""
        groups = []
        for category, elements in categories:
            rows = [(e, *self.element(e.id)) for e in elements if not self.element(e.id)[0].data]
            if rows:
                groups.append((category, rows))
        return groups

    def subprocessor(self, n: int):
        return tuple(self[f"sub_{n}_{part}"] for part in ("name", "service", "receives", "location"))

    def answers(self) -> Answers:
        def yes_no(field) -> bool | None:
            return {"yes": True, "no": False}.get(field.data)

        elements = {}
        for element_id in self.element_ids:
            ticked, purpose = self.element(element_id)
            if ticked.data:
                elements[element_id] = purpose.data or ""
        subprocessors = []
        for n in range(self.rows):
            name, service, receives, location = self.subprocessor(n)
            subprocessors.append(
                SubprocessorAnswer(name.data or "", service.data or "", bool(receives.data), location.data or "")
            )
        return Answers(
            elements=elements,
            no_student_data=bool(self.no_student_data.data),
            storage_location=self.storage_location.data or "",
            retention=self.retention.data or "",
            disposal_method=self.disposal_method.data or "",
            disposal_window_days=self.disposal_window_days.data,
            breach_notice_hours=self.breach_notice_hours.data,
            sells_data=yes_no(self.sells_data),
            targeted_ads=yes_no(self.targeted_ads),
            cross_site_tracking=yes_no(self.cross_site_tracking),
            terms=self.terms.data if self.terms.data in {t.value for t in Terms} else None,
            subprocessors=subprocessors,
        )


def _yes_no(value: bool | None) -> str | None:
    return None if value is None else "yes" if value else "no"


def questionnaire_form(
    elements: list[DataElement], answered: DeclarationVersion | None, declaration_version: int
) -> QuestionnaireForm:
    """The form for these elements, filled with the answers of `answered` (a draft or the last
    submitted version) unless it was posted."""
    subprocessor_count = len(answered.subprocessors) if answered is not None else 0
    rows = subprocessor_count + SPARE_ROWS

    class Form(QuestionnaireForm):
        pass

    for element in elements:
        setattr(Form, f"element_{element.id}", BooleanField(element.name))
        setattr(
            Form,
            f"purpose_{element.id}",
            StringField(f"Why {element.name}?", validators=[Optional(), Length(max=PURPOSE_MAX)]),
        )
    for n in range(rows):
        setattr(Form, f"sub_{n}_name", StringField("Name", validators=[Optional(), Length(max=SHORT_MAX)]))
        setattr(Form, f"sub_{n}_service", StringField("What they do", validators=[Optional(), Length(max=SHORT_MAX)]))
        setattr(Form, f"sub_{n}_receives", BooleanField("Student data reaches them"))
        setattr(
            Form,
            f"sub_{n}_location",
            StringField("Where they keep data", validators=[Optional(), Length(max=SHORT_MAX)]),
        )
    data: dict = {"version": declaration_version}
    if answered is not None:
        data.update(
            no_student_data=answered.no_student_data,
            storage_location=answered.storage_location,
            retention=answered.retention,
            disposal_method=answered.disposal_method,
            disposal_window_days=answered.disposal_window_days,
            breach_notice_hours=answered.breach_notice_hours,
            sells_data=_yes_no(answered.sells_data),
            targeted_ads=_yes_no(answered.targeted_ads),
            cross_site_tracking=_yes_no(answered.cross_site_tracking),
            terms=answered.terms.value if answered.terms else None,
        )
        for row in answered.elements:
            data[f"element_{row.data_element_id}"] = True
            data[f"purpose_{row.data_element_id}"] = row.purpose
        for n, sub in enumerate(answered.subprocessors):
            data.update(
                {
                    f"sub_{n}_name": sub.name,
                    f"sub_{n}_service": sub.service,
                    f"sub_{n}_receives": sub.receives_student_data,
                    f"sub_{n}_location": sub.data_location,
                }
            )
    form = Form(data=data)
    form.element_ids = [element.id for element in elements]
    form.rows = rows
    return form
