"""data elements: how many listed products receive each one, kept by triggers

The public data elements index shows, for each element, how many listed products receive it (a
listed product is not retired and its vendor is not retired). Counting them on each request read
every data use (150,000 at the bench's scale). The count now lives on the element
(`data_element.receiver_count`), and triggers keep it in the same transaction as every write that
changes it, whichever path writes (services, the importer, the demo loader, raw SQL):

- a data use added, removed, or moved to another product or element;
- a product retired or brought back, moved to another vendor, or deleted (before its uses go,
  by cascade or by the ORM, so each use is counted off exactly once);
- a vendor retired or brought back.

The upgrade counts every element once. On SQLite a later migration that rebuilds `data_use`,
`product` or `vendor` in batch mode drops their triggers: it must call `create_sqlite_triggers()`
from here again (tests/directory/test_receiver_counts.py fails otherwise).

Revision ID: 4d7e2a9c5b18
Revises: 64f739c44a63
Create Date: 2026-11-26 01:40:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "4d7e2a9c5b18"
down_revision = "64f739c44a63"
branch_labels = None
depends_on = None

# A product is listed when it is not retired and its vendor is not retired (directory.queries.listed_clause).
LISTED = (
    "EXISTS (SELECT 1 FROM product JOIN vendor ON vendor.id = product.vendor_id "
    "WHERE product.id = {use}.product_id AND product.status <> 'retired' AND NOT vendor.is_retired)"
)
PRODUCT_LISTED = "{row}.status <> 'retired' AND NOT EXISTS (SELECT 1 FROM vendor WHERE vendor.id = {row}.vendor_id AND vendor.is_retired)"
RECOUNT = (
    "UPDATE data_element SET receiver_count = (SELECT count(*) FROM data_use "
    "JOIN product ON product.id = data_use.product_id JOIN vendor ON vendor.id = product.vendor_id "
    "WHERE data_use.data_element_id = data_element.id AND product.status <> 'retired' AND NOT vendor.is_retired)"
)


def _bump(sign: str, product: str) -> str:
    """Add `sign`1 to each element the product `product` (a row alias or id expression) receives."""
    return (
        f"UPDATE data_element SET receiver_count = receiver_count {sign} 1 "
        f"WHERE id IN (SELECT data_element_id FROM data_use WHERE product_id = {product})"
    )


def _vendor_change(sign_case: str, vendor_id: str) -> str:
    """Add to each element the uses of the vendor's products that are not retired, times `sign_case`."""
    uses = (
        "SELECT count(*) FROM data_use JOIN product ON product.id = data_use.product_id "
        f"WHERE product.vendor_id = {vendor_id} AND product.status <> 'retired' "
        "AND data_use.data_element_id = data_element.id"
    )
    return (
        f"UPDATE data_element SET receiver_count = receiver_count + ({sign_case}) * ({uses}) "
        "WHERE id IN (SELECT data_use.data_element_id FROM data_use JOIN product ON product.id = data_use.product_id "
        f"WHERE product.vendor_id = {vendor_id} AND product.status <> 'retired')"
    )


SQLITE_TRIGGERS = {
    "data_element_count_use_insert": f"""CREATE TRIGGER data_element_count_use_insert AFTER INSERT ON data_use
        WHEN {LISTED.format(use="new")} BEGIN
        UPDATE data_element SET receiver_count = receiver_count + 1 WHERE id = new.data_element_id;
    END""",
    "data_element_count_use_delete": f"""CREATE TRIGGER data_element_count_use_delete AFTER DELETE ON data_use
        WHEN {LISTED.format(use="old")} BEGIN
        UPDATE data_element SET receiver_count = receiver_count - 1 WHERE id = old.data_element_id;
    END""",
    "data_element_count_use_update": f"""CREATE TRIGGER data_element_count_use_update
        AFTER UPDATE OF product_id, data_element_id ON data_use BEGIN
        UPDATE data_element SET receiver_count = receiver_count - 1
            WHERE id = old.data_element_id AND {LISTED.format(use="old")};
        UPDATE data_element SET receiver_count = receiver_count + 1
            WHERE id = new.data_element_id AND {LISTED.format(use="new")};
    END""",
    "data_element_count_product_delete": f"""CREATE TRIGGER data_element_count_product_delete
        BEFORE DELETE ON product WHEN {PRODUCT_LISTED.format(row="old")} BEGIN
        {_bump("-", "old.id")};
    END""",
    "data_element_count_product_listed": f"""CREATE TRIGGER data_element_count_product_listed
        AFTER UPDATE OF status, vendor_id ON product
        WHEN NOT ({PRODUCT_LISTED.format(row="old")}) AND ({PRODUCT_LISTED.format(row="new")}) BEGIN
        {_bump("+", "new.id")};
    END""",
    "data_element_count_product_unlisted": f"""CREATE TRIGGER data_element_count_product_unlisted
        AFTER UPDATE OF status, vendor_id ON product
        WHEN ({PRODUCT_LISTED.format(row="old")}) AND NOT ({PRODUCT_LISTED.format(row="new")}) BEGIN
        {_bump("-", "new.id")};
    END""",
    "data_element_count_vendor": f"""CREATE TRIGGER data_element_count_vendor AFTER UPDATE OF is_retired ON vendor
        WHEN old.is_retired IS NOT new.is_retired BEGIN
        {_vendor_change("CASE WHEN new.is_retired THEN -1 ELSE 1 END", "new.id")};
    END""",
}

PG_STATEMENTS = [
    f"""CREATE FUNCTION data_element_count_use() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP IN ('UPDATE', 'DELETE') THEN
            UPDATE data_element SET receiver_count = receiver_count - 1
            WHERE id = OLD.data_element_id AND {LISTED.format(use="OLD")};
        END IF;
        IF TG_OP IN ('UPDATE', 'INSERT') THEN
            UPDATE data_element SET receiver_count = receiver_count + 1
            WHERE id = NEW.data_element_id AND {LISTED.format(use="NEW")};
        END IF;
        RETURN NULL;
    END $$""",
    """CREATE TRIGGER data_element_count_use AFTER INSERT OR DELETE OR UPDATE OF product_id, data_element_id
        ON data_use FOR EACH ROW EXECUTE FUNCTION data_element_count_use()""",
    f"""CREATE FUNCTION data_element_count_product() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
        was_listed boolean;
        is_listed boolean;
    BEGIN
        was_listed := {PRODUCT_LISTED.format(row="OLD")};
        IF TG_OP = 'DELETE' THEN
            IF was_listed THEN
                {_bump("-", "OLD.id")};
            END IF;
            RETURN OLD;
        END IF;
        is_listed := {PRODUCT_LISTED.format(row="NEW")};
        IF is_listed AND NOT was_listed THEN
            {_bump("+", "NEW.id")};
        ELSIF was_listed AND NOT is_listed THEN
            {_bump("-", "NEW.id")};
        END IF;
        RETURN NULL;
    END $$""",
    """CREATE TRIGGER data_element_count_product_delete BEFORE DELETE ON product
        FOR EACH ROW EXECUTE FUNCTION data_element_count_product()""",
    """CREATE TRIGGER data_element_count_product_update AFTER UPDATE OF status, vendor_id ON product
        FOR EACH ROW EXECUTE FUNCTION data_element_count_product()""",
    f"""CREATE FUNCTION data_element_count_vendor() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        {_vendor_change("CASE WHEN NEW.is_retired THEN -1 ELSE 1 END", "NEW.id")};
        RETURN NULL;
    END $$""",
    """CREATE TRIGGER data_element_count_vendor AFTER UPDATE OF is_retired ON vendor
        FOR EACH ROW WHEN (OLD.is_retired IS DISTINCT FROM NEW.is_retired)
        EXECUTE FUNCTION data_element_count_vendor()""",
]
PG_TRIGGERS = {
    "data_element_count_use": "data_use",
    "data_element_count_product_delete": "product",
    "data_element_count_product_update": "product",
    "data_element_count_vendor": "vendor",
}
PG_FUNCTIONS = ("data_element_count_use", "data_element_count_product", "data_element_count_vendor")


def create_sqlite_triggers():
    for statement in SQLITE_TRIGGERS.values():
        op.execute(statement)


def upgrade():
    op.add_column("data_element", sa.Column("receiver_count", sa.Integer(), nullable=False, server_default="0"))
    if op.get_bind().dialect.name == "postgresql":
        for statement in PG_STATEMENTS:
            op.execute(statement)
    else:
        create_sqlite_triggers()
    op.execute(RECOUNT)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for trigger, table in PG_TRIGGERS.items():
            op.execute(f"DROP TRIGGER IF EXISTS {trigger} ON {table}")
        for function in PG_FUNCTIONS:
            op.execute(f"DROP FUNCTION IF EXISTS {function}()")
    else:
        for trigger in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    # Not batch mode: rebuilding data_element on SQLite would trip the other triggers that name it.
    op.execute("ALTER TABLE data_element DROP COLUMN receiver_count")
