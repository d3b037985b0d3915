"""The officers' audit log: who may see it, what each event shows, filters, pages, query counts."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from flask import url_for

from clearinghouse.accounts.models import User
from clearinghouse.app import create_app
from clearinghouse.audit import services
from clearinghouse.audit.queries import RECORD_PAGES
from clearinghouse.directory.models import Product, School, Vendor
from clearinghouse.extensions import db, unit_of_work
from tests import factories
from tests.conftest import client_as, count_queries, in_app

T0 = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)  # 11:00 AM EDT in the default district zone


def add_event(app, *, actor_id=None, action="vendor.updated", target=None, changes=None, at=T0, ip="203.0.113.7"):
    """Record an audit event the way services do, from a request made at `ip`, then date it.

    `target` is (model, id); by default a new vendor.
    """
    with in_app(app), app.test_request_context(environ_base={"REMOTE_ADDR": ip}):
        actor = db.session.get(User, actor_id) if actor_id else None
        target = db.session.get(*target) if target is not None else factories.make_vendor()
        with unit_of_work():
            event = services.record(actor, action, target, changes)
            event.occurred_at = at  # still pending: part of the INSERT, not an update
        return event.id


def event_ids(html: str) -> list[str]:
    return re.findall(r'id="event-(\d+)"', html)


def test_anonymous_visitor_is_sent_to_sign_in(client):
    response = client.get("/staff/audit")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]
    assert "next=/staff/audit" in response.headers["Location"]


def test_vendor_user_may_not_see_the_audit_log(app, vendor_user_id):
    assert client_as(app, vendor_user_id).get("/staff/audit").status_code == 403


@pytest.mark.parametrize("role", ["officer", "admin"])
def test_staff_see_who_did_what_when_from_where_and_each_field_before_and_after(app, role):
    with in_app(app):
        user = factories.make_user(role=role, email=f"{role}@district.example", name="Pat Officer")
        vendor_id = factories.make_vendor(name="Acme <Learning>").id
        user_id = user.id
    add_event(
        app,
        actor_id=user_id,
        target=(Vendor, vendor_id),
        ip="198.51.100.23",
        changes={
            "website": ["https://old.example", "https://new.example"],
            "contact_email": [None, "a@b.example"],
            "is_retired": [False, True],
        },
    )

    response = client_as(app, user_id).get("/staff/audit")
    html = response.get_data(as_text=True)

    assert response.status_code == 200
    assert "<h1>Audit log</h1>" in html
    assert f"{role}@district.example" in html
    assert "March 10, 2026 at 11:00 AM EDT" in html
    assert "198.51.100.23" in html
    assert "Acme &lt;Learning&gt;" in html
    assert re.search(r"<code>website</code></th>\s*<td>https://old.example</td>\s*<td>https://new.example</td>", html)
    assert re.search(
        r"<code>contact_email</code></th>\s*<td><span class=\"muted\">\(empty\)</span></td>\s*"
        r"<td>a@b.example</td>",
        html,
    )
    assert re.search(r"<code>is_retired</code></th>\s*<td>no</td>\s*<td>yes</td>", html)


def test_the_system_is_named_as_the_actor_of_the_sweeps_events(app, officer_id):
    add_event(app, action="destruction_request.opened", ip="")
    html = client_as(app, officer_id).get("/staff/audit").get_data(as_text=True)
    assert services.SYSTEM_LABEL in html


def test_events_are_listed_newest_first(app, officer_id):
    old = add_event(app, at=T0)
    new = add_event(app, at=T0 + timedelta(hours=1))
    html = client_as(app, officer_id).get("/staff/audit").get_data(as_text=True)
    assert event_ids(html) == [str(new), str(old)]


def test_filters_by_actor_action_record_and_dates_and_combines_them(app, officer_id):
    with in_app(app):
        other_id = factories.make_user(role="officer", email="other@district.example").id
        vendor = factories.make_vendor()
        vendor_id, product_id = vendor.id, factories.make_product(vendor).id
    by_officer = add_event(app, actor_id=officer_id, action="vendor.updated", target=(Vendor, vendor_id))
    by_other = add_event(app, actor_id=other_id, action="vendor.updated", target=(Vendor, vendor_id))
    by_system = add_event(app, action="product.updated", target=(Product, product_id))
    product_event = add_event(app, actor_id=officer_id, action="product.updated", target=(Product, product_id))
    client = client_as(app, officer_id)

    def shown(query: str) -> set[str]:
        response = client.get(f"/staff/audit?{query}")
        assert response.status_code == 200, response.get_data(as_text=True)
        return set(event_ids(response.get_data(as_text=True)))

    assert shown(f"actor={officer_id}") == {str(by_officer), str(product_event)}
    assert shown("actor=system") == {str(by_system)}
    assert shown("action=vendor.updated") == {str(by_officer), str(by_other)}
    assert shown("record_type=product") == {str(by_system), str(product_event)}
    assert shown(f"record_type=vendor&record_id={vendor_id}") == {str(by_officer), str(by_other)}
    assert shown(f"record_type=product&actor={officer_id}") == {str(product_event)}
    assert shown(f"actor={other_id}&action=product.updated") == set()


def test_date_range_uses_the_district_calendar_and_includes_both_ends(app, officer_id):
    # 03:30 UTC on March 11 is still March 10 in New York (EDT, UTC-4).
    late_on_10th = add_event(app, at=datetime(2026, 3, 11, 3, 30, tzinfo=UTC))
    on_9th = add_event(app, at=datetime(2026, 3, 9, 12, 0, tzinfo=UTC))
    on_11th = add_event(app, at=datetime(2026, 3, 11, 12, 0, tzinfo=UTC))
    client = client_as(app, officer_id)

    def shown(query: str) -> list[str]:
        return event_ids(client.get(f"/staff/audit?{query}").get_data(as_text=True))

    assert shown("date_from=2026-03-10&date_to=2026-03-10") == [str(late_on_10th)]
    assert shown("date_from=2026-03-10") == [str(on_11th), str(late_on_10th)]
    assert shown("date_to=2026-03-10") == [str(late_on_10th), str(on_9th)]
    assert shown("date_from=1990-01-01&date_to=2199-12-31") == [str(on_11th), str(late_on_10th), str(on_9th)]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("date_from=2026-03-10&date_to=2026-03-01", "The end date must be on or after the start date."),
        ("date_from=10/03/2026", "Enter a date like 2026-07-01 (year-month-day)."),
        ("date_from=0001-01-01", "Enter a date between 1990-01-01 and 2199-12-31."),
        ("date_to=9999-12-31", "Enter a date between 1990-01-01 and 2199-12-31."),
        ("record_id=abc", "Enter a whole number, like 42."),
        ("record_id=0", "Enter a record number of 1 or more."),
        ("record_id=99999999999999999999", "Enter a record number of 1 or more."),
        ("action=nothing.like.this", "Choose one of the listed options for “Action”."),
        ("actor=999999", "Choose one of the listed options for “Who”."),
    ],
)
def test_bad_filters_get_a_clear_message_and_keep_what_was_typed(app, officer_id, query, message):
    add_event(app)
    response = client_as(app, officer_id).get(f"/staff/audit?{query}")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in html
    assert 'aria-invalid="true"' in html
    assert event_ids(html) == []
    if query.startswith("date_from=10/03"):
        assert 'value="10/03/2026"' in html


def test_the_log_is_paginated_and_page_links_keep_the_filters(app, officer_id):
    with in_app(app):
        vendor = factories.make_vendor()
        with unit_of_work():
            for n in range(120):
                services.record(None, "vendor.updated", vendor).occurred_at = T0 + timedelta(minutes=n)
    client = client_as(app, officer_id)

    first = client.get("/staff/audit?action=vendor.updated").get_data(as_text=True)
    last = client.get("/staff/audit?action=vendor.updated&page=3").get_data(as_text=True)
    beyond = client.get("/staff/audit?page=99")
    nonsense = client.get("/staff/audit?page=-4")

    assert len(event_ids(first)) == 50
    assert "120 events, page 1 of 3" in first
    assert 'href="/staff/audit?page=2&amp;action=vendor.updated"' in first
    assert len(event_ids(last)) == 20
    assert set(event_ids(first)).isdisjoint(event_ids(last))
    assert beyond.status_code == 200
    assert event_ids(beyond.get_data(as_text=True)) == []
    assert event_ids(nonsense.get_data(as_text=True)) == event_ids(client.get("/staff/audit").get_data(as_text=True))


def test_each_event_links_to_the_history_of_its_record(app, officer_id):
    with in_app(app):
        vendor_id = factories.make_vendor().id
    add_event(app, target=(Vendor, vendor_id))
    html = client_as(app, officer_id).get("/staff/audit").get_data(as_text=True)
    assert f'href="/staff/audit?record_type=vendor&amp;record_id={vendor_id}"' in html


def test_an_empty_log_says_so(app, officer_id):
    html = client_as(app, officer_id).get("/staff/audit").get_data(as_text=True)
    assert "No events yet" in html


def test_the_log_page_runs_the_same_number_of_queries_for_5_and_50_events(app, officer_id):
    def add_events(n: int) -> None:
        with in_app(app):
            users = [factories.make_user(role="officer") for _ in range(3)]
            vendor = factories.make_vendor()
            with unit_of_work():
                for i in range(n):
                    services.record(users[i % 3], "vendor.updated", vendor, {"website": ["a", f"b{i}"]})

    def page_queries(expected_events: int) -> int:
        with count_queries(app) as statements:
            response = client.get("/staff/audit")
        assert len(event_ids(response.get_data(as_text=True))) == expected_events
        return len(statements)

    client = client_as(app, officer_id)
    add_events(5)
    with_5 = page_queries(5)
    add_events(45)
    assert page_queries(50) == with_5


def test_records_link_to_their_staff_page_only_when_the_app_has_one(app, database_url, officer_id):
    other = create_app(
        {
            **{key: app.config[key] for key in ("TESTING", "SECRET_KEY", "UPLOAD_DIR", "BASE_URL")},
            "SQLALCHEMY_DATABASE_URI": database_url,
            "WTF_CSRF_ENABLED": False,
        }
    )
    endpoint, argument = RECORD_PAGES["vendor"][0]
    if endpoint not in other.view_functions:  # until the vendor staff pages exist, stand in for them
        other.add_url_rule(
            f"/staff/stand-in-vendors/<int:{argument}>", endpoint=endpoint, view_func=lambda **kwargs: "vendor page"
        )
    with in_app(app):
        vendor_id = factories.make_vendor().id
        user = db.session.get(User, officer_id)
        session_id = user.get_id()
    updated = add_event(app, target=(Vendor, vendor_id), action="vendor.updated")
    deleted = add_event(app, target=(Vendor, vendor_id), action="vendor.deleted", at=T0 + timedelta(hours=1))
    client = other.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = session_id

    html = client.get("/staff/audit").get_data(as_text=True)
    with other.test_request_context():
        vendor_url = url_for(endpoint, **{argument: vendor_id})

    updated_html = html[html.index(f'id="event-{updated}"') :]
    deleted_html = html[html.index(f'id="event-{deleted}"') : html.index(f'id="event-{updated}"')]
    assert f'<a href="{vendor_url}">vendor {vendor_id}</a>' in updated_html
    assert vendor_url not in deleted_html  # the record is gone: no link to it
    with in_app(other):
        db.engine.dispose()


def test_a_record_without_a_staff_page_is_named_without_a_link(app, officer_id):
    with in_app(app):
        school_id = factories.make_school().id
    add_event(app, target=(School, school_id))
    html = client_as(app, officer_id).get("/staff/audit").get_data(as_text=True)
    if not {endpoint for endpoint, _ in RECORD_PAGES["school"]} & set(app.view_functions):
        assert f">school {school_id}</a>" not in html
        assert f"school {school_id}" in html
    else:
        assert f">school {school_id}</a>" in html
