"""/directory.csv: the public directory in the import's columns; export → import changes nothing."""

import csv
import io
import re
from datetime import date, timedelta
from html import unescape

from sqlalchemy import func, select

from clearinghouse.agreements.models import AgreementKind, AgreementState
from clearinghouse.agreements.status import ProductAgreementStatus, standing
from clearinghouse.audit.models import AuditEvent, DisclosureRevision
from clearinghouse.demo.loader import load_demo
from clearinghouse.directory.models import (
    DataElement,
    DataUse,
    Product,
    ProductStatus,
    StatedAgreementStatus,
    Vendor,
)
from clearinghouse.directory.queries import (
    AgreementFilter,
    DirectoryFilters,
    StatusFilter,
    agreement_filter_ids,
    export_probes,
    listed_clause,
    public_status,
)
from clearinghouse.extensions import db, unit_of_work
from clearinghouse.imports import files, queries, services
from clearinghouse.imports.mapping import FIELDS, guess_mapping
from clearinghouse.page_cache import page_cache_of
from clearinghouse.timeutil import district_today
from tests import factories
from tests.cache.test_fresh_answers import Counter
from tests.conftest import count_queries, empty_all_tables, in_app


def _rows(response) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


def _plan(app, data: bytes) -> services.ImportPlan:
    with in_app(app):
        table = files.read_table(data)
        return services.plan_import(table, guess_mapping(table.headers))


def _district(n: int = 3) -> None:
    """Products with everything the export carries, including awkward text."""
    factories.make_school(name="North Elementary", grade_band="K-5")
    south = factories.make_school(name="South High", grade_band="9-12")
    category = factories.make_category(name="Demographics")
    dob = factories.make_element(category, name="Date of birth", slug="date-of-birth")
    ip = factories.make_element(
        factories.make_category(name="Application Technology Meta Data"),
        name="IP addresses of users, use of cookies, etc.",
        slug="ip-addresses",
    )
    vendor = factories.make_vendor(
        name="Acme, Inc.", privacy_policy_url="https://acme.example/privacy", internal_notes="SECRET vendor note"
    )
    for i in range(n):
        product = factories.make_product(
            vendor,
            name=f"Acme Tool {i}",
            elements=[dob, ip],
            schools=[south],
            grade_bands="K-5, 9-12",
            purpose_md=f'=SUM(A{i})\n\n- helps, with commas "and quotes"',
            internal_notes="SECRET product note",
            status=ProductStatus.APPROVED_WITH_CONDITIONS,
            status_note="Guardian release, grades 9-12 only",
            website="https://acme.example/tool",
        )
        old = factories.make_agreement(
            vendor,
            [product],
            signed_on=date(2022, 1, 1),
            effective_on=date(2022, 2, 1),
            expires_on=date(2025, 1, 31),
            internal_notes="SECRET agreement note",
        )
        new = factories.make_agreement(
            vendor,
            [product],
            kind=AgreementKind.STATE_TEMPLATE,
            signed_on=None,
            effective_on=date(2025, 2, 1),
            expires_on=None,
        )
        old.renewed_by_id = new.id
        db.session.commit()


def test_the_export_is_public_csv_with_the_import_columns_and_no_internal_notes(app, client):
    with in_app(app):
        _district()
    response = client.get("/directory.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="directory-')
    assert "SECRET" not in response.get_data(as_text=True)
    rows = _rows(response)
    assert list(rows[0]) == list(FIELDS)
    assert rows[0] == {
        "vendor": "Acme, Inc.",
        "product": "Acme Tool 0",
        "kind": "Learning platform",
        "status": "Approved with conditions",
        "status_note": "Guardian release, grades 9-12 only",
        "agreement_status": "Signed, since renewed",  # its renewal is a draft: the signed one speaks
        "agreement_note": "",
        "website": "https://acme.example/tool",
        "privacy_policy_url": "https://acme.example/privacy",
        "purpose": '\'=SUM(A0)\n\n- helps, with commas "and quotes"',
        "data_elements": "Demographics: Date of birth; "
        "Application Technology Meta Data: IP addresses of users, use of cookies, etc.",
        "agreement_kind": "National Data Privacy Agreement (NDPA)",
        "signed_on": "2022-01-01",
        "effective_on": "2022-02-01",
        "expires_on": "2025-01-31",
        "schools": "South High",
        "grade_bands": "K-5, 9-12",
        "notes": "",
    }


def test_the_export_carries_the_public_notes_and_imports_them_again(app, client):
    with in_app(app):
        vendor = factories.make_vendor(name="Coolmath")
        factories.make_product(
            vendor,
            name="Cool Math Games",
            status=ProductStatus.NOT_APPROVED,
            status_note="Unverified data practices",
            agreement_status=StatedAgreementStatus.DECLINED_BY_VENDOR,
            agreement_note="Will not sign any state agreement",
            internal_notes="SECRET product note",
        )
    data = client.get("/directory.csv?status=all").data
    (row,) = csv.DictReader(io.StringIO(data.decode()))
    assert (row["status"], row["status_note"]) == ("Not approved", "Unverified data practices")
    assert (row["agreement_status"], row["agreement_note"]) == (
        str(StatedAgreementStatus.DECLINED_BY_VENDOR.label),
        "Will not sign any state agreement",
    )
    assert "SECRET" not in data.decode()
    with in_app(app):
        db.session.remove()
        empty_all_tables()
        table = files.read_table(data)
        with unit_of_work():
            services.apply_import(table, guess_mapping(table.headers), actor=None)
        product = db.session.scalar(select(Product))
        assert (product.status_note, product.agreement_status, product.agreement_note) == (
            "Unverified data practices",
            StatedAgreementStatus.DECLINED_BY_VENDOR,
            "Will not sign any state agreement",
        )


def test_export_then_import_changes_nothing(app, client):
    with in_app(app):
        _district()
        audits = db.session.scalar(select(func.count(AuditEvent.id)))
    data = client.get("/directory.csv").data
    plan = _plan(app, data)
    assert plan.errors == []
    assert [row.action for row in plan.rows] == ["unchanged"] * 3
    with in_app(app):
        table = files.read_table(data)
        with unit_of_work():
            services.apply_import(table, guess_mapping(table.headers), actor=None)
        assert db.session.scalar(select(func.count(AuditEvent.id))) == audits + 1  # only the remembered mapping
        assert db.session.scalar(select(func.count(DisclosureRevision.id))) == 0


def test_an_edited_export_imports_exactly_the_edits(app, client):
    with in_app(app):
        _district(1)
    rows = _rows(client.get("/directory.csv"))
    rows[0]["status"] = "Retired"
    rows[0]["data_elements"] += "\nip-addresses"  # already there: no change
    rows.append(
        dict(
            rows[0],
            product="Acme Tool New",
            status="Pending",
            signed_on="3/1/2026",
            effective_on="",
            expires_on="2029-02-28",
            agreement_kind="NDPA",
        )
    )
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(FIELDS))
    writer.writeheader()
    writer.writerows(rows)
    plan = _plan(app, out.getvalue().encode())
    assert plan.errors == []
    assert [(row.product_name, row.action, row.changes) for row in plan.rows] == [
        ("Acme Tool 0", "update", ["Status: Approved with conditions → Retired"]),
        (
            "Acme Tool New",
            "create",
            ["New agreement (National Data Privacy Agreement (NDPA)): signed on 2026-03-01, expires 2029-02-28"],
        ),
    ]


def test_the_demo_district_round_trips(app, client):
    with in_app(app):
        load_demo(date(2026, 11, 22))
    rows = _rows(client.get("/directory.csv?status=all"))
    assert len(rows) == 80
    plan = _plan(app, client.get("/directory.csv?status=all").data)
    assert plan.errors == []
    assert [(row.product_name, row.changes) for row in plan.rows if row.changes] == []


def test_the_export_follows_the_directory_filters(app, client):
    with in_app(app):
        vendor = factories.make_vendor(name="Filter Co")
        factories.make_product(vendor, name="Kept Reader", status=ProductStatus.APPROVED)
        factories.make_product(vendor, name="Old Reader", status=ProductStatus.RETIRED)
        factories.make_product(vendor, name="Refused Game", status=ProductStatus.NOT_APPROVED)
    assert [r["product"] for r in _rows(client.get("/directory.csv"))] == ["Kept Reader", "Refused Game"]
    assert [r["product"] for r in _rows(client.get("/directory.csv?status=all"))] == [
        "Kept Reader",
        "Old Reader",
        "Refused Game",
    ]
    assert [r["product"] for r in _rows(client.get("/directory.csv?status=not_approved"))] == ["Refused Game"]
    assert [r["product"] for r in _rows(client.get("/directory.csv?q=game"))] == ["Refused Game"]
    assert client.get("/directory.csv?status=bogus&page=x").status_code == 200


def test_the_export_runs_a_constant_number_of_queries(app, client):
    def queries_for(n: int) -> int:
        with in_app(app):
            vendor = factories.make_vendor()
            element = factories.make_element()
            school = factories.make_school()
            for _ in range(n):
                product = factories.make_product(vendor, elements=[element], schools=[school])
                factories.make_agreement(vendor, [product])
        with count_queries(app) as statements:
            response = client.get("/directory.csv")
            assert len(_rows(response)) >= n  # the body is streamed: read to its end inside the count
        with in_app(app):
            db.session.execute(Product.__table__.delete())
        return len(statements)

    assert queries_for(5) == queries_for(50)


def test_the_directory_page_offers_its_results_as_csv_with_the_same_filters(app, client):
    with in_app(app):
        vendor = factories.make_vendor(name="Link Co")
        factories.make_product(vendor, name="Linked Reader", status=ProductStatus.APPROVED)
        factories.make_product(vendor, name="Unlinked Game", status=ProductStatus.NOT_APPROVED)
    html = client.get("/directory?q=reader&status=approved").get_data(as_text=True)
    match = re.search(r'href="(/directory\.csv\?[^"]*)"', html)
    assert match, "the directory does not link to its CSV download"
    href = unescape(match.group(1))
    assert "q=reader" in href
    assert "status=approved" in href
    assert [r["product"] for r in _rows(client.get(href))] == ["Linked Reader"]


def test_the_directory_page_offers_its_results_as_json_with_the_same_filters(app, client):
    with in_app(app):
        vendor = factories.make_vendor(name="Json Co")
        factories.make_product(vendor, name="Json Reader", status=ProductStatus.APPROVED)
        factories.make_product(vendor, name="Json Game", status=ProductStatus.APPROVED)
    html = client.get("/directory?q=reader&sort=name&status=approved").get_data(as_text=True)
    hrefs = [unescape(href) for href in re.findall(r'href="(/api/v1/products[^"]*)"', html)]
    assert hrefs, "the directory does not link to its JSON"
    response = client.get(hrefs[0])
    assert response.status_code == 200
    assert [product["name"] for product in response.json["data"]] == ["Json Reader"]


def _standings_catalogue(today: date) -> None:
    """Products whose agreements stand every way the export words them (some under several agreements, some
    agreements covering several products), with schools and data elements to order."""
    later, first = factories.make_category(name="Later"), factories.make_category(name="First")
    later.position, first.position = 9, 1
    placed = [(later, "Zeta", 1), (first, "Beta", 2), (first, "Alpha", 2), (first, "Gamma", 1)]
    elements = [factories.make_element(category, name=name) for category, name, _ in placed]
    for element, (_, _, position) in zip(elements, placed, strict=True):
        element.position = position
    schools = [factories.make_school(name=name) for name in ("West, Annex", "East", "North")]
    vendor = factories.make_vendor(name="Standing Co.", privacy_policy_url="https://standing.example/privacy")
    day = timedelta(days=1)
    ways = [
        {},  # in effect until a day
        {"expires_on": today + 10 * day},  # expiring
        {"expires_on": None},  # open ended
        {"auto_renews": True, "expires_on": today + 200 * day},  # renews on a day
        {"effective_on": today + 5 * day, "expires_on": today + 400 * day},  # upcoming
        {"terminated_on": today - day},  # terminated
        {"expires_on": today - 3 * day},  # expired
        {"signed_on": None},  # a draft
        {"dates_recorded": False, "signed_on": None, "effective_on": None, "expires_on": None},  # on file
    ]
    stated = list(StatedAgreementStatus)
    made: list[Product] = []
    for n, way in enumerate(ways * 2):
        product = factories.make_product(
            vendor,
            name=f"Standing {n:02}",
            elements=elements[n % 4 :],
            schools=schools[n % 3 :],
            agreement_status=stated[n % len(stated)],
            agreement_note="We decline" if n % 2 else "",
            status=list(ProductStatus)[n % len(ProductStatus)],
        )
        factories.make_agreement(vendor, [product], kind=list(AgreementKind)[n % len(AgreementKind)], **way)
        if n >= len(ways):  # the second round: a second agreement, shared with the product before
            factories.make_agreement(vendor, [product, made[-1]], **ways[(n * 5) % len(ways)])
        made.append(product)
    factories.make_product(vendor, name="Standing without anything")
    db.session.commit()


def test_the_export_reads_every_row_in_three_statements_a_batch_at_a_time(app):
    """The products and their agreements in one statement, read `batch` rows at a time (a product's rows
    may straddle two batches), and the data elements and schools named once: three statements, however
    many products and batches."""
    with in_app(app):
        today = district_today()
        _standings_catalogue(today)

    def export(batch: int) -> tuple[list[dict[str, str]], int]:
        with app.test_request_context(), count_queries(app) as statements:
            text = "".join(queries.export_csv(DirectoryFilters(status=StatusFilter.ALL), today, batch))
            db.session.remove()
        return list(csv.DictReader(io.StringIO(text))), len(statements)

    rows, statements = export(batch=3)
    assert statements == 3
    assert export(batch=1000) == (rows, 3)
    assert len(rows) == 19
    by_name = {row["product"]: row for row in rows}
    assert by_name["Standing 00"]["data_elements"] == "First: Gamma; First: Alpha; First: Beta; Later: Zeta"
    assert by_name["Standing 00"]["schools"] == "East; North; West, Annex"
    assert (
        by_name["Standing without anything"]["data_elements"] == by_name["Standing without anything"]["schools"] == ""
    )


def test_an_agreement_filter_with_a_data_element_exports_its_matches_by_vendor_and_name_a_batch_at_a_time(app):
    """Each agreement filter with each data element: the export lists exactly the listed products that receive the
    element and whose agreement the filter's ids find (`agreement_filter_ids`, the rule read as ids; some products
    under several agreements), by vendor and name, read two rows at a time. On PostgreSQL an agreement filter that
    most products match is asked of each of the element's products by key (`export_probes`), its statement planned
    for every row; SQLite keeps the ids."""
    with in_app(app):
        today = district_today()
        _standings_catalogue(today)
        elements = db.session.scalars(select(DataElement).order_by(DataElement.id)).all()
        vendor = factories.make_vendor(name="Another Co.")  # listed before "Standing Co."
        for n in range(len(elements)):
            for name in (f"Other {n}b", f"Other {n}a"):
                product = factories.make_product(vendor, name=name, elements=elements[n:])
                factories.make_agreement(vendor, [product], expires_on=today + timedelta(days=400))
        factories.make_product(factories.make_vendor(name="Retired Co.", is_retired=True), elements=elements)
        db.session.commit()
        element_ids = [element.id for element in elements]
        postgresql = db.engine.dialect.name == "postgresql"
    probed = []
    for value in AgreementFilter:
        for element_id in element_ids:
            filters = DirectoryFilters(element_id=element_id, agreement=value)
            with app.test_request_context():
                receivers = select(DataUse.product_id).where(DataUse.data_element_id == element_id)
                expected = db.session.scalars(
                    select(Product.name)
                    .join(Product.vendor)
                    .where(
                        Product.id.in_(receivers),
                        Product.id.in_(agreement_filter_ids(value, today)),
                        listed_clause(),
                    )
                    .order_by(Vendor.name, Product.name, Product.id)
                ).all()
                if export_probes(filters, today):
                    probed.append((value, element_id))
                text = "".join(queries.export_csv(filters, today, batch=2))
                db.session.remove()
            assert [row["product"] for row in csv.DictReader(io.StringIO(text))] == expected, (value, element_id)
    assert (AgreementFilter.ACTIVE, element_ids[0]) in probed if postgresql else probed == []


def test_each_row_says_what_the_directory_says_of_its_product(app):
    """The rows are read as plain columns; each says what the loaded product's own rules say (`standing`,
    `public_status`), in the same words, with the dates of the agreement its status comes from."""
    with in_app(app):
        today = district_today()
        _standings_catalogue(today)
    with app.test_request_context():
        rows = list(
            csv.DictReader(io.StringIO("".join(queries.export_csv(DirectoryFilters(status=StatusFilter.ALL), today))))
        )
        products = db.session.scalars(select(Product).order_by(Product.name)).all()
        assert [row["product"] for row in rows] == [product.name for product in products]
        for row, product in zip(rows, products, strict=True):
            where = standing(product, today)
            agreement = where.agreement
            words = (
                str(StatedAgreementStatus(product.agreement_status).label)
                if where.state is AgreementState.DRAFT
                else where.label
            )
            assert row["agreement_status"] == words, product.name
            assert row["status"] == str(public_status(product).label)
            assert row["agreement_kind"] == (str(agreement.kind.label) if agreement else "")
            assert row["signed_on"] == (agreement.signed_on.isoformat() if agreement and agreement.signed_on else "")
            assert row["expires_on"] == (agreement.expires_on.isoformat() if agreement and agreement.expires_on else "")
            declined = where.status is ProductAgreementStatus.DECLINED_BY_VENDOR and product.agreement_note
            assert row["agreement_note"] == (product.agreement_note if declined else "")
            assert row["schools"] == "; ".join(school.name for school in product.schools)
        assert len({row["agreement_status"] for row in rows}) >= 8, {row["agreement_status"] for row in rows}


HOSTILE = (
    '=HYPERLINK("http://evil")',
    "+1+1",
    "-2",
    "@SUM(A1)",
    "tab\there",
    "line\r\nbreak",
    'quote " and, comma',
    "\x01\x1f bell\x07",
)


def test_hostile_text_is_quoted_and_guarded_against_formulas(app, client):
    """Every staff-written cell that a spreadsheet would run as a formula starts with a quote; control
    characters, line breaks, quotes and commas come back as they were (NUL too, where the database keeps it)."""
    texts = HOSTILE + (("nul\x00inside",) if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite") else ())
    with in_app(app):
        for n, text in enumerate(texts):
            category = factories.make_category(name=f"{text} category {n}")
            vendor = factories.make_vendor(name=f"{text} vendor {n}", privacy_policy_url=text)
            factories.make_product(
                vendor,
                name=f"{text} product {n}",
                elements=[factories.make_element(category, name=text)],
                schools=[factories.make_school(name=f"{text} school {n}")],
                status_note=text,
                website=text,
                purpose_md=text,
                grade_bands=text[:100],
            )
        db.session.commit()
    rows = _rows(client.get("/directory.csv"))
    assert len(rows) == len(texts)
    for row in rows:
        text = next(text for text in texts if row["status_note"] in (text, f"'{text}"))
        guarded = queries.guard_cell(text)
        assert row["status_note"] == row["website"] == row["privacy_policy_url"] == row["purpose"] == guarded
        assert row["vendor"].startswith(guarded)
        assert row["product"].startswith(guarded)
        assert row["data_elements"] == queries.guard_cell(f"{text} category {texts.index(text)}: {text}")
        assert row["schools"] == f"{guarded} school {texts.index(text)}"


def test_a_streamed_export_is_kept_only_within_the_entry_bound(app, client, monkeypatch):
    with in_app(app):
        _district(30)
    counter = Counter(app)
    first = client.get("/directory.csv?q=acme")
    assert first.is_streamed
    assert "Content-Length" not in first.headers
    body = first.get_data()
    assert len(_rows(first)) == 30
    assert client.get("/directory.csv?q=acme").get_data() == body
    assert counter.since() == (1, 1)  # small: kept while it streamed, then served from the cache
    monkeypatch.setattr(page_cache_of(app), "entry_max", len(body) // 3)
    bodies = [client.get("/directory.csv").get_data() for _ in range(2)]
    assert bodies[0] == bodies[1] == body
    assert counter.since() == (0, 2)  # larger than an entry may be: streamed each time, never kept
    etag = client.get("/directory.csv").headers["ETag"]
    again = client.get("/directory.csv", headers={"If-None-Match": etag})
    assert (again.status_code, again.get_data()) == (304, b"")
