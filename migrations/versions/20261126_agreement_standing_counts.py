"""reports: listed products counted per (sole agreement, stated status), kept by triggers

The reports' "Products by agreement status" found each listed product's strongest agreement over
every agreement link on each request (25,000 products at the bench's scale: 80-160 ms of SQL). The
status follows the district's date, so it cannot be kept; what decides it can be grouped: a product
with no agreement or a single one has the status that `agreements.status` derives from that
agreement's state today and the status the district stated. So:

- `product.agreement_key`: 0 when no agreement covers the product, the agreement's id when one does,
  -1 when several do; kept by triggers on `agreement_product` (recomputed for the product whose link
  was added, removed or moved).
- `agreement_standing_count`: per (agreement_key, stated status) the listed products that have them;
  kept by triggers on `product` (inserted, deleted, status, vendor, stated status or agreement_key
  changed) and `vendor` (retired or brought back).

The report computes each group's state today with `agreements.state` (the one rule) and adds the
products with several agreements, counted as before (`agreements.status.status_counts`; few).
A listed product is not retired and its vendor is not retired (`directory.queries.listed_clause`).
Every trigger works from its own row's OLD and NEW (and rows no other row of the statement
changes), so it is exact row by row on SQLite and at the end of a PostgreSQL statement alike.

The upgrade keys every product and counts them once. On SQLite a later migration that rebuilds
`agreement_product`, `product` or `vendor` in batch mode drops their triggers: it must call
`create_sqlite_triggers()` from here again (tests/reports/test_agreement_standing_counts.py fails
otherwise).

Revision ID: 5a2f8c1e9d37
Revises: 1c9e4b7a2d60
Create Date: 2026-11-26 12:00:00

"""

import sqlalchemy as sa
from alembic import op

from clearinghouse import data_version

# revision identifiers, used by Alembic.
revision = "5a2f8c1e9d37"
down_revision = "1c9e4b7a2d60"
branch_labels = None
depends_on = None


def _row_listed(row: str) -> str:
    """The product row `row` (OLD or NEW of a product trigger) is listed."""
    return (
        f"{row}.status <> 'retired' AND NOT EXISTS "
        f"(SELECT 1 FROM vendor WHERE vendor.id = {row}.vendor_id AND vendor.is_retired)"
    )


def _key(product_id: str) -> str:
    """The product's agreement key from its links: 0 (none), the sole agreement's id, -1 (several)."""
    links = f"FROM agreement_product WHERE agreement_product.product_id = {product_id}"
    return (
        f"(CASE (SELECT count(*) {links}) WHEN 0 THEN 0 WHEN 1 THEN (SELECT agreement_product.agreement_id {links}) "
        "ELSE -1 END)"
    )


def _rekey(product_id: str) -> str:
    return (
        f"UPDATE product SET agreement_key = {_key(product_id)} "
        f"WHERE id = {product_id} AND agreement_key <> {_key(product_id)}"
    )


def _add(key: str, stated: str, count: str) -> str:
    """Add `count` to the group (`key`, `stated`), making it when new."""
    return (
        "INSERT INTO agreement_standing_count (agreement_key, stated, product_count) "
        f"VALUES ({key}, {stated}, {count}) ON CONFLICT (agreement_key, stated) "
        "DO UPDATE SET product_count = agreement_standing_count.product_count + excluded.product_count"
    )


def _vendor(sign_case: str, vendor_id: str) -> str:
    """The vendor's products that are not retired, each group added `sign_case` times."""
    return (
        "INSERT INTO agreement_standing_count (agreement_key, stated, product_count) "
        f"SELECT agreement_key, agreement_status, ({sign_case}) * count(*) FROM product "
        f"WHERE vendor_id = {vendor_id} AND status <> 'retired' GROUP BY agreement_key, agreement_status "
        "ON CONFLICT (agreement_key, stated) "
        "DO UPDATE SET product_count = agreement_standing_count.product_count + excluded.product_count"
    )


COUNT_ALL = (
    "INSERT INTO agreement_standing_count (agreement_key, stated, product_count) "
    "SELECT product.agreement_key, product.agreement_status, count(*) FROM product "
    "JOIN vendor ON vendor.id = product.vendor_id WHERE product.status <> 'retired' AND NOT vendor.is_retired "
    "GROUP BY product.agreement_key, product.agreement_status"
)

SQLITE_TRIGGERS = {
    "standing_link_insert": f"""CREATE TRIGGER standing_link_insert AFTER INSERT ON agreement_product BEGIN
        {_rekey("new.product_id")};
    END""",
    "standing_link_delete": f"""CREATE TRIGGER standing_link_delete AFTER DELETE ON agreement_product BEGIN
        {_rekey("old.product_id")};
    END""",
    "standing_link_update": f"""CREATE TRIGGER standing_link_update
        AFTER UPDATE OF agreement_id, product_id ON agreement_product BEGIN
        {_rekey("old.product_id")};
        {_rekey("new.product_id")};
    END""",
    "standing_product_insert": f"""CREATE TRIGGER standing_product_insert AFTER INSERT ON product
        WHEN {_row_listed("new")} BEGIN
        {_add("new.agreement_key", "new.agreement_status", "1")};
    END""",
    "standing_product_delete": f"""CREATE TRIGGER standing_product_delete AFTER DELETE ON product
        WHEN {_row_listed("old")} BEGIN
        {_add("old.agreement_key", "old.agreement_status", "-1")};
    END""",
    "standing_product_unlisted": f"""CREATE TRIGGER standing_product_unlisted
        AFTER UPDATE OF status, vendor_id, agreement_status, agreement_key ON product
        WHEN {_row_listed("old")} BEGIN
        {_add("old.agreement_key", "old.agreement_status", "-1")};
    END""",
    "standing_product_listed": f"""CREATE TRIGGER standing_product_listed
        AFTER UPDATE OF status, vendor_id, agreement_status, agreement_key ON product
        WHEN {_row_listed("new")} BEGIN
        {_add("new.agreement_key", "new.agreement_status", "1")};
    END""",
    "standing_vendor": f"""CREATE TRIGGER standing_vendor AFTER UPDATE OF is_retired ON vendor
        WHEN old.is_retired IS NOT new.is_retired BEGIN
        {_vendor("CASE WHEN new.is_retired THEN -1 ELSE 1 END", "new.id")};
    END""",
}

PG_STATEMENTS = [
    f"""CREATE FUNCTION standing_link() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP IN ('UPDATE', 'DELETE') THEN
            {_rekey("OLD.product_id")};
        END IF;
        IF TG_OP IN ('UPDATE', 'INSERT') THEN
            {_rekey("NEW.product_id")};
        END IF;
        RETURN NULL;
    END $$""",
    """CREATE TRIGGER standing_link AFTER INSERT OR DELETE OR UPDATE OF agreement_id, product_id
        ON agreement_product FOR EACH ROW EXECUTE FUNCTION standing_link()""",
    f"""CREATE FUNCTION standing_product() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP IN ('UPDATE', 'DELETE') AND {_row_listed("OLD")} THEN
            {_add("OLD.agreement_key", "OLD.agreement_status", "-1")};
        END IF;
        IF TG_OP IN ('UPDATE', 'INSERT') AND {_row_listed("NEW")} THEN
            {_add("NEW.agreement_key", "NEW.agreement_status", "1")};
        END IF;
        RETURN NULL;
    END $$""",
    """CREATE TRIGGER standing_product_write AFTER INSERT OR DELETE ON product
        FOR EACH ROW EXECUTE FUNCTION standing_product()""",
    """CREATE TRIGGER standing_product_update AFTER UPDATE OF status, vendor_id, agreement_status, agreement_key
        ON product FOR EACH ROW EXECUTE FUNCTION standing_product()""",
    f"""CREATE FUNCTION standing_vendor() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        {_vendor("CASE WHEN NEW.is_retired THEN -1 ELSE 1 END", "NEW.id")};
        RETURN NULL;
    END $$""",
    """CREATE TRIGGER standing_vendor AFTER UPDATE OF is_retired ON vendor
        FOR EACH ROW WHEN (OLD.is_retired IS DISTINCT FROM NEW.is_retired)
        EXECUTE FUNCTION standing_vendor()""",
]
PG_TRIGGERS = {
    "standing_link": "agreement_product",
    "standing_product_write": "product",
    "standing_product_update": "product",
    "standing_vendor": "vendor",
}
PG_FUNCTIONS = ("standing_link", "standing_product", "standing_vendor")


def create_sqlite_triggers():
    for statement in SQLITE_TRIGGERS.values():
        op.execute(statement)


def upgrade():
    op.add_column("product", sa.Column("agreement_key", sa.Integer(), nullable=False, server_default="0"))
    op.create_index("ix_product_agreement_key", "product", ["agreement_key"])
    op.create_table(
        "agreement_standing_count",
        sa.Column("agreement_key", sa.Integer(), nullable=False),
        sa.Column("stated", sa.String(length=40), nullable=False),
        sa.Column("product_count", sa.Integer(), nullable=False, server_default="0"),
        sa.PrimaryKeyConstraint("agreement_key", "stated", name=op.f("pk_agreement_standing_count")),
    )
    op.execute(f"UPDATE product SET agreement_key = {_key('product.id')}")
    op.execute(COUNT_ALL)
    if op.get_bind().dialect.name == "postgresql":
        for statement in PG_STATEMENTS:
            op.execute(statement)
    else:
        create_sqlite_triggers()
    data_version.watch(op, "agreement_standing_count")


def downgrade():
    data_version.unwatch(op, "agreement_standing_count")
    if op.get_bind().dialect.name == "postgresql":
        for trigger, table in PG_TRIGGERS.items():
            op.execute(f"DROP TRIGGER IF EXISTS {trigger} ON {table}")
        for function in PG_FUNCTIONS:
            op.execute(f"DROP FUNCTION IF EXISTS {function}()")
    else:
        for trigger in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    op.drop_table("agreement_standing_count")
    op.drop_index("ix_product_agreement_key", table_name="product")
    # Not batch mode: rebuilding product on SQLite would drop the other triggers that name it.
    op.execute("ALTER TABLE product DROP COLUMN agreement_key")
