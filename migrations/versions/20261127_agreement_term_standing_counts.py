"""reports: listed products counted per (term group of their sole agreement, stated status), kept by triggers

The reports' "Products by agreement status" (`agreements.status.kept_status_counts`) joined every group
of `agreement_standing_count` (9,684 on the bench, one per sole agreement and stated status) to its
agreement and ranked each on the day asked about: about 4 ms of PostgreSQL's time on every request. The
rank depends only on the agreement's term columns, which `agreement_term_count` already groups (2,188
term groups for the bench's 9,800 agreements). So:

- `agreement_term_standing_count`: per (`agreement_term_count.term_key` of the sole agreement, stated
  status) the listed products, i.e. `agreement_standing_count`'s groups of a sole agreement (key > 0)
  added up by their agreement's term group. The report ranks each term group once (2,180 rows).

What changes it: a change of `agreement_standing_count` (a product listed or not, its stated status or
its agreement key changed, its vendor retired: the triggers of migration
20261126_agreement_standing_counts) counts in the sole agreement's term group as the agreement is then;
an agreement whose term columns change moves its products from the old group to the new one; an
agreement deleted takes its products out of its group (its links go by cascade after it, when it can no
longer be found: the standing changes of an agreement that no longer exists count nowhere).

SQLite (one writer at a time) does this with plain triggers: on `agreement_standing_count` itself, and
on `agreement` (its term columns changed, or a BEFORE DELETE while its products are still counted).
On PostgreSQL nothing shared is written before commit (clearinghouse/kept_counts.py): a trigger on
`agreement` notes the moves of the products counted so far (`agreement_standing_count` as committed),
and `kept_counts_apply` adds this transaction's noted standing changes to the term group of each
agreement as it is at commit, then applies the notes in its lock order: this table's rows after
`agreement_term_count`'s, by term key and stated status. A transaction that changes an agreement's
dates and its products, in either order, thus moves every product once.

Revision ID: 4e7a1c9b2d55
Revises: 5e2a9c7d3b61
Create Date: 2026-11-27 06:00:00

"""

import importlib.util
from pathlib import Path

import sqlalchemy as sa
from alembic import op

from clearinghouse import data_version, kept_counts

# revision identifiers, used by Alembic.
revision = "4e7a1c9b2d55"
down_revision = "5e2a9c7d3b61"
branch_labels = None
depends_on = None

TABLE = "agreement_term_standing_count"


def _migration(name: str):
    """An earlier migration of this directory, for the SQL it wrote (its term key, its commit-time notes)."""
    path = Path(__file__).with_name(f"{name}.py")
    spec = importlib.util.spec_from_file_location(f"term_standing_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


HEADLINE = _migration("20261126_headline_counts")
AT_COMMIT = _migration("20261126_kept_counts_at_commit")
NOTES = kept_counts.TABLE


def _term_key(row: str) -> str:
    return HEADLINE._term_key(row)


def _add(term_key: str, stated: str, count: str, source: str) -> str:
    """SQLite: add `count` to the group (`term_key`, `stated`) for each row of `source` (a FROM … WHERE)."""
    return (
        f"INSERT INTO {TABLE} (term_key, stated, product_count) SELECT {term_key}, {stated}, {count} {source} "
        "ON CONFLICT (term_key, stated) "
        f"DO UPDATE SET product_count = {TABLE}.product_count + excluded.product_count"
    )


def _standing_of(agreement: str) -> str:
    """The standing groups of the agreement row `agreement` (OLD or NEW), as counted now."""
    return f"FROM agreement_standing_count AS s WHERE s.agreement_key = {agreement}.id AND s.product_count <> 0"


COUNT_ALL = (
    f"INSERT INTO {TABLE} (term_key, stated, product_count) "
    f"SELECT {_term_key('a')}, s.stated, sum(s.product_count) FROM agreement_standing_count AS s "
    f"JOIN agreement AS a ON a.id = s.agreement_key GROUP BY {_term_key('a')}, s.stated"
)

SQLITE_TRIGGERS = {
    "term_standing_insert": f"""CREATE TRIGGER term_standing_insert AFTER INSERT ON agreement_standing_count
        WHEN new.agreement_key > 0 BEGIN
        {_add(_term_key("a"), "new.stated", "new.product_count", "FROM agreement AS a WHERE a.id = new.agreement_key")};
    END""",
    "term_standing_update": f"""CREATE TRIGGER term_standing_update AFTER UPDATE ON agreement_standing_count
        WHEN old.agreement_key > 0 OR new.agreement_key > 0 BEGIN
        {_add(_term_key("a"), "old.stated", "-old.product_count", "FROM agreement AS a WHERE a.id = old.agreement_key")};
        {_add(_term_key("a"), "new.stated", "new.product_count", "FROM agreement AS a WHERE a.id = new.agreement_key")};
    END""",
    "term_standing_agreement": f"""CREATE TRIGGER term_standing_agreement
        AFTER UPDATE OF {HEADLINE._TERM_COLUMNS_WRITTEN} ON agreement WHEN {HEADLINE._TERM_CHANGED} BEGIN
        {_add(_term_key("old"), "s.stated", "-s.product_count", _standing_of("old"))};
        {_add(_term_key("new"), "s.stated", "s.product_count", _standing_of("new"))};
    END""",
    # Before the row goes: its links go after it (by cascade), when the agreement can no longer be found.
    "term_standing_agreement_delete": f"""CREATE TRIGGER term_standing_agreement_delete BEFORE DELETE ON agreement
        BEGIN
        {_add(_term_key("old"), "s.stated", "-s.product_count", _standing_of("old"))};
    END""",
}


def _note_moved(row: str, sign: str) -> str:
    """PostgreSQL: note the products counted so far for the agreement row `row` in (1) or out of (-1) its group."""
    return AT_COMMIT._note(
        f"SELECT '{TABLE}', s.stated || '|' || {_term_key(row)}, {sign} * s.product_count {_standing_of(row)}"
    )


PG_FUNCTION = "kept_counts_agreement_products"
PG_STATEMENTS = [
    f"""CREATE FUNCTION {PG_FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'UPDATE' AND {_term_key("OLD")} = {_term_key("NEW")} THEN
            RETURN NULL;
        END IF;
        {_note_moved("OLD", "-1")};
        IF TG_OP = 'UPDATE' THEN
            {_note_moved("NEW", "1")};
        END IF;
        {AT_COMMIT.MARK}
        RETURN NULL;
    END $$""",
    f"""CREATE TRIGGER {PG_FUNCTION} AFTER DELETE OR UPDATE OF {HEADLINE._TERM_COLUMNS_WRITTEN} ON agreement
        FOR EACH ROW EXECUTE FUNCTION {PG_FUNCTION}()""",
]

# A note's key is "stated|term key" (a stated status has no "|"; a term key has several).
_NOTED_TERM_GROUPS = "(SELECT substr(k, strpos(k, '|') + 1), split_part(k, '|', 1) FROM unnest(noted) AS k)"
# This transaction's standing changes of a sole agreement (key > 0) that add something, as (agreement, stated, delta).
_STANDING_DELTAS = (
    "(SELECT CAST(split_part(key, '|', 1) AS integer) AS agreement_key, split_part(key, '|', 2) AS stated, "
    f"sum(delta) AS delta FROM {NOTES} WHERE counter = 'agreement_standing_count' "  # noqa: S608
    "GROUP BY key HAVING sum(delta) <> 0)"
)
APPLY_SECTION = f"""INSERT INTO {NOTES} (counter, key, delta)
            SELECT '{TABLE}', d.stated || '|' || {_term_key("a")}, d.delta
            FROM {_STANDING_DELTAS} AS d JOIN agreement AS a ON a.id = d.agreement_key;
        {AT_COMMIT._noted(TABLE)}
        IF cardinality(noted) > 0 THEN
            INSERT INTO {TABLE} (term_key, stated, product_count)
                SELECT g.term_key, g.stated, 0 FROM {_NOTED_TERM_GROUPS} AS g(term_key, stated)
                ORDER BY g.term_key, g.stated ON CONFLICT (term_key, stated) DO NOTHING;
            PERFORM 1 FROM {TABLE} WHERE (term_key, stated) IN {_NOTED_TERM_GROUPS}
                ORDER BY term_key, stated FOR NO KEY UPDATE;
            UPDATE {TABLE} AS g SET product_count = g.product_count + d.delta
                FROM {AT_COMMIT._deltas(TABLE)} AS d
                WHERE g.term_key = substr(d.key, strpos(d.key, '|') + 1) AND g.stated = split_part(d.key, '|', 1);
        END IF;
        """
# Its place in the one lock order: after agreement_term_count's rows, before data_category's.
_NEXT_SECTION = AT_COMMIT._noted("data_category")
OLD_APPLY = AT_COMMIT.APPLY.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION", 1)
APPLY = OLD_APPLY.replace(_NEXT_SECTION, APPLY_SECTION + _NEXT_SECTION, 1)


def upgrade():
    op.create_table(
        TABLE,
        sa.Column("term_key", sa.String(length=80), nullable=False),
        sa.Column("stated", sa.String(length=40), nullable=False),
        sa.Column("product_count", sa.Integer(), nullable=False, server_default="0"),
        sa.PrimaryKeyConstraint("term_key", "stated", name=op.f(f"pk_{TABLE}")),
    )
    op.execute(COUNT_ALL)
    if op.get_bind().dialect.name == "postgresql":
        if APPLY == OLD_APPLY:
            raise RuntimeError("kept_counts_apply no longer has the section this one goes before")
        for statement in PG_STATEMENTS:
            op.execute(statement)
        op.execute(APPLY)
    else:
        for statement in SQLITE_TRIGGERS.values():
            op.execute(statement)
    data_version.watch(op, TABLE)


def downgrade():
    data_version.unwatch(op, TABLE)
    if op.get_bind().dialect.name == "postgresql":
        op.execute(OLD_APPLY)
        op.execute(f"DROP TRIGGER IF EXISTS {PG_FUNCTION} ON agreement")
        op.execute(f"DROP FUNCTION IF EXISTS {PG_FUNCTION}()")
    else:
        for trigger in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    op.drop_table(TABLE)
