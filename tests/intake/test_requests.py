"""Asking for a tool: the rules of intake.services, on the real database (SQLite, or PostgreSQL with
TEST_DATABASE_URL): what is refused and writes nothing, joining, withdrawing, the one table of moves."""

from datetime import timedelta

import flask_migrate
import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from clearinghouse.accounts.models import User
from clearinghouse.audit.models import AuditEvent
from clearinghouse.directory.models import Product, ProductStatus, School, Vendor
from clearinghouse.errors import DomainError, NotFound
from clearinghouse.extensions import db, unit_of_work
from clearinghouse.intake import queries, services, state
from clearinghouse.intake.models import RequestState, ToolRequest, ToolRequester
from clearinghouse.notices.models import Notice
from clearinghouse.timeutil import district_today
from tests import factories
from tests.conftest import client_as, count_queries, in_app


def draft(district, **overrides) -> services.RequestDraft:
    values = {
        "name": "Story Maker",
        "purpose": "Students write and illustrate short stories.",
        "school_ids": [district.north_id],
        "kind": "reading",
        "grades": "3-5",
        "student_count": 120,
        "cost_kind": "free",
    }
    return services.RequestDraft(**{**values, **overrides})


def ask(district, user_id=None, **overrides):
    with unit_of_work():
        user = db.session.get(User, user_id or district.teacher_id)
        return services.submit_request(draft(district, **overrides), actor=user)


def counts() -> tuple[int, int, int, int]:
    return tuple(
        db.session.scalar(select(func.count()).select_from(model))
        for model in (ToolRequest, ToolRequester, AuditEvent, Notice)
    )


def test_a_request_is_opened_audited_and_told_to_the_privacy_office(app, district):
    with in_app(app):
        tr, joined = ask(district)
        assert not joined
        tr = db.session.get(ToolRequest, tr.id)
        assert (tr.state, tr.name, [s.name for s in tr.schools]) == (
            RequestState.NEW,
            "Story Maker",
            ["North Elementary"],
        )
        assert [r.user.email for r in tr.requesters] == ["tess@district.example"]
        staff_timeline = queries.timeline(tr)
        assert staff_timeline[0].title == "Request sent"
        assert "tess@district.example" in staff_timeline[0].detail
        assert staff_timeline[1].kind == "notice"
        assert [e.title for e in queries.timeline(tr, for_staff=False)] == ["Request sent"]
        notice = db.session.scalar(select(Notice))
        assert notice.purpose_key == f"tool_request:{tr.id}:opened"
        assert "officer@district.example" in notice.recipients


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"name": "  "}, "name", "Enter the tool's name."),
        ({"name": "x" * 201}, "name", "at most 200"),
        ({"purpose": ""}, "purpose", "Say what the tool is for"),
        ({"school_ids": []}, "school_ids", "Choose the school"),
        ({"school_ids": [987654]}, "school_ids", "no longer exists"),
        ({"website": "javascript:alert(1)"}, "website", "starting with https://"),
        ({"kind": "weapons"}, "kind", "Choose the kind"),
        ({"student_count": -3}, "student_count", "between 0 and"),
        ({"cost_kind": "paid", "cost": ""}, "cost", "what it costs"),
        ({"needed_by": "yesterday"}, "needed_by", "cannot be in the past"),
    ],
)
def test_bad_input_is_refused_with_words_and_writes_nothing(app, district, overrides, field, message):
    with in_app(app):
        if overrides.get("needed_by") == "yesterday":
            overrides["needed_by"] = district_today() - timedelta(days=1)
        before = counts()
        with pytest.raises(DomainError) as refused:
            ask(district, **overrides)
        assert refused.value.field == field
        assert message in refused.value.message
        db.session.rollback()
        assert counts() == before


def test_a_second_request_for_the_same_tool_joins_the_first_and_the_joiner_is_told(app, district):
    with in_app(app):
        first, _ = ask(district)
        second, joined = ask(district, district.principal_id, name="STORY  maker", school_ids=[district.south_id])
        assert joined
        assert second.id == first.id
        assert db.session.scalar(select(func.count()).select_from(ToolRequest)) == 1
        tr = db.session.get(ToolRequest, first.id)
        assert sorted(r.user.email for r in tr.requesters) == ["pat@district.example", "tess@district.example"]
        told = db.session.scalar(
            select(Notice).where(Notice.purpose_key == f"tool_request:{tr.id}:joined:{district.principal_id}")
        )
        assert told.recipients == "pat@district.example"
        joined_event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "tool_request.joined"))
        assert joined_event.changes["schools"] == [None, ["South Middle"]]  # what the joiner typed is kept


def test_asking_twice_for_the_same_tool_is_refused(app, district):
    with in_app(app):
        ask(district)
        with pytest.raises(DomainError, match="You already asked for Story Maker"):
            ask(district)


def test_the_open_request_index_backs_the_join_rule(app, district):
    """Two open requests for one tool cannot both be written, whatever the services check."""
    with in_app(app):
        ask(district)
        db.session.add(ToolRequest(name="Story maker", purpose="x", state=RequestState.NEW))
        with pytest.raises(IntegrityError):
            db.session.flush()
        db.session.rollback()


def test_a_closed_request_does_not_take_joiners_a_new_one_is_opened(app, district):
    with in_app(app):
        tr, _ = ask(district)
        with unit_of_work():
            services.withdraw_request(
                db.session.get(ToolRequest, tr.id), "", actor=db.session.get(User, district.teacher_id)
            )
        again, joined = ask(district, district.principal_id)
        assert not joined
        assert again.id != tr.id


def test_withdrawing_leaves_a_shared_request_and_closes_one_with_no_one_left(app, district):
    with in_app(app):
        tr, _ = ask(district)
        ask(district, district.principal_id)
        with unit_of_work():
            services.withdraw_request(
                db.session.get(ToolRequest, tr.id), "", actor=db.session.get(User, district.teacher_id)
            )
        tr = db.session.get(ToolRequest, tr.id)
        assert tr.state is RequestState.NEW
        assert [r.user.email for r in tr.requesters] == ["pat@district.example"]
        with unit_of_work():
            services.withdraw_request(tr, "We found another way.", actor=db.session.get(User, district.principal_id))
        tr = db.session.get(ToolRequest, tr.id)
        assert (tr.state, tr.state_reason) == (RequestState.WITHDRAWN, "We found another way.")
        assert [e.title for e in queries.timeline(tr, for_staff=False)][-1] == "Request withdrawn"


def test_only_a_requester_of_the_request_may_withdraw_it(app, district):
    with in_app(app):
        tr, _ = ask(district)
        with pytest.raises(DomainError, match="Only someone who asked"):
            services.withdraw_request(tr, "", actor=db.session.get(User, district.principal_id))


def test_the_state_table_refuses_a_move_from_the_wrong_state(app, district):
    with in_app(app):
        tr, _ = ask(district)
        tr.state = RequestState.DECIDED
        with pytest.raises(DomainError, match="already decided"):
            state.check_transition(tr, "withdraw")
        db.session.rollback()
        # every move of the table starts from open states only
        closed = {RequestState.DECIDED, RequestState.WITHDRAWN}
        assert all(not (sources & closed) for sources, _ in state.TRANSITIONS.values())


def test_a_requester_sees_only_their_own_requests(app, district):
    with in_app(app):
        tr, _ = ask(district)
        ask(district, district.principal_id, name="Math Quest", kind="math")
        mine = queries.list_own_requests(district.teacher_id, page=1, per_page=10).items
        assert [r.name for r in mine] == ["Story Maker"]

        with pytest.raises(NotFound):
            queries.get_own_request_or_404(tr.id, district.principal_id)


def test_the_lookup_shows_known_tools_open_requests_and_the_overlap(app, district):
    with in_app(app):
        ask(district)
        findings = queries.lookup("story", kind="reading", school_ids=[district.north_id])
        assert [r.name for r in findings.open_requests] == ["Story Maker"]
        assert [p.name for p in findings.overlap] == ["Acme Reader"]  # approved, reading, at North
        assert queries.lookup("acme", kind="math", school_ids=[district.north_id]).overlap == []
        assert [p.name for p in queries.lookup("acme reader").known] == ["Acme Reader"]
        assert queries.lookup("story", kind="reading", school_ids=[district.south_id]).overlap == []


def test_the_queues_overlap_names_a_few_approved_tools_of_each_requests_kind_at_its_schools(app, district):
    with in_app(app):
        vendor = factories.make_vendor(name="Maker Co")
        north, south = db.session.get(School, district.north_id), db.session.get(School, district.south_id)
        for name in ("Zed Reader", "Bee Reader", "Cat Reader"):  # at both schools: named once
            factories.make_product(
                vendor, name=name, kind="reading", status=ProductStatus.APPROVED, schools=[north, south]
            )
        factories.make_product(
            vendor, name="Ant Reader", kind="reading", status=ProductStatus.UNDER_REVIEW, schools=[north]
        )
        factories.make_product(vendor, name="Ace Math", kind="math", status=ProductStatus.APPROVED, schools=[north])
        reading, _ = ask(district, name="Story Maker", school_ids=[district.north_id, district.south_id])
        math, _ = ask(district, name="Sum Tool", kind="math", school_ids=[district.south_id])
        elsewhere, _ = ask(district, name="Far Tool", kind="math", school_ids=[district.north_id])
        overlap = queries.overlap_for([reading, math, elsewhere])
        # OVERLAP_NAMES of the four at its schools (Acme Reader is at North only), each once, by name.
        assert len(overlap[reading.id]) == queries.OVERLAP_NAMES == len(set(overlap[reading.id]))
        assert set(overlap[reading.id]) <= {"Acme Reader", "Bee Reader", "Cat Reader", "Zed Reader"}
        assert overlap[reading.id] == sorted(overlap[reading.id])
        assert (overlap[math.id], overlap[elsewhere.id]) == ([], ["Ace Math"])
        with unit_of_work():  # its own product is not an overlap with itself
            reading.product_id = district.approved_reader_id
        assert queries.overlap_for([reading])[reading.id] == ["Bee Reader", "Cat Reader", "Zed Reader"]
        assert queries.overlap_for([]) == {}
        with unit_of_work():  # a retired vendor's tools are no longer in use, here as in the lookup
            vendor.is_retired = True
        assert queries.overlap_for([reading, elsewhere]) == {reading.id: [], elsewhere.id: []}
        assert queries.lookup("story", kind="reading", school_ids=[district.north_id]).overlap == [
            db.session.get(Product, district.approved_reader_id)
        ]


def test_the_lookup_finds_names_by_the_start_of_their_words_as_the_directory_search_does(app, district):
    with in_app(app):
        vendor = factories.make_vendor(name="Maker Co")
        factories.make_product(vendor, name="Élan Math")
        factories.make_product(vendor, name="Story Maker")
        ask(district, name="Story Maker Plus")
        assert [p.name for p in queries.lookup("stor mak").known] == ["Story Maker"]
        assert [r.name for r in queries.lookup("stor mak").open_requests] == ["Story Maker Plus"]
        assert [p.name for p in queries.lookup("Story Maker").known] == ["Story Maker"]  # the exact name first
        assert [p.name for p in queries.lookup("read").known] == ["Acme Reader"]
        assert [p.name for p in queries.lookup("elan").known] == ["Élan Math"]  # accents folded, as search does
        ask(district, name="Économie Lab")  # an open request's name is folded by the same rule
        assert [r.name for r in queries.lookup("econ").open_requests] == ["Économie Lab"]
        assert [r.name for r in queries.lookup("ÉCONOMIE lab").open_requests] == ["Économie Lab"]
        assert [r.name for r in queries.lookup("économie").open_requests] == ["Économie Lab"]
        # Inside a word is not the start of one; a vendor's name is not the tool's.
        assert queries.lookup("eader").known == queries.lookup("eader").open_requests == []
        assert queries.lookup("maker co").known == []
        for typed in ('"story', "story*", "story:*", "story & maker | x", "st'ory", "%_", "a b c d e f g h i j"):
            queries.lookup(typed)  # any typing is a valid query on either database


def test_the_lookup_reads_the_directorys_index_in_a_constant_number_of_queries(app, district):
    with in_app(app):
        vendor_id = factories.make_vendor(name="Maker Co").id
        factories.make_product(db.session.get(Vendor, vendor_id), name="Story Maker 0")
        ask(district, name="Story Maker request 0")
    teacher = client_as(app, district.teacher_id)
    path = f"/tools/lookup?name=story+maker&kind=reading&school_ids={district.north_id}"
    teacher.get(path)
    with count_queries(app) as few:
        teacher.get(path)
    with in_app(app):
        for i in range(1, 12):
            factories.make_product(db.session.get(Vendor, vendor_id), name=f"Story Maker {i}")
            ask(district, name=f"Story Maker request {i}")
    with count_queries(app) as many:
        answer = teacher.get(path).get_json()
    assert len(answer["known"]) == len(answer["open_requests"]) == queries.LOOKUP_LIMIT
    assert len(many) == len(few), "\n".join(many)
    [known] = [statement for statement in many if "FROM product" in statement and "product_search" in statement]
    assert " LIKE " not in known.upper()


def test_the_lookup_key_migration_refills_the_keys_of_existing_requests(app, district):
    with in_app(app):
        tr, _ = ask(district, name="Économie Lab")
        request_id = tr.id
        db.session.remove()
        flask_migrate.downgrade(revision="e4ed6bb32a39")  # the revision before the lookup key
        flask_migrate.upgrade()
        assert db.session.get(ToolRequest, request_id).lookup_key == "economie lab"
        assert [r.id for r in queries.lookup("economie").open_requests] == [request_id]
