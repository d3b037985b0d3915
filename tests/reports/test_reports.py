"""Public reports: the aggregate figures, their accessible SVG charts and tables, and query counts."""

import re
from datetime import date

import pytest
from psycopg import _queries as psycopg_queries
from sqlalchemy.dialects import postgresql

from clearinghouse.destruction.models import CertificateStatus, RequestStatus
from clearinghouse.extensions import db
from clearinghouse.reports import charts, queries
from clearinghouse.reports.queries import Bar, Figure
from tests import factories
from tests.api.sample import SECRETS, build_directory, make_certificate, make_request, many_products
from tests.conftest import count_queries, in_app

TODAY = date(2026, 11, 22)


def bars(figure: Figure) -> dict[str, int]:
    return {bar.label: bar.value for bar in figure.bars}


@pytest.fixture
def directory(app) -> dict[str, int]:
    with in_app(app):
        return build_directory()


def test_products_are_counted_per_category_sensitive_element_and_school(app, directory):
    with in_app(app):
        report = queries.build_report(TODAY)
    categories, sensitive, _, _, _, _, schools = report.figures
    assert bars(categories) == {"Demographics": 2, "Health": 1}  # the retired product counts nowhere
    assert bars(sensitive) == {"Allergies (Health)": 1, "Immunizations (Health)": 0}
    assert bars(schools) == {"North Elementary": 2, "South Middle": 1}


def test_agreements_are_counted_by_their_state_today(app, directory):
    with in_app(app):
        figure = queries.agreements_by_state(TODAY)
    counts = bars(figure)
    assert counts["Active"] == 1
    assert counts["Terminated"] == 1
    assert sum(counts.values()) == 2
    with in_app(app):
        assert bars(queries.agreements_by_state(date(2028, 5, 1)))["Expiring soon"] == 1


def test_destruction_compliance_counts_on_time_late_overdue_and_open(app):
    with in_app(app):
        vendor = factories.make_vendor()
        on_time = make_request(
            vendor, status=RequestStatus.ACCEPTED, due_on=date(2026, 3, 1), closed_on=date(2026, 3, 5)
        )
        make_certificate(on_time, submitted_on=date(2026, 2, 20), status=CertificateStatus.REJECTED)
        make_certificate(on_time, submitted_on=date(2026, 2, 27))
        late = make_request(vendor, status=RequestStatus.ACCEPTED, due_on=date(2026, 3, 1), closed_on=date(2026, 4, 2))
        make_certificate(late, submitted_on=date(2026, 3, 30))
        make_request(vendor, status=RequestStatus.OPEN, due_on=date(2026, 11, 1))  # overdue
        make_request(vendor, status=RequestStatus.OPEN, due_on=date(2026, 12, 1))  # open, not yet due
        make_request(vendor, status=RequestStatus.SUBMITTED, due_on=date(2026, 10, 1))  # under review
        make_request(vendor, status=RequestStatus.WITHDRAWN, due_on=date(2026, 1, 1))  # left out
        figure = queries.destruction_compliance(TODAY)
    assert [bar.value for bar in figure.bars] == [1, 1, 1, 2]
    assert [bar.tone for bar in figure.bars] == ["ok", "warn", "bad", "neutral"]


def test_overlap_lists_kinds_where_different_schools_use_different_products(app, directory):
    with in_app(app):
        assert queries.overlapping_products() == []  # one reading product in use: nothing overlaps
        north = factories.make_school(name="East High", slug="east-high")
        factories.make_product(name="Cee Reading", slug="cee-reading", kind="reading", schools=[north])
        factories.make_product(name="Unplaced Reading", kind="reading")  # no school: not counted
        [overlap] = queries.overlapping_products()
    assert overlap.kind.slug == "reading"
    assert [(p.name, p.schools) for p in overlap.products] == [
        ("Beta Reader", "North Elementary, South Middle"),
        ("Cee Reading", "East High"),
    ]
    assert overlap.school_count == 3


def test_a_kind_with_many_products_lists_the_first_and_says_how_many_more(app, client, monkeypatch):
    monkeypatch.setattr(queries, "OVERLAP_LISTED", 2)
    with in_app(app):
        schools = [factories.make_school(name=name) for name in ("West Elementary", "East High")]
        for n, name in enumerate(["Delta Maths", "Alpha Maths", "Gamma Maths", "Beta Maths"]):
            factories.make_product(name=name, kind="math", schools=[schools[n % 2]])
        [overlap] = queries.overlapping_products()
    assert [p.name for p in overlap.products] == ["Alpha Maths", "Beta Maths"]
    assert (overlap.product_count, overlap.school_count, overlap.more) == (4, 2, 2)
    page = client.get("/reports/").get_data(as_text=True)
    assert "4 products at 2 schools" in page
    assert "Beta Maths" in page
    assert "Gamma Maths" not in page
    assert (
        'And 2 more products of this kind. <a href="/reports/overlap/math">All 4, with the schools that use them</a>'
    ) in page


def test_each_kind_lists_its_own_first_products_in_use(app, monkeypatch):
    """The first OVERLAP_LISTED products of each overlapping kind are found kind by kind (a LATERAL walk on
    PostgreSQL, a numbering window on SQLite): each kind its own first ones by name, with their schools,
    products not in use (retired, of a retired vendor) or used nowhere passed over."""
    monkeypatch.setattr(queries, "OVERLAP_LISTED", 2)
    queries._overlap_statement.cache_clear()  # built once per database and number listed
    with in_app(app):
        schools = [factories.make_school(name=name) for name in ("West Elementary", "East High")]
        gone = factories.make_vendor(name="Gone Vendor")
        for kind in ("math", "reading", "learning_platform"):
            factories.make_product(name=f"Aardvark {kind}", kind=kind, vendor=gone, schools=schools)
            factories.make_product(name=f"Abacus {kind}", kind=kind, status="retired", schools=schools)
            factories.make_product(name=f"Able {kind}", kind=kind)  # used at no school
            for n, name in enumerate(["Delta", "Alpha", "Gamma", "Beta"]):
                factories.make_product(name=f"{name} {kind}", kind=kind, schools=schools[: n % 2 + 1])
        gone.is_retired = True
        db.session.commit()
        overlaps = {overlap.kind.slug: overlap for overlap in queries.overlapping_products()}
    queries._overlap_statement.cache_clear()
    assert sorted(overlaps) == ["learning_platform", "math", "reading"]
    for kind, overlap in overlaps.items():
        assert [(p.name, p.schools) for p in overlap.products] == [
            (f"Alpha {kind}", "East High, West Elementary"),
            (f"Beta {kind}", "East High, West Elementary"),
        ]
        assert (overlap.product_count, overlap.more) == (4, 2)


def test_overlap_rows_escape_hostile_names_and_join_schools_by_name(app, client):
    """The overlap's statement (a LATERAL walk read from its index on PostgreSQL) and its rows drawn in
    Python: names with markup, ampersands and quotes are escaped, a product's schools joined by name
    whatever order they were made in."""
    with in_app(app):
        schools = [
            factories.make_school(name=name, slug=slug)
            for name, slug in (("Zeta <script>", "zeta"), ("Alpha & Omega", "alpha"), ("Mid 'Quote' \"School\"", "mid"))
        ]
        vendor = factories.make_vendor(name='Acme "Learning" & <Co>', slug="acme")
        factories.make_product(
            vendor, name='<script>alert(1)</script> & "Maths"', slug="hostile", kind="math", schools=schools
        )
        factories.make_product(name="Plain Maths", slug="plain-maths", kind="math", schools=schools[:1])
    page = client.get("/reports/").get_data(as_text=True)
    assert (
        '<th scope="row"><a href="/products/hostile">'
        "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &#34;Maths&#34;</a></th>\n"
        "            <td>Acme &#34;Learning&#34; &amp; &lt;Co&gt;</td>\n"
        "            <td>Alpha &amp; Omega, Mid &#39;Quote&#39; &#34;School&#34;, Zeta &lt;script&gt;</td>"
    ) in page
    assert "<script>alert" not in page


def test_reports_page_is_public_with_an_accessible_chart_and_table_for_each_figure(client, directory):
    response = client.get("/reports/")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert page.count("<h1") == 1
    svgs = re.findall(r"<svg[^>]*>.*?</svg>", page, flags=re.S)
    assert len(svgs) == 7
    for svg in svgs:
        assert 'role="img"' in svg
        title_id, desc_id = re.search(r'aria-labelledby="([^" ]+) ([^"]+)"', svg).groups()
        assert f'<title id="{title_id}">' in svg
        assert f'<desc id="{desc_id}">' in svg
    assert page.count("<table") == 7 + 0  # one text equivalent per chart; no overlap table yet
    assert "No overlap found." in page
    assert "style=" not in page
    assert "<script>" not in page
    assert "<script " not in page.replace('<script src="', "")
    assert '<th scope="row">Demographics</th><td class="number">2</td>' in page


def test_reports_never_name_people_or_show_private_notes(client, directory):
    page = client.get("/reports/").get_data(as_text=True)
    for label, secret in SECRETS.items():
        assert secret not in page, label


def test_empty_reports_say_so(client):
    page = client.get("/reports/").get_data(as_text=True)
    assert "Nothing to count yet." in page
    assert "No overlap found." in page


def test_reports_page_runs_a_constant_number_of_queries(app, client):
    with in_app(app):
        many_products(5)
    with count_queries(app) as few:
        assert client.get("/reports/").status_code == 200
    with in_app(app):
        many_products(40, start=5)
    with count_queries(app) as many:
        page = client.get("/reports/").get_data(as_text=True)
    assert "Bulk Product 018" in page  # the first OVERLAP_LISTED of each kind ("math" lists the odd ones)
    assert "Bulk Product 044" not in page  # on the kind's own pages (reports.overlap)
    assert len(many) == len(few), many


def test_bars_are_scaled_to_the_largest_value_and_long_labels_shortened():
    figure = Figure(
        "f", "Title", "What is counted.", "Products", "Label", [Bar("A" * 60, 10), Bar("Short", 5), Bar("None", 0)]
    )
    chart = charts.bar_chart(figure)
    widths = [bar.width for bar in chart.bars]
    assert widths[0] == 2 * widths[1]
    assert widths[2] == 0
    assert chart.bars[0].label.endswith("…")
    assert len(chart.bars[0].label) == charts.LABEL_MAX
    assert "Largest: " + "A" * 60 + ": 10; Short: 5." in chart.description
    assert chart.height > 3 * charts.BAR_HEIGHT


def test_an_empty_figure_says_there_is_nothing_to_count():
    chart = charts.bar_chart(Figure("f", "T", "Counts things.", "Products", "Label", [Bar("A", 0)]))
    assert chart.description == "Counts things. There is nothing to count yet."


def test_psycopg_keeps_the_status_counts_converted(app):
    """The status counts' statement (the longest the reports run) is within the length psycopg keeps
    converted, so it is not scanned again on every request (`app._keep_long_statements_converted`)."""
    statement = str(queries._agreement_status_counts(TODAY).compile(dialect=postgresql.dialect()))
    assert 4096 < len(statement) <= psycopg_queries.MAX_CACHED_STATEMENT_LENGTH


def overlap_rows_of(page: str) -> list[tuple[str, str]]:
    """(product, schools) of each row of the page's overlap tables."""
    return re.findall(
        r'<th scope="row"><a href="/(?:es/)?products/[^"]+">([^<]+)</a></th>\s*<td>[^<]*</td>\s*<td>([^<]*)</td>', page
    )


def test_a_kinds_overlap_page_lists_all_its_products_in_use_at_schools_page_by_page(app, client, monkeypatch):
    """The report lists the first OVERLAP_LISTED products of a kind and links to the kind's own pages, which
    list every product of the kind in use at some school, by name, with its vendor and schools, PAGE_SIZE a
    page (retired products, a retired vendor's, and products used at no school left out)."""
    monkeypatch.setattr(queries, "OVERLAP_LISTED", 2)
    queries._overlap_statement.cache_clear()
    monkeypatch.setitem(app.config, "PAGE_SIZE", 3)
    with in_app(app):
        west, east = (factories.make_school(name=name) for name in ("West Elementary", "East High"))
        gone = factories.make_vendor(name="Gone Vendor")
        factories.make_product(name="Aardvark Maths", kind="math", vendor=gone, schools=[west])
        factories.make_product(name="Abacus Maths", kind="math", status="retired", schools=[west])
        factories.make_product(name="Able Maths", kind="math")  # used at no school
        for n, name in enumerate(["Delta Maths", "Alpha Maths", "Epsilon Maths", "Gamma Maths", "Beta Maths"]):
            factories.make_product(name=name, kind="math", schools=[west, east][: n % 2 + 1])
        gone.is_retired = True
        db.session.commit()
    report = client.get("/reports/").get_data(as_text=True)
    queries._overlap_statement.cache_clear()
    assert overlap_rows_of(report) == [("Alpha Maths", "East High, West Elementary"), ("Beta Maths", "West Elementary")]
    assert '<a href="/reports/overlap/math">All 5, with the schools that use them</a>' in report

    first = client.get("/reports/overlap/math")
    assert first.status_code == 200
    page = first.get_data(as_text=True)
    assert "<h1>Products that overlap: Math</h1>" in page
    assert "Math: 5 products at 2 schools" in page
    assert "Products and the schools that use them, page 1 of 2" in page
    assert overlap_rows_of(page) == [
        ("Alpha Maths", "East High, West Elementary"),
        ("Beta Maths", "West Elementary"),
        ("Delta Maths", "West Elementary"),
    ]
    assert 'href="/reports/overlap/math?page=2"' in page
    assert '<a href="/reports/#overlap">Reports</a>' in page
    assert 'href="/directory?kind=math"' in page  # every product of the kind, used at a school or not
    second = client.get("/reports/overlap/math?page=2").get_data(as_text=True)
    assert overlap_rows_of(second) == [
        ("Epsilon Maths", "West Elementary"),
        ("Gamma Maths", "East High, West Elementary"),
    ]
    past = client.get("/reports/overlap/math?page=3")
    assert past.status_code == 200
    assert "There is no page 3 of these results." in past.get_data(as_text=True)
    assert client.get("/reports/overlap/no-such-kind").status_code == 404


def test_a_kinds_overlap_page_in_spanish_and_for_a_kind_used_nowhere(app, client, directory):
    """The kind's page speaks the reader's language; a kind with no product used at a school says so."""
    with in_app(app):
        factories.make_kind(name="Unused", slug="unused")
    spanish = client.get("/es/reports/overlap/reading").get_data(as_text=True)
    assert "Productos que se superponen:" in spanish
    assert "Los productos y las escuelas que los usan" in spanish
    assert 'href="/es/reports/#overlap"' in spanish
    empty = client.get("/reports/overlap/unused")
    assert empty.status_code == 200
    assert "No product of this kind is used at a school." in empty.get_data(as_text=True)
    assert "<table" not in empty.get_data(as_text=True)


def test_a_kinds_overlap_page_escapes_hostile_names(app, client):
    with in_app(app):
        school = factories.make_school(name="Zeta <script>", slug="zeta")
        vendor = factories.make_vendor(name='Acme "Learning" & <Co>', slug="acme")
        factories.make_product(vendor, name="<script>alert(1)</script>", slug="hostile", kind="math", schools=[school])
    page = client.get("/reports/overlap/math").get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<td>Acme &#34;Learning&#34; &amp; &lt;Co&gt;</td>" in page
    assert "<script>alert" not in page


def test_a_kinds_overlap_page_runs_a_constant_number_of_queries(app, client):
    with in_app(app):
        many_products(5)
    with count_queries(app) as few:
        assert client.get("/reports/overlap/math").status_code == 200
    with in_app(app):
        many_products(40, start=5)
    with count_queries(app) as many:
        assert client.get("/reports/overlap/math?page=1").status_code == 200
    assert len(many) == len(few), many
