"""The public "what changed" page and its Atom feed."""

import re
from datetime import UTC, datetime, timedelta
from xml.etree import ElementTree as ET

from tests import factories
from tests.conftest import count_queries, in_app

ATOM = "{http://www.w3.org/2005/Atom}"
T0 = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)


def parse_feed(data: bytes) -> ET.Element:
    return ET.fromstring(data)  # noqa: S314 - the app's own feed, not untrusted input


def entries_shown(html: str) -> list[str]:
    return re.findall(r'<li><a href="[^"]+">[^<]+</a>: ([^<]+)</li>', html)


def test_changes_page_is_public_and_groups_changes_by_district_date_newest_first(client, app):
    with in_app(app):
        vendor = factories.make_vendor(name="Acme Learning", slug="acme-learning")
        product = factories.make_product(vendor, name="Acme Math", slug="acme-math")
        factories.make_revision(vendor, product, summary="Acme Math now receives Grades.", occurred_at=T0)
        # 02:00 UTC on March 11 is still March 10 in the district (EDT).
        factories.make_revision(
            vendor,
            None,
            kind="agreement.renewed",
            summary="Agreement renewed until 2029.",
            occurred_at=datetime(2026, 3, 11, 2, 0, tzinfo=UTC),
        )
        factories.make_revision(
            vendor, product, summary="Acme Math: status changed.", occurred_at=T0 + timedelta(days=2)
        )

    response = client.get("/changes")
    html = response.get_data(as_text=True)

    assert response.status_code == 200
    assert "<h1>What changed</h1>" in html
    assert "3 changes" in html
    assert entries_shown(html) == [
        "Acme Math: status changed.",
        "Agreement renewed until 2029.",
        "Acme Math now receives Grades.",
    ]
    days = re.findall(r'<h2 id="day-[^"]+"><time datetime="([^"]+)">([^<]+)</time></h2>', html)
    assert days == [("2026-03-12", "March 12, 2026"), ("2026-03-10", "March 10, 2026")]
    assert '<a href="/products/acme-math">Acme Learning: Acme Math</a>: Acme Math now receives Grades.' in html
    assert '<a href="/vendors/acme-learning">Acme Learning</a>: Agreement renewed until 2029.' in html
    assert 'href="/changes.atom"' in html


def test_changes_page_filters_by_provider_and_paginates_keeping_the_filter(client, app):
    with in_app(app):
        mine = factories.make_vendor(name="Mine Co", slug="mine-co")
        theirs = factories.make_vendor(name="Theirs Co", slug="theirs-co")
        for n in range(35):
            factories.make_revision(mine, summary=f"Mine change {n}.", occurred_at=T0 + timedelta(hours=n))
        factories.make_revision(theirs, summary="Theirs change.", occurred_at=T0)

    first = client.get("/changes?vendor=mine-co").get_data(as_text=True)
    second = client.get("/changes?vendor=mine-co&page=2").get_data(as_text=True)
    everyone = client.get("/changes").get_data(as_text=True)

    assert "35 changes, page 1 of 2" in first
    assert len(entries_shown(first)) == 30
    assert len(entries_shown(second)) == 5
    assert "Theirs change." not in first + second
    assert 'href="/changes?page=2&amp;vendor=mine-co"' in first
    assert '<option selected value="mine-co">Mine Co</option>' in first
    assert "36 changes" in everyone


def test_an_unknown_provider_gets_a_clear_message(client, app):
    with in_app(app):
        factories.make_revision(factories.make_vendor(), summary="A change.", occurred_at=T0)
    response = client.get("/changes?vendor=no-such-vendor")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Choose one of the listed options for “Provider”." in html
    assert "A change." not in html


def test_odd_page_numbers_never_break_the_page(client, app):
    with in_app(app):
        factories.make_revision(factories.make_vendor(), summary="A change.", occurred_at=T0)
    for query in ("page=abc", "page=-1", "page=0", "page=99999", "page=%00"):
        response = client.get(f"/changes?{query}")
        assert response.status_code == 200, query


def test_empty_history_says_so(client):
    assert "No changes yet" in client.get("/changes").get_data(as_text=True)


def test_changes_page_runs_the_same_number_of_queries_for_5_and_30_revisions(client, app):
    def add(n: int) -> None:
        with in_app(app):
            for _ in range(n):
                vendor = factories.make_vendor()
                factories.make_revision(vendor, factories.make_product(vendor), occurred_at=T0)

    def queries(expected: int) -> int:
        with count_queries(app) as statements:
            html = client.get("/changes").get_data(as_text=True)
        assert len(entries_shown(html)) == expected
        return len(statements)

    add(5)
    with_5 = queries(5)
    add(25)
    assert queries(30) == with_5


def test_feed_is_valid_atom_with_the_latest_50_revisions(client, app):
    with in_app(app):
        vendor = factories.make_vendor(name="Acme & <Sons>", slug="acme-sons")
        product = factories.make_product(vendor, name="Reader", slug="acme-sons-reader")
        ids = [
            factories.make_revision(
                vendor,
                product,
                summary=f"Change {n} & <more>.",
                kind="data_use.added",
                occurred_at=T0 + timedelta(minutes=n),
            ).id
            for n in range(55)
        ]
        factories.make_revision(
            vendor, None, kind="agreement.renewed", summary="Renewed.", occurred_at=T0 + timedelta(days=1)
        )

    response = client.get("/changes.atom")

    assert response.status_code == 200
    assert response.mimetype == "application/atom+xml"
    assert response.mimetype_params.get("charset") == "utf-8"
    feed = parse_feed(response.data)
    assert feed.tag == f"{ATOM}feed"
    assert feed.findtext(f"{ATOM}id") == "tag:localhost,2026:changes"
    assert "what changed" in feed.findtext(f"{ATOM}title")
    assert feed.findtext(f"{ATOM}updated") == "2026-03-11T15:00:00Z"
    assert feed.findtext(f"{ATOM}author/{ATOM}name")
    links = {link.get("rel"): link.get("href") for link in feed.findall(f"{ATOM}link")}
    assert links == {"self": "http://localhost/changes.atom", "alternate": "http://localhost/changes"}

    entries = feed.findall(f"{ATOM}entry")
    assert len(entries) == 50
    newest, second = entries[0], entries[1]
    assert newest.findtext(f"{ATOM}title") == "Acme & <Sons>: agreement renewed"
    assert newest.find(f"{ATOM}link").get("href") == "http://localhost/vendors/acme-sons"
    assert second.findtext(f"{ATOM}id") == f"tag:localhost,2026-03-10:revision/{ids[-1]}"
    assert second.findtext(f"{ATOM}title") == "Acme & <Sons>: Reader: receives new student data"
    assert second.findtext(f"{ATOM}updated") == "2026-03-10T15:54:00Z"
    assert second.findtext(f"{ATOM}summary") == "Change 54 & <more>."
    assert second.find(f"{ATOM}summary").get("type") == "text"
    assert second.find(f"{ATOM}link").get("href") == "http://localhost/products/acme-sons-reader"
    assert second.find(f"{ATOM}link").get("rel") == "alternate"
    assert len({entry.findtext(f"{ATOM}id") for entry in entries}) == 50
    assert b"&amp; &lt;more&gt;" in response.data


def test_feed_of_an_empty_history_is_still_valid_atom(client):
    feed = parse_feed(client.get("/changes.atom").data)
    assert feed.findall(f"{ATOM}entry") == []
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", feed.findtext(f"{ATOM}updated"))


def test_feed_runs_the_same_number_of_queries_for_5_and_50_revisions(client, app):
    def add(n: int) -> None:
        with in_app(app):
            for _ in range(n):
                vendor = factories.make_vendor()
                factories.make_revision(vendor, factories.make_product(vendor), occurred_at=T0)

    def queries(expected: int) -> int:
        with count_queries(app) as statements:
            feed = parse_feed(client.get("/changes.atom").data)
        assert len(feed.findall(f"{ATOM}entry")) == expected
        return len(statements)

    add(5)
    with_5 = queries(5)
    add(45)
    assert queries(50) == with_5
