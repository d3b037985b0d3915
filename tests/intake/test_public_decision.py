"""What the public reads of a decision: the product's page shows the approval, its conditions, and
for a tool not approved the reason the officer gave; the requester's lookup shows the same."""

import pytest
from sqlalchemy import select

from clearinghouse.accounts.models import User
from clearinghouse.directory.models import Product, ProductStatus
from clearinghouse.extensions import db, unit_of_work
from clearinghouse.intake import queries, services
from clearinghouse.intake.models import Decision, ToolRequest
from tests.conftest import client_as, in_app


def decided(app, district, decision: Decision, note: str) -> str:
    """A teacher asks for Story Maker; the officer links it (vendor StoryCo) and decides. Returns its slug."""
    with in_app(app):
        with unit_of_work():
            tr, _ = services.submit_request(
                services.RequestDraft(
                    name="Story Maker", purpose="Stories.", school_ids=[district.north_id], kind="reading"
                ),
                actor=db.session.get(User, district.teacher_id),
            )
        officer = db.session.get(User, district.officer_id)
        with unit_of_work():
            services.link_product(db.session.get(ToolRequest, tr.id), actor=officer, vendor_name="StoryCo")
        with unit_of_work():
            services.decide(db.session.get(ToolRequest, tr.id), decision, note, actor=officer)
        return db.session.scalar(select(Product.slug).where(Product.name == "Story Maker"))


@pytest.mark.parametrize(
    ("decision", "note", "status", "shown"),
    [
        (Decision.NOT_APPROVED, "It shows advertising to students.", ProductStatus.NOT_APPROVED, "Reason:"),
        (
            Decision.APPROVED_WITH_CONDITIONS,
            "Guardian release required.",
            ProductStatus.APPROVED_WITH_CONDITIONS,
            "Conditions:",
        ),
    ],
)
def test_the_public_page_shows_the_decision_and_its_words(app, district, decision, note, status, shown):
    slug = decided(app, district, decision, note)
    with in_app(app):
        product = db.session.scalar(select(Product).where(Product.slug == slug))
        assert (product.status, product.status_note) == (status, note)
    html = app.test_client().get(f"/products/{slug}").get_data(as_text=True)
    assert str(status.label) in html
    assert f"{shown} {note}</dd>" in html
    with in_app(app):  # a teacher typing the name reads the same
        [known] = queries.lookup("story maker").known
        assert (known.status, known.status_note) == (status, note)
    answer = client_as(app, district.principal_id).get("/tools/lookup?name=story").get_json()
    assert answer["known"][0]["note"] == note


def test_approved_with_no_student_data_reads_so_in_public(app, district):
    slug = decided(app, district, Decision.APPROVED_NO_STUDENT_DATA, "")
    with in_app(app):
        assert (
            db.session.scalar(select(Product.status).where(Product.slug == slug))
            is ProductStatus.APPROVED_NO_STUDENT_DATA
        )
    assert "Approved, no student data collected" in app.test_client().get(f"/products/{slug}").get_data(as_text=True)


def test_every_decision_is_said_in_the_words_of_the_status_it_sets(app):
    with in_app(app):
        assert {decision: str(decision.label) for decision in Decision} == {
            decision: str(ProductStatus(decision.value).label) for decision in Decision
        }
        assert all(decision.status is ProductStatus(decision.value) for decision in Decision)


def test_the_requester_reads_the_decision_in_the_public_pages_words(app, district):
    slug = decided(app, district, Decision.APPROVED_NO_STUDENT_DATA, "")
    with in_app(app):
        request_id = db.session.scalar(select(ToolRequest.id).where(ToolRequest.name == "Story Maker"))
    public = app.test_client().get(f"/products/{slug}").get_data(as_text=True)
    mine = client_as(app, district.teacher_id).get(f"/tools/{request_id}").get_data(as_text=True)
    label = "Approved, no student data collected"
    assert label in public
    assert label in mine
