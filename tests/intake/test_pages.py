"""The requesters' and the privacy office's pages over HTTP: the check step without JavaScript, the
JSON lookup, someone else's request, the queue with its ages and overlap, constant query counts."""

import re

import pytest
from sqlalchemy import func, select

from clearinghouse.accounts.models import User
from clearinghouse.declarations import services as declarations
from clearinghouse.declarations.models import Declaration
from clearinghouse.extensions import db, unit_of_work
from clearinghouse.intake import services
from clearinghouse.intake.models import Decision, RequestState, ToolRequest
from tests.conftest import client_as, count_queries, in_app
from tests.declarations.helpers import answers, request_and_invite, vendor_user

FORM = {
    "name": "Story Maker",
    "kind": "reading",
    "school_ids": ["1"],
    "purpose": "Students write and illustrate short stories.",
    "cost_kind": "free",
}


def form(district, **overrides):
    return {**FORM, "school_ids": [str(district.north_id)], **overrides}


def test_the_check_step_shows_what_the_district_knows_and_writes_nothing(app, district):
    teacher = client_as(app, district.teacher_id)
    page = teacher.post("/tools/new", data={**form(district, name="Acme Reader"), "check": "1"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Already in the district's directory" in html
    assert "you can use it" in html
    assert "Approved tools of this kind already used at your schools" in html
    assert 'value="Acme Reader"' in html  # the form keeps what was typed
    with in_app(app):
        assert db.session.scalar(select(func.count()).select_from(ToolRequest)) == 0


def test_sending_opens_the_request_and_shows_it_to_its_requester_only(app, district):
    teacher = client_as(app, district.teacher_id)
    sent = teacher.post("/tools/new", data={**form(district), "send": "1"})
    assert sent.status_code == 303
    path = sent.headers["Location"]
    mine = teacher.get(path).get_data(as_text=True)
    assert "Your request: Story Maker" in mine
    assert "Request sent" in mine
    assert "Story Maker" in teacher.get("/tools/").get_data(as_text=True)
    other = client_as(app, district.principal_id)
    assert other.get(path).status_code == 404
    assert other.post(path + "/withdraw", data={}).status_code == 404
    assert "Story Maker" not in other.get("/tools/").get_data(as_text=True)


def test_a_requester_withdraws_their_request_from_its_page_and_a_stale_page_is_refused(app, district):
    teacher = client_as(app, district.teacher_id)
    path = teacher.post("/tools/new", data={**form(district), "send": "1"}).headers["Location"]
    assert "Withdraw my request" in teacher.get(path).get_data(as_text=True)
    with in_app(app):
        version = db.session.scalar(select(ToolRequest.version))
    stale = teacher.post(f"{path}/withdraw", data={"version": str(version - 1), "reason": "Not needed."})
    assert stale.status_code == 422
    assert "changed since you opened the page" in stale.get_data(as_text=True)
    done = teacher.post(f"{path}/withdraw", data={"version": str(version), "reason": "We found another way."})
    assert done.status_code == 303
    with in_app(app):
        tr = db.session.scalar(select(ToolRequest))
        assert (tr.state, tr.state_reason) == (RequestState.WITHDRAWN, "We found another way.")
    page = teacher.get(path).get_data(as_text=True)
    assert "Withdrawn by the requester" in page
    assert "Withdraw my request" not in page


def test_bad_input_keeps_what_was_typed_and_says_what_to_fix(app, district):
    teacher = client_as(app, district.teacher_id)
    page = teacher.post("/tools/new", data={**form(district, purpose="", cost_kind="paid"), "send": "1"})
    html = page.get_data(as_text=True)
    assert page.status_code == 422
    assert "Say what the tool is for" in html or "what it costs" in html
    assert 'value="Story Maker"' in html


def test_the_lookup_answers_json_for_the_script(app, district):
    teacher = client_as(app, district.teacher_id)
    teacher.post("/tools/new", data={**form(district), "send": "1"})
    answer = (
        client_as(app, district.principal_id)
        .get(f"/tools/lookup?name=story&kind=reading&school_ids={district.north_id}")
        .get_json()
    )
    assert [r["name"] for r in answer["open_requests"]] == ["Story Maker"]
    assert answer["open_requests"][0]["join_url"].endswith("/join")
    assert [p["name"] for p in answer["overlap"]] == ["Acme Reader"]
    assert client_as(app, district.officer_id).get("/tools/lookup?name=story").status_code == 403


def test_joining_from_the_check_step_adds_the_requester(app, district):
    client_as(app, district.teacher_id).post("/tools/new", data={**form(district), "send": "1"})
    with in_app(app):
        request_id = db.session.scalar(select(ToolRequest.id))
    principal = client_as(app, district.principal_id)
    joined = principal.post(f"/tools/{request_id}/join", data={})
    assert joined.status_code == 303
    assert "Also asked for by" in principal.get(f"/tools/{request_id}").get_data(as_text=True)


def test_the_queue_shows_age_and_overlap_by_state(app, district):
    client_as(app, district.teacher_id).post("/tools/new", data={**form(district), "send": "1"})
    officer = client_as(app, district.officer_id)
    html = officer.get("/staff/tool-requests/").get_data(as_text=True)
    assert "Story Maker" in html
    assert "0 days" in html
    assert "Acme Reader" in html
    assert "New (1)" in html
    assert "Story Maker" not in officer.get("/staff/tool-requests/?state=decided").get_data(as_text=True)
    assert "Tool requests" in officer.get("/staff/").get_data(as_text=True)


def _make_requests(app, district, n: int, start: int) -> None:
    for i in range(start, start + n):
        client_as(app, district.teacher_id).post(
            "/tools/new",
            data={
                **form(district, name=f"Tool {i}", school_ids=[str(district.north_id), str(district.south_id)]),
                "send": "1",
            },
        )


@pytest.mark.parametrize(("path", "who"), [("/tools/", "teacher_id"), ("/staff/tool-requests/", "officer_id")])
def test_the_lists_run_a_constant_number_of_queries(app, district, path, who):
    client = client_as(app, getattr(district, who))
    _make_requests(app, district, 1, 0)
    client.get(path)
    with count_queries(app) as few:
        client.get(path)
    _make_requests(app, district, 6, 1)
    with count_queries(app) as many:
        html = client.get(path).get_data(as_text=True)
    assert "Tool 6" in html
    assert len(many) == len(few), "\n".join(many)


def test_the_states_are_the_ones_the_queue_names(app, district):
    assert {
        state
        for states in __import__("clearinghouse.intake.queries", fromlist=["FILTERS"]).FILTERS.values()
        for state in states
    } == set(RequestState)


def test_the_dashboard_counts_what_waits_on_whom(app, district):
    client_as(app, district.teacher_id).post("/tools/new", data={**form(district, name="Math Quest"), "send": "1"})
    with in_app(app):
        _, declaration_id = request_and_invite(district)  # Story Maker: its vendor is asked
    officer = client_as(app, district.officer_id)

    def counts() -> tuple[str, str, str]:
        html = officer.get("/staff/").get_data(as_text=True)
        return tuple(
            re.search(rf'<span class="stat__number">(\d+)</span> {words}', html).group(1)
            for words in ("new, waiting on the privacy office", "waiting on vendors", "ready to decide, waiting on")
        )

    assert counts() == ("1", "1", "0")
    with in_app(app):
        vendor = vendor_user()
        with unit_of_work():
            declarations.submit(db.session.get(Declaration, declaration_id), answers(district), actor=vendor)
    assert counts() == ("1", "0", "1")


def _linked_requests(app, district, n: int, start: int) -> None:
    """n requests, each linked to a new product of its own vendor; every other one decided."""
    with in_app(app):
        officer = db.session.get(User, district.officer_id)
        for i in range(start, start + n):
            with unit_of_work():
                tr, _ = services.submit_request(
                    services.RequestDraft(
                        name=f"Linked {i}",
                        purpose="Stories.",
                        school_ids=[district.north_id, district.south_id],
                        kind="reading",
                    ),
                    actor=db.session.get(User, district.teacher_id),
                )
            with unit_of_work():
                services.link_product(db.session.get(ToolRequest, tr.id), actor=officer, vendor_name=f"Vendor {i}")
            if i % 2:
                with unit_of_work():
                    services.decide(db.session.get(ToolRequest, tr.id), Decision.APPROVED, "", actor=officer)


QUEUE_QUERIES = 7  # the user, the counts, the page (with products and vendors), requesters, schools, overlap, settings


@pytest.mark.parametrize("tab", ["new", "decided"])
def test_each_tab_of_the_queue_runs_the_same_few_queries_however_long_it_is(app, district, tab):
    officer = client_as(app, district.officer_id)
    path = f"/staff/tool-requests/?state={tab}"
    _linked_requests(app, district, 2, 0)
    officer.get(path)
    with count_queries(app) as few:
        officer.get(path)
    _linked_requests(app, district, 60, 2)
    with count_queries(app) as many:
        html = officer.get(path).get_data(as_text=True)
    assert len(many) == len(few) == QUEUE_QUERIES, "\n".join(many)
    assert not [statement for statement in many if "count(*)" in statement and "GROUP BY" not in statement]
    # The overlap column is one statement for the page, not one part per request.
    assert len([statement for statement in many if "AS request_school" in statement]) == 1
    assert not [statement for statement in many if "UNION" in statement]
    # The page's total is the tab's count (31 of each): two pages of 25, the first one on top.
    first = "Linked 0" if tab == "new" else "Linked 61"
    assert "31 requests" in html
    assert f'{first}</a><br><span class="muted">Vendor {first.split()[1]}</span>' in html
    assert 'rel="next"' in html
    assert html.count("<tr>") == 25 + 1
    assert officer.get(f"{path}&page=2").get_data(as_text=True).count("<tr>") == 6 + 1
