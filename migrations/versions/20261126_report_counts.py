"""reports: products per data category and the overlap counts per product kind, kept by triggers

The public reports counted on each request, over the whole catalogue, the listed products that
receive each category's data (distinct products over every data use: 150,000 at the bench's scale)
and, per kind of product, the listed products used at some school and the schools that use them
(over every school link: 50,000). The counts now live on the category and the kind, and triggers
keep them in the same transaction as every write that changes them, whichever path writes
(services, the importer, the demo loader, raw SQL, multi-row statements):

- `data_category.product_count`: listed products with at least one data use of an element of the
  category. Changed by a data use added, removed or moved; a product listed or unlisted (status,
  vendor), deleted; a vendor retired or brought back; an element moved to another category.
- `product_kind.placed_product_count`: listed products of the kind linked to at least one school;
  `product_kind.school_count`: schools linked to at least one listed product of the kind. Changed
  by a school link added, removed or moved; a product listed or unlisted, given another kind,
  deleted; a vendor retired or brought back.

A listed product is not retired and its vendor is not retired (`directory.queries.listed_clause`).

Data uses and school links change the counts by a delta: for each (product, category), or (product)
and (kind, school), that the changed rows touch, whether it holds now less whether it held before
the statement, where "before" is the table now without the rows the statement wrote and with the
rows it removed. PostgreSQL runs it once per statement from the transition tables (its row triggers
run after the whole statement, so a row could not tell whether it was the first or the last); SQLite
runs it after each row, from that row alone (its row triggers run right after their row). One SQL
text serves both: only the rows' source differs. The rarer changes recount: a product's listing or
kind and a vendor's retirement recount the kinds concerned (cheap: one kind's links); a product
listed or unlisted, deleted, or a vendor's retirement add or take one per category it receives;
an element moved to another category recounts both categories.

The overlap lists the first products of each kind by name: `ix_product_kind_name` lets each kind's
list be read in order and stopped (a window over every product sorted the whole catalogue).

The upgrade counts every category and kind once. On SQLite a later migration that rebuilds
`data_use`, `product_school`, `product`, `vendor` or `data_element` in batch mode drops their
triggers: it must call `create_sqlite_triggers()` from here again (tests/reports/test_report_counts.py
fails otherwise).

Revision ID: 1c9e4b7a2d60
Revises: 8b4d1e7c3a52
Create Date: 2026-11-26 11:45:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "1c9e4b7a2d60"
down_revision = "8b4d1e7c3a52"
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


# --- products per data category -------------------------------------------------------------


def _category_delta(old: str, new: str) -> str:
    """Add to each category the change of its listed products that the data use rows `old` (removed
    or as they were) and `new` (written) made. `old` and `new` are row sources with the columns id,
    product_id and data_element_id."""
    uses_in = (
        "SELECT 1 FROM data_use AS u JOIN data_element AS ue ON ue.id = u.data_element_id "
        "WHERE u.product_id = pairs.product_id AND ue.category_id = pairs.category_id"
    )
    had = (
        f"(EXISTS ({uses_in} AND NOT EXISTS (SELECT 1 FROM {new} AS n WHERE n.id = u.id)) "
        f"OR EXISTS (SELECT 1 FROM {old} AS o JOIN data_element AS oe ON oe.id = o.data_element_id "
        "WHERE o.product_id = pairs.product_id AND oe.category_id = pairs.category_id))"
    )
    pairs = (
        "(SELECT DISTINCT rows.product_id, pe.category_id FROM "
        f"(SELECT product_id, data_element_id FROM {old} AS o UNION ALL SELECT product_id, data_element_id FROM {new} AS n) "
        "AS rows JOIN data_element AS pe ON pe.id = rows.data_element_id) AS pairs"
    )
    delta = (
        f"SELECT sum(CASE WHEN EXISTS ({uses_in}) THEN 1 ELSE 0 END - CASE WHEN {had} THEN 1 ELSE 0 END) "
        f"FROM {pairs} WHERE pairs.category_id = data_category.id AND {_listed('pairs.product_id')}"
    )
    return (
        f"UPDATE data_category SET product_count = product_count + coalesce(({delta}), 0) "
        f"WHERE id IN (SELECT e.category_id FROM (SELECT data_element_id FROM {old} AS o UNION ALL "
        f"SELECT data_element_id FROM {new} AS n) AS rows JOIN data_element AS e ON e.id = rows.data_element_id)"
    )


def _product_categories(sign: str, product_id: str) -> str:
    """Add `sign`1 to each category the product `product_id` receives data of."""
    return (
        f"UPDATE data_category SET product_count = product_count {sign} 1 WHERE id IN "
        "(SELECT e.category_id FROM data_use AS u JOIN data_element AS e ON e.id = u.data_element_id "
        f"WHERE u.product_id = {product_id})"
    )


def _vendor_categories(sign_case: str, vendor_id: str) -> str:
    """Add to each category the vendor's products that are not retired and receive its data, times `sign_case`."""
    products = (
        "SELECT count(DISTINCT u.product_id) FROM data_use AS u JOIN data_element AS e ON e.id = u.data_element_id "
        "JOIN product ON product.id = u.product_id "
        f"WHERE product.vendor_id = {vendor_id} AND product.status <> 'retired' AND e.category_id = data_category.id"
    )
    return f"UPDATE data_category SET product_count = product_count + ({sign_case}) * ({products})"


def recount_categories(categories: str = "") -> str:
    """Count the listed products of the categories `categories` (a WHERE clause; all when empty) afresh."""
    return (
        "UPDATE data_category SET product_count = (SELECT count(DISTINCT u.product_id) FROM data_use AS u "
        "JOIN data_element AS e ON e.id = u.data_element_id JOIN product ON product.id = u.product_id "
        "JOIN vendor ON vendor.id = product.vendor_id WHERE e.category_id = data_category.id "
        "AND product.status <> 'retired' AND NOT vendor.is_retired)" + (f" WHERE {categories}" if categories else "")
    )


# --- the overlap counts per product kind ---------------------------------------------------------


def _kind_delta(old: str, new: str) -> str:
    """Add to each kind the change of its placed products and of its schools that the school link
    rows `old` (removed or as they were) and `new` (written) made. Row sources with the columns
    product_id and school_id."""
    not_new = f"NOT EXISTS (SELECT 1 FROM {new} AS n WHERE n.product_id = l.product_id AND n.school_id = l.school_id)"
    rows = (
        f"(SELECT product_id, school_id FROM {old} AS o UNION ALL SELECT product_id, school_id FROM {new} AS n) AS rows"
    )
    # A product: placed now, placed before.
    product_links = "SELECT 1 FROM product_school AS l WHERE l.product_id = placed.product_id"
    product_had = (
        f"(EXISTS ({product_links} AND {not_new}) "
        f"OR EXISTS (SELECT 1 FROM {old} AS o WHERE o.product_id = placed.product_id))"
    )
    placed = (
        f"SELECT sum(CASE WHEN EXISTS ({product_links}) THEN 1 ELSE 0 END - CASE WHEN {product_had} THEN 1 ELSE 0 END) "
        f"FROM (SELECT DISTINCT rows.product_id FROM {rows}) AS placed JOIN product AS pp ON pp.id = placed.product_id "
        f"WHERE pp.kind_id = product_kind.id AND {_listed('placed.product_id')}"
    )
    # A school: used by a listed product of the kind now, before.
    kind_links = (
        "SELECT 1 FROM product_school AS l JOIN product AS lp ON lp.id = l.product_id "
        "JOIN vendor AS lv ON lv.id = lp.vendor_id WHERE l.school_id = used.school_id "
        "AND lp.kind_id = used.kind_id AND lp.status <> 'retired' AND NOT lv.is_retired"
    )
    kind_had = (
        f"(EXISTS ({kind_links} AND {not_new}) "
        f"OR EXISTS (SELECT 1 FROM {old} AS o JOIN product AS op ON op.id = o.product_id "
        "WHERE o.school_id = used.school_id AND op.kind_id = used.kind_id AND "
        f"{_listed('op.id')}))"
    )
    schools = (
        f"SELECT sum(CASE WHEN EXISTS ({kind_links}) THEN 1 ELSE 0 END - CASE WHEN {kind_had} THEN 1 ELSE 0 END) "
        f"FROM (SELECT DISTINCT up.kind_id, rows.school_id FROM {rows} JOIN product AS up ON up.id = rows.product_id) "
        "AS used WHERE used.kind_id = product_kind.id"
    )
    return (
        f"UPDATE product_kind SET placed_product_count = placed_product_count + coalesce(({placed}), 0), "
        f"school_count = school_count + coalesce(({schools}), 0) "
        f"WHERE id IN (SELECT p.kind_id FROM {rows} JOIN product AS p ON p.id = rows.product_id)"
    )


def recount_kinds(kinds: str = "") -> str:
    """Count the placed products and the schools of the kinds `kinds` (a WHERE clause; all when empty) afresh."""
    links = (
        "FROM product_school AS l JOIN product ON product.id = l.product_id JOIN vendor ON vendor.id = product.vendor_id "
        "WHERE product.kind_id = product_kind.id AND product.status <> 'retired' AND NOT vendor.is_retired"
    )
    return (
        f"UPDATE product_kind SET placed_product_count = (SELECT count(DISTINCT l.product_id) {links}), "
        f"school_count = (SELECT count(DISTINCT l.school_id) {links})" + (f" WHERE {kinds}" if kinds else "")
    )


# --- triggers --------------------------------------------------------------------------------------

NO_USES = "(SELECT 0 AS id, 0 AS product_id, 0 AS data_element_id WHERE 1 = 0)"
NO_LINKS = "(SELECT 0 AS product_id, 0 AS school_id WHERE 1 = 0)"


def _sqlite_use(row: str) -> str:
    return f"(SELECT {row}.id AS id, {row}.product_id AS product_id, {row}.data_element_id AS data_element_id)"


def _sqlite_link(row: str) -> str:
    return f"(SELECT {row}.product_id AS product_id, {row}.school_id AS school_id)"


def _listing_changed(old: str, new: str, is_not: str) -> str:
    return f"(CASE WHEN {_row_listed(old)} THEN 1 ELSE 0 END) {is_not} (CASE WHEN {_row_listed(new)} THEN 1 ELSE 0 END)"


SQLITE_TRIGGERS = {
    "report_count_use_insert": f"""CREATE TRIGGER report_count_use_insert AFTER INSERT ON data_use BEGIN
        {_category_delta(NO_USES, _sqlite_use("new"))};
    END""",
    "report_count_use_delete": f"""CREATE TRIGGER report_count_use_delete AFTER DELETE ON data_use BEGIN
        {_category_delta(_sqlite_use("old"), NO_USES)};
    END""",
    "report_count_use_update": f"""CREATE TRIGGER report_count_use_update
        AFTER UPDATE OF product_id, data_element_id ON data_use BEGIN
        {_category_delta(_sqlite_use("old"), _sqlite_use("new"))};
    END""",
    "report_count_link_insert": f"""CREATE TRIGGER report_count_link_insert AFTER INSERT ON product_school BEGIN
        {_kind_delta(NO_LINKS, _sqlite_link("new"))};
    END""",
    "report_count_link_delete": f"""CREATE TRIGGER report_count_link_delete AFTER DELETE ON product_school BEGIN
        {_kind_delta(_sqlite_link("old"), NO_LINKS)};
    END""",
    "report_count_link_update": f"""CREATE TRIGGER report_count_link_update
        AFTER UPDATE OF product_id, school_id ON product_school BEGIN
        {_kind_delta(_sqlite_link("old"), _sqlite_link("new"))};
    END""",
    "report_count_product_delete": f"""CREATE TRIGGER report_count_product_delete
        BEFORE DELETE ON product WHEN {_row_listed("old")} BEGIN
        {_product_categories("-", "old.id")};
    END""",
    # After the row and its links are gone: a recount joins the links to existing products only.
    "report_count_product_deleted": f"""CREATE TRIGGER report_count_product_deleted AFTER DELETE ON product BEGIN
        {recount_kinds("id = old.kind_id")};
    END""",
    "report_count_product_listed": f"""CREATE TRIGGER report_count_product_listed
        AFTER UPDATE OF status, vendor_id ON product WHEN {_listing_changed("old", "new", "<")} BEGIN
        {_product_categories("+", "new.id")};
    END""",
    "report_count_product_unlisted": f"""CREATE TRIGGER report_count_product_unlisted
        AFTER UPDATE OF status, vendor_id ON product WHEN {_listing_changed("old", "new", ">")} BEGIN
        {_product_categories("-", "new.id")};
    END""",
    "report_count_product_kind": f"""CREATE TRIGGER report_count_product_kind
        AFTER UPDATE OF status, vendor_id, kind_id ON product
        WHEN old.kind_id IS NOT new.kind_id OR {_listing_changed("old", "new", "<>")} BEGIN
        {recount_kinds("id IN (old.kind_id, new.kind_id)")};
    END""",
    "report_count_vendor": f"""CREATE TRIGGER report_count_vendor AFTER UPDATE OF is_retired ON vendor
        WHEN old.is_retired IS NOT new.is_retired BEGIN
        {_vendor_categories("CASE WHEN new.is_retired THEN -1 ELSE 1 END", "new.id")};
        {recount_kinds("id IN (SELECT kind_id FROM product WHERE vendor_id = new.id)")};
    END""",
    "report_count_element": f"""CREATE TRIGGER report_count_element AFTER UPDATE OF category_id ON data_element
        WHEN old.category_id IS NOT new.category_id BEGIN
        {recount_categories("id IN (old.category_id, new.category_id)")};
    END""",
}

# PostgreSQL: the rows of a statement, from its transition tables. An UPDATE trigger cannot name
# columns and have transition tables: the rows whose product and element (or school) stayed are
# left out (a purpose edited), as they change nothing.
_PG_NEW_USES = "(SELECT id, product_id, data_element_id FROM changed_new)"
_PG_OLD_USES = "(SELECT id, product_id, data_element_id FROM changed_old)"
_PG_MOVED = (
    "(SELECT {side}.id, {side}.product_id, {side}.data_element_id FROM changed_old AS was "
    "JOIN changed_new AS now ON now.id = was.id "
    "WHERE (was.product_id, was.data_element_id) IS DISTINCT FROM (now.product_id, now.data_element_id))"
)
_PG_NEW_LINKS = "(SELECT product_id, school_id FROM changed_new)"
_PG_OLD_LINKS = "(SELECT product_id, school_id FROM changed_old)"

PG_STATEMENTS = [
    f"""CREATE FUNCTION report_count_use() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'INSERT' THEN
            {_category_delta(NO_USES, _PG_NEW_USES)};
        ELSIF TG_OP = 'DELETE' THEN
            {_category_delta(_PG_OLD_USES, NO_USES)};
        ELSE
            {_category_delta(_PG_MOVED.format(side="was"), _PG_MOVED.format(side="now"))};
        END IF;
        RETURN NULL;
    END $$""",
    """CREATE TRIGGER report_count_use_insert AFTER INSERT ON data_use REFERENCING NEW TABLE AS changed_new
        FOR EACH STATEMENT EXECUTE FUNCTION report_count_use()""",
    """CREATE TRIGGER report_count_use_delete AFTER DELETE ON data_use REFERENCING OLD TABLE AS changed_old
        FOR EACH STATEMENT EXECUTE FUNCTION report_count_use()""",
    """CREATE TRIGGER report_count_use_update AFTER UPDATE ON data_use
        REFERENCING OLD TABLE AS changed_old NEW TABLE AS changed_new
        FOR EACH STATEMENT EXECUTE FUNCTION report_count_use()""",
    # A link's rows have no id: an UPDATE's old and new rows are taken whole (unchanged ones add nothing).
    f"""CREATE FUNCTION report_count_link() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'INSERT' THEN
            {_kind_delta(NO_LINKS, _PG_NEW_LINKS)};
        ELSIF TG_OP = 'DELETE' THEN
            {_kind_delta(_PG_OLD_LINKS, NO_LINKS)};
        ELSE
            {_kind_delta(_PG_OLD_LINKS, _PG_NEW_LINKS)};
        END IF;
        RETURN NULL;
    END $$""",
    """CREATE TRIGGER report_count_link_insert AFTER INSERT ON product_school REFERENCING NEW TABLE AS changed_new
        FOR EACH STATEMENT EXECUTE FUNCTION report_count_link()""",
    """CREATE TRIGGER report_count_link_delete AFTER DELETE ON product_school REFERENCING OLD TABLE AS changed_old
        FOR EACH STATEMENT EXECUTE FUNCTION report_count_link()""",
    """CREATE TRIGGER report_count_link_update AFTER UPDATE ON product_school
        REFERENCING OLD TABLE AS changed_old NEW TABLE AS changed_new
        FOR EACH STATEMENT EXECUTE FUNCTION report_count_link()""",
    f"""CREATE FUNCTION report_count_product() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
        was_listed boolean;
        is_listed boolean;
    BEGIN
        IF TG_OP = 'DELETE' THEN
            IF TG_WHEN = 'BEFORE' THEN
                IF {_row_listed("OLD")} THEN
                    {_product_categories("-", "OLD.id")};
                END IF;
                RETURN OLD;
            END IF;
            {recount_kinds("id = OLD.kind_id")};
            RETURN NULL;
        END IF;
        was_listed := {_row_listed("OLD")};
        is_listed := {_row_listed("NEW")};
        IF is_listed AND NOT was_listed THEN
            {_product_categories("+", "NEW.id")};
        ELSIF was_listed AND NOT is_listed THEN
            {_product_categories("-", "NEW.id")};
        END IF;
        IF is_listed IS DISTINCT FROM was_listed OR OLD.kind_id IS DISTINCT FROM NEW.kind_id THEN
            {recount_kinds("id IN (OLD.kind_id, NEW.kind_id)")};
        END IF;
        RETURN NULL;
    END $$""",
    """CREATE TRIGGER report_count_product_delete BEFORE DELETE ON product
        FOR EACH ROW EXECUTE FUNCTION report_count_product()""",
    """CREATE TRIGGER report_count_product_deleted AFTER DELETE ON product
        FOR EACH ROW EXECUTE FUNCTION report_count_product()""",
    """CREATE TRIGGER report_count_product_update AFTER UPDATE OF status, vendor_id, kind_id ON product
        FOR EACH ROW EXECUTE FUNCTION report_count_product()""",
    f"""CREATE FUNCTION report_count_vendor() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        {_vendor_categories("CASE WHEN NEW.is_retired THEN -1 ELSE 1 END", "NEW.id")};
        {recount_kinds("id IN (SELECT kind_id FROM product WHERE vendor_id = NEW.id)")};
        RETURN NULL;
    END $$""",
    """CREATE TRIGGER report_count_vendor AFTER UPDATE OF is_retired ON vendor
        FOR EACH ROW WHEN (OLD.is_retired IS DISTINCT FROM NEW.is_retired)
        EXECUTE FUNCTION report_count_vendor()""",
    f"""CREATE FUNCTION report_count_element() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        {recount_categories("id IN (OLD.category_id, NEW.category_id)")};
        RETURN NULL;
    END $$""",
    """CREATE TRIGGER report_count_element AFTER UPDATE OF category_id ON data_element
        FOR EACH ROW WHEN (OLD.category_id IS DISTINCT FROM NEW.category_id)
        EXECUTE FUNCTION report_count_element()""",
]
PG_TRIGGERS = {
    "report_count_use_insert": "data_use",
    "report_count_use_delete": "data_use",
    "report_count_use_update": "data_use",
    "report_count_link_insert": "product_school",
    "report_count_link_delete": "product_school",
    "report_count_link_update": "product_school",
    "report_count_product_delete": "product",
    "report_count_product_deleted": "product",
    "report_count_product_update": "product",
    "report_count_vendor": "vendor",
    "report_count_element": "data_element",
}
PG_FUNCTIONS = (
    "report_count_use",
    "report_count_link",
    "report_count_product",
    "report_count_vendor",
    "report_count_element",
)


def create_sqlite_triggers():
    for statement in SQLITE_TRIGGERS.values():
        op.execute(statement)


def upgrade():
    op.add_column("data_category", sa.Column("product_count", sa.Integer(), nullable=False, server_default="0"))
    op.add_column("product_kind", sa.Column("placed_product_count", sa.Integer(), nullable=False, server_default="0"))
    op.add_column("product_kind", sa.Column("school_count", sa.Integer(), nullable=False, server_default="0"))
    if op.get_bind().dialect.name == "postgresql":
        for statement in PG_STATEMENTS:
            op.execute(statement)
    else:
        create_sqlite_triggers()
    op.execute(recount_categories())
    op.execute(recount_kinds())
    op.create_index("ix_product_kind_name", "product", ["kind_id", "name", "id"])


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for trigger, table in PG_TRIGGERS.items():
            op.execute(f"DROP TRIGGER IF EXISTS {trigger} ON {table}")
        for function in PG_FUNCTIONS:
            op.execute(f"DROP FUNCTION IF EXISTS {function}()")
    else:
        for trigger in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    op.drop_index("ix_product_kind_name", table_name="product")
    # Not batch mode: rebuilding these tables on SQLite would trip the other triggers that name them.
    op.execute("ALTER TABLE product_kind DROP COLUMN school_count")
    op.execute("ALTER TABLE product_kind DROP COLUMN placed_product_count")
    op.execute("ALTER TABLE data_category DROP COLUMN product_count")
