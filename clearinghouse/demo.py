"""Demo data: a believable district to try the Clearinghouse with (`flask demo-data`).

Every vendor, product and website here is fictional; websites use the reserved .example domain.
Demo rows are recognised by their vendor names (DEMO_VENDOR_NAMES): a database holding any other
vendor holds real data, and the command refuses to touch it unless forced. The data is added a
vendor at a time (with its products and agreements), so running it again adds only what is
missing, and nothing when everything is there. Dates are relative to "today".
"""

import io
import secrets
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import contains_eager
from werkzeug.security import generate_password_hash

from clearinghouse.accounts.models import Role, User
from clearinghouse.agreements.models import Agreement, AgreementKind
from clearinghouse.audit import services as audit
from clearinghouse.audit.models import DisclosureRevision
from clearinghouse.directory.disclosure import disclose_changes, public_snapshot
from clearinghouse.directory.models import (
    DataElement,
    DataUse,
    Product,
    ProductKind,
    ProductStatus,
    School,
    Vendor,
)
from clearinghouse.directory.taxonomy import seed_taxonomy
from clearinghouse.extensions import db, unit_of_work
from clearinghouse.imports.mapping import parse_grades
from clearinghouse.settings.models import DistrictSettings
from clearinghouse.settings.services import ensure_settings
from clearinghouse.slugs import slugify, unique_slug
from clearinghouse.storage import store_pdf

DISTRICT_NAME = "Maple Valley Unified School District"
PRIVACY_EMAIL = "privacy@maplevalley.example"
PRIVACY_NOTICE = """\
This site is published by the Maple Valley Unified School District so that families can see
which companies receive student data, what they receive, and why.

- Visitors need no account, and we use **no tracking, analytics or advertising**.
- The only cookie is the sign-in cookie of district staff and vendor contacts.
- Our web server keeps ordinary access logs (address, page, time) for 30 days to keep the site secure.

Questions about your child's data? Write to the privacy office at privacy@maplevalley.example.
"""

SCHOOLS = (
    ("Alder Creek Elementary School", "K-5"),
    ("Birchwood Elementary School", "K-5"),
    ("Cedar Hill Elementary School", "PK-5"),
    ("Dogwood Elementary School", "K-5"),
    ("Elm Street Early Learning Center", "PK-K"),
    ("Fir Ridge Middle School", "6-8"),
    ("Garfield Middle School", "6-8"),
    ("Hawthorne K-8 Academy", "K-8"),
    ("Maple Valley High School", "9-12"),
    ("Riverside High School", "9-12"),
)

# Short names for the NDPA elements: (category, element) as in clearinghouse/directory/taxonomy.py.
E = {
    "name": ("Student Name", "First and/or last"),
    "local_id": ("Student Identifiers", "Local (school district) ID number"),
    "state_id": ("Student Identifiers", "State ID number"),
    "app_id": ("Student Identifiers", "Provider/app-assigned student ID number"),
    "username": ("Student Identifiers", "Student app username"),
    "password": ("Student Identifiers", "Student app passwords"),
    "email": ("Student Contact Information", "Email"),
    "address": ("Student Contact Information", "Address"),
    "phone": ("Student Contact Information", "Phone"),
    "grade": ("Enrollment", "Student grade level"),
    "school": ("Enrollment", "Student school enrollment"),
    "homeroom": ("Enrollment", "Homeroom"),
    "counselor": ("Enrollment", "Guidance counselor"),
    "graduation": ("Enrollment", "Year of graduation"),
    "programs": ("Enrollment", "Specific curriculum programs"),
    "courses": ("Schedule", "Student scheduled courses"),
    "teachers": ("Schedule", "Teacher names"),
    "performance": ("Student In-App Performance", "Program/application performance (e.g. typing speed, reading level)"),
    "usage": ("Application Use Statistics", "Metadata on user interaction with the application"),
    "ip": ("Application Technology Meta Data", "IP addresses of users, use of cookies, etc."),
    "device": ("Application Technology Meta Data", "Other application technology metadata"),
    "work": ("Student Work", "Student-generated content (writing, pictures, etc.)"),
    "comms": ("Communications", "Online communications captured (emails, blog entries)"),
    "test_scores": ("Assessment", "Standardized test scores"),
    "observation": ("Assessment", "Observation data"),
    "assessment": ("Assessment", "Other assessment data"),
    "attendance": ("Attendance", "Student school (daily) attendance data"),
    "class_attendance": ("Attendance", "Student class attendance data"),
    "dob": ("Demographics", "Date of birth"),
    "gender": ("Demographics", "Gender"),
    "ethnicity": ("Demographics", "Ethnicity or race"),
    "language": ("Demographics", "Language information (native or primary language spoken by the student)"),
    "ell": ("Special Indicator", "English language learner information"),
    "low_income": ("Special Indicator", "Low income status"),
    "health": ("Special Indicator", "Medical alerts / health data"),
    "disability": ("Special Indicator", "Student disability information"),
    "iep": ("Special Indicator", "Specialized education services (IEP or 504)"),
    "living": ("Special Indicator", "Living situations (homeless / foster care)"),
    "conduct": ("Conduct", "Conduct or behavioral data"),
    "survey": ("Student Survey Responses", "Student responses to surveys or questionnaires"),
    "parent_name": ("Parent/Guardian Name", "First and/or last"),
    "parent_email": ("Parent/Guardian Contact Information", "Email"),
    "parent_phone": ("Parent/Guardian Contact Information", "Phone"),
    "parent_address": ("Parent/Guardian Contact Information", "Address"),
    "parent_id": ("Parent/Guardian ID", "Parent ID number (created to link parents to students)"),
    "grades": ("Transcript", "Student course grades"),
    "scores": ("Transcript", "Student course grades / performance scores"),
    "course_data": ("Transcript", "Student course data"),
    "bus": ("Transportation", "Student bus assignment"),
    "stop": ("Transportation", "Student pick-up and/or drop-off location"),
    "bus_card": ("Transportation", "Student bus card ID number"),
    "activities": (
        "Student Program Membership",
        "Academic or extracurricular activities a student may belong to or participate in",
    ),
}

# Why a product of each kind receives each element, unless the product says otherwise.
PURPOSES = {
    "name": "To show the student's name to their teacher.",
    "local_id": "To match accounts with the district's class lists.",
    "state_id": "To send reports to the state, as the law requires.",
    "app_id": "To keep each student's progress in their own account.",
    "username": "To let students sign in to their own account.",
    "password": "To let students sign in; it is stored scrambled, never readable.",
    "email": "To let students sign in with their school account.",
    "grade": "To offer lessons and books for the student's grade.",
    "school": "To group students by school for teachers and principals.",
    "courses": "To place students in the right online classes.",
    "teachers": "To connect each class to its teacher.",
    "performance": "To show the student's progress and choose the next lesson at the right level.",
    "usage": "To show teachers how much time students spend and which lessons they opened.",
    "ip": "To keep accounts secure and spot unusual sign-ins.",
    "device": "To make the app work on the student's device.",
    "work": "To save what students make and let the teacher give feedback.",
    "comms": "To carry messages between students and teachers inside the class.",
    "assessment": "To record results and report them to teachers and families.",
    "test_scores": "To compare results with last year's state tests and plan support.",
    "observation": "To record what the teacher notices while the student works.",
    "scores": "To record scores on assignments in the teacher's gradebook.",
    "parent_name": "To address messages to the right family member.",
    "parent_email": "To send families news and messages by e-mail.",
    "parent_phone": "To send urgent alerts by text message or phone call.",
    "language": "To translate messages into the family's home language.",
    "ell": "To give English learners the supports they are entitled to.",
    "iep": "To give students the accommodations written in their plan.",
    "activities": "To suggest opportunities that fit what the student already does.",
    "address": "To mail things to the student's home.",
    "counselor": "To share the student's plan with their school counselor.",
    "living": "To make sure students without a stable home get the help the law guarantees.",
    "parent_id": "To link each family's account to their own children only.",
    "grades": "To show the student's grades to the student and family.",
    "attendance": "To tell families when their child is absent.",
    "graduation": "To check progress toward graduation.",
    "parent_address": "To mail letters home when e-mail does not reach a family.",
}

KIND_USES: dict[ProductKind, tuple[str, ...]] = {
    ProductKind.LEARNING_PLATFORM: ("name", "email", "local_id", "courses", "teachers", "work", "scores", "usage"),
    ProductKind.READING: ("name", "local_id", "grade", "performance", "usage"),
    ProductKind.MATH: ("name", "app_id", "grade", "performance", "usage"),
    ProductKind.SCIENCE: ("name", "grade", "performance", "work"),
    ProductKind.ASSESSMENT: ("name", "local_id", "grade", "assessment", "ell", "iep"),
    ProductKind.COMMUNICATION: ("name", "parent_name", "parent_email", "parent_phone", "teachers", "language"),
    ProductKind.STUDENT_INFORMATION: (),
    ProductKind.PRODUCTIVITY: ("name", "email", "work", "ip"),
    ProductKind.CREATIVITY: ("name", "username", "work"),
    ProductKind.LANGUAGE: ("name", "grade", "performance", "work"),
    ProductKind.SPECIAL_EDUCATION: (),
    ProductKind.SAFETY: ("name", "email"),
    ProductKind.OPERATIONS: (),
    ProductKind.OTHER: ("name", "email"),
}

A = ProductStatus.APPROVED
AC = ProductStatus.APPROVED_WITH_CONDITIONS
UR = ProductStatus.UNDER_REVIEW
NA = ProductStatus.NOT_APPROVED
RT = ProductStatus.RETIRED
K = ProductKind


@dataclass(frozen=True)
class P:
    """A demo product. `add`/`drop` adjust its kind's usual data uses; `changed` gives it a public history."""

    name: str
    kind: ProductKind
    status: ProductStatus
    bands: str
    purpose: str
    add: tuple[str | tuple[str, str], ...] = ()
    drop: tuple[str, ...] = ()
    changed: tuple[int, dict] | None = None  # (days ago, what was different before that day)


@dataclass(frozen=True)
class V:
    name: str
    domain: str
    terms: str  # the agreement history, see AGREEMENT_TERMS
    about: str
    products: tuple[P, ...]
    published: bool = False  # the signed agreement is published on the product page


SIS_USES = (
    ("name", "To keep the student's official school record."),
    ("local_id", "To give every student one district number across all systems."),
    ("state_id", "To send enrollment and attendance reports to the state, as the law requires."),
    ("dob", "To confirm identity and age for enrollment and state reports."),
    ("gender", "For state and federal reports the law requires."),
    ("ethnicity", "For state and federal civil-rights reports the law requires."),
    ("language", "To arrange interpreters and translated letters for families."),
    ("address", "To assign the student to a school and a bus route."),
    ("parent_name", "To know who may pick up the student and receive records."),
    ("parent_email", "To send report cards and school news to families."),
    ("parent_phone", "To reach families in an emergency."),
    ("grade", "To place the student in the right grade."),
    ("homeroom", "To place the student in a homeroom."),
    ("counselor", "To assign each student a counselor."),
    ("courses", "To build each student's class schedule."),
    ("teachers", "To show families who teaches their child."),
    ("attendance", "To record daily attendance, as state law requires."),
    ("class_attendance", "To record attendance in each class period."),
    ("grades", "To keep report cards and transcripts."),
    ("graduation", "To track progress toward graduation."),
    ("health", "So nurses and teachers know about allergies and medical conditions."),
    ("iep", "To make sure teachers know which accommodations a student needs."),
    ("low_income", "To provide free or reduced-price meals and fee waivers."),
    ("living", "To provide the services the law guarantees students in foster care or without a stable home."),
    ("conduct", "To keep discipline records, as district policy requires."),
    ("ell", "To provide English language support and report it to the state."),
)

VENDORS: tuple[V, ...] = (
    V(
        "Canopy Learning Systems",
        "canopylearning",
        "active",
        "Makes an online classroom where teachers post lessons and students turn in work.",
        (
            P(
                "Canopy LMS",
                K.LEARNING_PLATFORM,
                A,
                "3-12",
                "Our main online classroom. Teachers post lessons and "
                "assignments; students turn in work and see feedback.",
                changed=(120, {"drop": ("usage",)}),
            ),
            P(
                "Canopy Parent App",
                K.COMMUNICATION,
                A,
                "3-12",
                "Lets families see their child's assignments and teacher comments in Canopy LMS.",
                add=("parent_id",),
                drop=("language",),
            ),
            P(
                "Canopy Gradebook",
                K.ASSESSMENT,
                A,
                "6-12",
                "The gradebook teachers use to record grades and share them with students and families.",
                add=("grades", "scores"),
                drop=("ell", "iep"),
            ),
        ),
        published=True,
    ),
    V(
        "Brightleaf Reading Co.",
        "brightleaf",
        "renewed",
        "Publishes digital books and reading practice for young readers.",
        (
            P(
                "Brightleaf Readers",
                K.READING,
                A,
                "K-5",
                "A library of leveled e-books. Students read and listen to "
                "books at their level; teachers see what they read.",
                add=(("work", "To save recordings of students reading aloud, so the teacher can listen."),),
            ),
            P(
                "Brightleaf Phonics",
                K.READING,
                A,
                "K-2",
                "Short daily phonics games that help beginning readers connect letters and sounds.",
                changed=(45, {"status": UR}),
            ),
            P(
                "Brightleaf Spanish Readers",
                K.READING,
                A,
                "K-5",
                "Leveled e-books in Spanish for the district's dual-language classes.",
            ),
        ),
        published=True,
    ),
    V(
        "Numberline Labs",
        "numberline",
        "active_state",
        "Builds adaptive math practice for elementary and middle school.",
        (
            P(
                "Numberline Math",
                K.MATH,
                A,
                "K-8",
                "Adaptive math practice that adjusts to each student and shows "
                "teachers who needs help with which skill.",
            ),
            P(
                "Numberline Fact Fluency",
                K.MATH,
                A,
                "2-5",
                "Timed games for practicing addition, subtraction, multiplication and division facts.",
                drop=("usage",),
            ),
            P(
                "Numberline Algebra Ready",
                K.MATH,
                A,
                "6-8",
                "Practice that gets middle school students ready for algebra.",
                changed=(75, {"status": UR}),
            ),
        ),
    ),
    V(
        "Summit Assessment Group",
        "summitassess",
        "expiring",
        "Provides benchmark tests given three times a year.",
        (
            P(
                "Summit Benchmark",
                K.ASSESSMENT,
                A,
                "K-8",
                "Short reading and math tests in fall, winter and spring that show how each student is growing.",
                add=("test_scores",),
            ),
            P(
                "Summit Dyslexia Screener",
                K.ASSESSMENT,
                AC,
                "K-3",
                "A screener that flags early signs of reading "
                "difficulty, as state law requires. Approved only for use by reading specialists.",
                add=(("dob", "To compare results with children of the same age."),),
                drop=("ell",),
            ),
            P(
                "Summit State Test Practice",
                K.ASSESSMENT,
                A,
                "3-8",
                "Practice tests in the format of the state test, so students know what to expect.",
                drop=("ell", "iep"),
            ),
        ),
    ),
    V(
        "Harborview Student Systems",
        "harborview",
        "auto",
        "Provides the district's student information system.",
        (
            P(
                "Harborview SIS",
                K.STUDENT_INFORMATION,
                A,
                "PK-12",
                "The district's official record of enrollment, schedules, attendance and grades. Every school uses it.",
                add=SIS_USES,
            ),
            P(
                "Harborview Family Portal",
                K.COMMUNICATION,
                A,
                "PK-12",
                "Where families see attendance, grades and report cards, and update their contact details.",
                add=("parent_id", "attendance", "grades"),
                drop=("language",),
            ),
            P(
                "Harborview Nurse Office",
                K.OPERATIONS,
                A,
                "PK-12",
                "Where school nurses record visits, medications and immunizations.",
                add=(
                    ("name", "To know which student the nurse saw."),
                    ("local_id", "To match health records with the district's records."),
                    ("dob", "To check which immunizations are due at each age."),
                    ("health", "To record nurse visits, medications and immunizations, as state law requires."),
                    ("parent_phone", "To call families when a child is sick or hurt."),
                ),
            ),
        ),
        published=True,
    ),
    V(
        "Bellwether Messaging",
        "bellwether",
        "active",
        "Sends messages from schools to families.",
        (
            P(
                "Bellwether Family Messenger",
                K.COMMUNICATION,
                A,
                "PK-12",
                "Sends school news, closures and urgent "
                "alerts to families by e-mail, text and phone, in their home language.",
                add=("parent_address",),
            ),
            P(
                "Bellwether Newsletters",
                K.COMMUNICATION,
                A,
                "PK-12",
                "School newsletters sent to families by e-mail.",
                drop=("name", "parent_phone", "teachers"),
            ),
        ),
    ),
    V(
        "Quillfeather",
        "quillfeather",
        "expiring_week",
        "Makes writing tools for secondary students.",
        (
            P(
                "Quillfeather Writing Coach",
                K.PRODUCTIVITY,
                AC,
                "6-12",
                "Gives students feedback on drafts of essays "
                "before they turn them in. Approved on condition that its AI features are turned off.",
                drop=("ip",),
                changed=(20, {"purpose": "Gives students feedback on drafts of essays."}),
            ),
        ),
    ),
    V(
        "Orbit Science Studios",
        "orbitscience",
        "open",
        "Creates virtual science labs and lessons.",
        (
            P(
                "Orbit Virtual Labs",
                K.SCIENCE,
                A,
                "6-12",
                "Simulated lab experiments students can run safely and repeat as often as they like.",
            ),
            P(
                "Orbit Explorers",
                K.SCIENCE,
                A,
                "K-5",
                "Short science videos and hands-on activities for elementary classes.",
                drop=("work",),
            ),
            P(
                "Orbit Field Trips",
                K.SCIENCE,
                UR,
                "3-8",
                "Virtual field trips to science museums and parks. Under review.",
                drop=("work", "performance"),
            ),
        ),
    ),
    V(
        "Lingo Lantern",
        "lingolantern",
        "active",
        "Teaches world languages with speaking practice.",
        (
            P(
                "Lingo Lantern Spanish",
                K.LANGUAGE,
                A,
                "6-12",
                "Spanish lessons with listening and speaking practice for middle and high school courses.",
            ),
            P(
                "Lingo Lantern Junior",
                K.LANGUAGE,
                A,
                "K-5",
                "Songs and games that introduce Spanish and French in elementary school.",
                drop=("work",),
            ),
            P(
                "Lingo Lantern French",
                K.LANGUAGE,
                A,
                "6-12",
                "French lessons with listening and speaking practice for middle and high school courses.",
            ),
        ),
    ),
    V(
        "Pathway IEP Solutions",
        "pathwayiep",
        "active",
        "Provides software for special education plans.",
        (
            P(
                "Pathway IEP Manager",
                K.SPECIAL_EDUCATION,
                A,
                "PK-12",
                "Where special education staff write, store "
                "and share students' IEP and 504 plans and track progress on their goals.",
                add=(
                    ("name", "To identify whose plan it is."),
                    ("local_id", "To match plans with the district's records."),
                    ("dob", "To track deadlines that depend on the student's age."),
                    ("disability", "To write and track the student's special education plan."),
                    ("iep", "To write, store and share the plan with the staff who need it."),
                    ("observation", "To record progress toward the goals in the plan."),
                    ("parent_name", "To invite parents to plan meetings."),
                    ("parent_email", "To send parents meeting notices and copies of the plan."),
                ),
            ),
            P(
                "Pathway Speech Therapy Log",
                K.SPECIAL_EDUCATION,
                A,
                "PK-12",
                "Speech therapists record sessions and progress for students whose plan includes speech services.",
                add=(
                    ("name", "To identify the student."),
                    ("local_id", "To match records with the district's."),
                    ("iep", "To follow the speech services in the student's plan."),
                    ("observation", "To record progress in each session."),
                ),
            ),
        ),
        published=True,
    ),
    V(
        "Safeharbor Wellness",
        "safeharbor",
        "terminated",
        "Provides student safety and wellness tools.",
        (
            P(
                "Safeharbor Check-In",
                K.SAFETY,
                RT,
                "6-12",
                "Weekly well-being check-ins that let students tell a counselor they would like to talk.",
                add=(("survey", "To let counselors follow up with students who ask for help."),),
            ),
            P(
                "Safeharbor Web Filter",
                K.SAFETY,
                RT,
                "K-12",
                "Blocked harmful websites on school laptops. Replaced by another filter.",
                add=(
                    ("ip", "To apply the district's web filter to school devices."),
                    ("usage", "To show which sites were blocked."),
                ),
            ),
        ),
    ),
    V(
        "Yellowbird Transit Software",
        "yellowbird",
        "active_state",
        "Plans school bus routes.",
        (
            P(
                "Yellowbird Routes",
                K.OPERATIONS,
                A,
                "PK-12",
                "Plans bus routes and stops so every student who needs a ride has one.",
                add=(
                    ("name", "To build bus rosters."),
                    ("local_id", "To match riders with the district's records."),
                    ("address", "To find the nearest bus stop."),
                    ("bus", "To assign each rider to a bus."),
                    ("stop", "To plan where the bus picks up and drops off each student."),
                    ("iep", "To plan transportation that a student's plan requires."),
                ),
            ),
            P(
                "Yellowbird Bus Tracker",
                K.COMMUNICATION,
                A,
                "PK-12",
                "Shows families where their child's bus is and when it will arrive.",
                add=(
                    ("bus", "To show the right bus."),
                    ("stop", "To estimate arrival at the student's stop."),
                    ("bus_card", "To tell families when their child boarded."),
                ),
                drop=("teachers", "language"),
            ),
        ),
    ),
    V(
        "Lunchline Systems",
        "lunchline",
        "auto_expiring",
        "Runs cafeteria payments.",
        (
            P(
                "Lunchline Point of Sale",
                K.OPERATIONS,
                A,
                "K-12",
                "Records school meals and lets families add money to their child's lunch account.",
                add=(
                    ("name", "To show the cashier who is buying."),
                    ("local_id", "To find the student's meal account."),
                    ("low_income", "To give free or reduced-price meals without other students knowing."),
                    ("health", "To warn cashiers about food allergies."),
                    ("parent_email", "To send low-balance reminders."),
                ),
            ),
            P(
                "Lunchline Meal Applications",
                K.OPERATIONS,
                A,
                "K-12",
                "Online applications for free and reduced-price meals.",
                add=(
                    ("name", "To know which children the application is for."),
                    ("local_id", "To apply the benefit to the right meal account."),
                    ("low_income", "To decide whether a family qualifies for free or reduced-price meals."),
                    ("parent_name", "To know who applied."),
                    ("parent_address", "To mail the decision letter."),
                    (
                        "living",
                        "To give students in foster care or without a stable home free meals, as the law requires.",
                    ),
                ),
            ),
        ),
    ),
    V(
        "Shelfmark Library Software",
        "shelfmark",
        "open",
        "Makes school library software.",
        (
            P(
                "Shelfmark Catalog",
                K.OPERATIONS,
                A,
                "K-12",
                "The school libraries' catalog and checkout system.",
                add=(
                    ("name", "To check out books to students."),
                    ("local_id", "To match library cards with the district's records."),
                    ("grade", "To set borrowing limits by grade."),
                ),
            ),
            P(
                "Shelfmark eBooks",
                K.READING,
                A,
                "K-12",
                "Lets students borrow e-books and audiobooks from their school library.",
                drop=("performance",),
            ),
        ),
    ),
    V(
        "Pixelgrove Creative",
        "pixelgrove",
        "active",
        "Makes design and animation tools for classrooms.",
        (
            P(
                "Pixelgrove Studio",
                K.CREATIVITY,
                A,
                "3-12",
                "A drawing and design tool for posters, slides and class projects.",
            ),
            P(
                "Pixelgrove Animate",
                K.CREATIVITY,
                AC,
                "6-12",
                "Simple animation and video editing. Approved for "
                "classroom use with sharing outside the district turned off.",
            ),
            P("Pixelgrove Photo Lab", K.CREATIVITY, A, "9-12", "Photo editing for photography and yearbook classes."),
        ),
    ),
    V(
        "Tuneup Music Education",
        "tuneup",
        "upcoming",
        "Makes music practice software.",
        (
            P(
                "Tuneup Practice Room",
                K.CREATIVITY,
                A,
                "4-12",
                "Students record themselves playing, and the music teacher listens and gives feedback.",
                drop=("username",),
                add=("email",),
            ),
            P(
                "Tuneup Composer",
                K.CREATIVITY,
                A,
                "6-12",
                "Software for writing music and sharing compositions with the music teacher.",
            ),
        ),
    ),
    V(
        "Cloudnote Productivity",
        "cloudnote",
        "renewed_upcoming",
        "Provides documents, slides and e-mail for schools.",
        (
            P(
                "Cloudnote Docs",
                K.PRODUCTIVITY,
                A,
                "3-12",
                "Documents, spreadsheets and slides students use to write and work together.",
            ),
            P(
                "Cloudnote Mail",
                K.PRODUCTIVITY,
                AC,
                "6-12",
                "Student e-mail. Students can write only to addresses inside the district.",
                add=(("comms", "To deliver students' e-mail."),),
            ),
            P(
                "Cloudnote Classroom Forms",
                K.PRODUCTIVITY,
                A,
                "3-12",
                "Quizzes and sign-up forms teachers make and students fill in.",
                add=("assessment",),
                drop=("ip",),
            ),
        ),
        published=True,
    ),
    V(
        "Quizwhiz",
        "quizwhiz",
        "expired",
        "Makes live classroom quiz games.",
        (
            P(
                "Quizwhiz Live",
                K.ASSESSMENT,
                A,
                "3-12",
                "Quick quiz games teachers run in class to check understanding.",
                drop=("local_id", "ell", "iep"),
            ),
            P(
                "Quizwhiz Flashcards",
                K.ASSESSMENT,
                A,
                "3-12",
                "Flashcard study sets students use to review.",
                drop=("local_id", "ell", "iep"),
            ),
        ),
    ),
    V(
        "Stepwise Tutoring",
        "stepwise",
        "active",
        "Offers online math tutoring.",
        (
            P(
                "Stepwise Homework Help",
                K.MATH,
                A,
                "6-12",
                "Step-by-step help with math homework, with a live tutor in the evenings.",
                add=(("comms", "To let the student chat with the tutor; chats are kept for safety review."),),
            ),
        ),
    ),
    V(
        "Geosphere Maps",
        "geosphere",
        "none",
        "Makes interactive maps for social studies.",
        (
            P(
                "Geosphere Classroom Atlas",
                K.OTHER,
                UR,
                "4-12",
                "Interactive maps and map-making projects for "
                "social studies classes. The district is reviewing its privacy terms.",
            ),
            P("Geosphere Globe Explorer", K.OTHER, UR, "4-8", "A 3D globe for geography lessons. Under review."),
        ),
    ),
    V(
        "Codewise Academy",
        "codewise",
        "active",
        "Teaches computer programming.",
        (
            P(
                "Codewise Blocks",
                K.OTHER,
                A,
                "K-8",
                "Block-based coding puzzles that teach the basics of programming.",
                add=("performance", "work"),
                drop=("email",),
            ),
            P(
                "Codewise Python",
                K.OTHER,
                A,
                "9-12",
                "Python programming courses with projects students build and share with their teacher.",
                add=("performance", "work"),
            ),
            P(
                "Codewise Robotics",
                K.OTHER,
                A,
                "4-8",
                "Lessons for programming classroom robots.",
                add=("performance",),
                drop=("email",),
            ),
        ),
    ),
    V(
        "Typequest",
        "typequest",
        "expired_long",
        "Teaches keyboarding.",
        (
            P(
                "Typequest Keyboarding",
                K.PRODUCTIVITY,
                RT,
                "2-8",
                "Typing lessons and games. No longer used; replaced by lessons in Canopy LMS.",
                drop=("work", "ip"),
                add=("performance",),
            ),
        ),
    ),
    V(
        "Portfolio Pond",
        "portfoliopond",
        "renewed",
        "Makes digital portfolios for young students.",
        (
            P(
                "Portfolio Pond",
                K.LEARNING_PLATFORM,
                A,
                "PK-5",
                "Young students photograph and record their work to build a portfolio their families can see.",
                drop=("email", "courses", "scores"),
            ),
            P(
                "Pond Family",
                K.COMMUNICATION,
                A,
                "PK-5",
                "Lets families see their child's portfolio and message the teacher.",
                drop=("parent_phone",),
            ),
        ),
    ),
    V(
        "Clearview Proctoring",
        "clearview",
        "none",
        "Sells online exam monitoring.",
        (
            P(
                "Clearview Exam Monitor",
                K.ASSESSMENT,
                NA,
                "9-12",
                "Watches students through the webcam during "
                "online tests. Not approved: it records video of students at home.",
                add=(("device", "To monitor the student's screen during the test."),),
                drop=("ell", "iep"),
            ),
        ),
    ),
    V(
        "Chatterbox AI",
        "chatterbox",
        "draft",
        "Makes an AI writing assistant.",
        (
            P(
                "Chatterbox Writing Assistant",
                K.PRODUCTIVITY,
                UR,
                "9-12",
                "An AI assistant that suggests ideas and "
                "edits for student writing. Under review while the agreement is negotiated.",
                add=(("comms", "To answer the questions students type."),),
            ),
        ),
    ),
    V(
        "Riverbend Counseling Tools",
        "riverbend",
        "active",
        "Supports college and career planning.",
        (
            P(
                "Riverbend College & Career",
                K.OTHER,
                A,
                "8-12",
                "Helps students explore careers, plan courses and apply to college with their counselor.",
                add=("counselor", "grades", "graduation", "test_scores", "activities"),
            ),
            P(
                "Riverbend Scholarship Finder",
                K.OTHER,
                A,
                "11-12",
                "Helps seniors find and apply for scholarships with their counselor.",
                add=("counselor", "grades", "activities"),
            ),
        ),
    ),
    V(
        "Hallpass Digital",
        "hallpass",
        "expiring",
        "Makes digital hall passes.",
        (
            P(
                "Hallpass Digital",
                K.OPERATIONS,
                AC,
                "6-12",
                "Replaces paper hall passes so staff know who is out of "
                "class. Approved without its location-tracking feature.",
                add=(
                    ("name", "To show who has a pass."),
                    ("local_id", "To match passes with class lists."),
                    ("class_attendance", "To record time out of class."),
                    ("teachers", "To show which teacher issued the pass."),
                ),
            ),
            P(
                "Hallpass Visitor Check-In",
                K.OPERATIONS,
                A,
                "K-12",
                "Checks in visitors and volunteers at the front office, and checks who may pick up a student.",
                add=(
                    ("name", "To find the student being picked up."),
                    ("parent_name", "To check who may pick up a student."),
                    ("local_id", "To match students with the district's records."),
                ),
            ),
        ),
    ),
    V(
        "Attendix",
        "attendix",
        "active",
        "Helps schools reduce absences.",
        (
            P(
                "Attendix Attendance Alerts",
                K.COMMUNICATION,
                A,
                "K-12",
                "Sends families friendly notes when absences add up, and tips to help.",
                add=("attendance",),
                drop=("teachers",),
            ),
            P(
                "Attendix Attendance Dashboard",
                K.OPERATIONS,
                A,
                "K-12",
                "Shows principals which students miss school often, so staff can help early.",
                add=(
                    ("name", "To list students who need support."),
                    ("local_id", "To match attendance with the district's records."),
                    ("attendance", "To count absences."),
                    ("grade", "To compare attendance by grade."),
                    ("school", "To show each principal only their own school."),
                ),
            ),
        ),
    ),
    V(
        "Gradebook Garden",
        "gradebookgarden",
        "active_state",
        "Makes standards-based report cards.",
        (
            P(
                "Gradebook Garden Standards",
                K.ASSESSMENT,
                A,
                "K-5",
                "Elementary report cards that show progress on each learning standard.",
                add=("grades", "teachers"),
                drop=("ell", "iep"),
            ),
        ),
    ),
    V(
        "Storyline Audio",
        "storyline",
        "auto",
        "Publishes audiobooks for schools.",
        (
            P(
                "Storyline Audiobooks",
                K.READING,
                A,
                "3-12",
                "Audiobooks that help students read along with grade-level books, including students with dyslexia.",
                add=(("iep", "To give students whose plan includes audiobooks access to them."),),
            ),
            P(
                "Storyline Podcasts",
                K.READING,
                A,
                "6-12",
                "Podcasts with transcripts used in English classes.",
                drop=("local_id", "performance"),
            ),
        ),
    ),
    V(
        "Fractal Math Tools",
        "fractalmath",
        "open",
        "Makes free online math tools.",
        (
            P(
                "Fractal Graphing Calculator",
                K.MATH,
                A,
                "6-12",
                "An online graphing calculator, also used on state tests.",
                drop=("app_id", "performance", "grade"),
            ),
            P(
                "Fractal Geometry",
                K.MATH,
                A,
                "6-12",
                "Interactive geometry constructions for math classes.",
                drop=("app_id", "performance"),
            ),
        ),
    ),
    V(
        "Mindful Minutes",
        "mindfulminutes",
        "upcoming",
        "Teaches social and emotional skills.",
        (
            P(
                "Mindful Minutes SEL",
                K.SAFETY,
                UR,
                "K-8",
                "Short lessons on feelings, friendships and calm breathing. Under review for next school year.",
                add=(("survey", "To let teachers see how their class is feeling, in summary only."),),
            ),
            P(
                "Mindful Minutes Family Tips",
                K.COMMUNICATION,
                UR,
                "K-8",
                "Short tips for families on feelings and routines.",
                drop=("name", "teachers", "parent_phone"),
            ),
        ),
    ),
    V(
        "Scholarly Search",
        "scholarlysearch",
        "active",
        "Provides research databases.",
        (
            P(
                "Scholarly Research Databases",
                K.OTHER,
                A,
                "6-12",
                "Magazine, newspaper and encyclopedia articles for research projects.",
                drop=("name",),
                add=(("ip", "To let students in from school without signing in."),),
            ),
            P(
                "Scholarly Citation Builder",
                K.PRODUCTIVITY,
                A,
                "6-12",
                "Helps students cite their sources correctly in research papers.",
                drop=("ip",),
            ),
        ),
    ),
    V(
        "Vocab Voyage",
        "vocabvoyage",
        "terminated",
        "Makes vocabulary games.",
        (
            P(
                "Vocab Voyage",
                K.LANGUAGE,
                RT,
                "3-8",
                "Vocabulary games. The district ended the agreement after the company changed its privacy terms.",
                drop=("work",),
            ),
        ),
    ),
    V(
        "Lab Notebook Co.",
        "labnotebook",
        "draft",
        "Makes digital lab notebooks.",
        (
            P(
                "Lab Notebook",
                K.SCIENCE,
                UR,
                "9-12",
                "A digital notebook for recording lab data and writing lab reports.",
            ),
        ),
    ),
    V(
        "Northstar Online Learning",
        "northstar",
        "active",
        "Offers online courses.",
        (
            P(
                "Northstar Online Courses",
                K.LEARNING_PLATFORM,
                A,
                "9-12",
                "Online courses for credit recovery and classes a school does not offer.",
                add=("grades", "graduation", "counselor"),
            ),
            P(
                "Northstar Summer School",
                K.LEARNING_PLATFORM,
                A,
                "6-12",
                "Online summer courses that help students catch up.",
            ),
        ),
    ),
    V(
        "Signal Seat Video",
        "signalseat",
        "expired",
        "Hosts video lessons.",
        (
            P(
                "Signal Seat Video Lessons",
                K.LEARNING_PLATFORM,
                A,
                "K-12",
                "Short teacher-made video lessons students watch at home.",
                drop=("courses", "work", "scores"),
            ),
            P(
                "Signal Seat Live Classes",
                K.LEARNING_PLATFORM,
                A,
                "9-12",
                "Live video classes taught by district teachers on snow days.",
                add=(("comms", "To carry chat messages during the class."),),
                drop=("work", "scores"),
            ),
        ),
    ),
    V(
        "Playground Phonics",
        "playgroundphonics",
        "expired_long",
        "Made phonics games.",
        (
            P(
                "Playground Phonics",
                K.READING,
                RT,
                "K-2",
                "Phonics games for beginning readers. Retired; replaced by Brightleaf Phonics.",
            ),
        ),
    ),
    V(
        "Brainburst Games",
        "brainburst",
        "none",
        "Makes trivia games.",
        (
            P(
                "Brainburst Trivia",
                K.OTHER,
                NA,
                "3-8",
                "Trivia games with advertising. Not approved: it shows ads and shares data with advertisers.",
                add=("ip", "device"),
            ),
        ),
    ),
    V(
        "Kindred Translation",
        "kindred",
        "renewed",
        "Provides interpreters for families.",
        (
            P(
                "Kindred Interpreter",
                K.COMMUNICATION,
                A,
                "PK-12",
                "Phone and video interpreters for meetings with families who speak languages other than English.",
                drop=("teachers", "parent_email"),
            ),
            P(
                "Kindred Document Translation",
                K.COMMUNICATION,
                A,
                "PK-12",
                "Translates report cards, letters and plans into families' languages.",
                add=("iep", "grades"),
                drop=("parent_phone", "teachers"),
            ),
        ),
    ),
)
DEMO_VENDOR_NAMES = tuple(vendor.name for vendor in VENDORS)


# The agreement history of each vendor, as day offsets from today. `renewed_by` links to the next spec.
AGREEMENT_TERMS: dict[str, tuple[dict, ...]] = {
    "active": ({"kind": AgreementKind.NDPA, "ref": "NDPA v2.1", "signed": -420, "effective": -400, "expires": 690},),
    "active_state": (
        {
            "kind": AgreementKind.STATE_TEMPLATE,
            "ref": "State model DPA",
            "signed": -200,
            "effective": -190,
            "expires": 900,
        },
    ),
    "expiring": ({"kind": AgreementKind.NDPA, "ref": "NDPA v1.0", "signed": -1040, "effective": -1030, "expires": 40},),
    "expiring_week": (
        {"kind": AgreementKind.NDPA, "ref": "NDPA v1.0", "signed": -1090, "effective": -1085, "expires": 6},
    ),
    "expired": ({"kind": AgreementKind.NDPA, "ref": "NDPA v1.0", "signed": -1150, "effective": -1140, "expires": -21},),
    "expired_long": (
        {
            "kind": AgreementKind.VENDOR_TERMS,
            "ref": "Vendor terms of service",
            "signed": -1500,
            "effective": -1490,
            "expires": -200,
        },
    ),
    "terminated": (
        {
            "kind": AgreementKind.CUSTOM,
            "ref": "District DPA",
            "signed": -500,
            "effective": -490,
            "expires": 600,
            "terminated": -35,
            "reason": "The district stopped using the product and asked for the data to be destroyed.",
        },
    ),
    "renewed": (
        {
            "kind": AgreementKind.NDPA,
            "ref": "NDPA v1.0",
            "signed": -1200,
            "effective": -1180,
            "expires": -60,
            "renewed_by": 1,
        },
        {"kind": AgreementKind.NDPA, "ref": "NDPA v2.1 (renewal)", "signed": -90, "effective": -59, "expires": 1036},
    ),
    "renewed_upcoming": (
        {
            "kind": AgreementKind.NDPA,
            "ref": "NDPA v1.0",
            "signed": -1080,
            "effective": -1075,
            "expires": 20,
            "renewed_by": 1,
        },
        {"kind": AgreementKind.NDPA, "ref": "NDPA v2.1 (renewal)", "signed": -5, "effective": 21, "expires": 1116},
    ),
    "open": (
        {
            "kind": AgreementKind.VENDOR_TERMS,
            "ref": "Education terms",
            "signed": -300,
            "effective": -300,
            "expires": None,
        },
    ),
    "draft": (
        {
            "kind": AgreementKind.NDPA,
            "ref": "NDPA v2.1, sent for signature",
            "signed": None,
            "effective": None,
            "expires": None,
        },
    ),
    "auto": (
        {
            "kind": AgreementKind.CUSTOM,
            "ref": "District DPA, renews yearly",
            "signed": -800,
            "effective": -790,
            "expires": -425,
            "auto": True,
        },
    ),
    "auto_expiring": (
        {
            "kind": AgreementKind.CUSTOM,
            "ref": "District DPA, renews yearly",
            "signed": -660,
            "effective": -665,
            "expires": -300,
            "auto": True,
        },
    ),
    "upcoming": (
        {
            "kind": AgreementKind.STATE_TEMPLATE,
            "ref": "State model DPA",
            "signed": -12,
            "effective": 19,
            "expires": 1114,
        },
    ),
    "none": (),
}


def _added(record: db.Model) -> dict[str, list]:
    """Add a new record; return its fields for the audit log. The whole session is flushed because
    audit.record's flush of the record alone would write its many-to-many rows twice."""
    db.session.add(record)
    changes = audit.pending_changes(record)
    db.session.flush()
    return changes


def _day(today: date, offset: int | None) -> date | None:
    return None if offset is None else today + timedelta(days=offset)


def _moment(today: date, days_ago: int) -> datetime:
    """Noon UTC on a day relative to today: when a demo revision happened."""
    return datetime.combine(today - timedelta(days=days_ago), time(12), tzinfo=UTC)


def agreement_pdf(lines: list[str]) -> bytes:
    """A small, valid one-page PDF showing the lines (Helvetica, ASCII)."""

    def escape(text: str) -> str:
        ascii_text = text.encode("ascii", "replace").decode()
        return ascii_text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")

    body = "BT /F1 12 Tf 72 720 Td 16 TL " + " ".join(f"({escape(line)}) Tj T*" for line in lines) + " ET"
    stream = body.encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 4 0 R >> >> "
        b"/Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, content in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + content + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


@dataclass
class DemoResult:
    vendors: int = 0
    products: int = 0
    schools: int = 0
    agreements: int = 0
    documents: int = 0
    revisions: int = 0
    accounts: list[tuple[str, str, str]] = field(default_factory=list)  # (role, e-mail, password)

    def summary(self) -> str:
        if not (self.vendors or self.schools or self.accounts):
            return "Demo data is already loaded: nothing to add."
        return (
            f"Demo data added: {self.vendors} vendors, {self.products} products, {self.schools} schools, "
            f"{self.agreements} agreements ({self.documents} with a published document), "
            f"{self.revisions} public change records."
        )


def real_vendor_name() -> str | None:
    """The name of a vendor that is not demo data, if the database has one."""
    return db.session.scalar(select(Vendor.name).where(Vendor.name.not_in(DEMO_VENDOR_NAMES)).limit(1))


def has_vendors() -> bool:
    return db.session.scalar(select(func.count(Vendor.id))) > 0


def load_demo(today: date, *, with_accounts: bool = False) -> DemoResult:
    """Add whatever part of the demo district is missing, in one unit of work. Safe to repeat."""
    seed_taxonomy()
    result = DemoResult()
    with unit_of_work():
        _settings()
        schools = _schools(result)
        elements = {
            (element.category.name, element.name): element
            for element in db.session.scalars(
                select(DataElement).join(DataElement.category).options(contains_eager(DataElement.category))
            )
        }
        existing = set(db.session.scalars(select(Vendor.name).where(Vendor.name.in_(DEMO_VENDOR_NAMES))))
        for spec in VENDORS:
            if spec.name not in existing:
                _vendor(spec, today, schools, elements, result)
        if with_accounts:
            _accounts(result)
    return result


def _settings() -> None:
    settings = ensure_settings()
    defaults = DistrictSettings.with_defaults()
    if settings.district_name == defaults.district_name:
        settings.district_name = DISTRICT_NAME
    if settings.privacy_office_email == defaults.privacy_office_email:
        settings.privacy_office_email = PRIVACY_EMAIL
    if not settings.privacy_notice_md:
        settings.privacy_notice_md = PRIVACY_NOTICE
    changes = audit.pending_changes(settings)
    if changes:
        audit.record(None, "settings.updated", settings, changes, label="District settings")


def _schools(result: DemoResult) -> list[School]:
    existing = {school.name: school for school in db.session.scalars(select(School))}
    for name, band in SCHOOLS:
        if name not in existing:
            school = School(name=name, slug=unique_slug(School, name), grade_band=band)
            audit.record(None, "school.created", school, _added(school))
            existing[name] = school
            result.schools += 1
    return [existing[name] for name, _ in SCHOOLS]


def _uses(spec: P) -> list[tuple[str, str]]:
    """(element key, purpose) for a demo product: its kind's usual uses, adjusted."""
    uses = {key: PURPOSES[key] for key in KIND_USES[spec.kind] if key not in spec.drop}
    for item in spec.add:
        key, purpose = (item, PURPOSES[item]) if isinstance(item, str) else item
        uses[key] = purpose
    return list(uses.items())


def _vendor(spec: V, today: date, schools: list[School], elements: dict, result: DemoResult) -> None:
    vendor = Vendor(
        name=spec.name,
        slug=unique_slug(Vendor, spec.name),
        website=f"https://www.{spec.domain}.example",
        privacy_policy_url=f"https://www.{spec.domain}.example/privacy",
        contact_email=f"privacy@{spec.domain}.example",
        description_md=spec.about,
    )
    audit.record(None, "vendor.created", vendor, _added(vendor))
    result.vendors += 1
    # Products appear in the public history when the vendor's first agreement was signed (or a month ago).
    offsets = [t[key] for t in AGREEMENT_TERMS[spec.terms] for key in ("signed", "effective") if t[key] is not None]
    added_days_ago = -min([*offsets, -30])
    products = [_product(p, vendor, today, schools, elements, added_days_ago, result) for p in spec.products]
    _agreements(spec, vendor, products, today, result)


def _product(
    spec: P, vendor: Vendor, today: date, schools: list[School], elements: dict, added_days_ago: int, result: DemoResult
) -> Product:
    grades = parse_grades(spec.bands)
    uses = _uses(spec)
    product = Product(
        vendor=vendor,
        name=spec.name,
        slug=unique_slug(Product, f"{vendor.name} {spec.name}"),
        kind=spec.kind,
        status=spec.status,
        website=f"{vendor.website}/{slugify(spec.name)}",
        purpose_md=spec.purpose,
        grade_bands=spec.bands,
    )
    product.schools = [school for school in schools if parse_grades(school.grade_band) & grades]
    # The product as it first appeared; `changed` replays what changed since, for the public history.
    days_ago, before = spec.changed or (0, {})
    product.status = before.get("status", spec.status)
    product.purpose_md = before.get("purpose", spec.purpose)
    first_uses = [(key, purpose) for key, purpose in uses if key not in before.get("drop", ())]
    product.data_uses = [DataUse(element=elements[E[key]], purpose=purpose) for key, purpose in first_uses]
    audit.record(None, "product.created", product, _added(product))
    _dated(disclose_changes(product, None), _moment(today, added_days_ago), result)
    if spec.changed:
        snapshot = public_snapshot(product)
        product.status = spec.status
        product.purpose_md = spec.purpose
        product.data_uses.extend(
            DataUse(element=elements[E[key]], purpose=purpose) for key, purpose in uses if key in before.get("drop", ())
        )
        audit.record(None, "product.updated", product, audit.pending_changes(product))
        _dated(disclose_changes(product, snapshot), _moment(today, days_ago), result)
    result.products += 1
    return product


def _dated(revisions: list[DisclosureRevision], when: datetime, result: DemoResult) -> None:
    for revision in revisions:
        revision.occurred_at = when
    result.revisions += len(revisions)


def _agreements(spec: V, vendor: Vendor, products: list[Product], today: date, result: DemoResult) -> None:
    terms = AGREEMENT_TERMS[spec.terms]
    covered = [p for p in products if p.status not in (ProductStatus.UNDER_REVIEW, ProductStatus.NOT_APPROVED)]
    if spec.terms == "draft":
        covered = products
    made: list[Agreement] = []
    for term in terms:
        agreement = Agreement(
            vendor=vendor,
            kind=term["kind"],
            reference=term["ref"],
            signed_on=_day(today, term["signed"]),
            effective_on=_day(today, term["effective"]),
            expires_on=_day(today, term["expires"]),
            auto_renews=term.get("auto", False),
            terminated_on=_day(today, term.get("terminated")),
            termination_reason=term.get("reason", ""),
        )
        agreement.products = list(covered)
        audit.record(None, "agreement.created", agreement, _added(agreement), label=f"{vendor.name} agreement")
        made.append(agreement)
        result.agreements += 1
    for term, agreement in zip(terms, made, strict=True):
        if "renewed_by" in term:
            agreement.renewed_by = made[term["renewed_by"]]
            audit.record(
                None, "agreement.updated", agreement, audit.pending_changes(agreement), label=f"{vendor.name} agreement"
            )
    if spec.published and made and made[-1].signed_on is not None:
        current = made[-1]
        lines = [
            "Student Data Privacy Agreement",
            "",
            f"Between {DISTRICT_NAME} and {vendor.name}",
            f"Agreement: {current.reference}",
            f"Signed on {current.signed_on:%B %d, %Y}.",
            f"Covers: {', '.join(p.name for p in covered)}.",
            "",
            "DEMO DOCUMENT - generated for a trial of the Clearinghouse; not a real contract.",
        ]
        slug = vendor.slug
        current.document = store_pdf(io.BytesIO(agreement_pdf(lines)), f"{slug}-data-privacy-agreement.pdf")
        current.is_document_published = True
        result.documents += 1


DEMO_ACCOUNTS = (
    (Role.OFFICER, "demo.officer@maplevalley.example", "Demo Privacy Officer", None),
    (Role.VENDOR, "demo.vendor@brightleaf.example", "Demo Vendor Contact", "Brightleaf Reading Co."),
)


def _accounts(result: DemoResult) -> None:
    """A demo officer and a demo vendor user, each with a new random password (printed once)."""
    for role, email, name, vendor_name in DEMO_ACCOUNTS:
        if db.session.scalar(select(User.id).where(User.email == email)) is not None:
            continue
        vendor_id = db.session.scalar(select(Vendor.id).where(Vendor.name == vendor_name)) if vendor_name else None
        password = secrets.token_urlsafe(12)
        user = User(
            email=email, name=name, role=role, vendor_id=vendor_id, password_hash=generate_password_hash(password)
        )
        _added(user)
        audit.record(None, "user.created", user, {"email": [None, email], "role": [None, role.value]}, label=email)
        result.accounts.append((role.label, email, password))
