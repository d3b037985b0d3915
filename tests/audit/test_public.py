"""Reading the public change history: a product's recent revisions and the site-wide pages of it."""

from datetime import UTC, date, datetime, timedelta

from flask import render_template

from clearinghouse.audit import public
from tests import factories
from tests.conftest import count_queries, in_app

T0 = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)  # 10:00 in New York


def test_recent_revisions_are_the_products_latest_newest_first(app):
    with in_app(app):
        vendor = factories.make_vendor()
        product, other = factories.make_product(vendor), factories.make_product(vendor)
        for day in range(7):
            factories.make_revision(vendor, product, summary=f"day {day}", occurred_at=T0 + timedelta(days=day))
        factories.make_revision(vendor, other, summary="another product", occurred_at=T0 + timedelta(days=30))
        factories.make_revision(vendor, None, summary="the vendor", occurred_at=T0 + timedelta(days=30))

        unchanged = factories.make_product(vendor)

        assert [r.summary for r in public.recent_revisions(product.id)] == ["day 6", "day 5", "day 4", "day 3", "day 2"]
        assert [r.summary for r in public.recent_revisions(product.id, limit=3)] == ["day 6", "day 5", "day 4"]
        assert public.recent_revisions(unchanged.id) == []


def test_recent_revisions_run_one_query(app):
    with in_app(app):
        vendor = factories.make_vendor()
        product = factories.make_product(vendor)
        for day in range(5):
            factories.make_revision(vendor, product, occurred_at=T0 + timedelta(days=day))
        product_id = product.id
    with count_queries(app) as queries, in_app(app):
        assert len(public.recent_revisions(product_id)) == 5
    assert len(queries) == 1


def test_revisions_on_the_same_instant_keep_the_order_they_were_written(app):
    with in_app(app):
        vendor = factories.make_vendor()
        product = factories.make_product(vendor)
        for n in range(3):
            factories.make_revision(vendor, product, summary=f"change {n}", occurred_at=T0)
        assert [r.summary for r in public.recent_revisions(product.id)] == ["change 2", "change 1", "change 0"]


def test_revisions_page_links_each_entry_to_its_product_or_vendor(app):
    with in_app(app):
        vendor = factories.make_vendor(name="Acme Learning")
        product = factories.make_product(vendor, name="Acme Math", slug="acme-math")
        factories.make_revision(vendor, product, summary="product change", occurred_at=T0)
        factories.make_revision(
            vendor, None, kind="agreement.renewed", summary="vendor change", occurred_at=T0 + timedelta(hours=1)
        )
        page = public.revisions_page(1, 10)

    assert page.total == 2
    vendor_entry, product_entry = page.items
    with app.test_request_context("/changes"):
        assert (vendor_entry.revision.summary, vendor_entry.path, vendor_entry.subject) == (
            "vendor change",
            "/vendors/acme-learning",
            "Acme Learning",
        )
        assert (product_entry.revision.summary, product_entry.path, product_entry.subject) == (
            "product change",
            "/products/acme-math",
            "Acme Learning: Acme Math",
        )
    with app.test_request_context("/es/changes"):
        app.preprocess_request()  # the language comes from the URL
        assert (vendor_entry.path, product_entry.path) == ("/es/vendors/acme-learning", "/es/products/acme-math")


def test_revisions_page_filters_by_vendor_and_paginates(app):
    with in_app(app):
        mine, theirs = factories.make_vendor(), factories.make_vendor()
        for n in range(7):
            factories.make_revision(mine, summary=f"mine {n}", occurred_at=T0 + timedelta(minutes=n))
        factories.make_revision(theirs, summary="theirs", occurred_at=T0 + timedelta(days=1))
        first = public.revisions_page(1, 3, vendor_id=mine.id)
        last = public.revisions_page(3, 3, vendor_id=mine.id)
        beyond = public.revisions_page(9, 3, vendor_id=mine.id)
        everyone = public.revisions_page(1, 3)
        choices = public.vendors_with_revisions()

        assert (first.total, first.pages) == (7, 3)
        assert [e.revision.summary for e in first.items] == ["mine 6", "mine 5", "mine 4"]
        assert [e.revision.summary for e in last.items] == ["mine 0"]
        assert beyond.items == []
        assert everyone.items[0].revision.summary == "theirs"
        assert choices == sorted(
            [(mine.id, mine.name, mine.slug), (theirs.id, theirs.name, theirs.slug)], key=lambda c: c[1]
        )
        factories.make_vendor(name="AAA No Changes Yet")
        assert public.vendors_with_revisions() == choices


def test_group_by_day_uses_the_district_calendar(app):
    with in_app(app):
        vendor = factories.make_vendor()
        # 03:00 UTC on March 3 is still March 2 in New York.
        factories.make_revision(vendor, summary="late evening", occurred_at=datetime(2026, 3, 3, 3, 0, tzinfo=UTC))
        factories.make_revision(vendor, summary="morning", occurred_at=datetime(2026, 3, 2, 14, 0, tzinfo=UTC))
        factories.make_revision(vendor, summary="next day", occurred_at=datetime(2026, 3, 3, 14, 0, tzinfo=UTC))
        with app.test_request_context():
            groups = public.group_by_day(public.revisions_page(1, 10).items)

    assert [(day, [e.revision.summary for e in entries]) for day, entries in groups] == [
        (date(2026, 3, 3), ["next day"]),
        (date(2026, 3, 2), ["late evening", "morning"]),
    ]


def test_product_history_partial_shows_the_latest_date_and_each_change(app):
    with in_app(app):
        vendor = factories.make_vendor()
        product = factories.make_product(vendor)
        factories.make_revision(
            vendor,
            product,
            summary="Reads & Co now receives <Grades>.",
            occurred_at=datetime(2026, 3, 1, 15, 0, tzinfo=UTC),
        )
        factories.make_revision(
            vendor, product, summary="Status changed.", occurred_at=datetime(2026, 4, 9, 15, 0, tzinfo=UTC)
        )
        with app.test_request_context():
            html = render_template("audit/_product_history.html", revisions=public.recent_revisions(product.id))
            empty = render_template("audit/_product_history.html", revisions=[])

    assert 'Updated on <time datetime="2026-04-09T15:00:00+00:00">April 9, 2026</time>.' in html
    assert "March 1, 2026</time>: Reads &amp; Co now receives &lt;Grades&gt;." in html
    assert html.index("Status changed.") < html.index("Reads &amp; Co")
    assert "No public changes have been recorded for this product yet." in empty
    assert "Updated on" not in empty
