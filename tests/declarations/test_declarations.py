"""The vendor declares its data: the rules of declarations.services on the real database, the
officer's review of what changed, the acceptance that becomes the product's data uses, the sweep's
reminders (never twice)."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from clearinghouse import sweep
from clearinghouse.accounts import services as accounts
from clearinghouse.accounts.models import Role, User
from clearinghouse.audit.models import AuditEvent, DisclosureRevision
from clearinghouse.declarations import queries, services
from clearinghouse.declarations.models import (
    Declaration,
    DeclarationState,
    DeclarationVersion,
    DeclaredElement,
    Subprocessor,
    VersionStatus,
)
from clearinghouse.directory.models import Product, ProductStatus
from clearinghouse.errors import DomainError, NotFound
from clearinghouse.extensions import db, unit_of_work
from clearinghouse.intake import services as intake
from clearinghouse.intake.models import Decision, RequestState, ToolRequest
from clearinghouse.notices.models import Notice
from clearinghouse.timeutil import district_today, utcnow
from tests import factories
from tests.conftest import client_as, in_app
from tests.declarations.helpers import answers, request_and_invite, vendor_user


def rows() -> tuple[int, ...]:
    return tuple(
        db.session.scalar(select(func.count()).select_from(model))
        for model in (DeclarationVersion, DeclaredElement, Subprocessor, AuditEvent)
    )


def submit(declaration_id, user, district, **overrides):
    with unit_of_work():
        return services.submit(db.session.get(Declaration, declaration_id), answers(district, **overrides), actor=user)


def test_inviting_a_new_contact_creates_the_vendor_product_account_and_questionnaire(app, district, smtp_server):
    with in_app(app):
        request_id, declaration_id = request_and_invite(district)
        tr = db.session.get(ToolRequest, request_id)
        assert tr.state is RequestState.WAITING_FOR_VENDOR
        assert (tr.product.vendor.name, tr.product.name, tr.product.status) == (
            "StoryCo",
            "Story Maker",
            ProductStatus.UNDER_REVIEW,
        )
        contact = db.session.scalar(select(User).where(User.email == "dana@storyco.example"))
        assert (contact.role, contact.vendor_id) == (Role.VENDOR, tr.product.vendor_id)
        declaration = db.session.get(Declaration, declaration_id)
        assert (declaration.state, declaration.contact_id) == (DeclarationState.INVITED, contact.id)
    subjects = sorted(str(m["Subject"]).strip() for m in smtp_server.messages)
    assert any("please declare the student data Story Maker" in s for s in subjects)
    assert any(s.startswith("Set up your account") for s in subjects), subjects  # the portal invitation


def test_an_address_of_another_vendor_or_of_staff_is_refused(app, district):
    with in_app(app):
        request_and_invite(district)
        officer = db.session.get(User, district.officer_id)
        tr = db.session.scalar(select(ToolRequest))
        with pytest.raises(DomainError, match="is not an account of StoryCo"):
            intake.invite_vendor(tr, actor=officer, email="officer@district.example")


@pytest.mark.parametrize(
    ("overrides", "field", "words"),
    [
        ({"elements": {}}, "no_student_data", "tick “no student data”"),
        ({"no_student_data": True}, "no_student_data", "untick one or the other"),
        ({"elements": {1: ""}}, "elements", "purpose of each"),
        ({"subprocessors": [services.SubprocessorAnswer("", "Hosting", True, "US")]}, "subprocessors", "give its name"),
        ({"sells_data": None}, "sells_data", "whether you sell data"),
        ({"terms": None}, "terms", "which agreement"),
        ({"storage_location": ""}, "storage_location", "where the data is stored"),
        ({"breach_notice_hours": -1}, "breach_notice_hours", "between 0 and"),
    ],
)
def test_an_incomplete_submission_is_refused_and_writes_nothing(app, district, overrides, field, words):
    with in_app(app):
        _, declaration_id = request_and_invite(district)
        user = vendor_user()
        if "elements" in overrides and overrides["elements"] == {1: ""}:
            overrides["elements"] = {district.element_id: ""}
        before = rows()
        with pytest.raises(DomainError) as refused:
            submit(declaration_id, user, district, **overrides)
        assert (refused.value.field, words in refused.value.message) == (field, True)
        assert rows() == before
        assert db.session.get(Declaration, declaration_id).state is DeclarationState.INVITED


def test_no_student_data_alone_is_a_complete_answer(app, district):
    with in_app(app):
        _, declaration_id = request_and_invite(district)
        version = submit(
            declaration_id,
            vendor_user(),
            district,
            elements={},
            no_student_data=True,
            storage_location="",
            retention="",
        )
        assert version.no_student_data


def test_a_revoked_vendor_cannot_answer_and_another_vendor_cannot_see_it(app, district):
    with in_app(app):
        _, declaration_id = request_and_invite(district)
        user = vendor_user()
        officer = db.session.get(User, district.officer_id)
        with unit_of_work():
            accounts.revoke_vendor_user(user, actor=officer)
        before = rows()
        with pytest.raises(DomainError, match="access to the district's vendor portal was withdrawn"):
            submit(declaration_id, db.session.get(User, user.id), district)
        with pytest.raises(DomainError, match="was withdrawn"), unit_of_work():
            services.save_draft(db.session.get(Declaration, declaration_id), answers(district), actor=user)
        assert rows() == before
        stranger = factories.make_user(role="vendor", vendor=factories.make_vendor(name="Other Co"))
        with pytest.raises(NotFound):
            services.save_draft(db.session.get(Declaration, declaration_id), answers(district), actor=stranger)


def test_submitting_makes_the_waiting_requests_ready_and_tells_the_officers(app, district):
    with in_app(app):
        request_id, declaration_id = request_and_invite(district)
        user = vendor_user()
        with unit_of_work():
            services.save_draft(db.session.get(Declaration, declaration_id), answers(district, elements={}), actor=user)
        submit(declaration_id, user, district)
        assert db.session.get(ToolRequest, request_id).state is RequestState.READY_TO_DECIDE
        declaration = db.session.get(Declaration, declaration_id)
        assert [(v.number, v.status) for v in declaration.versions] == [(1, VersionStatus.SUBMITTED)]
        notice = db.session.scalar(
            select(Notice).where(Notice.purpose_key == f"declaration:{declaration_id}:submitted:1")
        )
        assert "officer@district.example" in notice.recipients


def test_accepting_and_approving_publishes_the_declared_uses_and_emails_the_requester(app, district, smtp_server):
    with in_app(app):
        request_id, declaration_id = request_and_invite(district)
        submit(declaration_id, vendor_user(), district)
        officer = db.session.get(User, district.officer_id)
        with unit_of_work():
            intake.decide(
                db.session.get(ToolRequest, request_id), Decision.APPROVED, "", actor=officer, accept_declaration=True
            )
        tr = db.session.get(ToolRequest, request_id)
        product = db.session.get(Product, tr.product_id)
        assert tr.state is RequestState.DECIDED
        assert product.status is ProductStatus.APPROVED
        assert [(u.element.name, u.purpose) for u in product.data_uses] == [
            ("Date of birth", "To tell classes apart by age.")
        ]
        assert [s.name for s in product.schools] == ["North Elementary"]  # approved for the request's schools
        assert db.session.get(Declaration, declaration_id).state is DeclarationState.ACCEPTED
        revisions = db.session.scalars(
            select(DisclosureRevision).where(DisclosureRevision.product_id == product.id)
        ).all()
        assert revisions
        actions = set(db.session.scalars(select(AuditEvent.action)))
        assert {"declaration.accepted", "product.updated", "tool_request.decided"} <= actions
    [decided] = [m for m in smtp_server.messages if "approved" in str(m["Subject"])]
    assert decided.envelope_to == ["tess@district.example"]
    assert "/products/" in decided.get_body(("plain",)).get_content()


def test_not_approved_needs_a_reason_and_conditions_need_words(app, district):
    with in_app(app):
        request_id, _ = request_and_invite(district)
        officer = db.session.get(User, district.officer_id)
        tr = db.session.get(ToolRequest, request_id)
        with pytest.raises(DomainError, match="Say why the tool is not approved"):
            intake.decide(tr, Decision.NOT_APPROVED, " ", actor=officer)
        with pytest.raises(DomainError, match="Write the conditions"):
            intake.decide(tr, Decision.APPROVED_WITH_CONDITIONS, "", actor=officer)
        with pytest.raises(DomainError, match="no submitted declaration"):
            intake.decide(tr, Decision.APPROVED, "", actor=officer, accept_declaration=True)
        db.session.rollback()
        assert db.session.get(ToolRequest, request_id).state is RequestState.WAITING_FOR_VENDOR


def test_an_update_is_a_new_version_and_the_review_shows_what_changed(app, district):
    with in_app(app):
        request_id, declaration_id = request_and_invite(district)
        user = vendor_user()
        submit(declaration_id, user, district)
        officer = db.session.get(User, district.officer_id)
        with unit_of_work():
            intake.decide(
                db.session.get(ToolRequest, request_id), Decision.APPROVED, "", actor=officer, accept_declaration=True
            )
        submit(
            declaration_id,
            user,
            district,
            elements={
                district.element_id: "To tell classes apart by age.",
                district.other_element_id: "To label work.",
            },
            breach_notice_hours=48,
            subprocessors=[],
        )
        declaration = queries.declaration_for_product(db.session.get(ToolRequest, request_id).product_id)
        assert [(v.number, v.status) for v in declaration.versions] == [
            (1, VersionStatus.ACCEPTED),
            (2, VersionStatus.SUBMITTED),
        ]
        review = queries.review(declaration)
        changed = {(c.what, c.before, c.after) for c in review.changes}
        assert changed == {
            ("Breach notice (hours)", "72", "48"),
            ("Data element: Student name", "", "To label work."),
            ("Subprocessor: CloudHost", "Hosting; receives student data; data kept in United States", "(removed)"),
        }


def test_the_review_shows_what_changed_since_the_accepted_version_across_an_unreviewed_one(app, district):
    """Version 2 adds an element and is replaced by version 3 before anyone reviewed it: the officer
    reviewing version 3 still sees the element added since version 1, the one the public reads."""
    with in_app(app):
        request_id, declaration_id = request_and_invite(district)
        user = vendor_user()
        submit(declaration_id, user, district)
        officer = db.session.get(User, district.officer_id)
        with unit_of_work():
            intake.decide(
                db.session.get(ToolRequest, request_id), Decision.APPROVED, "", actor=officer, accept_declaration=True
            )
        both = {district.element_id: "To tell classes apart by age.", district.other_element_id: "To label work."}
        submit(declaration_id, user, district, elements=both)
        submit(declaration_id, user, district, elements=both, breach_notice_hours=48)
        declaration = queries.declaration_for_product(db.session.get(ToolRequest, request_id).product_id)
        assert [(v.number, v.status) for v in declaration.versions] == [
            (1, VersionStatus.ACCEPTED),
            (2, VersionStatus.SUPERSEDED),
            (3, VersionStatus.SUBMITTED),
        ]
        review = queries.review(declaration)
        assert review.previous.number == 1
        assert {(c.what, c.before, c.after) for c in review.changes} == {
            ("Breach notice (hours)", "72", "48"),
            ("Data element: Student name", "", "To label work."),
        }
    html = client_as(app, district.officer_id).get(f"/staff/tool-requests/{request_id}").get_data(as_text=True)
    assert "What changed since version 1, accepted " in html
    assert '<th scope="row">Data element: Student name</th>' in html


def test_the_sweep_reminds_a_silent_vendor_weekly_and_never_twice(app, district):
    with in_app(app):
        _, declaration_id = request_and_invite(district)
        declaration = db.session.get(Declaration, declaration_id)
        declaration.invited_at = utcnow() - timedelta(days=8)
        db.session.commit()
        today = district_today()
        first = sweep.run(today, deliver=False)
        key = [k for k in first.reminders if k.startswith(f"declaration:{declaration_id}:")]
        assert len(key) == 1
        assert key[0].endswith(":week-1")
        assert [k for k in sweep.run(today, deliver=False).reminders if k.startswith("declaration:")] == []
        assert sweep.run(today + timedelta(days=1), deliver=False).reminders == []
        assert [k for k in sweep.run(today + timedelta(days=7), deliver=False).reminders if "week-2" in k]
        submit(declaration_id, vendor_user(), district)
        assert sweep.run(today + timedelta(days=14), deliver=False).reminders == []


@pytest.mark.parametrize("closing", ["withdrawn", "decided"])
def test_the_sweep_stops_reminding_once_no_request_waits_for_the_vendor(app, district, closing):
    with in_app(app):
        request_id, declaration_id = request_and_invite(district)
        db.session.get(Declaration, declaration_id).invited_at = utcnow() - timedelta(days=8)
        db.session.commit()
        tr = db.session.get(ToolRequest, request_id)
        with unit_of_work():
            if closing == "withdrawn":
                intake.withdraw_request(tr, "Not needed.", actor=db.session.get(User, district.teacher_id))
            else:
                intake.decide(tr, Decision.NOT_APPROVED, "Ads.", actor=db.session.get(User, district.officer_id))
        assert (
            db.session.get(Declaration, declaration_id).state is DeclarationState.INVITED
        )  # it may still answer, unasked
        assert [k for k in sweep.run(district_today(), deliver=False).reminders if k.startswith("declaration:")] == []


def test_approved_with_no_student_data_clears_the_uses_and_every_requester_is_told(app, district, smtp_server):
    with in_app(app):
        request_id, declaration_id = request_and_invite(district)
        with unit_of_work():
            intake.join_request(
                db.session.get(ToolRequest, request_id), actor=db.session.get(User, district.principal_id)
            )
        submit(declaration_id, vendor_user(), district)
        officer = db.session.get(User, district.officer_id)
        with unit_of_work():
            intake.decide(
                db.session.get(ToolRequest, request_id),
                Decision.APPROVED_NO_STUDENT_DATA,
                "Teachers use it without student accounts.",
                actor=officer,
                accept_declaration=True,
            )
        tr = db.session.get(ToolRequest, request_id)
        product = db.session.get(Product, tr.product_id)
        assert (tr.decision, tr.decision_note) == (
            Decision.APPROVED_NO_STUDENT_DATA,
            "Teachers use it without student accounts.",
        )
        assert product.data_uses == []
        assert product.status is ProductStatus.APPROVED_NO_STUDENT_DATA
    [decided] = [m for m in smtp_server.messages if "no student data" in str(m["Subject"])]
    assert sorted(decided.envelope_to) == ["pat@district.example", "tess@district.example"]


def test_a_decided_request_cannot_be_decided_or_withdrawn_again(app, district):
    with in_app(app):
        request_id, _ = request_and_invite(district)
        officer = db.session.get(User, district.officer_id)
        with unit_of_work():
            intake.decide(db.session.get(ToolRequest, request_id), Decision.NOT_APPROVED, "Ads.", actor=officer)
        tr = db.session.get(ToolRequest, request_id)
        assert tr.product.status is ProductStatus.NOT_APPROVED
        with pytest.raises(DomainError, match="already decided"):
            intake.decide(tr, Decision.APPROVED, "", actor=officer)
        with pytest.raises(DomainError, match="already decided"):
            intake.withdraw_request(tr, "", actor=db.session.get(User, district.teacher_id))


def _request_for(district, name: str, product_id: int, user_id: int) -> int:
    """Another request, under another name, for a product the directory has (the officer links it)."""
    with unit_of_work():
        tr, joined = intake.submit_request(
            intake.RequestDraft(name=name, purpose="Stories.", school_ids=[district.south_id], kind="reading"),
            actor=db.session.get(User, user_id),
        )
        assert not joined
    with unit_of_work():
        intake.link_product(
            db.session.get(ToolRequest, tr.id), actor=db.session.get(User, district.officer_id), product_id=product_id
        )
    return tr.id


def _invite(request_id: int, district) -> None:
    with unit_of_work():
        intake.invite_vendor(
            db.session.get(ToolRequest, request_id),
            actor=db.session.get(User, district.officer_id),
            email="dana@storyco.example",
        )


def test_a_vendor_serving_several_requests_answers_once_per_product_and_updates_later(app, district):
    with in_app(app):
        first_id, declaration_id = request_and_invite(district)
        product_id = db.session.get(ToolRequest, first_id).product_id
        second_id = _request_for(district, "Story Maker for Schools", product_id, district.principal_id)
        _invite(second_id, district)  # the same product: the same questionnaire, asked again
        assert db.session.scalar(select(func.count()).select_from(Declaration)) == 1
        assert db.session.get(ToolRequest, second_id).state is RequestState.WAITING_FOR_VENDOR
        user = vendor_user()
        submit(declaration_id, user, district)  # one answer…
        assert {db.session.get(ToolRequest, i).state for i in (first_id, second_id)} == {RequestState.READY_TO_DECIDE}
        officer = db.session.get(User, district.officer_id)
        with unit_of_work():  # …accepted for the first request, and the second is decided on it
            intake.decide(
                db.session.get(ToolRequest, first_id), Decision.APPROVED, "", actor=officer, accept_declaration=True
            )
        with unit_of_work():
            intake.decide(db.session.get(ToolRequest, second_id), Decision.APPROVED, "", actor=officer)
        assert [u.purpose for u in db.session.get(Product, product_id).data_uses] == ["To tell classes apart by age."]

        # A request a year on: the district asks the vendor to confirm or update its accepted answers.
        third_id = _request_for(district, "Story Maker Plus", product_id, district.teacher_id)
        _invite(third_id, district)
        declaration = db.session.get(Declaration, declaration_id)
        assert declaration.state is DeclarationState.INVITED
        assert db.session.get(ToolRequest, third_id).state is RequestState.WAITING_FOR_VENDOR
        declaration.invited_at = utcnow() - timedelta(days=8)
        db.session.commit()
        today = district_today()
        reminded = [k for k in sweep.run(today, deliver=False).reminders if k.startswith("declaration:")]
        assert [k.split(":")[1] for k in reminded] == [str(declaration_id)]  # the sweep reminds it until it answers…
        assert [k for k in sweep.run(today, deliver=False).reminders if k.startswith("declaration:")] == []  # …once
        submit(declaration_id, user, district, breach_notice_hours=24)
        assert db.session.get(ToolRequest, third_id).state is RequestState.READY_TO_DECIDE
        review = queries.review(queries.declaration_for_product(product_id))
        assert [(c.what, c.before, c.after) for c in review.changes] == [("Breach notice (hours)", "72", "24")]
        assert sweep.run(today + timedelta(days=7), deliver=False).reminders == []
