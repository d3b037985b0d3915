"""schools: how many listed products each uses, and how many of those receive sensitive data, kept by triggers

The schools index, a school's page, the API's schools and the reports' "Products by school" showed
counts made on each request from every school's product links and every product's data (50,000
links and 150,000 data uses at the bench's scale: 45 ms of SQL for the index). The counts now live
on the school (`school.product_count`, `school.sensitive_product_count`), and triggers keep them in
the same transaction as every write that changes them, whichever path writes (services, the
importer, the demo loader, raw SQL):

- a product added to or taken from a school (a link added, removed or moved);
- a product retired or brought back, moved to another vendor, or deleted;
- a vendor retired or brought back;
- a data use added, removed or moved, when its data element is sensitive;
- a data element made sensitive or no longer sensitive.

A listed product is not retired and its vendor is not retired (`directory.queries.listed_clause`);
it receives sensitive data when at least one of its data elements is sensitive. Links, products
and vendors change the counts by one (or by the vendor's products); a data use recounts the
sensitive products of the schools of its product, since whether it was the product's first or last
sensitive use cannot be told row by row inside a multi-row statement on PostgreSQL (its row
triggers run after the whole statement): there, one statement trigger recounts the schools of the
products the statement touched; on SQLite, where a row trigger runs right after its row, each
sensitive use added or removed adds or takes one when it was the product's first or last.

The upgrade counts every school once. On SQLite a later migration that rebuilds `product_school`,
`product`, `vendor`, `data_use` or `data_element` in batch mode drops their triggers: it must call
`create_sqlite_triggers()` from here again (tests/directory/test_school_counts.py fails otherwise).

Revision ID: 8b4d1e7c3a52
Revises: 3f8a2c6d1b95
Create Date: 2026-11-26 08:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "8b4d1e7c3a52"
down_revision = "3f8a2c6d1b95"
branch_labels = None
depends_on = None


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


def _sensitive_uses(product_id: str) -> str:
    """How many sensitive data elements the product `product_id` receives."""
    return (
        "(SELECT count(*) FROM data_use JOIN data_element ON data_element.id = data_use.data_element_id "
        f"WHERE data_use.product_id = {product_id} AND data_element.is_sensitive)"
    )


def _is_sensitive(element_id: str) -> str:
    return f"EXISTS (SELECT 1 FROM data_element WHERE data_element.id = {element_id} AND data_element.is_sensitive)"


def _one_if_sensitive(product_id: str) -> str:
    return f"CASE WHEN {_sensitive_uses(product_id)} > 0 THEN 1 ELSE 0 END"


def _link(sign: str, row: str) -> str:
    """A link `row` (OLD or NEW of product_school) of a listed product added (`sign` +) or removed (-)."""
    return (
        f"UPDATE school SET product_count = product_count {sign} 1, "
        f"sensitive_product_count = sensitive_product_count {sign} {_one_if_sensitive(f'{row}.product_id')} "
        f"WHERE id = {row}.school_id AND {_listed(f'{row}.product_id')}"
    )


def _product(sign: str, product_id: str) -> str:
    """The product `product_id` listed (`sign` +) or unlisted (-) at each of its schools."""
    return (
        f"UPDATE school SET product_count = product_count {sign} 1, "
        f"sensitive_product_count = sensitive_product_count {sign} {_one_if_sensitive(product_id)} "
        f"WHERE id IN (SELECT school_id FROM product_school WHERE product_id = {product_id})"
    )


def _vendor(sign_case: str, vendor_id: str) -> str:
    """The vendor's products that are not retired, listed or unlisted (times `sign_case`) at their schools."""
    products = (
        "FROM product_school JOIN product ON product.id = product_school.product_id "
        f"WHERE product_school.school_id = school.id AND product.vendor_id = {vendor_id} "
        "AND product.status <> 'retired'"
    )
    return (
        f"UPDATE school SET product_count = product_count + ({sign_case}) * (SELECT count(*) {products}), "
        f"sensitive_product_count = sensitive_product_count + ({sign_case}) * "
        f"(SELECT count(*) {products} AND {_sensitive_uses('product.id')} > 0) "
        "WHERE id IN (SELECT product_school.school_id FROM product_school JOIN product "
        f"ON product.id = product_school.product_id WHERE product.vendor_id = {vendor_id} "
        "AND product.status <> 'retired')"
    )


def _sensitive_use(sign: str, row: str, uses_now: int) -> str:
    """SQLite: a sensitive use `row` added (+) or removed (-): the product's schools gain or lose it
    when the product now has `uses_now` sensitive uses (1: it was the first; 0: it was the last)."""
    return (
        f"UPDATE school SET sensitive_product_count = sensitive_product_count {sign} 1 "
        f"WHERE id IN (SELECT school_id FROM product_school WHERE product_id = {row}.product_id) "
        f"AND {_is_sensitive(f'{row}.data_element_id')} AND {_sensitive_uses(f'{row}.product_id')} = {uses_now} "
        f"AND {_listed(f'{row}.product_id')}"
    )


def recount(schools: str = "") -> str:
    """Count the sensitive products of the schools `schools` (a WHERE clause on school; all when empty)
    from scratch."""
    return (
        "UPDATE school SET sensitive_product_count = (SELECT count(*) FROM product_school "
        "JOIN product ON product.id = product_school.product_id JOIN vendor ON vendor.id = product.vendor_id "
        "WHERE product_school.school_id = school.id AND product.status <> 'retired' AND NOT vendor.is_retired "
        f"AND {_sensitive_uses('product.id')} > 0)" + (f" WHERE {schools}" if schools else "")
    )


RECOUNT_ALL = (
    "UPDATE school SET product_count = (SELECT count(*) FROM product_school "
    "JOIN product ON product.id = product_school.product_id JOIN vendor ON vendor.id = product.vendor_id "
    "WHERE product_school.school_id = school.id AND product.status <> 'retired' AND NOT vendor.is_retired)"
)

SQLITE_TRIGGERS = {
    "school_count_link_insert": f"""CREATE TRIGGER school_count_link_insert AFTER INSERT ON product_school BEGIN
        {_link("+", "new")};
    END""",
    "school_count_link_delete": f"""CREATE TRIGGER school_count_link_delete AFTER DELETE ON product_school BEGIN
        {_link("-", "old")};
    END""",
    "school_count_link_update": f"""CREATE TRIGGER school_count_link_update
        AFTER UPDATE OF product_id, school_id ON product_school BEGIN
        {_link("-", "old")};
        {_link("+", "new")};
    END""",
    "school_count_product_delete": f"""CREATE TRIGGER school_count_product_delete
        BEFORE DELETE ON product WHEN {_row_listed("old")} BEGIN
        {_product("-", "old.id")};
    END""",
    "school_count_product_listed": f"""CREATE TRIGGER school_count_product_listed
        AFTER UPDATE OF status, vendor_id ON product
        WHEN NOT ({_row_listed("old")}) AND ({_row_listed("new")}) BEGIN
        {_product("+", "new.id")};
    END""",
    "school_count_product_unlisted": f"""CREATE TRIGGER school_count_product_unlisted
        AFTER UPDATE OF status, vendor_id ON product
        WHEN ({_row_listed("old")}) AND NOT ({_row_listed("new")}) BEGIN
        {_product("-", "new.id")};
    END""",
    "school_count_vendor": f"""CREATE TRIGGER school_count_vendor AFTER UPDATE OF is_retired ON vendor
        WHEN old.is_retired IS NOT new.is_retired BEGIN
        {_vendor("CASE WHEN new.is_retired THEN -1 ELSE 1 END", "new.id")};
    END""",
    "school_count_use_insert": f"""CREATE TRIGGER school_count_use_insert AFTER INSERT ON data_use BEGIN
        {_sensitive_use("+", "new", 1)};
    END""",
    "school_count_use_delete": f"""CREATE TRIGGER school_count_use_delete AFTER DELETE ON data_use BEGIN
        {_sensitive_use("-", "old", 0)};
    END""",
    # Rare (the services replace uses): recount the schools of both products.
    "school_count_use_update": f"""CREATE TRIGGER school_count_use_update
        AFTER UPDATE OF product_id, data_element_id ON data_use BEGIN
        {recount("id IN (SELECT school_id FROM product_school WHERE product_id IN (old.product_id, new.product_id))")};
    END""",
    "school_count_element": f"""CREATE TRIGGER school_count_element AFTER UPDATE OF is_sensitive ON data_element
        WHEN old.is_sensitive IS NOT new.is_sensitive BEGIN
        {recount()};
    END""",
}

# The products whose sensitive uses a data_use statement changed, from its transition tables.
_CHANGED_NEW = (
    "SELECT changed.product_id FROM changed_new AS changed "
    "JOIN data_element ON data_element.id = changed.data_element_id WHERE data_element.is_sensitive"
)
_CHANGED_OLD = _CHANGED_NEW.replace("changed_new", "changed_old")
# An UPDATE trigger cannot name columns and have transition tables: leave out rows whose product
# and element stayed (a purpose edited).
_MOVED = (
    "SELECT moved.product_id FROM changed_old AS moved JOIN changed_new AS kept ON kept.id = moved.id "
    "WHERE (moved.product_id, moved.data_element_id) IS DISTINCT FROM (kept.product_id, kept.data_element_id) "
    "UNION SELECT kept.product_id FROM changed_old AS moved JOIN changed_new AS kept ON kept.id = moved.id "
    "WHERE (moved.product_id, moved.data_element_id) IS DISTINCT FROM (kept.product_id, kept.data_element_id)"
)
_SCHOOLS_OF = "id IN (SELECT school_id FROM product_school WHERE product_id IN ({products}))"

PG_STATEMENTS = [
    f"""CREATE FUNCTION school_count_link() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP IN ('UPDATE', 'DELETE') THEN
            {_link("-", "OLD")};
        END IF;
        IF TG_OP IN ('UPDATE', 'INSERT') THEN
            {_link("+", "NEW")};
        END IF;
        RETURN NULL;
    END $$""",
    """CREATE TRIGGER school_count_link AFTER INSERT OR DELETE OR UPDATE OF product_id, school_id
        ON product_school FOR EACH ROW EXECUTE FUNCTION school_count_link()""",
    f"""CREATE FUNCTION school_count_product() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
        was_listed boolean;
        is_listed boolean;
    BEGIN
        was_listed := {_row_listed("OLD")};
        IF TG_OP = 'DELETE' THEN
            IF was_listed THEN
                {_product("-", "OLD.id")};
            END IF;
            RETURN OLD;
        END IF;
        is_listed := {_row_listed("NEW")};
        IF is_listed AND NOT was_listed THEN
            {_product("+", "NEW.id")};
        ELSIF was_listed AND NOT is_listed THEN
            {_product("-", "NEW.id")};
        END IF;
        RETURN NULL;
    END $$""",
    """CREATE TRIGGER school_count_product_delete BEFORE DELETE ON product
        FOR EACH ROW EXECUTE FUNCTION school_count_product()""",
    """CREATE TRIGGER school_count_product_update AFTER UPDATE OF status, vendor_id ON product
        FOR EACH ROW EXECUTE FUNCTION school_count_product()""",
    f"""CREATE FUNCTION school_count_vendor() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        {_vendor("CASE WHEN NEW.is_retired THEN -1 ELSE 1 END", "NEW.id")};
        RETURN NULL;
    END $$""",
    """CREATE TRIGGER school_count_vendor AFTER UPDATE OF is_retired ON vendor
        FOR EACH ROW WHEN (OLD.is_retired IS DISTINCT FROM NEW.is_retired)
        EXECUTE FUNCTION school_count_vendor()""",
    # One recount per statement of the schools of the products whose sensitive uses it changed.
    f"""CREATE FUNCTION school_count_use() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'INSERT' THEN
            {recount(_SCHOOLS_OF.format(products=_CHANGED_NEW))};
        ELSIF TG_OP = 'DELETE' THEN
            {recount(_SCHOOLS_OF.format(products=_CHANGED_OLD))};
        ELSE
            {recount(_SCHOOLS_OF.format(products=_MOVED))};
        END IF;
        RETURN NULL;
    END $$""",
    """CREATE TRIGGER school_count_use_insert AFTER INSERT ON data_use REFERENCING NEW TABLE AS changed_new
        FOR EACH STATEMENT EXECUTE FUNCTION school_count_use()""",
    """CREATE TRIGGER school_count_use_delete AFTER DELETE ON data_use REFERENCING OLD TABLE AS changed_old
        FOR EACH STATEMENT EXECUTE FUNCTION school_count_use()""",
    """CREATE TRIGGER school_count_use_update AFTER UPDATE ON data_use
        REFERENCING OLD TABLE AS changed_old NEW TABLE AS changed_new
        FOR EACH STATEMENT EXECUTE FUNCTION school_count_use()""",
    f"""CREATE FUNCTION school_count_element() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        {recount()};
        RETURN NULL;
    END $$""",
    """CREATE TRIGGER school_count_element AFTER UPDATE OF is_sensitive ON data_element
        FOR EACH ROW WHEN (OLD.is_sensitive IS DISTINCT FROM NEW.is_sensitive)
        EXECUTE FUNCTION school_count_element()""",
]
PG_TRIGGERS = {
    "school_count_link": "product_school",
    "school_count_product_delete": "product",
    "school_count_product_update": "product",
    "school_count_vendor": "vendor",
    "school_count_use_insert": "data_use",
    "school_count_use_delete": "data_use",
    "school_count_use_update": "data_use",
    "school_count_element": "data_element",
}
PG_FUNCTIONS = (
    "school_count_link",
    "school_count_product",
    "school_count_vendor",
    "school_count_use",
    "school_count_element",
)


def create_sqlite_triggers():
    for statement in SQLITE_TRIGGERS.values():
        op.execute(statement)


def upgrade():
    op.add_column("school", sa.Column("product_count", sa.Integer(), nullable=False, server_default="0"))
    op.add_column("school", sa.Column("sensitive_product_count", sa.Integer(), nullable=False, server_default="0"))
    if op.get_bind().dialect.name == "postgresql":
        for statement in PG_STATEMENTS:
            op.execute(statement)
    else:
        create_sqlite_triggers()
    op.execute(RECOUNT_ALL)
    op.execute(recount())


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for trigger, table in PG_TRIGGERS.items():
            op.execute(f"DROP TRIGGER IF EXISTS {trigger} ON {table}")
        for function in PG_FUNCTIONS:
            op.execute(f"DROP FUNCTION IF EXISTS {function}()")
    else:
        for trigger in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    # Not batch mode: rebuilding school on SQLite would trip the other triggers that name it.
    op.execute("ALTER TABLE school DROP COLUMN sensitive_product_count")
    op.execute("ALTER TABLE school DROP COLUMN product_count")
