"""schools: how many listed products used at each school receive each data element, kept by triggers

A school's page says which sensitive data its listed products receive and how many receive each.
It was an aggregate over every data use of the school's products on each request (about 23,000
sensitive uses joined to 1,100 products at the bench's scale: ~10 ms of SQL). The numbers now live
in `school_element_count` (school, data element, listed products), and triggers keep them in the
same transaction as every write that changes them, whichever path writes (services, the importer,
the demo loader, raw SQL):

- a product added to or taken from a school (a link added, removed or moved);
- a product retired or brought back, moved to another vendor, or deleted;
- a vendor retired or brought back;
- a data use added, removed or moved.

Every data element is counted, sensitive or not, so a data element made sensitive (or no longer)
changes no count: the page picks the sensitive ones when it reads. A count that falls to zero keeps
its row (the page reads only positive counts). A listed product is not retired and its vendor is not
retired (`directory.queries.listed_clause`), as for `school.product_count` (migration
20261126_school_product_counts, whose guards these triggers share, so that a product deleted with
its links and uses by cascade is counted off once, by the product's own trigger).

Each write adds or takes the (school, element) pairs it makes or unmakes: pairs are added with an
upsert (a new pair gets its row) and taken with an UPDATE (a school deleted takes its rows by cascade).

On SQLite a later migration that rebuilds `product_school`, `product`, `vendor` or `data_use` in
batch mode drops their triggers: it must call `create_sqlite_triggers()` from here again
(tests/directory/test_school_counts.py fails otherwise).

Revision ID: 5e1c7a9d2b84
Revises: 3a6d9e2c7f41
Create Date: 2026-11-26 18:00:00

"""

import sqlalchemy as sa
from alembic import op

from clearinghouse import data_version

# revision identifiers, used by Alembic.
revision = "5e1c7a9d2b84"
down_revision = "3a6d9e2c7f41"
branch_labels = None
depends_on = None

TABLE = "school_element_count"


def _listed(product_id: str) -> str:
    """The product `product_id` exists, is not retired, and its vendor is not retired."""
    return (
        "EXISTS (SELECT 1 FROM product JOIN vendor ON vendor.id = product.vendor_id "
        f"WHERE product.id = {product_id} AND product.status <> 'retired' AND NOT vendor.is_retired)"
    )


def _row_listed(row: str) -> str:
    """The product row `row` (OLD or NEW of a product trigger) is listed."""
    return (
        f"{row}.status <> 'retired' AND NOT EXISTS "
        f"(SELECT 1 FROM vendor WHERE vendor.id = {row}.vendor_id AND vendor.is_retired)"
    )


def _link_pairs(row: str) -> str:
    """The pairs a link `row` (OLD or NEW of product_school) of a listed product makes: its school and
    each element its product receives."""
    return (
        f"SELECT {row}.school_id AS school_id, data_use.data_element_id AS data_element_id FROM data_use "
        f"WHERE data_use.product_id = {row}.product_id AND {_listed(f'{row}.product_id')}"
    )


def _use_pairs(row: str) -> str:
    """The pairs a data use `row` of a listed product makes: each school of its product and its element."""
    return (
        f"SELECT product_school.school_id AS school_id, {row}.data_element_id AS data_element_id "
        f"FROM product_school WHERE product_school.product_id = {row}.product_id "
        f"AND {_listed(f'{row}.product_id')}"
    )


_PRODUCT_PAIRS = (
    "SELECT product_school.school_id AS school_id, data_use.data_element_id AS data_element_id "
    "FROM product_school JOIN data_use ON data_use.product_id = product_school.product_id "
)


def _product_pairs(product_id: str) -> str:
    """The pairs the product `product_id` makes at its schools."""
    return f"{_PRODUCT_PAIRS}WHERE product_school.product_id = {product_id}"


def _vendor_pairs(vendor_id: str) -> str:
    """The pairs the vendor's products that are not retired make (a pair once per product)."""
    return (
        f"{_PRODUCT_PAIRS}JOIN product ON product.id = product_school.product_id "
        f"WHERE product.vendor_id = {vendor_id} AND product.status <> 'retired'"
    )


def _add(pairs: str) -> str:
    """Count each pair of `pairs` once more (a new pair gets its row)."""
    return (
        f"INSERT INTO {TABLE} (school_id, data_element_id, product_count) "
        f"SELECT pairs.school_id, pairs.data_element_id, count(*) FROM ({pairs}) AS pairs "
        # WHERE true: SQLite would read ON CONFLICT as the join's ON without it.
        "WHERE true GROUP BY pairs.school_id, pairs.data_element_id "
        "ON CONFLICT (school_id, data_element_id) "
        f"DO UPDATE SET product_count = {TABLE}.product_count + excluded.product_count"
    )


def _take(pairs: str) -> str:
    """Count each pair of `pairs` once less."""
    return (
        f"UPDATE {TABLE} SET product_count = product_count - (SELECT count(*) FROM ({pairs}) AS pairs "
        f"WHERE pairs.school_id = {TABLE}.school_id AND pairs.data_element_id = {TABLE}.data_element_id) "
        "WHERE (school_id, data_element_id) IN "
        f"(SELECT pairs.school_id, pairs.data_element_id FROM ({pairs}) AS pairs)"
    )


COUNT_ALL = _add(
    f"{_PRODUCT_PAIRS}JOIN product ON product.id = product_school.product_id "
    "JOIN vendor ON vendor.id = product.vendor_id WHERE product.status <> 'retired' AND NOT vendor.is_retired"
)

SQLITE_TRIGGERS = {
    "school_element_count_link_insert": f"""CREATE TRIGGER school_element_count_link_insert
        AFTER INSERT ON product_school BEGIN
        {_add(_link_pairs("new"))};
    END""",
    "school_element_count_link_delete": f"""CREATE TRIGGER school_element_count_link_delete
        AFTER DELETE ON product_school BEGIN
        {_take(_link_pairs("old"))};
    END""",
    "school_element_count_link_update": f"""CREATE TRIGGER school_element_count_link_update
        AFTER UPDATE OF product_id, school_id ON product_school BEGIN
        {_take(_link_pairs("old"))};
        {_add(_link_pairs("new"))};
    END""",
    "school_element_count_product_delete": f"""CREATE TRIGGER school_element_count_product_delete
        BEFORE DELETE ON product WHEN {_row_listed("old")} BEGIN
        {_take(_product_pairs("old.id"))};
    END""",
    "school_element_count_product_listed": f"""CREATE TRIGGER school_element_count_product_listed
        AFTER UPDATE OF status, vendor_id ON product
        WHEN NOT ({_row_listed("old")}) AND ({_row_listed("new")}) BEGIN
        {_add(_product_pairs("new.id"))};
    END""",
    "school_element_count_product_unlisted": f"""CREATE TRIGGER school_element_count_product_unlisted
        AFTER UPDATE OF status, vendor_id ON product
        WHEN ({_row_listed("old")}) AND NOT ({_row_listed("new")}) BEGIN
        {_take(_product_pairs("new.id"))};
    END""",
    "school_element_count_vendor_retired": f"""CREATE TRIGGER school_element_count_vendor_retired
        AFTER UPDATE OF is_retired ON vendor WHEN new.is_retired AND NOT old.is_retired BEGIN
        {_take(_vendor_pairs("new.id"))};
    END""",
    "school_element_count_vendor_back": f"""CREATE TRIGGER school_element_count_vendor_back
        AFTER UPDATE OF is_retired ON vendor WHEN old.is_retired AND NOT new.is_retired BEGIN
        {_add(_vendor_pairs("new.id"))};
    END""",
    "school_element_count_use_insert": f"""CREATE TRIGGER school_element_count_use_insert
        AFTER INSERT ON data_use BEGIN
        {_add(_use_pairs("new"))};
    END""",
    "school_element_count_use_delete": f"""CREATE TRIGGER school_element_count_use_delete
        AFTER DELETE ON data_use BEGIN
        {_take(_use_pairs("old"))};
    END""",
    "school_element_count_use_update": f"""CREATE TRIGGER school_element_count_use_update
        AFTER UPDATE OF product_id, data_element_id ON data_use BEGIN
        {_take(_use_pairs("old"))};
        {_add(_use_pairs("new"))};
    END""",
}

PG_STATEMENTS = [
    f"""CREATE FUNCTION school_element_count_link() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP IN ('UPDATE', 'DELETE') THEN
            {_take(_link_pairs("OLD"))};
        END IF;
        IF TG_OP IN ('UPDATE', 'INSERT') THEN
            {_add(_link_pairs("NEW"))};
        END IF;
        RETURN NULL;
    END $$""",
    """CREATE TRIGGER school_element_count_link AFTER INSERT OR DELETE OR UPDATE OF product_id, school_id
        ON product_school FOR EACH ROW EXECUTE FUNCTION school_element_count_link()""",
    f"""CREATE FUNCTION school_element_count_use() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP IN ('UPDATE', 'DELETE') THEN
            {_take(_use_pairs("OLD"))};
        END IF;
        IF TG_OP IN ('UPDATE', 'INSERT') THEN
            {_add(_use_pairs("NEW"))};
        END IF;
        RETURN NULL;
    END $$""",
    """CREATE TRIGGER school_element_count_use AFTER INSERT OR DELETE OR UPDATE OF product_id, data_element_id
        ON data_use FOR EACH ROW EXECUTE FUNCTION school_element_count_use()""",
    f"""CREATE FUNCTION school_element_count_product() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
        was_listed boolean;
        is_listed boolean;
    BEGIN
        was_listed := {_row_listed("OLD")};
        IF TG_OP = 'DELETE' THEN
            IF was_listed THEN
                {_take(_product_pairs("OLD.id"))};
            END IF;
            RETURN OLD;
        END IF;
        is_listed := {_row_listed("NEW")};
        IF is_listed AND NOT was_listed THEN
            {_add(_product_pairs("NEW.id"))};
        ELSIF was_listed AND NOT is_listed THEN
            {_take(_product_pairs("NEW.id"))};
        END IF;
        RETURN NULL;
    END $$""",
    """CREATE TRIGGER school_element_count_product_delete BEFORE DELETE ON product
        FOR EACH ROW EXECUTE FUNCTION school_element_count_product()""",
    """CREATE TRIGGER school_element_count_product_update AFTER UPDATE OF status, vendor_id ON product
        FOR EACH ROW EXECUTE FUNCTION school_element_count_product()""",
    f"""CREATE FUNCTION school_element_count_vendor() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF NEW.is_retired THEN
            {_take(_vendor_pairs("NEW.id"))};
        ELSE
            {_add(_vendor_pairs("NEW.id"))};
        END IF;
        RETURN NULL;
    END $$""",
    """CREATE TRIGGER school_element_count_vendor AFTER UPDATE OF is_retired ON vendor
        FOR EACH ROW WHEN (OLD.is_retired IS DISTINCT FROM NEW.is_retired)
        EXECUTE FUNCTION school_element_count_vendor()""",
]
PG_TRIGGERS = {
    "school_element_count_link": "product_school",
    "school_element_count_use": "data_use",
    "school_element_count_product_delete": "product",
    "school_element_count_product_update": "product",
    "school_element_count_vendor": "vendor",
}
PG_FUNCTIONS = (
    "school_element_count_link",
    "school_element_count_use",
    "school_element_count_product",
    "school_element_count_vendor",
)


def create_sqlite_triggers():
    for statement in SQLITE_TRIGGERS.values():
        op.execute(statement)


def upgrade():
    op.create_table(
        TABLE,
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("data_element_id", sa.Integer(), nullable=False),
        sa.Column("product_count", sa.Integer(), nullable=False, server_default="0"),
        sa.ForeignKeyConstraint(
            ["school_id"], ["school.id"], name=op.f("fk_school_element_count_school_id_school"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["data_element_id"],
            ["data_element.id"],
            name=op.f("fk_school_element_count_data_element_id_data_element"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("school_id", "data_element_id", name=op.f("pk_school_element_count")),
    )
    op.execute(COUNT_ALL)
    if op.get_bind().dialect.name == "postgresql":
        for statement in PG_STATEMENTS:
            op.execute(statement)
    else:
        create_sqlite_triggers()
    data_version.watch(op, TABLE)


def downgrade():
    data_version.unwatch(op, TABLE)
    if op.get_bind().dialect.name == "postgresql":
        for trigger, table in PG_TRIGGERS.items():
            op.execute(f"DROP TRIGGER IF EXISTS {trigger} ON {table}")
        for function in PG_FUNCTIONS:
            op.execute(f"DROP FUNCTION IF EXISTS {function}()")
    else:
        for trigger in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    op.drop_table(TABLE)
