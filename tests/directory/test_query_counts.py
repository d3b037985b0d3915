"""Every public page runs the same number of SQL queries with 5 rows as with 50."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from clearinghouse.directory.models import DataCategory, DataElement, DataUse, Product, School, Vendor
from clearinghouse.extensions import db
from clearinghouse.timeutil import district_today, utcnow
from tests import factories
from tests.conftest import count_queries, forget_kept_answers, in_app

PAGES = [
    "/",
    "/directory",
    "/directory?q=shared",
    "/directory?q=health+shared",  # a synonym, expanded into the same full-text query
    "/directory?q=sharde",  # a misspelling: the vocabulary of "s" is read once, for the search and "Did you mean …?"
    "/directory?q=salud+shared",  # a Spanish synonym (tests/i18n runs these under /es/ too)
    "/directory?q=zz",  # no word starts so (no full-text query), and too short to correct
    "/directory?element=shared-element&agreement=active",
    "/directory?category=shared-category&school=shared-school&status=approved&sort=updated",
    "/products/featured",
    "/vendors/big-vendor",
    "/data",
    "/data/shared-element",
    "/schools/shared-school",
    "/about",
]


def _grow(total: int) -> None:
    """Bring the catalogue up to `total` products, elements and agreements, all linked together."""
    category = db.session.scalar(select(DataCategory).where(DataCategory.slug == "shared-category"))
    if category is None:
        category = factories.make_category(name="Shared Category", slug="shared-category")
        # Named as in Exhibit B, so that "health" and "salud" find every product.
        factories.make_element(category, name="Medical alerts / health data", slug="shared-element", is_sensitive=True)
        factories.make_school(name="Shared School", slug="shared-school")
        factories.make_vendor(name="Big Vendor", slug="big-vendor")
    shared = db.session.scalar(select(DataElement).where(DataElement.slug == "shared-element"))
    school = db.session.scalar(select(School).where(School.slug == "shared-school"))
    big = db.session.scalar(select(Vendor).where(Vendor.slug == "big-vendor"))
    have = db.session.scalar(select(func.count(Product.id)))
    today = district_today()
    for n in range(have, total):
        element = factories.make_element(category, name=f"Element {n}")
        vendor = big if n % 2 else factories.make_vendor(name=f"Vendor {n}")
        product = factories.make_product(
            vendor,
            name=f"Shared product {n}",
            elements=[shared, element],
            schools=[school],
            purpose_md=f"Shared purpose {n}.",
        )
        factories.make_agreement(
            vendor,
            [product],
            signed_on=today - timedelta(days=10),
            effective_on=today - timedelta(days=10),
            expires_on=today + timedelta(days=n * 20),
        )
        factories.make_revision(vendor, product, occurred_at=utcnow())
    featured = db.session.scalar(select(Product).where(Product.slug == "featured"))
    if featured is None:
        featured = factories.make_product(big, name="Featured", slug="featured")
    featured.data_uses = []
    db.session.flush()

    featured.data_uses = [
        DataUse(data_element_id=e.id, purpose="Because.") for e in db.session.scalars(select(DataElement))
    ]
    for _ in range(len(featured.agreements), total // 5):
        agreement = factories.make_agreement(big, [], expires_on=None)
        featured.agreements.append(agreement)  # made first: making it expires the product's collection
    db.session.commit()


def counts_of_pages(app, client, prefix: str = "") -> dict[str, int]:
    """Each page's queries (under `prefix`: "/es") with nothing kept in the page cache's store: every
    card drawn afresh."""
    counts = {}
    for url in PAGES:
        forget_kept_answers(app)
        with count_queries(app) as statements:
            response = client.get(prefix + url)
        assert response.status_code == 200, prefix + url
        counts[url] = len(statements)
    return counts


def test_each_public_page_runs_a_constant_number_of_queries(app, client):
    with in_app(app):
        _grow(5)
    small = counts_of_pages(app, client)
    with in_app(app):
        _grow(50)
    large = counts_of_pages(app, client)
    assert small == large
    assert max(small.values()) <= 10, small


@pytest.mark.parametrize(("url", "most"), [("/", 3), ("/directory", 7), ("/products/featured", 8), ("/about", 1)])
def test_pages_stay_within_their_query_budget(app, client, url, most):
    with in_app(app):
        _grow(5)
    with count_queries(app) as statements:
        assert client.get(url).status_code == 200
    assert len(statements) <= most, statements


def test_a_synonym_costs_no_query_and_a_word_nobody_has_no_full_text_query(app, client):
    with in_app(app):
        _grow(5)
    # The words of the index that begin with "s" and "z", read once per data version and kept for
    # every anonymous search (the check below and "Did you mean …?"): read them before counting.
    for url in ("/directory?q=sq", "/directory?q=zq"):
        assert client.get(url).status_code == 200
    counts = counts_of_pages(app, client)
    assert counts["/directory?q=health+shared"] == counts["/directory?q=shared"]
    assert counts["/directory?q=salud+shared"] == counts["/directory?q=shared"]
    # No word of the index starts with "sharde" or "zz": no product can match, so no query at all.
    assert counts["/directory?q=sharde"] == counts["/directory?q=zz"] == 0
    assert counts["/directory?q=shared"] > 0


def _cards_of(response) -> str:
    assert response.status_code == 200
    return response.get_data(as_text=True).split('<ul class="cards">', 1)[1].split("</ul>", 1)[0]


def test_a_directory_page_whose_cards_are_kept_reads_nothing_more_for_them(app, client):
    """The cards are kept per product: a page of the same products at another address (so not the kept
    page itself) reads the product rows (which carry what each receives), nothing more for its cards;
    one whose cards are drawn reads the same."""
    with in_app(app):
        _grow(5)
    with count_queries(app) as drawing:
        drawn = _cards_of(client.get("/directory?q=shared"))
    with count_queries(app) as statements:
        kept = _cards_of(client.get("/directory?q=SHARED"))
    assert kept == drawn
    assert "Shared product 4" in kept
    assert [s for s in statements if s.lstrip().startswith("SELECT data_use")] == []
    assert [s for s in statements if "FROM product" in s or "JOIN product" in s]
    assert [s for s in drawing if "received_element_ids" in s] == statements  # the page statement alone, either way


@pytest.mark.parametrize(
    "url",
    [
        "/directory",
        "/directory?element=shared-element",
        "/directory?element=shared-element&agreement=active",
        "/directory?element=shared-element&agreement=expiring&sort=vendor",
        "/es/directory?element=shared-element&agreement=active",
    ],
)
def test_a_page_walked_by_its_kept_counts_reads_no_data_use(app, client, url):
    """What a product receives is asked of the ids it keeps (`Product.received_element_ids`), both by the walk of
    an agreement filter with a data element (`queries.agreement_element_kept`; it probed data_use for each
    product walked) and by the cards (an aggregate of data_use's entries for each product of the page)."""
    with in_app(app):
        _grow(30)
    with count_queries(app) as statements:
        assert client.get(url).status_code == 200
    assert "Shared product" in client.get(url).get_data(as_text=True)
    assert [s for s in statements if "data_use" in s] == []
