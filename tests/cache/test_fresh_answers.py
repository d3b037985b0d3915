"""The public answers' cache serves answers again, and never one older than the last change.

Each write path (an officer's form, the importer's command, the sweep, the demo loader, raw SQL as
a migration would run it) changes data between two anonymous requests for the same address; the
second answer shows the change at once. Run on PostgreSQL with TEST_DATABASE_URL as well.
"""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from clearinghouse import timeutil
from clearinghouse.accounts.models import User
from clearinghouse.extensions import db, unit_of_work
from clearinghouse.page_cache import page_cache_of
from clearinghouse.settings.services import ensure_settings
from clearinghouse.timeutil import district_today
from tests import factories
from tests.conftest import client_as, in_app
from tests.imports.conftest import SB29


class Counter:
    """How many answers the cache served and made since the last look."""

    def __init__(self, app):
        self.cache = page_cache_of(app)
        self.hits, self.misses = self.cache.hits, self.cache.misses

    def since(self) -> tuple[int, int]:
        hits, misses = self.cache.hits - self.hits, self.cache.misses - self.misses
        self.hits, self.misses = self.cache.hits, self.cache.misses
        return hits, misses


def text_of(client, url: str, **kwargs) -> str:
    response = client.get(url, **kwargs)
    assert response.status_code == 200, (url, response.status_code)
    return response.get_data(as_text=True)


def served_twice(app, client, url: str) -> str:
    """The answer, asked for twice: made once, then served from the cache, the same."""
    counter = Counter(app)
    first = text_of(client, url)
    assert text_of(client, url) == first
    assert counter.since() == (1, 1), f"{url} was not served from the cache the second time"
    return first


@pytest.fixture
def vendor(app):
    with in_app(app):
        vendor = factories.make_vendor(name="Lantern Learning", slug="lantern-learning")
        factories.make_product(vendor, name="Lantern Reader", slug="lantern-reader")
        return vendor.id, vendor.version


def test_an_officers_form_reaches_the_next_answer_in_every_form_and_language(app, client, officer_id, vendor):
    vendor_id, version = vendor
    urls = ["/vendors/lantern-learning", "/es/vendors/lantern-learning", "/api/v1/vendors/lantern-learning",
            "/directory", "/directory.csv", "/api/v1/vendors"]  # fmt: skip
    for url in urls:
        assert "Lantern Learning" in served_twice(app, client, url)
    form = {"name": "Beacon Learning", "website": "https://beacon.example", "version": version}
    response = client_as(app, officer_id).post(f"/staff/vendors/{vendor_id}/edit", data=form)
    assert response.status_code == 302
    for url in urls:
        answer = text_of(client, url)
        assert "Beacon Learning" in answer, url
        assert "Lantern Learning" not in answer, url


def test_the_importer_command_reaches_the_next_answer(app, client, runner):
    assert "Canvas LMS" not in served_twice(app, client, "/directory?q=canvas")
    result = runner.invoke(args=["import-inventory", str(SB29), "--yes"])
    assert result.exit_code == 0, result.output
    assert "Canvas LMS" in text_of(client, "/directory?q=canvas")


def test_the_sweep_reaches_the_next_answer(app, client, runner):
    with in_app(app):
        vendor = factories.make_vendor(name="Ended Co.", slug="ended-co", contact_email="privacy@ended.example")
        product = factories.make_product(vendor, name="Ended App", slug="ended-app")
        factories.make_agreement(vendor, [product], expires_on=district_today() - timedelta(days=1))
    before = served_twice(app, client, "/products/ended-app")
    assert "Data destruction pending" not in before
    result = runner.invoke(args=["sweep", "--no-deliver"])
    assert result.exit_code == 0, result.output
    assert "Data destruction pending" in text_of(client, "/products/ended-app")


def test_the_demo_loader_reaches_the_next_answer(app, client, runner):
    before = served_twice(app, client, "/api/v1/vendors")
    assert '"total":0' in before
    result = runner.invoke(args=["demo-data", "--today", district_today().isoformat()])
    assert result.exit_code == 0, result.output
    assert '"total":0' not in text_of(client, "/api/v1/vendors")


def test_raw_sql_as_a_migration_runs_it_reaches_the_next_answer(app, client, vendor):
    with in_app(app), unit_of_work():
        ensure_settings()
    assert "Lantern Reader" in served_twice(app, client, "/products/lantern-reader")
    served_twice(app, client, "/about")
    with in_app(app), db.engine.begin() as conn:
        conn.execute(sa.text("UPDATE product SET name = 'Torch Reader' WHERE slug = 'lantern-reader'"))
    assert "Torch Reader" in text_of(client, "/products/lantern-reader")
    with in_app(app), db.engine.begin() as conn:
        conn.execute(sa.text("UPDATE district_settings SET district_name = 'Harbor Unified'"))
    assert "Harbor Unified" in text_of(client, "/about")


def test_a_new_day_is_a_new_answer_for_states_that_come_from_the_date(app, client, monkeypatch):
    today = district_today()
    with in_app(app):
        vendor = factories.make_vendor(name="Dated Co.", slug="dated-co")
        product = factories.make_product(vendor, name="Dated App", slug="dated-app")
        factories.make_agreement(vendor, [product], expires_on=today)
    url = "/api/v1/products/dated-app"
    before = served_twice(app, client, url)
    assert '"state":"expired"' not in before
    tomorrow = timeutil.utcnow() + timedelta(days=1)
    monkeypatch.setattr(timeutil, "utcnow", lambda: tomorrow)  # the clock moves on; no row changes
    assert '"state":"expired"' in text_of(client, url)


def test_html_pages_carry_an_etag_and_answer_304_from_the_cache_and_without_it(app, client, vendor):
    first = client.get("/vendors/lantern-learning")
    etag = first.headers["ETag"]
    assert first.headers["Cache-Control"] == "no-cache"
    counter = Counter(app)
    again = client.get("/vendors/lantern-learning", headers={"If-None-Match": etag})
    assert (again.status_code, again.get_data(), counter.since()) == (304, b"", (1, 0))
    assert again.headers["ETag"] == etag
    assert client.get("/vendors/lantern-learning", headers={"If-None-Match": '"other"'}).status_code == 200
    with in_app(app), db.engine.begin() as conn:
        conn.execute(sa.text("UPDATE vendor SET name = 'Changed Co.' WHERE slug = 'lantern-learning'"))
    changed = client.get("/vendors/lantern-learning", headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["ETag"] != etag
    head = client.head("/vendors/lantern-learning")
    assert (head.status_code, head.get_data()) == (200, b"")
    assert head.headers["ETag"] == changed.headers["ETag"]


def test_the_query_is_normalised_without_letting_two_answers_meet(app, client, vendor):
    counter = Counter(app)
    text_of(client, "/directory?q=lantern&status=all")
    text_of(client, "/directory?status=all&q=lantern&school=")  # same question: sorted, blank dropped
    assert counter.since() == (1, 1)
    text_of(client, "/directory?q=lantern&status=all&unknown=1")  # an unknown parameter is kept
    text_of(client, "/directory?q=other&q=lantern&status=all")  # a repeated one keeps its order
    assert counter.since() == (0, 2)
    assert client.get("/api/v1/products").status_code == 200
    assert client.get("/api/v1/products?page=").status_code == 400  # the API's blank is an error, not a default


def test_signed_in_readers_bypass_the_cache(app, client, officer_id, vendor):
    served_twice(app, client, "/vendors/lantern-learning")
    counter = Counter(app)
    officer = client_as(app, officer_id)
    page = officer.get("/vendors/lantern-learning")
    assert page.headers["Cache-Control"] == "no-store"
    assert counter.since() == (0, 0)


def test_nothing_about_a_signed_in_reader_is_stored(app, client, officer_id, vendor):
    with in_app(app):
        name = db.session.get(User, officer_id).name
    officer_page = text_of(client_as(app, officer_id), "/vendors/lantern-learning")
    assert name in officer_page
    assert name not in text_of(client, "/vendors/lantern-learning")


def test_a_reset_after_restoring_a_backup_puts_every_kept_answer_out_of_reach(app, client, runner, vendor):
    served_twice(app, client, "/vendors/lantern-learning")
    result = runner.invoke(args=["page-cache", "reset"])
    assert result.exit_code == 0, result.output
    counter = Counter(app)
    text_of(client, "/vendors/lantern-learning")
    assert counter.since() == (0, 1)


def test_the_filter_lists_kept_for_every_search_follow_a_change(app, client, vendor):
    assert "Seaside Elementary" not in text_of(client, "/directory?q=first")
    with in_app(app):
        factories.make_school(name="Seaside Elementary")
    assert "Seaside Elementary" in text_of(client, "/directory?q=second")  # another search, the new list
