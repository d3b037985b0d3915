"""The questionnaire in the vendor portal and the officer's steps, over HTTP: pasting an Exhibit B,
saving a draft, submitting; another vendor's questionnaire is a 404; the officer links, invites and
decides from the request's page, and sees what changed."""

import re

from sqlalchemy import func, select

from clearinghouse.accounts import services as accounts
from clearinghouse.accounts.models import User
from clearinghouse.declarations import services as declarations
from clearinghouse.declarations.models import Declaration, DeclarationState
from clearinghouse.directory.models import DataElement
from clearinghouse.directory.taxonomy import seed_taxonomy
from clearinghouse.extensions import db, unit_of_work
from clearinghouse.intake.models import RequestState, ToolRequest
from tests import factories
from tests.conftest import client_as, count_queries, in_app
from tests.declarations.helpers import request_and_invite, vendor_user

EXHIBIT_B = """| Category | Element | Collected |
|---|---|---|
| Demographics | Date of Birth | ☑ To group students by age |
| Demographics | Student Name | ☐ |
| Demographics | Favourite Colour | ☑ |
"""


def complete(district, **overrides) -> dict:
    return {
        f"element_{district.element_id}": "y",
        f"purpose_{district.element_id}": "To group students by age.",
        "storage_location": "United States",
        "retention": "One school year.",
        "disposal_method": "Secure erase",
        "disposal_window_days": "30",
        "breach_notice_hours": "72",
        "sells_data": "no",
        "targeted_ads": "no",
        "cross_site_tracking": "no",
        "terms": "ndpa",
        "sub_0_name": "CloudHost",
        "sub_0_service": "Hosting",
        "sub_0_receives": "y",
        "sub_0_location": "United States",
        **overrides,
    }


def setup(app, district):
    with in_app(app):
        request_id, declaration_id = request_and_invite(district)
        user_id = vendor_user().id
    return request_id, declaration_id, client_as(app, user_id)


def test_a_pasted_exhibit_b_ticks_the_elements_it_names_and_saves_nothing(app, district):
    _, declaration_id, vendor = setup(app, district)
    page = vendor.post(f"/vendor/questionnaires/{declaration_id}", data={"exhibit_b": EXHIBIT_B, "read_exhibit": "1"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert f'<input checked id="element_{district.element_id}"' in html
    assert f'<input id="element_{district.other_element_id}"' in html  # unticked in the Exhibit B
    assert 'value="To group students by age"' in html  # the note, as a purpose to check
    assert "Favourite Colour" in html  # not matched: said so
    with in_app(app):
        assert db.session.get(Declaration, declaration_id).versions == []


def test_the_questionnaire_asks_the_purpose_of_declared_elements_only_and_offers_the_rest_in_closed_lists(
    app, district
):
    """No page lists every element with an open box (issue 12): the declared ones ask their purpose;
    the others are boxes to tick in closed lists by category, whose purpose shows once ticked."""
    _, declaration_id, vendor = setup(app, district)
    with in_app(app):
        with unit_of_work():
            seed_taxonomy()
        total = db.session.scalar(select(func.count()).select_from(DataElement))
    assert total > 59  # the NDPA's 59, and the district fixture's two
    path = f"/vendor/questionnaires/{declaration_id}"
    fresh = vendor.get(path).get_data(as_text=True)
    assert len(re.findall(r'<input[^>]* name="element_\d+"', fresh)) == total  # every element can be ticked…
    assert "<details open" not in fresh  # …in closed lists
    assert fresh.count("<details") == fresh.count("<summary>")
    declared, picker = fresh.split("data-element-picker", 1)
    assert 'name="purpose_' not in declared  # nothing declared yet: no purpose box is open
    assert picker.count('name="purpose_') == picker.count('class="element-picker__purpose"') == total
    saved = vendor.post(path, data={**complete(district), "save": "1", "version": "1"})
    assert saved.status_code == 303
    declared, picker = vendor.get(path).get_data(as_text=True).split("data-element-picker", 1)
    assert re.findall(r'name="purpose_(\d+)"', declared) == [str(district.element_id)]
    assert 'value="To group students by age."' in declared
    assert f'name="purpose_{district.element_id}"' not in picker
    assert picker.count('name="purpose_') == total - 1


def test_a_draft_is_kept_then_submitted_and_the_request_is_ready(app, district):
    request_id, declaration_id, vendor = setup(app, district)
    assert "Story Maker" in vendor.get("/vendor/questionnaires").get_data(as_text=True)
    draft = vendor.post(f"/vendor/questionnaires/{declaration_id}", data={"storage_location": "Canada", "save": "1"})
    assert draft.status_code == 303
    assert 'value="Canada"' in vendor.get(f"/vendor/questionnaires/{declaration_id}").get_data(as_text=True)
    refused = vendor.post(f"/vendor/questionnaires/{declaration_id}", data={"submit_answers": "1", "version": "2"})
    assert refused.status_code == 422
    assert "tick “no student data”" in refused.get_data(as_text=True)
    sent = vendor.post(
        f"/vendor/questionnaires/{declaration_id}", data={**complete(district), "submit_answers": "1", "version": "2"}
    )
    assert sent.status_code == 303
    with in_app(app):
        assert db.session.get(Declaration, declaration_id).state is DeclarationState.SUBMITTED
        assert db.session.get(ToolRequest, request_id).state is RequestState.READY_TO_DECIDE


def test_a_subprocessor_without_a_name_keeps_the_answers_and_says_so(app, district):
    _, declaration_id, vendor = setup(app, district)
    data = {**complete(district, sub_0_name=""), "submit_answers": "1", "version": "1"}
    page = vendor.post(f"/vendor/questionnaires/{declaration_id}", data=data)
    html = page.get_data(as_text=True)
    assert page.status_code == 422
    assert "Subprocessor 1: give its name" in html
    assert 'value="Hosting"' in html


def test_an_answer_sent_after_the_vendors_access_was_revoked_is_refused_and_writes_nothing(app, district):
    _, declaration_id, vendor = setup(app, district)
    path = f"/vendor/questionnaires/{declaration_id}"
    assert vendor.get(path).status_code == 200  # the page was open when the officer revoked the access
    with in_app(app), unit_of_work():
        accounts.revoke_vendor_user(
            db.session.scalar(select(User).where(User.email == "dana@storyco.example")),
            actor=db.session.get(User, district.officer_id),
        )
    sent = vendor.post(path, data={**complete(district), "submit_answers": "1", "version": "1"})
    assert sent.status_code == 302
    assert sent.headers["Location"].startswith("/login")
    with in_app(app):
        declaration = db.session.get(Declaration, declaration_id)
        assert (declaration.state, declaration.versions) == (DeclarationState.INVITED, [])


def test_another_vendor_cannot_reach_the_questionnaire(app, district):
    _, declaration_id, _ = setup(app, district)
    with in_app(app):
        stranger = factories.make_user(role="vendor", vendor=factories.make_vendor(name="Other Co")).id
    other = client_as(app, stranger)
    assert other.get(f"/vendor/questionnaires/{declaration_id}").status_code == 404
    assert other.post(f"/vendor/questionnaires/{declaration_id}", data=complete(district)).status_code == 404
    assert "Story Maker" not in other.get("/vendor/questionnaires").get_data(as_text=True)


def test_the_officer_links_invites_reviews_and_decides_from_the_request_page(app, district, smtp_server):
    teacher = client_as(app, district.teacher_id)
    teacher.post(
        "/tools/new",
        data={
            "name": "Story Maker",
            "kind": "reading",
            "school_ids": [str(district.north_id)],
            "purpose": "Stories.",
            "cost_kind": "free",
            "send": "1",
        },
    )
    with in_app(app):
        request_id = db.session.scalar(select(ToolRequest.id))
    officer = client_as(app, district.officer_id)
    page = f"/staff/tool-requests/{request_id}"
    assert officer.post(f"{page}/link", data={"link-product_id": "0", "link-vendor_name": "StoryCo"}).status_code == 303
    refused = officer.post(f"{page}/invite", data={"invite-email": "not an address"})
    assert refused.status_code == 422
    assert officer.post(f"{page}/invite", data={"invite-email": "dana@storyco.example"}).status_code == 303
    with in_app(app):
        declaration_id = db.session.scalar(select(Declaration.id))
        user_id = vendor_user().id
    vendor = client_as(app, user_id)
    vendor.post(
        f"/vendor/questionnaires/{declaration_id}", data={**complete(district), "submit_answers": "1", "version": "1"}
    )
    html = officer.get(page).get_data(as_text=True)
    assert "Ready to decide" in html
    assert "To group students by age." in html
    assert "CloudHost" in html
    no_reason = officer.post(f"{page}/decide", data={"decide-decision": "not_approved", "decide-version": "3"})
    assert no_reason.status_code == 422
    assert "Say why the tool is not approved" in no_reason.get_data(as_text=True)
    with in_app(app):
        version = db.session.get(ToolRequest, request_id).version
    decided = officer.post(
        f"{page}/decide",
        data={"decide-decision": "approved", "decide-accept_declaration": "y", "decide-version": str(version)},
    )
    assert decided.status_code == 303
    assert "Decided" in officer.get(page).get_data(as_text=True)
    assert any("approved" in str(m["Subject"]) for m in smtp_server.messages)


def test_the_questionnaire_list_runs_a_constant_number_of_queries(app, district):
    _, _, vendor = setup(app, district)
    vendor.get("/vendor/questionnaires")
    with count_queries(app) as few:
        vendor.get("/vendor/questionnaires")
    with in_app(app):
        officer = db.session.get(User, district.officer_id)
        contact = db.session.scalar(select(User).where(User.email == "dana@storyco.example"))
        for n in range(5):
            product = factories.make_product(contact.vendor, name=f"Tool {n}")
            with unit_of_work():
                declarations.invite(product, actor=officer, email=contact.email)
    with count_queries(app) as many:
        html = vendor.get("/vendor/questionnaires").get_data(as_text=True)
    assert "Tool 4" in html
    assert len(many) == len(few)
