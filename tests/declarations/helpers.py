"""Steps shared by the declaration tests: a request linked to a new product, its vendor invited."""

from sqlalchemy import select

from clearinghouse.accounts.models import User
from clearinghouse.declarations import services as declarations
from clearinghouse.declarations.models import Declaration, Terms
from clearinghouse.extensions import db, unit_of_work
from clearinghouse.intake import services as intake
from clearinghouse.intake.models import ToolRequest


def request_and_invite(district, *, email="dana@storyco.example") -> tuple[int, int]:
    """A teacher asks for Story Maker; the officer links it (new vendor StoryCo) and invites Dana.
    Returns (request id, declaration id)."""
    with unit_of_work():
        teacher = db.session.get(User, district.teacher_id)
        tr, _ = intake.submit_request(
            intake.RequestDraft(
                name="Story Maker", purpose="Writing stories.", school_ids=[district.north_id], kind="reading"
            ),
            actor=teacher,
        )
    officer = db.session.get(User, district.officer_id)
    with unit_of_work():
        tr = db.session.get(ToolRequest, tr.id)
        intake.link_product(tr, actor=officer, vendor_name="StoryCo")
    with unit_of_work():
        intake.invite_vendor(db.session.get(ToolRequest, tr.id), actor=officer, email=email, name="Dana")
    declaration = db.session.scalar(select(Declaration))
    return tr.id, declaration.id


def vendor_user(email="dana@storyco.example") -> User:
    """The invited contact, as if they had set their password."""
    user = db.session.scalar(select(User).where(User.email == email))
    user.password_hash = "set"
    db.session.commit()
    return user


def answers(district, **overrides) -> declarations.Answers:
    values = {
        "elements": {district.element_id: "To tell classes apart by age."},
        "storage_location": "United States (AWS us-east-1)",
        "retention": "While the district's agreement lasts.",
        "disposal_method": "Secure erase",
        "disposal_window_days": 30,
        "breach_notice_hours": 72,
        "sells_data": False,
        "targeted_ads": False,
        "cross_site_tracking": False,
        "terms": Terms.NDPA,
        "subprocessors": [declarations.SubprocessorAnswer("CloudHost", "Hosting", True, "United States")],
    }
    return declarations.Answers(**{**values, **overrides})
