"""The product cards of the public lists are kept per data version and language, and unchanged.

An anonymous page draws each card once (`directory.cards`), keeps it in the page cache's store,
and the next page that lists the product takes it from there. The cards must be exactly what the
`listing_card` macro draws, change at once with the data, follow the language, and cost no query.
Run on PostgreSQL with TEST_DATABASE_URL as well.
"""

import re
from datetime import timedelta
from pathlib import Path

import pytest
from flask import render_template_string, url_for
from sqlalchemy import select

from clearinghouse.destruction.models import RequestStatus
from clearinghouse.directory import cards, queries, school_queries, services
from clearinghouse.directory.cards import STATUS_BADGES, Addresses, Wording, kept_addresses, kept_words
from clearinghouse.directory.models import DataElement, ProductKind, School, Vendor
from clearinghouse.extensions import db, unit_of_work
from clearinghouse.i18n import LocalizedText
from clearinghouse.page_cache import ENVIRON_VERSION, page_cache_of
from clearinghouse.timeutil import district_today
from tests import factories
from tests.conftest import client_as, count_queries, in_app

CARDS = re.compile(r'<ul class="cards">\s*(.*?)\s*</ul>', re.DOTALL)
# What the pages drew before a card was built in Python (`directory.cards`): the macros, card after
# card. The drawn cards must stay exactly this, in every language.
BEFORE = Path(__file__).parent / "drawn_before"  # the templates as they were, copied here
LISTING_MACRO = (BEFORE / "listing_card.html").read_text()
LISTINGS = LISTING_MACRO + '{% for l in listings %}{{ listing_card(l, heading="h3") }}{% endfor %}'
USES = LISTING_MACRO + (
    '{% for use in uses %}{{ listing_card(by_product[use.product_id], heading="h3", '
    'purpose=localized(use, "purpose")) }}{% endfor %}'
)
# The school page's cards, as its template drew them before.
SCHOOL_CARDS = (BEFORE / "school_cards.html").read_text()
SCHOOL_SUMMARY = (BEFORE / "school_summary.html").read_text()
SUMMARY = re.compile(r'<ul class="sensitive-summary">\s*(.*?)\s*</ul>', re.DOTALL)


@pytest.fixture
def catalogue(app):
    with in_app(app):
        category = factories.make_category(name="Contact", slug="contact")
        email = factories.make_element(category, name="Email address", slug="email", is_sensitive=True)
        grade = factories.make_element(category, name="Grade level", slug="grade")
        grade.translations = {"es": {"name": "Curso"}}  # one name translated, the others said in English
        vendor = factories.make_vendor(name="Lantern Learning & Co", slug="lantern-learning")
        for n in range(4):
            product = factories.make_product(
                vendor, name=f"Lantern <Reader> {n}", elements=[email, grade], purpose_md=f"Reading *practice* {n}."
            )
        product.translations = {"es": {"purpose_md": "Práctica de *lectura*."}}
        product.data_uses[0].purpose = ""  # its purpose not yet stated
        db.session.commit()
        return vendor.id


def cards_of(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    found = CARDS.search(response.get_data(as_text=True))
    assert found, url
    return found.group(1)


def drawn_by_macro(app, url: str) -> str:
    """The cards as the templates drew them before, for the same rows, in the URL's language."""
    today = district_today()
    with app.test_request_context(url):
        app.preprocess_request()  # the URL's language, as a request sets it
        if "/data/" in url:
            element = queries.get_data_element("email")
            uses = queries.element_receivers(element, 1, app.config["PAGE_SIZE"]).items
            listings = queries.listings([use.product for use in uses], today)
            html = render_template_string(
                USES, uses=uses, by_product={listing.product.id: listing for listing in listings}
            )
        else:
            html = render_template_string(LISTINGS, listings=queries.vendor_page("lantern-learning", today).products)
        db.session.remove()
    return html.strip()  # without the lines that define the macro


@pytest.mark.parametrize(
    "url", ["/vendors/lantern-learning", "/es/vendors/lantern-learning", "/data/email", "/es/data/email"]
)
def test_kept_cards_are_what_the_macro_draws(app, client, catalogue, url):
    made = cards_of(client, url)  # every card drawn and kept
    kept = cards_of(client, f"{url}?again=1")  # another answer (a page cache miss): every card from the store
    assert made == kept == drawn_by_macro(app, url)
    assert made.count('<li class="card listing">') == 4
    assert "Lantern &lt;Reader&gt; 0" in made
    assert "Lantern Learning &amp; Co" in made


@pytest.fixture
def school(app, catalog):
    """Lincoln Elementary's products, with an ended agreement whose data destruction was certified and
    another overdue, a product with no data recorded, and a data element named in Spanish."""
    with in_app(app):
        today = district_today()
        acme = db.session.scalar(select(Vendor).where(Vendor.slug == "acme-learning"))
        lincoln = db.session.scalar(select(School).where(School.slug == "lincoln"))
        birth = db.session.scalar(select(DataElement).where(DataElement.slug == "date-of-birth"))
        birth.translations = {"es": {"name": "Fecha de nacimiento"}}
        for n, status in enumerate([RequestStatus.ACCEPTED, RequestStatus.OPEN]):
            ended = factories.make_agreement(
                acme,
                [],
                signed_on=today - timedelta(days=800),
                effective_on=today - timedelta(days=800 - n),
                expires_on=today - timedelta(days=70),
            )
            spelling = factories.make_product(acme, name=f"Spelling <Bee> {n}", schools=[lincoln])
            ended.products.append(spelling)  # made first: making it expires the agreement's collection
            factories.make_destruction_request(
                acme,
                ended,
                issued_on=today - timedelta(days=90),
                status=status,
                closed_on=today - timedelta(days=5) if status is RequestStatus.ACCEPTED else None,
            )
        factories.make_product(acme, name="Unsigned App", slug="unsigned-app", schools=[lincoln])
        db.session.commit()
    return "lincoln"


def school_page_by_template(app, url: str, template: str) -> str:
    """Part of the school page as its template drew it before, for the same rows, in the URL's language."""
    with app.test_request_context(url):
        app.preprocess_request()
        page = school_queries.school_page("lincoln", district_today(), 1, app.config["PAGE_SIZE"])
        html = render_template_string(template, page=page, status_badges=STATUS_BADGES)
        db.session.remove()
    return html.strip()


@pytest.mark.parametrize("url", ["/schools/lincoln", "/es/schools/lincoln"])
def test_school_cards_are_what_the_template_drew(app, client, school, url):
    response = client.get(url)
    drawn = cards_of(client, url)
    assert drawn == school_page_by_template(app, url, SCHOOL_CARDS)
    summary = SUMMARY.search(response.get_data(as_text=True)).group(1)
    assert summary == school_page_by_template(app, url, SCHOOL_SUMMARY)
    assert summary.count("<li>") == 1
    assert drawn.count('<li class="card listing">') == 5
    assert drawn.count("badge--") == 2 * 5 + 2  # approval and agreement, and two destruction states
    assert "Spelling &lt;Bee&gt; 0" in drawn


def test_the_directory_takes_the_cards_another_page_kept(app, client, catalogue):
    vendor_cards = cards_of(client, "/vendors/lantern-learning")
    assert cards_of(client, "/directory") == vendor_cards  # the same four products, the same order
    assert cards_of(client, "/directory?q=lantern") == vendor_cards


def test_a_card_changes_on_the_next_answer_after_a_public_change(app, client, catalogue, officer_id):
    urls = ["/directory", "/es/directory", "/vendors/lantern-learning", "/data/email"]
    for url in urls:
        assert "Lantern Learning" in cards_of(client, url)
    with in_app(app), unit_of_work():
        vendor = db.session.get(Vendor, catalogue)
        services.update_vendor(vendor, None, version=vendor.version, name="Beacon Learning")
    for url in urls:
        cards = cards_of(client, url)
        assert "Beacon Learning" in cards, url
        assert "Lantern Learning" not in cards, url
    # Through an officer's form too, with the same address asked again.
    with in_app(app):
        version = db.session.get(Vendor, catalogue).version
    form = {"name": "Candle Learning", "website": "https://candle.example", "version": version}
    assert client_as(app, officer_id).post(f"/staff/vendors/{catalogue}/edit", data=form).status_code == 302
    assert "by <a" in cards_of(client, "/directory")
    assert "Candle Learning" in cards_of(client, "/directory")


def test_the_spanish_page_gets_spanish_cards(app, client, catalogue):
    english = cards_of(client, "/directory")
    spanish = cards_of(client, "/es/directory")
    assert "by <a" in english
    assert "Agreement: " in english
    assert "de <a" in spanish
    assert "Acuerdo: " in spanish
    assert "by <a" not in spanish
    assert 'href="/es/products/' in spanish
    assert 'href="/es/products/' not in english
    assert cards_of(client, "/es/directory?q=lantern") == spanish


def _read_what_is_kept_per_version(client) -> None:
    """The reads kept per data version: the search's vocabulary, and the names of sensitive data
    (read to draw a card: here a data element page's, whose cards are not the directory's)."""
    for url in ("/directory?q=zzzz", "/data/email"):
        assert client.get(url).status_code == 200


def test_cards_drawn_or_kept_cost_no_query_and_the_count_stays(app, client, catalogue):
    _read_what_is_kept_per_version(client)
    with count_queries(app) as made:
        cards_of(client, "/directory")
    with count_queries(app) as kept:
        cards_of(client, "/directory?again=1")
    # What each product receives comes with the page's rows: no statement of its own, drawn or kept.
    assert [s for s in made if s.lstrip().startswith("SELECT data_use")] == []
    assert ["received_element_ids" in s for s in made] == [True]
    assert len(kept) == len(made)
    with in_app(app):
        vendor = db.session.get(Vendor, catalogue)
        for n in range(4, 30):
            factories.make_product(vendor, name=f"Lantern Reader {n}")
        db.session.commit()
    _read_what_is_kept_per_version(client)
    with count_queries(app) as more:
        cards_of(client, "/directory")
    assert len(more) == len(made)


def test_a_signed_in_reader_gets_cards_drawn_afresh(app, client, catalogue, officer_id):
    cache = page_cache_of(app)
    anonymous = cards_of(client, "/directory")
    size = len(cache.store._items) if hasattr(cache.store, "_items") else None
    assert cards_of(client_as(app, officer_id), "/directory?signed=1") == anonymous
    if size is not None:
        assert len(cache.store._items) == size  # nothing kept for a signed-in reader


@pytest.mark.parametrize("path", ["/directory", "/es/directory"])
def test_card_addresses_are_url_fors(app, path):
    with app.test_request_context(path):
        app.preprocess_request()
        urls = Addresses()
        for slug in ("lantern-reader-2", "Odd Slug/é", "x"):
            assert urls.product(slug) == url_for("directory.product", slug=slug)
            assert urls.vendor(slug) == url_for("directory.vendor", slug=slug)
            assert urls.element(slug) == url_for("directory.data_element", slug=slug)


def _kept_in(app, path: str, stamp: tuple | None, base_url: str = "http://localhost/") -> tuple[Wording, Addresses]:
    environ = {ENVIRON_VERSION: stamp} if stamp is not None else {}
    with app.test_request_context(path, base_url=base_url, environ_base=environ):
        app.preprocess_request()  # the URL's language, as a request sets it
        words, urls = kept_words(), kept_addresses()
        if stamp is not None:
            assert (kept_words(), kept_addresses()) == (words, urls)
        return words, urls


def test_words_and_addresses_are_kept_per_version_language_and_script_root(app):
    version = (1, "epoch", "2026-11-27")
    words, urls = _kept_in(app, "/directory", version)
    assert _kept_in(app, "/directory?q=other", version) == (words, urls)  # another anonymous page
    spanish_words, spanish_urls = _kept_in(app, "/es/directory", version)
    assert spanish_words is not words
    assert spanish_urls is not urls
    assert spanish_urls.product("x") == "/es/products/x"
    assert urls.product("x") == "/products/x"
    assert spanish_words.gettext("Why it receives this:") != words.gettext("Why it receives this:")
    assert _kept_in(app, "/directory", (2, "epoch", "2026-11-27"))[0] is not words  # the data changed
    mounted = _kept_in(app, "/directory", version, "http://localhost/register/")[1]
    assert mounted.product("x") == "/register/products/x"
    fresh = _kept_in(app, "/directory", None)  # no version read (signed in, a write): made afresh
    assert fresh[0] is not words
    assert fresh[0] is not _kept_in(app, "/directory", None)[0]


def test_a_kept_wording_holds_at_most_its_bound(app, monkeypatch):
    monkeypatch.setattr(cards, "WORDS_KEPT", 3)
    with app.test_request_context("/es/directory"):
        app.preprocess_request()
        words = Wording()
        assert [words.number(n) for n in (5, 6, 7, 8, 5)] == ["5", "6", "7", "8", "5"]
        assert len(words._kept) <= 3


def test_a_kind_renamed_is_named_on_the_next_page(app, client, catalogue):
    assert "· Learning platform</p>" in cards_of(client, "/directory")
    with in_app(app):
        kind = db.session.scalar(select(ProductKind).where(ProductKind.slug == "learning_platform"))
        kind.name = "Study app"
        kind.translations = {"es": {"name": "Aplicación de estudio"}}
        db.session.commit()
    cards = cards_of(client, "/directory?q=lantern")
    assert "· Study app</p>" in cards
    assert "Learning platform" not in cards
    assert "· Aplicación de estudio</p>" in cards_of(client, "/es/directory?q=lantern")


def test_a_cards_data_sentence_is_worded_once_per_count_and_names_as_each_is_marked(app):
    """`Wording.received` keeps "Receives 3 kinds of student data, including …" per count and names; a
    name said in English on a Spanish page is marked, so the same words with another marking are
    another sentence."""
    with app.test_request_context("/es/directory"):
        app.preprocess_request()
        words = Wording()
        in_english = LocalizedText("Email <address>", "en", is_fallback=True)
        marked = words.received(3, [in_english, LocalizedText("Curso", "es")])
        assert marked == (
            'Recibe 3 tipos de datos estudiantiles, 2 de ellos sensibles: <strong><span lang="en">'
            "Email &lt;address&gt;</span></strong>, <strong>Curso</strong>."
        )
        assert words.received(3, [LocalizedText("Email <address>", "en", True), LocalizedText("Curso", "es")]) is marked
        unmarked = words.received(3, [LocalizedText("Email <address>", "es"), LocalizedText("Curso", "es")])
        assert unmarked == (
            "Recibe 3 tipos de datos estudiantiles, 2 de ellos sensibles: <strong>Email &lt;address&gt;</strong>, "
            "<strong>Curso</strong>."
        )
        assert words.received(1, []) == "Recibe 1 tipo de datos estudiantiles."
        assert words.received(4, []) == "Recibe 4 tipos de datos estudiantiles."
