"""Every kept count is checked against the rows it counts and repaired where it drifted.

Each kind of kept row is corrupted with raw SQL (a value changed, a group's row deleted, a word of the
search vocabulary lost or invented): `check` must find exactly that drift, `repair` must rewrite it and
audit it, the data version must change (no cached answer survives), and a second check and a second
repair must find nothing. The daily sweep repairs the same way, once; the commands report and exit as
documented.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import func, select

from clearinghouse import data_version, kept_counts_check, sweep
from clearinghouse.audit.models import AuditEvent
from clearinghouse.destruction.models import DestructionRequest
from clearinghouse.extensions import db
from clearinghouse.kept_counts_check import Drift
from tests import factories
from tests.conftest import client_as, in_app

TODAY = date(2026, 11, 27)


@dataclass
class Catalog:
    reader: int
    maths: int
    acme: int
    agreement: int
    lincoln: int
    allergies: int
    health: int
    kind: int


def _catalog() -> Catalog:
    health = factories.make_category(name="Health")
    allergies = factories.make_element(health, name="Allergies", is_sensitive=True)
    grades = factories.make_element(health, name="Grades")
    lincoln = factories.make_school(name="Lincoln")
    adams = factories.make_school(name="Adams")
    acme = factories.make_vendor(name="Acme")
    globex = factories.make_vendor(name="Globex")
    reader = factories.make_product(acme, name="Reader", elements=[allergies, grades], schools=[lincoln, adams])
    maths = factories.make_product(acme, name="Maths", elements=[grades], schools=[lincoln])
    factories.make_product(globex, name="Planner", elements=[grades])
    agreement = factories.make_agreement(acme, [reader], signed_on=date(2025, 1, 1), effective_on=date(2025, 1, 1))
    db.session.commit()
    return Catalog(reader.id, maths.id, acme.id, agreement.id, lincoln.id, allergies.id, health.id, reader.kind_id)


def _value(statement: str, **params: Any) -> Any:
    return db.session.execute(sa.text(statement), params).scalar()


def _version() -> int:
    with db.engine.connect() as conn:
        return data_version.read(conn)[0]


@dataclass
class Corruption:
    """Raw SQL that makes one kept value wrong, and the drift it leaves: (table, column, key, kept)."""

    statement: str
    drift: Callable[[Catalog], tuple[str, str, tuple, Any]]
    params: Callable[[Catalog], dict] = lambda c: {}
    postgresql_only: bool = False


def _term_key(c: Catalog) -> str:
    return _value("SELECT term_key FROM agreement_term_count WHERE agreement_count = 1")


def _grades(c: Catalog) -> int:
    """The element that Maths and Planner receive, with no agreement (and Reader, under its agreement)."""
    return _value("SELECT data_element_id FROM data_use WHERE product_id = :p", p=c.maths)


def _sole(c: Catalog) -> tuple:
    return (c.agreement, "none_on_file")


CORRUPTIONS = {
    "a product's schools' names": Corruption(
        "UPDATE product SET school_names = 'Nowhere' WHERE id = :p",
        lambda c: ("product", "school_names", (c.reader,), "Nowhere"),
        lambda c: {"p": c.reader},
    ),
    "a product's data elements' ids": Corruption(
        "UPDATE product SET received_element_ids = ',0,' WHERE id = :p",
        lambda c: ("product", "received_element_ids", (c.reader,), ",0,"),
        lambda c: {"p": c.reader},
    ),
    "a product's agreement key in the search index": Corruption(
        "UPDATE product_search SET agreement_key = 0 WHERE product_id = :p",
        lambda c: ("product_search", "agreement_key", (c.reader,), 0),
        lambda c: {"p": c.reader},
        postgresql_only=True,
    ),
    "a product's stated agreement status in the search index": Corruption(
        "UPDATE product_search SET agreement_status = 'requested' WHERE product_id = :p",
        lambda c: ("product_search", "agreement_status", (c.maths,), "requested"),
        lambda c: {"p": c.maths},
        postgresql_only=True,
    ),
    "a group by agreement": Corruption(
        "UPDATE agreement_standing_count SET product_count = 5 WHERE agreement_key = 0",
        lambda c: ("agreement_standing_count", "product_count", (0, "none_on_file"), 5),
    ),
    "a group by agreement deleted": Corruption(
        "DELETE FROM agreement_standing_count WHERE agreement_key = 0",
        lambda c: ("agreement_standing_count", "product_count", (0, "none_on_file"), None),
    ),
    "a term group": Corruption(
        "UPDATE agreement_term_count SET agreement_count = 3",
        lambda c: ("agreement_term_count", "agreement_count", (_term_key(c),), 3),
    ),
    "a term group deleted": Corruption(
        "DELETE FROM agreement_term_count",
        lambda c: ("agreement_term_count", "agreement_count", (_term_key(c),), None),
    ),
    "a term group's products": Corruption(
        "UPDATE agreement_term_standing_count SET product_count = 4",
        lambda c: ("agreement_term_standing_count", "product_count", (_term_key(c), "none_on_file"), 4),
    ),
    "a term group's products deleted": Corruption(
        "DELETE FROM agreement_term_standing_count",
        lambda c: ("agreement_term_standing_count", "product_count", (_term_key(c), "none_on_file"), None),
    ),
    "an element's products by term group": Corruption(
        "UPDATE agreement_term_element_count SET product_count = 6 WHERE data_element_id = :e AND term_key <> ''",
        lambda c: ("agreement_term_element_count", "product_count", (c.allergies, _term_key(c), "none_on_file"), 6),
        lambda c: {"e": c.allergies},
    ),
    "an element's products by term group deleted": Corruption(
        "DELETE FROM agreement_term_element_count WHERE data_element_id = :e AND term_key <> ''",
        lambda c: ("agreement_term_element_count", "product_count", (c.allergies, _term_key(c), "none_on_file"), None),
        lambda c: {"e": c.allergies},
    ),
    "an element's products with no agreement": Corruption(
        "UPDATE agreement_term_element_count SET product_count = 0 WHERE term_key = '' AND product_count > 0",
        lambda c: ("agreement_term_element_count", "product_count", (_grades(c), "", "none_on_file"), 0),
    ),
    "a category's products by term group": Corruption(
        "UPDATE agreement_term_category_count SET product_count = 6 WHERE category_id = :c AND term_key <> ''",
        lambda c: ("agreement_term_category_count", "product_count", (c.health, _term_key(c), "none_on_file"), 6),
        lambda c: {"c": c.health},
    ),
    "a school's products by term group deleted": Corruption(
        "DELETE FROM agreement_term_school_count WHERE school_id = :s AND term_key <> ''",
        lambda c: ("agreement_term_school_count", "product_count", (c.lincoln, _term_key(c), "none_on_file"), None),
        lambda c: {"s": c.lincoln},
    ),
    "a kind's products with no agreement": Corruption(
        "UPDATE agreement_term_kind_count SET product_count = 0 WHERE term_key = '' AND product_count > 0",
        lambda c: ("agreement_term_kind_count", "product_count", (c.kind, "", "none_on_file"), 0),
    ),
    "a category's products": Corruption(
        "UPDATE data_category SET product_count = 9 WHERE id = :c",
        lambda c: ("data_category", "product_count", (c.health,), 9),
        lambda c: {"c": c.health},
    ),
    "an element's receivers": Corruption(
        "UPDATE data_element SET receiver_count = 2 WHERE id = :e",
        lambda c: ("data_element", "receiver_count", (c.allergies,), 2),
        lambda c: {"e": c.allergies},
    ),
    "a kind's placed products": Corruption(
        "UPDATE product_kind SET placed_product_count = 7 WHERE id = :k",
        lambda c: ("product_kind", "placed_product_count", (c.kind,), 7),
        lambda c: {"k": c.kind},
    ),
    "a kind's schools": Corruption(
        "UPDATE product_kind SET school_count = 0 WHERE id = :k",
        lambda c: ("product_kind", "school_count", (c.kind,), 0),
        lambda c: {"k": c.kind},
    ),
    "a word lost": Corruption(
        "DELETE FROM product_search_vocab WHERE term = 'reader'",
        lambda c: ("product_search_vocab", "term", ("reader",), None),
        postgresql_only=True,
    ),
    "a word invented": Corruption(
        "INSERT INTO product_search_vocab (term) VALUES ('zzyzx')",
        lambda c: ("product_search_vocab", "term", ("zzyzx",), 1),
        postgresql_only=True,
    ),
    "an approval's products": Corruption(
        "UPDATE product_status_count SET product_count = 1 WHERE status = 'approved'",
        lambda c: ("product_status_count", "product_count", ("approved",), 1),
    ),
    "an approval's products deleted": Corruption(
        "DELETE FROM product_status_count",
        lambda c: ("product_status_count", "product_count", ("approved",), None),
    ),
    "a school's products": Corruption(
        "UPDATE school SET product_count = 6 WHERE id = :s",
        lambda c: ("school", "product_count", (c.lincoln,), 6),
        lambda c: {"s": c.lincoln},
    ),
    "a school's sensitive products": Corruption(
        "UPDATE school SET sensitive_product_count = 0 WHERE id = :s",
        lambda c: ("school", "sensitive_product_count", (c.lincoln,), 0),
        lambda c: {"s": c.lincoln},
    ),
    "a school's products receiving an element": Corruption(
        "UPDATE school_element_count SET product_count = 8 WHERE school_id = :s AND data_element_id = :e",
        lambda c: ("school_element_count", "product_count", (c.lincoln, c.allergies), 8),
        lambda c: {"s": c.lincoln, "e": c.allergies},
    ),
    "a school's products receiving an element deleted": Corruption(
        "DELETE FROM school_element_count WHERE school_id = :s AND data_element_id = :e",
        lambda c: ("school_element_count", "product_count", (c.lincoln, c.allergies), None),
        lambda c: {"s": c.lincoln, "e": c.allergies},
    ),
    "a vendor's products": Corruption(
        "UPDATE vendor SET product_count = 3 WHERE id = :v",
        lambda c: ("vendor", "product_count", (c.acme,), 3),
        lambda c: {"v": c.acme},
    ),
    "the headline's vendors": Corruption(
        "UPDATE headline_count SET vendor_count = 40",
        lambda c: ("headline_count", "vendor_count", (1,), 40),
    ),
    "the headline's elements": Corruption(
        "UPDATE headline_count SET element_count = 0",
        lambda c: ("headline_count", "element_count", (1,), 0),
    ),
}


def _true_value(table: str, column: str, key: tuple) -> Any:
    (count,) = [count for count in kept_counts_check.counts() if count.table.name == table and count.column == column]
    return {tuple(row[: len(key)]): row[len(key)] for row in db.session.execute(count.true())}.get(key, count.absent)


def _corrupt(app, name: str) -> tuple[Catalog, Drift]:
    corruption = CORRUPTIONS[name]
    if corruption.postgresql_only and db.engine.dialect.name != "postgresql":
        pytest.skip("kept by PostgreSQL's triggers only (SQLite's search index is FTS5's, its vocabulary FTS5's own)")
    catalog = _catalog()
    assert kept_counts_check.check() == []
    table, column, key, kept = corruption.drift(catalog)
    true = _true_value(table, column, key)
    db.session.execute(sa.text(corruption.statement), corruption.params(catalog))
    db.session.commit()
    return catalog, Drift(table, column, key, kept, true)


@pytest.mark.parametrize("name", list(CORRUPTIONS))
def test_check_finds_the_drift_and_repair_rewrites_it_once(app, name):
    with in_app(app):
        _, drift = _corrupt(app, name)
        assert drift.kept != drift.true or drift.kept is None
        assert kept_counts_check.check() == [drift]
        before = _version()
        assert kept_counts_check.repair() == [drift]
        assert _version() > before, "a public count changed: the page cache must not serve the old one"
        assert kept_counts_check.check() == []
        assert kept_counts_check.repair() == []
        events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "kept_count.repaired")).all()
        assert [(event.record_type, event.changes) for event in events] == [
            (drift.table, {drift.column: [drift.kept, drift.true]})
        ]


def test_check_reads_only_and_lists_every_drift_in_lock_order(app):
    with in_app(app):
        catalog = _catalog()
        db.session.execute(sa.text("UPDATE vendor SET product_count = 3 WHERE id = :v"), {"v": catalog.acme})
        db.session.execute(sa.text("UPDATE product SET school_names = NULL WHERE id = :p"), {"p": catalog.maths})
        db.session.execute(sa.text("UPDATE headline_count SET element_count = 0"))
        db.session.commit()
        before = _version()
        drifts = kept_counts_check.check()
        assert [(d.table, d.column) for d in drifts] == [
            ("product", "school_names"),
            ("vendor", "product_count"),
            ("headline_count", "element_count"),
        ]
        assert drifts[0] == Drift("product", "school_names", (catalog.maths,), None, "Lincoln")
        assert _version() == before
        assert kept_counts_check.check() == drifts


def test_the_sweep_repairs_drifted_counts_once_and_audits_them(app):
    with in_app(app):
        catalog, drift = _corrupt(app, "a school's products")
        dry = sweep.run(TODAY, dry_run=True, deliver=False)
        assert dry.kept_counts == [drift.describe()]
        assert f"would repair kept count {drift.describe()}" in dry.summary()
        assert kept_counts_check.check() == [drift]
        report = sweep.run(TODAY, deliver=False)
        assert report.kept_counts == [drift.describe()]
        assert f"repaired kept count {drift.describe()}" in report.summary()
        assert kept_counts_check.check() == []
        assert _value("SELECT product_count FROM school WHERE id = :s", s=catalog.lincoln) == 2
        assert sweep.run(TODAY, deliver=False).kept_counts == []
        assert (
            db.session.scalar(
                select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "kept_count.repaired")
            )
            == 1
        )


def test_an_error_in_the_repair_leaves_the_rest_of_the_sweep_done(app, monkeypatch, caplog):
    def fail() -> list[Drift]:
        raise RuntimeError("the database went away")

    with in_app(app):
        vendor = factories.make_vendor(name="Acme")
        agreement = factories.make_agreement(vendor, signed_on=date(2024, 1, 1), effective_on=date(2024, 1, 1),
                                             expires_on=TODAY.replace(day=20))  # fmt: skip
        db.session.commit()
        monkeypatch.setattr(kept_counts_check, "repair", fail)
        report = sweep.run(TODAY, deliver=False)
        assert len(report.opened) == 1, "the sweep's own work is committed"
        assert report.problems[-1] == "the kept counts could not be checked (see the log)"
        assert "could not check the kept counts" in caplog.text
        opened = (
            select(func.count()).select_from(DestructionRequest).where(DestructionRequest.agreement_id == agreement.id)
        )
        assert db.session.scalar(opened) == 1


def test_the_commands_check_and_repair(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["kept-counts", "check"])
    assert result.exit_code == 0, result.output
    assert "Every kept count matches the rows it counts" in result.output
    with in_app(app):
        catalog, drift = _corrupt(app, "a vendor's products")
    result = runner.invoke(args=["kept-counts", "check"])
    assert result.exit_code == 1
    assert f"  {drift.describe()}\n" in result.output
    assert "1 kept count(s) drifted" in result.output
    assert drift.describe() == f"vendor.product_count [{catalog.acme}]: kept 3, true 2"
    result = runner.invoke(args=["kept-counts", "repair"])
    assert result.exit_code == 0, result.output
    assert result.output == f"Repaired 1 kept count(s):\n  {drift.describe()}\n"
    result = runner.invoke(args=["kept-counts", "repair"])
    assert result.output == "Nothing to repair: every kept count matches the rows it counts.\n"
    assert runner.invoke(args=["kept-counts", "check"]).exit_code == 0
    with in_app(app):
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "kept_count.repaired"))
        assert (event.record_type, event.record_id, event.actor_label) == (
            "vendor",
            catalog.acme,
            "System (flask repair)",
        )


def test_the_audit_log_shows_a_repair(app, admin_id):
    with in_app(app):
        _, drift = _corrupt(app, "a group by agreement deleted")
        kept_counts_check.repair()
    page = client_as(app, admin_id).get("/staff/audit")
    assert page.status_code == 200
    assert "kept_count.repaired" in page.get_data(as_text=True)
    assert drift.describe().replace("'", "&#39;") in page.get_data(as_text=True)
