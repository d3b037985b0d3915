"""The data version: triggers on every table that feeds public answers, bumped in the writer's transaction."""

import sqlalchemy as sa

from clearinghouse import data_version
from clearinghouse.extensions import db
from clearinghouse.visibility import FIELDS, Audience
from tests import factories
from tests.conftest import in_app

# Tables none of whose rows reach a public answer (no public column in clearinghouse/visibility.py).
# A table is left off the triggers only by being listed here, with a reason.
NOT_PUBLIC = {
    "audit_event": "the audit log is for staff",
    "declaration": "the vendor's answers to the district; accepted ones reach the public as data_use rows",
    "declaration_version": "the vendor's answers to the district",
    "declared_element": "the vendor's answers; accepted ones reach the public as data_use rows",
    "subprocessor": "the vendor's answers to the district",
    "tool_request": "staff's requests; the decision reaches the public through product",
    "tool_request_school": "part of a staff request",
    "tool_requester": "names people",
    "destruction_request_category": "part of the directive to the vendor",
    "disposal_certificate": "the vendor's answer; the public status comes from destruction_request",
    "import_mapping": "how staff import files",
    "import_value_choice": "how staff import files",
    "import_draft": "a staff member's import in progress",
    "invitation": "sign-up links",
    "login_attempt": "failed sign-ins",
    "notice": "the outbox",
    "product_note": "staff's notes on a product",
    "subscriber": "a parent's address, seen by nobody but its owner",
    "subscription": "what a subscriber follows; staff see counts only",
    "throttle_hit": "requests of throttled public forms, under hashed keys",
    "user_account": "people are not part of the public record",
}


def public_tables() -> set[str]:
    """Tables with at least one column the public sees."""
    return {
        table for table, columns in FIELDS.items() if any(seen.audience is Audience.PUBLIC for seen in columns.values())
    }


def test_every_table_that_feeds_public_answers_bumps_the_data_version(app):
    with in_app(app), db.engine.connect() as conn:
        watched = data_version.watched_tables(conn)
    tables = set(db.metadata.tables)
    undecided = tables - public_tables() - set(NOT_PUBLIC)
    assert undecided == set(), (
        f"{sorted(undecided)}: give each a public column in clearinghouse/visibility.py, or list it in NOT_PUBLIC"
    )
    missing = public_tables() - watched
    assert missing == set(), (
        f"{sorted(missing)} reach public answers but no trigger bumps the data version when they change: "
        "call data_version.watch(op, table) in the migration that creates (or on SQLite rebuilds) them"
    )
    assert not (set(NOT_PUBLIC) & public_tables()), "a table in NOT_PUBLIC has a public column"
    assert not (set(NOT_PUBLIC) & watched), "a table in NOT_PUBLIC bumps the version for nothing"


def _version() -> int:
    with db.engine.connect() as conn:
        return data_version.read(conn)[0]


def test_the_version_changes_when_the_write_commits_and_not_before(app):
    with in_app(app):
        vendor_id = factories.make_vendor(name="Counted Co.").id
        before = _version()
        with db.engine.connect() as writer:
            writer.execute(
                sa.text("UPDATE vendor SET website = 'https://counted.example' WHERE id = :id"), {"id": vendor_id}
            )
            assert _version() == before  # another connection: not committed yet
            writer.commit()
        after = _version()
        assert after > before
        with db.engine.connect() as writer:
            writer.execute(sa.text("DELETE FROM vendor WHERE id = :id"), {"id": vendor_id})
            writer.rollback()
        assert _version() == after  # a rolled-back write leaves it alone
        with db.engine.begin() as writer:
            writer.execute(sa.text("SELECT count(*) FROM vendor"))
            writer.execute(sa.text("UPDATE login_attempt SET key = key"))
        assert _version() == after  # reads and writes of tables the public never sees leave it alone


def test_every_kind_of_write_to_a_public_table_bumps_it(app):
    with in_app(app):
        seen = [_version()]
        vendor = factories.make_vendor(name="Inserted Co.")
        seen.append(_version())
        with db.engine.begin() as conn:
            conn.execute(sa.text("UPDATE vendor SET name = 'Updated Co.' WHERE id = :id"), {"id": vendor.id})
        seen.append(_version())
        with db.engine.begin() as conn:
            conn.execute(sa.text("DELETE FROM vendor WHERE id = :id"), {"id": vendor.id})
        seen.append(_version())
    assert seen == sorted(set(seen)), seen


def test_one_transaction_of_many_statements_bumps_it_and_a_rolled_back_savepoint_forgets_its_bump(app):
    with in_app(app):
        vendor_id = factories.make_vendor(name="Bulk Co.").id
        before = _version()
        rename = sa.text("UPDATE vendor SET website = :site WHERE id = :id")
        with db.engine.begin() as conn:
            for n in range(200):
                conn.execute(rename, {"site": f"https://bulk.example/{n}", "id": vendor_id})
        after = _version()
        assert after > before
        if db.engine.dialect.name == "postgresql":
            assert after == before + 1  # once per transaction (a bulk load stays linear)
        with db.engine.connect() as conn, conn.begin():
            savepoint = conn.begin_nested()
            conn.execute(rename, {"site": "https://bulk.example/undone", "id": vendor_id})
            savepoint.rollback()  # its bump is undone with it ...
            conn.execute(rename, {"site": "https://bulk.example/kept", "id": vendor_id})  # ... so this one bumps
        assert _version() > after
