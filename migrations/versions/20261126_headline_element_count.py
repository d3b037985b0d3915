"""home: the data elements some listed product receives, kept in the headline row by triggers

The home page counted the elements whose `receiver_count` is above zero over the `data_element`
table, which a bulk load leaves sparse: every data use written updates its element's count, so 59
rows took 4,000 pages on the bench's database after 150,000 uses, and the count read them all
(17 ms). `headline_count.element_count` now holds it, changed by a trigger on `data_element` when
an element's `receiver_count` leaves zero or comes back to it (or an element with receivers is
added or deleted). Each change comes from its own row's OLD and NEW, so it is exact row by row on
SQLite and at the end of a PostgreSQL statement alike.

The upgrade counts once. On SQLite a later migration that rebuilds `data_element` in batch mode
drops its triggers: it must call `create_sqlite_triggers()` from here again
(tests/directory/test_headline_counts.py fails otherwise).

Revision ID: 2c8e4f6a9b13
Revises: 7e3c9a5d2b61
Create Date: 2026-11-26 15:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "2c8e4f6a9b13"
down_revision = "7e3c9a5d2b61"
branch_labels = None
depends_on = None


def _received(row: str) -> str:
    """1 when the data element row `row` has a listed receiver, else 0."""
    return f"(CASE WHEN {row}.receiver_count > 0 THEN 1 ELSE 0 END)"


def _add_elements(count: str) -> str:
    """Add `count` to the elements some listed product receives, making the one row when it is missing."""
    return (
        f"INSERT INTO headline_count (id, vendor_count, element_count) VALUES (1, 0, {count}) ON CONFLICT (id) "
        "DO UPDATE SET element_count = headline_count.element_count + excluded.element_count"
    )


COUNT_ALL = [
    "INSERT INTO headline_count (id, vendor_count) SELECT 1, 0 WHERE NOT EXISTS (SELECT 1 FROM headline_count)",
    "UPDATE headline_count SET element_count = (SELECT count(*) FROM data_element WHERE receiver_count > 0)",
]

SQLITE_TRIGGERS = {
    "headline_element_update": f"""CREATE TRIGGER headline_element_update AFTER UPDATE OF receiver_count ON data_element
        WHEN {_received("old")} <> {_received("new")} BEGIN
        {_add_elements(f"{_received('new')} - {_received('old')}")};
    END""",
    "headline_element_insert": f"""CREATE TRIGGER headline_element_insert AFTER INSERT ON data_element
        WHEN {_received("new")} = 1 BEGIN
        {_add_elements("1")};
    END""",
    "headline_element_delete": f"""CREATE TRIGGER headline_element_delete AFTER DELETE ON data_element
        WHEN {_received("old")} = 1 BEGIN
        {_add_elements("-1")};
    END""",
}

PG_STATEMENTS = [
    f"""CREATE FUNCTION headline_element() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'INSERT' THEN
            {_add_elements(_received("NEW"))};
        ELSIF TG_OP = 'DELETE' THEN
            {_add_elements(f"-{_received('OLD')}")};
        ELSIF {_received("OLD")} <> {_received("NEW")} THEN
            {_add_elements(f"{_received('NEW')} - {_received('OLD')}")};
        END IF;
        RETURN NULL;
    END $$""",
    """CREATE TRIGGER headline_element AFTER INSERT OR DELETE OR UPDATE OF receiver_count ON data_element
        FOR EACH ROW EXECUTE FUNCTION headline_element()""",
]


def create_sqlite_triggers():
    for statement in SQLITE_TRIGGERS.values():
        op.execute(statement)


def upgrade():
    op.add_column("headline_count", sa.Column("element_count", sa.Integer(), nullable=False, server_default="0"))
    for statement in COUNT_ALL:
        op.execute(statement)
    if op.get_bind().dialect.name == "postgresql":
        for statement in PG_STATEMENTS:
            op.execute(statement)
    else:
        create_sqlite_triggers()


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS headline_element ON data_element")
        op.execute("DROP FUNCTION IF EXISTS headline_element()")
    else:
        for trigger in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    # Not batch mode: rebuilding headline_count on SQLite would drop its data version triggers.
    op.execute("ALTER TABLE headline_count DROP COLUMN element_count")
