"""data element pages: each product's data elements' ids kept on the product by triggers, in its name index

A data element's page (and the directory filtered by one data element alone) walks the listed products in
name order and stops after the page (`directory.queries.DirectoryFilters.kept`), asking of each product
walked whether it receives the element: a probe of data_use's (product, element) index, three buffers each.
Page 100 of the most shared element (18,845 receivers of 23,501 listed products) walked 3,092 products
and probed each: 5.5-6.5 ms of its 6-7 ms of execution on the bench catalogue; the middle pages of a
broad element and the last pages of a rare one walked and probed 10,000-23,000 (15-30 ms, or PostgreSQL
sorted every receiver instead). No statement that gives the same answer does better: reading the
element's receivers from data_use and sorting them reads 18,845 of them.

`product.received_element_ids` holds the ids of the data elements the product receives, in order of id,
each between commas (",3,7,12,"); NULL when it receives none. ix_product_name_listing carries it, so the
walk asks each product from the index it walks (`received_element_ids LIKE '%,1,%'`): no probe.

What changes it: a data use added, removed or moved (to another product or element); a product or data
element deleted takes its uses by cascade, which then count. The triggers write the product's own row,
in the writer's statement, as `product.school_names` is written (migration 20261127_product_school_names):
no shared row, nothing to note for the commit.

Revision ID: e77d6d7315a1
Revises: a2e298975949
Create Date: 2026-11-27 19:30:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "e77d6d7315a1"
down_revision = "a2e298975949"
branch_labels = None
depends_on = None

# The columns ix_product_name_listing carries beside (name, id), before and after this migration.
LISTING_BEFORE = "status, vendor_id, agreement_key, agreement_status"
LISTING_AFTER = f"{LISTING_BEFORE}, received_element_ids"


def _ids(product_id: str, dialect: str) -> str:
    """The product's data elements' ids, by id, each between commas (NULL without a data use)."""
    if dialect == "postgresql":
        return (
            "(SELECT ',' || string_agg(u.data_element_id::text, ',' ORDER BY u.data_element_id) || ','"  # noqa: S608 - constants
            f" FROM data_use AS u WHERE u.product_id = {product_id})"
        )
    # SQLite before 3.44 has no ORDER BY inside an aggregate: group_concat reads an ordered subquery's rows
    # in their order.
    return (
        "(SELECT ',' || group_concat(e, ',') || ',' FROM (SELECT u.data_element_id AS e FROM data_use AS u"  # noqa: S608 - constants
        f" WHERE u.product_id = {product_id} ORDER BY u.data_element_id))"
    )


def _rewritten(products: str, dialect: str) -> str:
    """Make the ids of the products `products` (a WHERE clause on product) again, where they change."""
    distinct = "IS DISTINCT FROM" if dialect == "postgresql" else "IS NOT"
    ids = _ids("product.id", dialect)
    return f"UPDATE product SET received_element_ids = {ids} WHERE {products} AND received_element_ids {distinct} {ids}"  # noqa: S608 - constants


def _of_product(product_id: str, dialect: str) -> str:
    return _rewritten(f"product.id = {product_id}", dialect)


SQLITE_TRIGGERS = {
    "received_elements_use_insert": f"""CREATE TRIGGER received_elements_use_insert AFTER INSERT ON data_use BEGIN
        {_of_product("new.product_id", "sqlite")};
    END""",
    "received_elements_use_delete": f"""CREATE TRIGGER received_elements_use_delete AFTER DELETE ON data_use BEGIN
        {_of_product("old.product_id", "sqlite")};
    END""",
    "received_elements_use_update": f"""CREATE TRIGGER received_elements_use_update
        AFTER UPDATE OF product_id, data_element_id ON data_use BEGIN
        {_of_product("old.product_id", "sqlite")};
        {_of_product("new.product_id", "sqlite")};
    END""",
}

PG_STATEMENTS = [
    f"""CREATE FUNCTION received_elements_use() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP IN ('UPDATE', 'DELETE') THEN
            {_of_product("OLD.product_id", "postgresql")};
        END IF;
        IF TG_OP IN ('UPDATE', 'INSERT') THEN
            {_of_product("NEW.product_id", "postgresql")};
        END IF;
        RETURN NULL;
    END $$""",
    """CREATE TRIGGER received_elements_use AFTER INSERT OR DELETE OR UPDATE OF product_id, data_element_id
        ON data_use FOR EACH ROW EXECUTE FUNCTION received_elements_use()""",
]
PG_TRIGGERS = {"received_elements_use": "data_use"}


def _listing_index(included: str, dialect: str) -> None:
    """ix_product_name_listing keyed on (name, id), carrying `included` (SQLite, which has no INCLUDE, keys on
    them too), as migration 20261127_product_name_listing_agreement made it."""
    op.execute("DROP INDEX IF EXISTS ix_product_name_listing")
    if dialect == "postgresql":
        op.execute(f"CREATE INDEX ix_product_name_listing ON product (name, id) INCLUDE ({included})")
    else:
        op.execute(f"CREATE INDEX ix_product_name_listing ON product (name, id, {included})")


def upgrade():
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        # An earlier migration of the same upgrade may have written product rows, whose deferred triggers
        # (the data version's) wait for the commit: PostgreSQL refuses to alter the table until they have run.
        op.execute("SET CONSTRAINTS ALL IMMEDIATE")
    # Not batch mode: rebuilding product on SQLite would drop the triggers that name it.
    op.add_column("product", sa.Column("received_element_ids", sa.Text(), nullable=True))
    op.execute(_rewritten("product.id IN (SELECT product_id FROM data_use)", dialect))
    if dialect == "postgresql":
        for statement in PG_STATEMENTS:
            op.execute(statement)
    else:
        for statement in SQLITE_TRIGGERS.values():
            op.execute(statement)
    _listing_index(LISTING_AFTER, dialect)


def downgrade():
    dialect = op.get_bind().dialect.name
    _listing_index(LISTING_BEFORE, dialect)
    if dialect == "postgresql":
        for trigger, table in PG_TRIGGERS.items():
            op.execute(f"DROP TRIGGER IF EXISTS {trigger} ON {table}")
            op.execute(f"DROP FUNCTION IF EXISTS {trigger}()")
    else:
        for trigger in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    # Not batch mode: rebuilding product on SQLite would drop the other triggers that name it.
    op.execute("ALTER TABLE product DROP COLUMN received_element_ids")
