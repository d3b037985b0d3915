"""home and reports: listed products per approval, vendors with a listed product, agreements per term, kept by triggers

The home page counted on each request the vendors with a listed product and the listed products
(over every product: 25,000 at the bench's scale) and the agreements in force (the state of every
agreement); the reports counted the listed products by approval and the agreements by state the
same way. Triggers now keep what those counts are made of, in the same transaction as every write
that changes it, whichever path writes (services, the importer, the demo loader, raw SQL):

- `product_status_count`: per approval status, the listed products that have it. Changed by a
  product added, deleted, given another status or vendor; a vendor retired or brought back. The
  home page's products in use are their sum.
- `vendor.product_count`: the vendor's products that are not retired (whether or not the vendor
  is). Changed by a product added, deleted, retired or brought back, moved to another vendor.
- `headline_count.vendor_count` (one row, made when missing): the vendors that are not retired and have a product
  that is not retired, that is, the vendors with a listed product. Changed by a vendor's
  `product_count` or retirement (its first product or its last, not each one).
- `agreement_term_count`: agreements counted per group of the columns their state is derived from
  (`agreements.state.state_sql`: the dates, whether signed, whether renewed, whether its dates are
  recorded). A state follows the district's date, so it cannot be kept; each group's state is
  derived on the day asked about, by the one rule (`agreements.queries.counts_by_state`). Changed by
  an agreement added, deleted, or one of those columns changed.

A listed product is not retired and its vendor is not retired (`directory.queries.listed_clause`).
Every change adds to or takes from a count by its own row's OLD and NEW, so it is exact row by row
on SQLite and at the end of a PostgreSQL statement alike; `headline_count` changes only when a
vendor row changes, one statement of one row at a time (the vendor triggers), so it is exact too.

The upgrade counts everything once. On SQLite a later migration that rebuilds `product`,
`vendor` or `agreement` in batch mode drops their triggers: it must call `create_sqlite_triggers()`
from here again (tests/directory/test_headline_counts.py fails otherwise).

Revision ID: 7e3c9a5d2b61
Revises: 5a2f8c1e9d37
Create Date: 2026-11-26 14:45:00

"""

import sqlalchemy as sa
from alembic import op

from clearinghouse import data_version

# revision identifiers, used by Alembic.
revision = "7e3c9a5d2b61"
down_revision = "5a2f8c1e9d37"
branch_labels = None
depends_on = None


def _row_listed(row: str) -> str:
    """The product row `row` (OLD or NEW of a product trigger) is listed."""
    return (
        f"{row}.status <> 'retired' AND NOT EXISTS "
        f"(SELECT 1 FROM vendor WHERE vendor.id = {row}.vendor_id AND vendor.is_retired)"
    )


def _add_status(status: str, count: str) -> str:
    """Add `count` to the listed products of the approval `status`, making its row when new."""
    return (
        "INSERT INTO product_status_count (status, product_count) "
        f"VALUES ({status}, {count}) ON CONFLICT (status) "
        "DO UPDATE SET product_count = product_status_count.product_count + excluded.product_count"
    )


def _vendor_statuses(sign_case: str, vendor_id: str) -> str:
    """The vendor's products that are not retired, each status's added `sign_case` times."""
    return (
        "INSERT INTO product_status_count (status, product_count) "
        f"SELECT status, ({sign_case}) * count(*) FROM product WHERE vendor_id = {vendor_id} "
        "AND status <> 'retired' GROUP BY status ON CONFLICT (status) "
        "DO UPDATE SET product_count = product_status_count.product_count + excluded.product_count"
    )


def _add_vendor_product(sign: str, row: str) -> str:
    """Add `sign`1 to the products of the vendor of the product row `row`, when it is not retired."""
    return (
        f"UPDATE vendor SET product_count = product_count {sign} 1 "
        f"WHERE id = {row}.vendor_id AND {row}.status <> 'retired'"
    )


def _vendor_listed(row: str) -> str:
    """1 when the vendor row `row` has a listed product, else 0."""
    return f"(CASE WHEN NOT {row}.is_retired AND {row}.product_count > 0 THEN 1 ELSE 0 END)"


def _add_vendors(count: str) -> str:
    """Add `count` to the vendors with a listed product, making the one row when it is missing."""
    return (
        f"INSERT INTO headline_count (id, vendor_count) VALUES (1, {count}) ON CONFLICT (id) "
        "DO UPDATE SET vendor_count = headline_count.vendor_count + excluded.vendor_count"
    )


# The columns an agreement's state is derived from (agreements.state.state_sql), as kept in its group:
# whether it is signed or renewed is all the state asks of `signed_on` and `renewed_by_id`.
TERM_COLUMNS = "effective_on, expires_on, auto_renews, terminated_on, dates_recorded, is_signed, is_renewed"


def _flag(condition: str) -> str:
    return f"(CASE WHEN {condition} THEN '1' ELSE '0' END)"


def _term_key(row: str) -> str:
    """The group of the agreement row `row`: its term columns in one text (NULL dates as empty)."""
    parts = [
        f"coalesce(CAST({row}.effective_on AS VARCHAR), '')",
        f"coalesce(CAST({row}.expires_on AS VARCHAR), '')",
        _flag(f"{row}.auto_renews"),
        f"coalesce(CAST({row}.terminated_on AS VARCHAR), '')",
        _flag(f"{row}.dates_recorded"),
        _flag(f"{row}.signed_on IS NOT NULL"),
        _flag(f"{row}.renewed_by_id IS NOT NULL"),
    ]
    return " || '|' || ".join(parts)


def _term_values(row: str) -> str:
    return (
        f"{row}.effective_on, {row}.expires_on, {row}.auto_renews, {row}.terminated_on, {row}.dates_recorded, "
        f"{row}.signed_on IS NOT NULL, {row}.renewed_by_id IS NOT NULL"
    )


def _add_term(row: str, count: str) -> str:
    """Add `count` to the group of the agreement row `row`, making it when new."""
    return (
        f"INSERT INTO agreement_term_count (term_key, {TERM_COLUMNS}, agreement_count) "
        f"VALUES ({_term_key(row)}, {_term_values(row)}, {count}) ON CONFLICT (term_key) "
        "DO UPDATE SET agreement_count = agreement_term_count.agreement_count + excluded.agreement_count"
    )


COUNT_ALL = [
    "INSERT INTO product_status_count (status, product_count) SELECT product.status, count(*) FROM product "
    "JOIN vendor ON vendor.id = product.vendor_id WHERE product.status <> 'retired' AND NOT vendor.is_retired "
    "GROUP BY product.status",
    "UPDATE vendor SET product_count = (SELECT count(*) FROM product "
    "WHERE product.vendor_id = vendor.id AND product.status <> 'retired')",
    "INSERT INTO headline_count (id, vendor_count) "
    "SELECT 1, count(*) FROM vendor WHERE NOT is_retired AND product_count > 0",
    f"INSERT INTO agreement_term_count (term_key, {TERM_COLUMNS}, agreement_count) "
    f"SELECT {_term_key('agreement')}, {_term_values('agreement')}, count(*) FROM agreement "
    f"GROUP BY {_term_key('agreement')}, {_term_values('agreement')}",
]

_TERM_CHANGED = " OR ".join(
    f"old.{column} IS NOT new.{column}"
    for column in ("effective_on", "expires_on", "auto_renews", "terminated_on", "dates_recorded")
) + (
    " OR (old.signed_on IS NULL) IS NOT (new.signed_on IS NULL)"
    " OR (old.renewed_by_id IS NULL) IS NOT (new.renewed_by_id IS NULL)"
)
_TERM_COLUMNS_WRITTEN = "effective_on, expires_on, auto_renews, terminated_on, dates_recorded, signed_on, renewed_by_id"

SQLITE_TRIGGERS = {
    "headline_product_insert": f"""CREATE TRIGGER headline_product_insert AFTER INSERT ON product BEGIN
        {_add_vendor_product("+", "new")};
    END""",
    "headline_product_listed_insert": f"""CREATE TRIGGER headline_product_listed_insert AFTER INSERT ON product
        WHEN {_row_listed("new")} BEGIN
        {_add_status("new.status", "1")};
    END""",
    "headline_product_delete": f"""CREATE TRIGGER headline_product_delete AFTER DELETE ON product BEGIN
        {_add_vendor_product("-", "old")};
    END""",
    "headline_product_listed_delete": f"""CREATE TRIGGER headline_product_listed_delete AFTER DELETE ON product
        WHEN {_row_listed("old")} BEGIN
        {_add_status("old.status", "-1")};
    END""",
    "headline_product_update": f"""CREATE TRIGGER headline_product_update AFTER UPDATE OF status, vendor_id ON product
        WHEN old.status IS NOT new.status OR old.vendor_id IS NOT new.vendor_id BEGIN
        {_add_vendor_product("-", "old")};
        {_add_vendor_product("+", "new")};
    END""",
    "headline_product_unlisted": f"""CREATE TRIGGER headline_product_unlisted AFTER UPDATE OF status, vendor_id ON product
        WHEN {_row_listed("old")} BEGIN
        {_add_status("old.status", "-1")};
    END""",
    "headline_product_listed": f"""CREATE TRIGGER headline_product_listed AFTER UPDATE OF status, vendor_id ON product
        WHEN {_row_listed("new")} BEGIN
        {_add_status("new.status", "1")};
    END""",
    "headline_vendor_retired": f"""CREATE TRIGGER headline_vendor_retired AFTER UPDATE OF is_retired ON vendor
        WHEN old.is_retired IS NOT new.is_retired BEGIN
        {_vendor_statuses("CASE WHEN new.is_retired THEN -1 ELSE 1 END", "new.id")};
    END""",
    "headline_vendor_update": f"""CREATE TRIGGER headline_vendor_update AFTER UPDATE OF is_retired, product_count ON vendor
        WHEN {_vendor_listed("old")} <> {_vendor_listed("new")} BEGIN
        {_add_vendors(f"{_vendor_listed('new')} - {_vendor_listed('old')}")};
    END""",
    "headline_vendor_insert": f"""CREATE TRIGGER headline_vendor_insert AFTER INSERT ON vendor
        WHEN {_vendor_listed("new")} = 1 BEGIN
        {_add_vendors("1")};
    END""",
    "headline_vendor_delete": f"""CREATE TRIGGER headline_vendor_delete AFTER DELETE ON vendor
        WHEN {_vendor_listed("old")} = 1 BEGIN
        {_add_vendors("-1")};
    END""",
    "headline_agreement_insert": f"""CREATE TRIGGER headline_agreement_insert AFTER INSERT ON agreement BEGIN
        {_add_term("new", "1")};
    END""",
    "headline_agreement_delete": f"""CREATE TRIGGER headline_agreement_delete AFTER DELETE ON agreement BEGIN
        {_add_term("old", "-1")};
    END""",
    "headline_agreement_update": f"""CREATE TRIGGER headline_agreement_update
        AFTER UPDATE OF {_TERM_COLUMNS_WRITTEN} ON agreement WHEN {_TERM_CHANGED} BEGIN
        {_add_term("old", "-1")};
        {_add_term("new", "1")};
    END""",
}

PG_STATEMENTS = [
    f"""CREATE FUNCTION headline_product() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'UPDATE' AND OLD.status IS NOT DISTINCT FROM NEW.status
            AND OLD.vendor_id IS NOT DISTINCT FROM NEW.vendor_id THEN
            RETURN NULL;
        END IF;
        IF TG_OP IN ('UPDATE', 'DELETE') THEN
            {_add_vendor_product("-", "OLD")};
            IF {_row_listed("OLD")} THEN
                {_add_status("OLD.status", "-1")};
            END IF;
        END IF;
        IF TG_OP IN ('UPDATE', 'INSERT') THEN
            {_add_vendor_product("+", "NEW")};
            IF {_row_listed("NEW")} THEN
                {_add_status("NEW.status", "1")};
            END IF;
        END IF;
        RETURN NULL;
    END $$""",
    """CREATE TRIGGER headline_product AFTER INSERT OR DELETE OR UPDATE OF status, vendor_id ON product
        FOR EACH ROW EXECUTE FUNCTION headline_product()""",
    f"""CREATE FUNCTION headline_vendor() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'UPDATE' AND OLD.is_retired IS DISTINCT FROM NEW.is_retired THEN
            {_vendor_statuses("CASE WHEN NEW.is_retired THEN -1 ELSE 1 END", "NEW.id")};
        END IF;
        IF TG_OP = 'INSERT' THEN
            {_add_vendors(_vendor_listed("NEW"))};
        ELSIF TG_OP = 'DELETE' THEN
            {_add_vendors(f"-{_vendor_listed('OLD')}")};
        ELSIF {_vendor_listed("OLD")} <> {_vendor_listed("NEW")} THEN
            {_add_vendors(f"{_vendor_listed('NEW')} - {_vendor_listed('OLD')}")};
        END IF;
        RETURN NULL;
    END $$""",
    """CREATE TRIGGER headline_vendor AFTER INSERT OR DELETE OR UPDATE OF is_retired, product_count ON vendor
        FOR EACH ROW EXECUTE FUNCTION headline_vendor()""",
    f"""CREATE FUNCTION headline_agreement() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'UPDATE' AND {_term_key("OLD")} = {_term_key("NEW")} THEN
            RETURN NULL;
        END IF;
        IF TG_OP IN ('UPDATE', 'DELETE') THEN
            {_add_term("OLD", "-1")};
        END IF;
        IF TG_OP IN ('UPDATE', 'INSERT') THEN
            {_add_term("NEW", "1")};
        END IF;
        RETURN NULL;
    END $$""",
    f"""CREATE TRIGGER headline_agreement AFTER INSERT OR DELETE OR UPDATE OF {_TERM_COLUMNS_WRITTEN} ON agreement
        FOR EACH ROW EXECUTE FUNCTION headline_agreement()""",
]
PG_TRIGGERS = {"headline_product": "product", "headline_vendor": "vendor", "headline_agreement": "agreement"}
PG_FUNCTIONS = ("headline_product", "headline_vendor", "headline_agreement")
NEW_TABLES = ("product_status_count", "headline_count", "agreement_term_count")


def create_sqlite_triggers():
    for statement in SQLITE_TRIGGERS.values():
        op.execute(statement)


def upgrade():
    op.add_column("vendor", sa.Column("product_count", sa.Integer(), nullable=False, server_default="0"))
    op.create_table(
        "product_status_count",
        sa.Column("status", sa.String(length=40), nullable=False),
        sa.Column("product_count", sa.Integer(), nullable=False, server_default="0"),
        sa.PrimaryKeyConstraint("status", name=op.f("pk_product_status_count")),
    )
    op.create_table(
        "headline_count",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("vendor_count", sa.Integer(), nullable=False, server_default="0"),
        sa.CheckConstraint("id = 1", name=op.f("ck_headline_count_one_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_headline_count")),
    )
    op.create_table(
        "agreement_term_count",
        sa.Column("term_key", sa.String(length=80), nullable=False),
        sa.Column("effective_on", sa.Date(), nullable=True),
        sa.Column("expires_on", sa.Date(), nullable=True),
        sa.Column("auto_renews", sa.Boolean(), nullable=False),
        sa.Column("terminated_on", sa.Date(), nullable=True),
        sa.Column("dates_recorded", sa.Boolean(), nullable=False),
        sa.Column("is_signed", sa.Boolean(), nullable=False),
        sa.Column("is_renewed", sa.Boolean(), nullable=False),
        sa.Column("agreement_count", sa.Integer(), nullable=False, server_default="0"),
        sa.PrimaryKeyConstraint("term_key", name=op.f("pk_agreement_term_count")),
    )
    for statement in COUNT_ALL:
        op.execute(statement)
    if op.get_bind().dialect.name == "postgresql":
        for statement in PG_STATEMENTS:
            op.execute(statement)
    else:
        create_sqlite_triggers()
    for table in NEW_TABLES:
        data_version.watch(op, table)


def downgrade():
    for table in NEW_TABLES:
        data_version.unwatch(op, table)
    if op.get_bind().dialect.name == "postgresql":
        for trigger, table in PG_TRIGGERS.items():
            op.execute(f"DROP TRIGGER IF EXISTS {trigger} ON {table}")
        for function in PG_FUNCTIONS:
            op.execute(f"DROP FUNCTION IF EXISTS {function}()")
    else:
        for trigger in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    for table in reversed(NEW_TABLES):
        op.drop_table(table)
    # Not batch mode: rebuilding vendor on SQLite would drop the other triggers that name it.
    op.execute("ALTER TABLE vendor DROP COLUMN product_count")
