"""The NDPA Exhibit B schedule of data, as Python data, and the service that seeds it.

The names follow the National Data Privacy Agreement's Exhibit B word for word, so that a
district's signed agreements and this directory use the same checklist; each element adds a
plain-language description for parents. Their translations into the site's other languages
(taxonomy_translations) are seeded with them. Sensitive elements are the ones the reference marks
(everything under Special Indicator, Conduct and Student Survey Responses, app passwords, date
and place of birth, ethnicity or race, precise pick-up/drop-off locations).

Two rows of Exhibit B are not data: "Other" is a category with no seeded elements (a district
names its own there), and "None" ("no student data collected") is what a product with no data
uses already says, so it is not seeded at all.
"""

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from clearinghouse.audit import services as audit
from clearinghouse.directory.models import DataCategory, DataElement
from clearinghouse.directory.taxonomy_translations import TRANSLATIONS, Names
from clearinghouse.extensions import db
from clearinghouse.i18n import configured_languages
from clearinghouse.slugs import slugify, unique_slug

# Exhibit B rows that are deliberately not seeded as a category (see the module docstring).
NOT_SEEDED = ("None",)


@dataclass(frozen=True)
class Element:
    name: str
    description: str
    is_sensitive: bool = False


@dataclass(frozen=True)
class Category:
    name: str
    elements: tuple[Element, ...]


S = True  # marks a sensitive element below, to keep the table readable

TAXONOMY: tuple[Category, ...] = (
    Category(
        "Application Technology Meta Data",
        (
            Element(
                "IP addresses of users, use of cookies, etc.",
                "The network address of the device a student uses, and the cookies the app stores in the browser.",
            ),
            Element(
                "Other application technology metadata",
                "Other technical details about the device or browser, such as its type or operating system.",
            ),
        ),
    ),
    Category(
        "Application Use Statistics",
        (
            Element(
                "Metadata on user interaction with the application",
                "Which pages or features a student opens, when, and for how long.",
            ),
        ),
    ),
    Category(
        "Assessment",
        (
            Element("Standardized test scores", "Scores from state or national tests, such as yearly reading tests."),
            Element("Observation data", "Notes a teacher records while watching a student work or read."),
            Element("Other assessment data", "Results of other tests, quizzes or screeners."),
        ),
    ),
    Category(
        "Attendance",
        (
            Element("Student school (daily) attendance data", "Whether a student was at school on a given day."),
            Element("Student class attendance data", "Whether a student was present in a given class period."),
        ),
    ),
    Category(
        "Communications",
        (
            Element(
                "Online communications captured (emails, blog entries)",
                "Messages, e-mails, posts or comments a student writes inside the service.",
            ),
        ),
    ),
    Category(
        "Conduct",
        (Element("Conduct or behavioral data", "Records of a student's behavior, discipline or incidents.", S),),
    ),
    Category(
        "Demographics",
        (
            Element("Date of birth", "The student's birthday.", S),
            Element("Place of birth", "The city or country where the student was born.", S),
            Element("Gender", "The student's gender as recorded by the district."),
            Element("Ethnicity or race", "The student's ethnicity or race as recorded by the district.", S),
            Element(
                "Language information (native or primary language spoken by the student)",
                "The language the student speaks at home or learned first.",
            ),
            Element("Other demographic information", "Other personal characteristics the district records."),
        ),
    ),
    Category(
        "Enrollment",
        (
            Element("Student school enrollment", "Which school the student attends."),
            Element("Student grade level", "The student's grade, such as kindergarten or grade 7."),
            Element("Homeroom", "The student's homeroom or advisory group."),
            Element("Guidance counselor", "The name of the student's school counselor."),
            Element("Specific curriculum programs", "Special programs the student is in, such as a magnet program."),
            Element("Year of graduation", "The year the student is expected to graduate."),
            Element("Other enrollment information", "Other details of the student's enrollment."),
        ),
    ),
    Category(
        "Parent/Guardian Contact Information",
        (
            Element("Address", "The home address of a parent or guardian."),
            Element("Email", "The e-mail address of a parent or guardian."),
            Element("Phone", "The phone number of a parent or guardian."),
        ),
    ),
    Category(
        "Parent/Guardian ID",
        (
            Element(
                "Parent ID number (created to link parents to students)",
                "A number the system creates to connect a parent's account to their child.",
            ),
        ),
    ),
    Category(
        "Parent/Guardian Name", (Element("First and/or last", "The first or last name of a parent or guardian."),)
    ),
    Category(
        "Schedule",
        (
            Element("Student scheduled courses", "The classes on a student's schedule."),
            Element("Teacher names", "The names of the student's teachers."),
        ),
    ),
    Category(
        "Special Indicator",
        (
            Element(
                "English language learner information", "Whether the student is learning English, and their level.", S
            ),
            Element(
                "Low income status",
                "Whether the student's family has a low income, such as free or reduced-price lunch eligibility.",
                S,
            ),
            Element("Medical alerts / health data", "Allergies, medical conditions or other health information.", S),
            Element("Student disability information", "Whether the student has a disability, and which.", S),
            Element(
                "Specialized education services (IEP or 504)",
                "Special education or accommodation plans (an IEP or a Section 504 plan).",
                S,
            ),
            Element(
                "Living situations (homeless / foster care)",
                "Whether the student is experiencing homelessness or is in foster care.",
                S,
            ),
            Element("Other indicator information", "Other sensitive flags the district keeps about a student.", S),
        ),
    ),
    Category(
        "Student Contact Information",
        (
            Element("Address", "The student's home address."),
            Element("Email", "The student's e-mail address."),
            Element("Phone", "The student's phone number."),
        ),
    ),
    Category(
        "Student Identifiers",
        (
            Element("Local (school district) ID number", "The student number the district assigns."),
            Element("State ID number", "The student number the state assigns."),
            Element("Provider/app-assigned student ID number", "A number the service itself gives the student."),
            Element("Student app username", "The name the student uses to sign in to the service."),
            Element("Student app passwords", "The password the student uses to sign in to the service.", S),
        ),
    ),
    Category("Student Name", (Element("First and/or last", "The student's first or last name."),)),
    Category(
        "Student In-App Performance",
        (
            Element(
                "Program/application performance (e.g. typing speed, reading level)",
                "How well the student does inside the service, such as scores, levels or progress.",
            ),
        ),
    ),
    Category(
        "Student Program Membership",
        (
            Element(
                "Academic or extracurricular activities a student may belong to or participate in",
                "Clubs, teams or academic programs the student takes part in.",
            ),
        ),
    ),
    Category(
        "Student Survey Responses",
        (
            Element(
                "Student responses to surveys or questionnaires",
                "Answers a student gives to surveys, such as about well-being or school climate.",
                S,
            ),
        ),
    ),
    Category(
        "Student Work",
        (
            Element(
                "Student-generated content (writing, pictures, etc.)",
                "What the student creates: essays, drawings, recordings, projects.",
            ),
            Element("Other student work data", "Other work the student submits or creates."),
        ),
    ),
    Category(
        "Transcript",
        (
            Element("Student course grades", "The grades a student receives in courses."),
            Element("Student course data", "Which courses a student took, and when."),
            Element("Student course grades / performance scores", "Scores or marks within a course."),
            Element("Other transcript data", "Other parts of the student's academic record."),
        ),
    ),
    Category(
        "Transportation",
        (
            Element("Student bus assignment", "Which bus or route the student rides."),
            Element("Student pick-up and/or drop-off location", "Where the bus picks up or drops off the student.", S),
            Element("Student bus card ID number", "The number of the card a student taps when boarding the bus."),
            Element("Other transportation data", "Other details of how the student gets to and from school."),
        ),
    ),
    Category("Other", ()),
)


def element_slug_base(category: str, name: str) -> str:
    """A readable slug; names shared by categories ("Email") are qualified by their category."""
    shared = sum(1 for cat in TAXONOMY for el in cat.elements if el.name == name) > 1
    return slugify(f"{category} {name}" if shared else name)


@dataclass
class SeedResult:
    categories: int = 0
    categories_created: int = 0
    elements: int = 0
    elements_created: int = 0
    elements_updated: int = 0

    def summary(self) -> str:
        return (
            f"Data taxonomy: {self.categories} categories ({self.categories_created} new), "
            f"{self.elements} elements ({self.elements_created} new, {self.elements_updated} updated)."
        )


def seed_taxonomy() -> SeedResult:
    """Create missing categories and elements; keep descriptions and order in step with TAXONOMY.

    Safe to repeat. Sensitivity is only ever turned on, never off: an officer may mark more
    elements sensitive, but not unmark the ones the NDPA reference marks. A core: it flushes, the
    caller commits it in `unit_of_work()`.
    """
    result = SeedResult()
    existing = {
        cat.name: cat for cat in db.session.scalars(select(DataCategory).options(selectinload(DataCategory.elements)))
    }
    for position, spec in enumerate(TAXONOMY, start=1):
        category = existing.get(spec.name)
        result.categories += 1
        translated = _translations_of(spec.name)
        if category is None:
            category = DataCategory(name=spec.name, slug=unique_slug(DataCategory, spec.name), position=position)
            _fill_in(category, {code: {"name": name} for code, (name, _) in translated.items()})
            db.session.add(category)
            audit.record(None, "data_category.created", category, audit.pending_changes(category))
            result.categories_created += 1
        else:
            category.position = position
            _fill_in(category, {code: {"name": name} for code, (name, _) in translated.items()})
            changes = audit.pending_changes(category)
            if changes:
                audit.record(None, "data_category.updated", category, changes)
        elements = {el.name: el for el in category.elements}
        for el_position, el_spec in enumerate(spec.elements, start=1):
            result.elements += 1
            element = elements.get(el_spec.name)
            element_translations = {
                code: {"name": names[el_spec.name][0], "description": names[el_spec.name][1]}
                for code, (_, names) in translated.items()
                if el_spec.name in names
            }
            if element is None:
                element = DataElement(
                    category=category,
                    name=el_spec.name,
                    slug=unique_slug(DataElement, element_slug_base(spec.name, el_spec.name)),
                    description=el_spec.description,
                    is_sensitive=el_spec.is_sensitive,
                    position=el_position,
                )
                _fill_in(element, element_translations)
                db.session.add(element)
                audit.record(None, "data_element.created", element, audit.pending_changes(element))
                result.elements_created += 1
                continue
            element.description = el_spec.description
            element.position = el_position
            element.is_sensitive = element.is_sensitive or el_spec.is_sensitive
            _fill_in(element, element_translations)
            changes = audit.pending_changes(element)
            if changes:
                audit.record(None, "data_element.updated", element, changes)
                result.elements_updated += 1
    return result


def _translations_of(category: str) -> dict[str, Names]:
    """The category's names in each configured language that has them (taxonomy_translations)."""
    return {
        code: TRANSLATIONS[code][category]
        for code in configured_languages()[1:]
        if category in TRANSLATIONS.get(code, {})
    }


def _fill_in(record: DataCategory | DataElement, translations: dict[str, dict[str, str]]) -> None:
    """Add the seeded translations the record lacks; one staff wrote is never replaced."""
    missing = {
        code: {field: text for field, text in fields.items() if not record.translation(code, field)}
        for code, fields in translations.items()
    }
    record.set_translations({code: fields for code, fields in missing.items() if fields})
