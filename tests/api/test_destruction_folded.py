"""The API's lists of products read their agreements' destruction requests with the agreements (`api.queries.
product_data`: one statement, not one of their own), and word each agreement's public status by the one rule of
`destruction.public` (`status_among`): a request still waiting on the vendor wins over a closed one, among equals the
latest issued, withdrawn requests have none. Main read the requests in a statement of their own."""

import itertools
from datetime import timedelta

import pytest
from sqlalchemy import select

from clearinghouse.agreements.models import agreement_product
from clearinghouse.api import queries
from clearinghouse.destruction.models import RequestStatus
from clearinghouse.destruction.public import PublicRequest, status_among, status_by_agreement
from clearinghouse.directory.models import Product, School
from clearinghouse.extensions import db
from clearinghouse.timeutil import district_today, format_date
from tests import factories
from tests.conftest import count_queries, in_app
from tests.directory.plans import statements_of


def _requests_of(vendor, agreement, today, *requests) -> None:
    """Requests of `agreement`, made in the order given (so their ids follow it): (status, issued days ago, due
    days ahead, closed days ago or None)."""
    for status, issued, due, closed in requests:
        factories.make_destruction_request(
            vendor,
            agreement,
            status=status,
            issued_on=today - timedelta(days=issued),
            due_on=today + timedelta(days=due),
            closed_on=None if closed is None else today - timedelta(days=closed),
        )


OPEN, SUBMITTED, ACCEPTED, WITHDRAWN = (
    RequestStatus.OPEN,
    RequestStatus.SUBMITTED,
    RequestStatus.ACCEPTED,
    RequestStatus.WITHDRAWN,
)


def _catalogue(today):
    """Products under agreements with several requests each, in every state; one agreement shared by two products,
    a product under two agreements. Returns {agreement name: agreement id} and the products' slugs."""
    vendor = factories.make_vendor()
    school = factories.make_school()
    products = [factories.make_product(vendor, schools=[school]) for _ in range(6)]
    ended = {"signed_on": today - timedelta(days=900), "effective_on": today - timedelta(days=900)}
    ended["terminated_on"] = today - timedelta(days=400)
    agreements = {
        # shared by the first two products
        "open after a closed one": factories.make_agreement(vendor, products[:2], **ended),
        "two closed": factories.make_agreement(vendor, [products[2]], **ended),
        "withdrawn only": factories.make_agreement(vendor, [products[3]], **ended),
        "withdrawn and closed": factories.make_agreement(vendor, [products[3]], **ended),
        "submitted before a closed one": factories.make_agreement(vendor, [products[4]], **ended),
        "overdue among closed ones": factories.make_agreement(vendor, [products[5]], **ended),
        "closed the same day": factories.make_agreement(vendor, [products[0]], **ended),
        "none": factories.make_agreement(vendor, [products[5]]),
    }
    _requests_of(vendor, agreements["open after a closed one"], today, (ACCEPTED, 100, -40, 50), (OPEN, 300, 60, None))
    # made latest first: the one issued last wins, not the one made last
    _requests_of(vendor, agreements["two closed"], today, (ACCEPTED, 100, -40, 30), (ACCEPTED, 300, -240, 250))
    _requests_of(vendor, agreements["withdrawn only"], today, (WITHDRAWN, 20, 40, 10))
    _requests_of(vendor, agreements["withdrawn and closed"], today, (WITHDRAWN, 20, 40, 10), (ACCEPTED, 200, -140, 150))
    _requests_of(
        vendor, agreements["submitted before a closed one"], today, (SUBMITTED, 300, -5, None), (ACCEPTED, 100, -40, 60)
    )
    _requests_of(
        vendor,
        agreements["overdue among closed ones"],
        today,
        (ACCEPTED, 500, -440, 450),
        (OPEN, 90, -30, None),
        (ACCEPTED, 10, 50, 5),
    )
    _requests_of(vendor, agreements["closed the same day"], today, (ACCEPTED, 100, -40, 70), (ACCEPTED, 100, -40, 80))
    return {name: agreement.id for name, agreement in agreements.items()}, vendor, school


def _expected(today) -> dict[str, tuple[str, str] | None]:
    """Each agreement's public status (label, badge) by the rule, None where it has none."""

    def day(days: int) -> str:
        return format_date(today + timedelta(days=days))

    return {
        "open after a closed one": (f"Data destruction pending (due {day(60)})", "warn"),
        "two closed": (f"Data destruction certified on {day(-30)}", "ok"),
        "withdrawn only": None,
        "withdrawn and closed": (f"Data destruction certified on {day(-150)}", "ok"),
        "submitted before a closed one": (
            f"Data destruction certificate received, under review (due {day(-5)})",
            "warn",
        ),
        "overdue among closed ones": (f"Data destruction overdue since {day(-29)}", "bad"),
        "closed the same day": (f"Data destruction certified on {day(-80)}", "ok"),
        "none": None,
    }


def test_a_pages_agreements_bring_their_destruction_statuses_chosen_by_the_rule(app):
    """`product_data` gives each agreement the status `status_by_agreement` gives it (the directory's pages), in its
    two statements, for agreements of several requests in every state, one shared by two products."""
    with in_app(app):
        today = district_today()
        ids, vendor, _ = _catalogue(today)
        expected = _expected(today)
        rows = db.session.execute(queries.product_rows(Product.vendor_id == vendor.id).order_by(Product.id)).all()
        data, statements = statements_of(lambda: queries.product_data(rows, today))
        by_rule = status_by_agreement(list(ids.values()), today)
    assert len(statements) == 2
    assert data.destruction == by_rule
    for name, agreement_id in ids.items():
        status = data.destruction.get(agreement_id)
        assert (None if status is None else (status.label, status.badge)) == expected[name], name
    shared = ids["open after a closed one"]
    assert [sorted(a.id for a in data.agreements[row.id]) for row in rows[:2]] == [
        sorted([shared, ids["closed the same day"]]),
        [shared],
    ]


@pytest.mark.parametrize("path", ["/api/v1/products?per_page=100", "/api/v1/products?agreement=terminated"])
def test_the_api_says_each_agreements_destruction_status_by_the_rule(app, client, path):
    with in_app(app):
        today = district_today()
        ids, _, _ = _catalogue(today)
        expected = _expected(today)
    said = {
        agreement["id"]: agreement["destruction"]
        for product in client.get(path).json["data"]
        for agreement in product["agreements"]
    }
    for name, agreement_id in ids.items():
        if agreement_id in said:
            facts = expected[name]
            assert said[agreement_id] == (None if facts is None else {"label": facts[0], "badge": facts[1]}), name
    assert len(said) == (6 if "terminated" in path else 8)


def _sent(app, client, path: str) -> list[str]:
    # What a page reads first (the district's settings), and the statements made once; then a miss of the page cache.
    client.get(path + ("&" if "?" in path else "?") + "warm=1")
    with count_queries(app) as statements:
        assert client.get(path).status_code == 200
    return statements


@pytest.mark.parametrize(
    ("path", "count"),
    [
        ("/api/v1/products?per_page=100", 3),
        ("/api/v1/products?agreement=terminated", 3),
        ("/api/v1/products?status=all&per_page=3&page=2", 3),
        ("/api/v1/products/{product}", 3),
        ("/api/v1/schools/{school}?per_page=4", 4),
        ("/api/v1/agreements?per_page=100", 3),
    ],
)
def test_a_list_reads_no_destruction_request_apart(app, client, path, count):
    """A list of products, a product, a school's products and the list of agreements read the agreements' destruction
    requests with the agreements (or their products): a statement less than main's, which read them apart."""
    with in_app(app):
        today = district_today()
        _, vendor, school = _catalogue(today)
        product = db.session.scalar(select(Product.slug).where(Product.vendor_id == vendor.id).order_by(Product.id))
        school_slug = db.session.scalar(select(School.slug).where(School.id == school.id))
    statements = _sent(app, client, path.format(product=product, school=school_slug))
    reading_requests = [statement for statement in statements if "destruction_request" in statement]
    assert len(reading_requests) == 1
    assert "agreement_product" in reading_requests[0]
    assert len(statements) == count, statements


def test_the_status_among_requests_does_not_depend_on_their_order(app):
    """`status_among` reads the requests in any order (a statement's rows come in none)."""
    with in_app(app):
        today = district_today()
        requests = [
            PublicRequest(
                1, ACCEPTED, today - timedelta(days=300), today - timedelta(days=240), today - timedelta(days=250)
            ),
            PublicRequest(2, OPEN, today - timedelta(days=200), today + timedelta(days=20), None),
            PublicRequest(
                3, ACCEPTED, today - timedelta(days=100), today - timedelta(days=40), today - timedelta(days=50)
            ),
            PublicRequest(
                4, ACCEPTED, today - timedelta(days=100), today - timedelta(days=40), today - timedelta(days=45)
            ),
        ]
        chosen = {status_among(order, today) for order in itertools.permutations(requests)}
        closed = {status_among(order, today) for order in itertools.permutations([requests[0], *requests[2:]])}
    assert [(status.request_id, status.badge) for status in chosen] == [(2, "warn")]
    assert [status.request_id for status in closed] == [4]
    assert status_among([], today) is None


def test_the_list_of_agreements_says_each_ones_destruction_status_by_the_rule(app, client):
    """`/agreements` reads each agreement's products and requests in one statement (`api.queries.agreement_data`):
    an agreement's several products and requests, and one that covers no product, each said once."""
    with in_app(app):
        today = district_today()
        ids, vendor, _ = _catalogue(today)
        expected = _expected(today)
        bare = factories.make_agreement(vendor)
        _requests_of(vendor, bare, today, (ACCEPTED, 50, 10, 20), (OPEN, 10, 50, None))
        expected["covering nothing"] = (
            f"Data destruction pending (due {format_date(today + timedelta(days=50))})",
            "warn",
        )
        ids["covering nothing"] = bare.id
        covered = {
            agreement_id: sorted(
                db.session.scalars(
                    select(Product.slug)
                    .join(agreement_product, agreement_product.c.product_id == Product.id)
                    .where(agreement_product.c.agreement_id == agreement_id)
                )
            )
            for agreement_id in ids.values()
        }
    said = {agreement["id"]: agreement for agreement in client.get("/api/v1/agreements?per_page=100").json["data"]}
    for name, agreement_id in ids.items():
        facts = expected[name]
        assert said[agreement_id]["destruction"] == (None if facts is None else {"label": facts[0], "badge": facts[1]})
        assert sorted(product["slug"] for product in said[agreement_id]["products"]) == covered[agreement_id], name
    assert said[bare.id]["products"] == []
