"""Following changes by e-mail, end to end, with every message read back from the SMTP server on loopback.

subscribe → confirmation e-mail (and nothing else) → confirm → a public change → no digest before
the district's business day, the digest on it → never twice → one-click unsubscribe (RFC 8058
POST, no CSRF token) → the address is gone, nothing more is sent. Time moves through the sweep's
`today`, never by sleeping.
"""

import re
from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from clearinghouse import sweep
from clearinghouse.accounts.models import User
from clearinghouse.agreements import services as agreements
from clearinghouse.agreements.models import AgreementKind
from clearinghouse.audit.models import DisclosureRevision
from clearinghouse.destruction import services as destruction
from clearinghouse.destruction.models import DestructionRequest, DisposalMethod
from clearinghouse.directory import services as directory_services
from clearinghouse.directory.models import Product, Vendor
from clearinghouse.extensions import db, unit_of_work
from clearinghouse.notices.models import Notice
from clearinghouse.settings.services import update_settings
from clearinghouse.subscriptions.models import Subscriber, Subscription
from clearinghouse.timeutil import add_business_days, district_today, format_date
from tests import factories
from tests.conftest import in_app

ADDRESS = "parent@example.org"


def plain(message) -> str:
    return message.get_body(("plain",)).get_content()


def html(message) -> str:
    return message.get_body(("html",)).get_content()


def link(message, kind: str) -> str:
    """The path of the message's `kind` link (confirm, manage, unsubscribe)."""
    found = re.search(rf"https://privacy\.district\.example((?:/es)?/follow/{kind}/[A-Za-z0-9._-]+)", plain(message))
    assert found, plain(message)
    return found.group(1)


def receive(app, product_id: int, element_ids: list[int]) -> None:
    """A public change made as staff make it: the product now receives these data elements."""
    with in_app(app):
        product = db.session.get(Product, product_id)
        with unit_of_work():
            directory_services.update_product(
                product,
                None,
                version=product.version,
                data_uses={element_id: "To place students in the right group." for element_id in element_ids},
            )


def sweep_on(app, day: date) -> None:
    with in_app(app):
        sweep.run(day)


def weekdays_after(day: date, count: int) -> date:
    """Counted by hand here, Monday to Friday, to check the digest's day against."""
    while count:
        day += timedelta(days=1)
        if day.weekday() < 5:
            count -= 1
    return day


def subscribe(client, slug: str, *, prefix: str = "", address: str = ADDRESS, **environ):
    return client.post(
        f"{prefix}/follow",
        data={"email": address, "scope": "product", "target": slug},
        environ_base=environ,
    )


def test_the_whole_life_of_a_subscription(app, client, smtp_server, https_site, directory, csrf):
    # Subscribe with only an e-mail address: the answer does not depend on the address.
    response = subscribe(client, directory["coach"], address="Parent@Example.org")
    assert response.status_code == 303
    assert response.headers["Location"] == "/follow/sent"
    assert "Set-Cookie" not in response.headers  # no session for visitors, hence no CSRF token either
    sent_page = client.get("/follow/sent")
    assert "Check your e-mail" in sent_page.get_data(as_text=True)

    # The confirmation e-mail, and only it.
    [confirmation] = smtp_server.to(ADDRESS)
    assert confirmation["Subject"] == "Confirm your e-mail updates from Our School District"
    assert "Changes about Reading Coach" in plain(confirmation)
    assert confirmation["List-Unsubscribe"] is None
    receive(app, directory["coach_id"], [directory["received_id"], directory["new_id"]])
    for days in range(0, 12):
        sweep_on(app, district_today() + timedelta(days=days))
    assert len(smtp_server.to(ADDRESS)) == 1, "nothing but the confirmation before confirming"

    # Opening the link shows a button (a mail scanner that follows links confirms nothing).
    confirm_path = link(confirmation, "confirm")
    page = client.get(confirm_path)
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"
    with in_app(app):
        assert db.session.scalar(select(Subscriber.confirmed_at)) is None
    confirmed = client.post(confirm_path)
    assert confirmed.status_code == 200
    assert "Subscription confirmed" in confirmed.get_data(as_text=True)

    # A public change after confirming: Reading Coach stops receiving test scores.
    receive(app, directory["coach_id"], [directory["received_id"]])
    changed_on = district_today()
    due = weekdays_after(changed_on, 5)
    assert add_business_days(changed_on, 5) == due
    day = changed_on
    while day < due:
        sweep_on(app, day)
        assert len(smtp_server.to(ADDRESS)) == 1, f"no digest on {day}, before the fifth business day {due}"
        day += timedelta(days=1)
    sweep_on(app, due)
    [_, digest] = smtp_server.to(ADDRESS)
    assert digest["Subject"] == "Our School District: 1 change to the student data record"
    body = plain(digest)
    assert "Reading Coach no longer receives Test scores" in body
    assert f"https://privacy.district.example/products/{directory['coach']}" in body
    assert "Math Quest" not in body
    # One-click unsubscribe (RFC 8058), and the privacy office's address for a written request.
    unsubscribe_path = link(digest, "unsubscribe")
    assert digest["List-Unsubscribe"] == (
        f"<https://privacy.district.example{unsubscribe_path}>, <mailto:privacy@district.example?subject=unsubscribe>"
    )
    assert digest["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    # No tracking: no image, and every link is a plain address of the site's own pages.
    assert "<img" not in html(digest).lower()
    for href in re.findall(r'href="([^"]+)"', html(digest)):
        assert href == "mailto:privacy@district.example" or (
            href.startswith("https://privacy.district.example/") and "?" not in href
        ), href

    # Never twice: the same day again, the days after.
    for days in range(0, 8):
        sweep_on(app, due + timedelta(days=days))
    assert len(smtp_server.to(ADDRESS)) == 2

    # The manage page shows its own subscriber the address (never kept by the cache).
    manage_path = link(digest, "manage")
    assert ADDRESS in client.get(manage_path).get_data(as_text=True)

    # One-click unsubscribe: a POST with the RFC 8058 body and no CSRF token (CSRF is on in this test).
    response = client.post(unsubscribe_path, data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert "You are unsubscribed" in response.get_data(as_text=True)
    again = client.post(unsubscribe_path, data={"List-Unsubscribe": "One-Click"})
    assert again.status_code == 200, "repeating it is harmless"
    with in_app(app):
        assert db.session.scalar(select(func.count()).select_from(Subscriber)) == 0
        assert db.session.scalar(select(func.count()).select_from(Subscription)) == 0
        notices = db.session.scalars(select(Notice)).all()
        assert notices
        assert all(ADDRESS not in (n.recipients + n.body_text + n.body_html) for n in notices)
    gone = client.get(manage_path)
    assert gone.status_code == 200
    assert "No subscription here" in gone.get_data(as_text=True)
    assert ADDRESS not in gone.get_data(as_text=True)

    # Nothing more.
    receive(app, directory["coach_id"], [directory["received_id"], directory["new_id"]])
    for days in range(0, 10):
        sweep_on(app, district_today() + timedelta(days=days))
    assert len(smtp_server.to(ADDRESS)) == 2


def test_a_spanish_subscription_gets_spanish_mail(app, client, smtp_server, https_site, directory):
    assert subscribe(client, directory["coach"], prefix="/es").headers["Location"] == "/es/follow/sent"
    [confirmation] = smtp_server.to(ADDRESS)
    assert confirmation["Subject"] == "Confirme sus avisos por correo de Our School District"
    assert "Cambios sobre Reading Coach" in plain(confirmation)
    confirm_path = link(confirmation, "confirm")
    assert confirm_path.startswith("/es/follow/confirm/")
    assert "Suscripción confirmada" in client.post(confirm_path).get_data(as_text=True)

    receive(app, directory["coach_id"], [directory["received_id"], directory["new_id"]])
    sweep_on(app, add_business_days(district_today(), 5))
    [_, digest] = smtp_server.to(ADDRESS)
    assert digest["Subject"] == "Our School District: 2 cambios en el registro de datos estudiantiles"
    body = plain(digest)
    assert f"https://privacy.district.example/es/products/{directory['coach']}" in body
    assert "Lo que cambió en lo que sigue" in body
    assert link(digest, "unsubscribe").startswith("/es/follow/unsubscribe/")
    assert '<html lang="es">' in html(digest)


def test_a_school_follows_the_products_used_there_and_a_product_only_itself(
    app, client, smtp_server, https_site, directory
):
    client.post("/follow", data={"email": "school@example.org", "scope": "school", "target": directory["school"]})
    client.post("/follow", data={"email": "math@example.org", "scope": "product", "target": directory["other"]})
    client.post("/follow", data={"email": "all@example.org", "scope": "district"})
    for address in ("school@example.org", "math@example.org", "all@example.org"):
        [confirmation] = smtp_server.to(address)
        client.post(link(confirmation, "confirm"))
    receive(app, directory["coach_id"], [directory["received_id"], directory["new_id"]])  # used at the school
    sweep_on(app, add_business_days(district_today(), 5))
    assert len(smtp_server.to("school@example.org")) == 2
    assert len(smtp_server.to("all@example.org")) == 2
    assert len(smtp_server.to("math@example.org")) == 1, "Math Quest did not change"


def test_changes_wait_for_the_districts_number_of_business_days(app, client, smtp_server, https_site, directory):
    with in_app(app), unit_of_work():
        update_settings({"digest_business_days": 1}, version=1, actor=None)
    subscribe(client, directory["coach"])
    [confirmation] = smtp_server.to(ADDRESS)
    client.post(link(confirmation, "confirm"))
    receive(app, directory["coach_id"], [directory["received_id"], directory["new_id"]])
    today = district_today()
    sweep_on(app, today)  # a change of today waits for a later sweep
    assert len(smtp_server.to(ADDRESS)) == 1
    sweep_on(app, add_business_days(today, 1))
    assert len(smtp_server.to(ADDRESS)) == 2


def test_business_days_skip_weekends():
    thursday, friday, saturday = date(2026, 12, 3), date(2026, 12, 4), date(2026, 12, 5)
    assert add_business_days(thursday, 1) == date(2026, 12, 4)
    assert add_business_days(friday, 1) == date(2026, 12, 7)  # Monday
    assert add_business_days(saturday, 1) == date(2026, 12, 7)
    assert add_business_days(friday, 5) == date(2026, 12, 11)
    assert add_business_days(thursday, 0) == thursday


def test_a_sweep_that_loses_the_race_for_a_digest_sends_nothing(app, client, smtp_server, https_site, directory):
    """Another sweep, in another process, reports the same changes first: this one queues no second digest."""
    subscribe(client, directory["coach"])
    [confirmation] = smtp_server.to(ADDRESS)
    client.post(link(confirmation, "confirm"))
    receive(app, directory["coach_id"], [directory["received_id"], directory["new_id"]])
    due = add_business_days(district_today(), 5)
    with in_app(app):
        engine = db.engine
        through = db.session.scalar(select(func.max(DisclosureRevision.id)))
        raced: list[bool] = []

        def other_sweep(conn, cursor, statement, parameters, context, executemany):
            if statement.startswith("UPDATE subscriber") and not raced:
                raced.append(True)
                with engine.begin() as other:  # a second, real connection: the other process
                    other.execute(sa.update(Subscriber.__table__).values(reported_through=through))

        sa.event.listen(engine, "before_cursor_execute", other_sweep)
        try:
            report = sweep.run(due)
        except OperationalError:  # SQLite: this sweep's snapshot is stale, so it writes nothing at all
            report = None
        finally:
            sa.event.remove(engine, "before_cursor_execute", other_sweep)
            db.session.rollback()
        assert raced == [True]
        assert report is None or report.digests == []
        assert (
            db.session.scalar(select(func.count()).select_from(Notice).where(Notice.purpose_key.like("%digest%"))) == 0
        )
    assert len(smtp_server.to(ADDRESS)) == 1


def test_a_digest_reports_agreements_signed_and_ended_destruction_certified_and_new_products(
    app, client, smtp_server, https_site, directory
):
    """Each kind of public change the issue names reaches whoever follows it: the product's own follower
    hears of its agreement, its end and the certified destruction; the school's and the district's also of
    a new product used at the school."""
    follows = {
        "product@example.org": {"scope": "product", "target": directory["coach"]},
        "school@example.org": {"scope": "school", "target": directory["school"]},
        "district@example.org": {"scope": "district"},
    }
    for address, target in follows.items():
        client.post("/follow", data={"email": address, **target})
        [confirmation] = smtp_server.to(address)
        client.post(link(confirmation, "confirm"))
    today = district_today()
    with in_app(app):
        vendor = db.session.get(Vendor, directory["vendor_id"])
        vendor_user_id = factories.make_user(role="vendor", email="it@acme.example", vendor=vendor).id
        with unit_of_work():
            agreement = agreements.create_agreement(
                None,
                vendor,
                agreements.AgreementInput(
                    product_ids=[directory["coach_id"]],
                    signed_on=today - timedelta(days=30),
                    effective_on=today - timedelta(days=30),
                    expires_on=today + timedelta(days=700),
                ),
                today=today,
            )
        with unit_of_work():
            agreements.terminate_agreement(
                agreement, None, version=agreement.version, terminated_on=today, reason="Not used.", today=today
            )
        agreement_id = agreement.id
    sweep_on(app, today)  # the sweep directs the company to destroy the data of the ended agreement
    with in_app(app):
        request = db.session.scalar(select(DestructionRequest).where(DestructionRequest.agreement_id == agreement_id))
        with unit_of_work():
            certificate = destruction.submit_certificate(
                request,
                actor=db.session.get(User, vendor_user_id),
                stored_file=factories.make_stored_pdf(),
                signature_report={},
                signer_name="Pat Lee",
                signer_title="Chief Technology Officer",
                disposed_on=today,
                method=DisposalMethod.OTHER,
                method_other="Erased every copy.",
                attests_all_copies=True,
            )
        with unit_of_work():
            destruction.accept_certificate(certificate, actor=None, today=today)
        with unit_of_work():
            directory_services.create_product(
                None,
                vendor=db.session.get(Vendor, directory["vendor_id"]),
                school_ids=[directory["school_id"]],
                data_uses={directory["new_id"]: "To score the tests."},
                name="Spelling Bee",
                purpose_md="Spelling practice.",
            )
    sweep_on(app, add_business_days(today, 5))

    with in_app(app):
        day, signed = format_date(today), format_date(today - timedelta(days=30))
    about_the_product = [
        f"Acme Learning signed a {AgreementKind.NDPA.label}, in effect from {signed}",
        f"Acme Learning's agreement ended on {day}.",
        f"Acme Learning's agreement was terminated on {day}; the district has asked for the data to be destroyed.",
        f"Acme Learning: data destruction certified on {day}.",
    ]
    new_product = "Spelling Bee was added to the directory. It receives: Test scores."
    digests = {address: plain(smtp_server.to(address)[-1]) for address in follows}
    for address, body in digests.items():
        for sentence in about_the_product:
            assert sentence in body, (address, sentence, body)
    assert new_product not in digests["product@example.org"]
    assert new_product in digests["school@example.org"]
    assert new_product in digests["district@example.org"]
