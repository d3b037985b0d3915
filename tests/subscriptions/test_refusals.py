"""What the follow form and a subscriber's links refuse: floods, forged and expired links, hostile input.

The form answers every address alike (known, unknown, over its limit), so it never tells whether an
address is subscribed; a client over its limit gets a 429 and nothing is written.
"""

from datetime import timedelta

import pytest
from sqlalchemy import delete as sa_delete
from sqlalchemy import func, select

from clearinghouse import sweep
from clearinghouse.directory.models import Product
from clearinghouse.extensions import db, unit_of_work
from clearinghouse.notices.models import Notice
from clearinghouse.subscriptions import services, tokens
from clearinghouse.subscriptions.models import Scope, Subscriber, Subscription
from clearinghouse.throttle import ThrottleHit, hashed_key
from clearinghouse.timeutil import district_today, utcnow
from tests.conftest import count_queries, in_app
from tests.subscriptions.test_life_cycle import link

ADDRESS = "parent@example.org"


def count(app, model) -> int:
    with in_app(app):
        return db.session.scalar(select(func.count()).select_from(model))


def follow(client, address: str = ADDRESS, client_address: str = "198.51.100.1", **fields):
    data = {"email": address, "scope": "district", **fields}
    return client.post("/follow", data=data, environ_base={"REMOTE_ADDR": client_address})


@pytest.fixture
def limits(app):
    saved = {key: app.config[key] for key in ("SUBSCRIBE_MAX_PER_CLIENT", "SUBSCRIBE_MAX_PER_ADDRESS")}
    app.config.update(SUBSCRIBE_MAX_PER_CLIENT=3, SUBSCRIBE_MAX_PER_ADDRESS=2)
    yield
    app.config.update(saved)


def test_a_client_over_its_limit_is_refused_and_nothing_is_written(app, client, smtp_server, limits):
    for n in range(3):
        assert follow(client, f"parent{n}@example.org").status_code == 303
    before = {model: count(app, model) for model in (Subscriber, Subscription, Notice, ThrottleHit)}
    refused = follow(client, "parent9@example.org")
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) > 0
    assert "Too many requests came from your connection" in refused.get_data(as_text=True)
    assert 'value="parent9@example.org"' in refused.get_data(as_text=True), "the form keeps what was typed"
    assert {model: count(app, model) for model in before} == before
    # Another connection is not held back by this one.
    assert follow(client, "parent9@example.org", client_address="198.51.100.2").status_code == 303
    # In Spanish too.
    spanish = client.post("/es/follow", data={"email": "x@example.org"}, environ_base={"REMOTE_ADDR": "198.51.100.1"})
    assert spanish.status_code == 429
    assert "Llegaron demasiadas solicitudes" in spanish.get_data(as_text=True)


def test_an_address_over_its_limit_gets_the_same_answer_and_no_more_mail(app, client, smtp_server, limits):
    answers = [follow(client, client_address=f"198.51.100.{n}") for n in range(1, 4)]
    assert {(a.status_code, a.headers["Location"]) for a in answers} == {(303, "/follow/sent")}
    # Minutes apart (requests in the same second make one e-mail): two e-mails, then none.
    start = utcnow()
    with in_app(app):
        queued = []
        for n in range(4):
            with unit_of_work():
                queued.append(
                    services.request_subscription(
                        "other@example.org",
                        services.Target(Scope.DISTRICT),
                        "en",
                        client=f"203.0.113.{n}",
                        now=start + timedelta(minutes=n),
                    )
                )
    assert [notice is not None for notice in queued] == [True, True, False, False]


def test_the_answer_never_tells_whether_an_address_is_subscribed(app, client, smtp_server, https_site):
    follow(client)
    client.post(link(smtp_server.to(ADDRESS)[0], "confirm"))
    known = follow(client, client_address="198.51.100.7")
    unknown = follow(client, "stranger@example.org", client_address="198.51.100.8")
    assert (known.status_code, known.headers["Location"]) == (unknown.status_code, unknown.headers["Location"])
    assert known.get_data() == unknown.get_data()
    # Only the address's owner learns it: a note with the link to manage, not a second confirmation.
    notes = smtp_server.to(ADDRESS)
    assert len(notes) == 2
    assert notes[1]["Subject"] == "Your e-mail updates from Our School District"
    assert "/follow/manage/" in notes[1].get_body(("plain",)).get_content()


def test_the_throttle_keeps_no_address(app, client, smtp_server):
    follow(client)
    with in_app(app):
        keys = db.session.scalars(select(ThrottleHit.key)).all()
        assert sorted(keys) == sorted(
            [hashed_key("subscribe-client", "198.51.100.1"), hashed_key("subscribe-address", ADDRESS)]
        )
    assert all(ADDRESS not in key and "198.51.100.1" not in key for key in keys)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"email": ""}, "Enter your e-mail address."),
        ({"email": "not an address"}, "Enter an e-mail address like name@example.org."),
        ({"email": "a\x00b@example.org"}, ""),
        ({"email": "Pat\r\nBcc: everyone@example.org"}, ""),
        ({"email": "x" * 300 + "@example.org"}, "That address is too long."),
        ({"scope": "product", "target": "no-such-product"}, "We could not find what you asked to follow."),
        ({"scope": "vendor"}, "We could not find what you asked to follow."),
        ({"scope": "school", "target": "a\x00b"}, ""),
    ],
)
def test_bad_input_gets_a_clear_message_and_writes_nothing(app, client, smtp_server, fields, message):
    response = client.post("/follow", data={"email": ADDRESS, "scope": "district", **fields})
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert count(app, Subscriber) == count(app, ThrottleHit) == count(app, Notice) == 0


def test_an_unknown_page_to_follow_is_a_404(client):
    assert client.get("/follow?scope=product&target=no-such-product").status_code == 404
    assert client.get("/follow?scope=vendor").status_code == 404
    assert client.get("/follow").status_code == 200


def _subscriber(app, *, confirmed: bool) -> tuple[int, str, str]:
    """A subscriber: (id, confirmation token made 8 days ago, manage token)."""
    with in_app(app):
        now = utcnow()
        with unit_of_work():
            services.request_subscription(
                ADDRESS, services.Target(Scope.DISTRICT), "en", client="198.51.100.1", now=now
            )
        subscriber = db.session.scalar(select(Subscriber))
        if confirmed:
            with unit_of_work():
                services.confirm(tokens.confirmation_token(subscriber, "en", now), now)
        old = tokens.confirmation_token(subscriber, "en", now - timedelta(days=8))
        return subscriber.id, old, tokens.manage_token(subscriber)


def test_forged_expired_and_dead_links_do_nothing(app, client, smtp_server):
    _, expired, manage = _subscriber(app, confirmed=False)
    assert client.get(f"/follow/confirm/{expired}").status_code == 410
    assert client.post(f"/follow/confirm/{expired}").status_code == 410
    assert "This link has expired" in client.get(f"/follow/confirm/{expired}").get_data(as_text=True)
    forged = manage[:-3] + ("abc" if not manage.endswith("abc") else "xyz")
    for path in (
        f"/follow/manage/{forged}",
        f"/follow/unsubscribe/{forged}",
        f"/follow/confirm/{manage}",  # a manage link is no confirmation link
        f"/follow/manage/{expired}",  # nor the reverse
        "/follow/manage/" + "x" * 400,
        "/follow/unsubscribe/a%00b",
        "/es/follow/confirm/%ed%a0%80",
    ):
        assert client.get(path).status_code == 404, path
        assert client.post(path, data={"List-Unsubscribe": "One-Click"}).status_code == 404, path
    with in_app(app):
        assert db.session.scalar(select(Subscriber.confirmed_at)) is None
    assert count(app, Subscriber) == 1
    # Once the subscriber is deleted, its old links find nothing (and say so).
    assert client.post(f"/follow/manage/{manage}/delete").status_code == 200
    assert count(app, Subscriber) == 0
    assert "No subscription here" in client.get(f"/follow/manage/{manage}").get_data(as_text=True)


def test_the_manage_page_changes_the_language_and_what_is_followed(app, client, smtp_server, directory):
    subscriber_id, _, manage = _subscriber(app, confirmed=True)
    page = client.get(f"/follow/manage/{manage}")
    assert page.status_code == 200
    assert ADDRESS in page.get_data(as_text=True)
    with in_app(app):
        subscription_id = db.session.scalar(select(Subscription.id))
    bad = client.post(f"/follow/manage/{manage}", data={"keep": "99999999999999999999", "language": "en"})
    assert bad.status_code == 422
    saved = client.post(f"/follow/manage/{manage}", data={"keep": str(subscription_id), "language": "es"})
    assert saved.status_code == 303
    with in_app(app):
        assert db.session.get(Subscriber, subscriber_id).language == "es"
    # Nothing left to follow: the address is deleted.
    emptied = client.post(f"/follow/manage/{manage}", data={"language": "en"})
    assert emptied.status_code == 200
    assert count(app, Subscriber) == 0


def test_the_sweep_deletes_requests_nobody_confirmed(app, smtp_server):
    _subscriber(app, confirmed=False)
    with in_app(app):
        report = sweep.run(district_today(), now=utcnow() + timedelta(days=7, hours=2))
    assert report.unconfirmed_deleted == 1
    assert count(app, Subscriber) == 0
    with in_app(app):
        assert all(ADDRESS not in notice.recipients for notice in db.session.scalars(select(Notice)))


def test_the_pages_run_a_constant_number_of_queries(app, client, smtp_server, directory):
    _, _, manage = _subscriber(app, confirmed=True)

    def manage_queries() -> int:
        with count_queries(app) as statements:
            assert client.get(f"/follow/manage/{manage}").status_code == 200
        return len(statements)

    few = manage_queries()
    with in_app(app):
        subscriber = db.session.scalar(select(Subscriber))
        for scope, target in (("product", "coach_id"), ("product", "other_id"), ("school", "school_id")):
            target_id = directory[target]
            column = "product_id" if scope == "product" else "school_id"
            db.session.add(
                Subscription(
                    subscriber=subscriber,
                    scope=Scope(scope),
                    target_key=f"{scope}:{target_id}",
                    confirmed_at=utcnow(),
                    **{column: target_id},
                )
            )
        db.session.commit()
    assert manage_queries() == few
    with count_queries(app) as statements:
        assert client.get(f"/follow?scope=product&target={directory['coach']}").status_code == 200
    assert len(statements) <= 2


def test_the_sweep_deletes_a_subscriber_left_following_nothing(app, client, smtp_server, directory):
    client.post("/follow", data={"email": ADDRESS, "scope": "product", "target": directory["other"]})
    with in_app(app):
        subscriber = db.session.scalar(select(Subscriber))
        with unit_of_work():
            services.confirm(tokens.confirmation_token(subscriber, "en", utcnow()), utcnow())
        # The product leaves the directory (a row deleted by hand): its subscriptions go with it.
        db.session.execute(sa_delete(Product).where(Product.id == directory["other_id"]))
        db.session.commit()
        assert db.session.scalar(select(func.count()).select_from(Subscription)) == 0
        sweep.run(district_today())  # the subscriber is younger than a week: kept for now
    assert count(app, Subscriber) == 1
    with in_app(app):
        report = sweep.run(district_today(), now=utcnow() + timedelta(days=8))
    assert report.unconfirmed_deleted == 1
    assert count(app, Subscriber) == 0
