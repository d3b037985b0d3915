"""Staff see how many follow changes, never who: counts, the outbox without addresses, removal on request."""

from sqlalchemy import func, select

from clearinghouse.extensions import db
from clearinghouse.notices.services import deliver_queued
from clearinghouse.subscriptions.models import Subscriber
from tests.conftest import client_as, in_app
from tests.subscriptions.test_life_cycle import link

ADDRESS = "parent@example.org"
STAFF_PAGES = ("/staff/subscribers/", "/staff/outbox/?status=all", "/staff/outbox/?status=failed", "/staff/audit")


def subscribers(app) -> int:
    with in_app(app):
        return db.session.scalar(select(func.count()).select_from(Subscriber))


def test_staff_see_counts_and_never_an_address(app, client, smtp_server, https_site, directory, officer_id):
    client.post("/follow", data={"email": ADDRESS, "scope": "product", "target": directory["coach"]})
    client.post(link(smtp_server.to(ADDRESS)[0], "confirm"))
    smtp_server.refuse("refused@example.org")  # a failed delivery's error names the address
    client.post("/follow", data={"email": "refused@example.org", "scope": "district"})
    with in_app(app):
        deliver_queued()
    officer = client_as(app, officer_id)
    page = officer.get("/staff/subscribers/").get_data(as_text=True)
    assert "<dt>Confirmed subscribers</dt><dd>1</dd>" in page
    assert "<dt>Following a product</dt><dd>1</dd>" in page
    for path in STAFF_PAGES:
        text = officer.get(path).get_data(as_text=True)
        assert ADDRESS not in text, path
        assert "refused@example.org" not in text, path
    assert "a subscriber (address not shown)" in officer.get("/staff/outbox/?status=all").get_data(as_text=True)


def test_the_privacy_office_removes_an_address_without_learning_whether_it_was_there(
    app, client, smtp_server, admin_id
):
    client.post("/follow", data={"email": ADDRESS, "scope": "district"})
    admin = client_as(app, admin_id)
    unknown = admin.post("/staff/subscribers/", data={"email": "stranger@example.org"})
    known = admin.post("/staff/subscribers/", data={"email": "Parent@Example.org"})
    assert unknown.status_code == known.status_code == 303
    assert subscribers(app) == 0
    message = "If that address was subscribed, it is removed now"
    assert message in admin.get("/staff/subscribers/").get_data(as_text=True)
    refused = admin.post("/staff/subscribers/", data={"email": "not an address"})
    assert refused.status_code == 422
    assert 'value="not an address"' in refused.get_data(as_text=True)
