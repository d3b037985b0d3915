"""search sort keys: product_search keeps each product's name, its vendor's name and whether it is listed

PostgreSQL only. A search for a common word ("reading": 2,254 hits of 25,000 products) ranked every
hit, then joined each to product (its name, to sort ties of rank; its status) and to the retired
vendors (whether it is listed) to sort, count and pick a page of 25: the join read every product
row's index entry. product_search now keeps those columns beside each document, so a search's page
is picked and counted from product_search alone (`clearinghouse.directory.search.search_hits`):

- `name`: product.name (the same type and collation, so it sorts as product.name does);
- `vendor_name`: the vendor's name (the sorts by name and by vendor break ties with it);
- `listed`: the product is not retired and neither is its vendor (`queries.listed_clause`).

Triggers keep them exact whatever writes (staff screens, importer, raw SQL, multi-row statements):
`product_search_refresh` (run on a product's insert and on an update of its name, purpose, vendor or
translations, and on a vendor's rename) now writes them with the document; a product's status change
and a vendor's retirement (or return) write them alone (`product_search_keep`).

SQLite's product_search is an FTS5 virtual table: adding a column means rebuilding it and every
trigger of migration 20261126_search_data, and SQLite's search is not the one the goal measures, so
SQLite keeps joining product (`search_hits` gives these columns on PostgreSQL only).

Revision ID: 7b3e5f1a9c24
Revises: 6f2a8d4c1e93
Create Date: 2026-11-26 23:40:00

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "7b3e5f1a9c24"
down_revision = "6f2a8d4c1e93"
branch_labels = None
depends_on = None

# What the kept columns hold for product p of vendor v (ProductStatus.RETIRED is stored as 'retired').
KEPT = "p.name AS name, v.name AS vendor_name, (p.status <> 'retired' AND NOT v.is_retired) AS listed"

PG_STATEMENTS = [
    "ALTER TABLE product_search ADD COLUMN name varchar(200), ADD COLUMN vendor_name varchar(200),"
    " ADD COLUMN listed boolean",
    # Filled once; the documents do not change, so the vocabulary's trigger has nothing to note.
    "ALTER TABLE product_search DISABLE TRIGGER product_search_vocab_after_update",
    f"""UPDATE product_search AS s SET (name, vendor_name, listed) = (SELECT {KEPT}
        FROM product AS p JOIN vendor AS v ON v.id = p.vendor_id WHERE p.id = s.product_id)""",
    "ALTER TABLE product_search ENABLE TRIGGER product_search_vocab_after_update",
    "ALTER TABLE product_search ALTER COLUMN name SET NOT NULL, ALTER COLUMN vendor_name SET NOT NULL,"
    " ALTER COLUMN listed SET NOT NULL",
    f"""CREATE OR REPLACE FUNCTION product_search_refresh(wanted integer[]) RETURNS void LANGUAGE sql AS $$
        INSERT INTO product_search (product_id, document, name, vendor_name, listed)
        SELECT p.id, product_search_document(p.id), {KEPT}
        FROM product AS p JOIN vendor AS v ON v.id = p.vendor_id WHERE p.id = ANY(wanted)
        ON CONFLICT (product_id) DO UPDATE
        SET document = EXCLUDED.document, name = EXCLUDED.name, vendor_name = EXCLUDED.vendor_name,
            listed = EXCLUDED.listed
        WHERE (product_search.document, product_search.name, product_search.vendor_name, product_search.listed)
            IS DISTINCT FROM (EXCLUDED.document, EXCLUDED.name, EXCLUDED.vendor_name, EXCLUDED.listed)
    $$""",
    f"""CREATE FUNCTION product_search_keep(wanted integer[]) RETURNS void LANGUAGE sql AS $$
        UPDATE product_search AS s SET (name, vendor_name, listed) = (kept.name, kept.vendor_name, kept.listed)
        FROM (SELECT p.id, {KEPT}
              FROM product AS p JOIN vendor AS v ON v.id = p.vendor_id WHERE p.id = ANY(wanted)) AS kept
        WHERE s.product_id = kept.id
            AND (s.name, s.vendor_name, s.listed) IS DISTINCT FROM (kept.name, kept.vendor_name, kept.listed)
    $$""",
    """CREATE FUNCTION product_search_after_status() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        PERFORM product_search_keep(ARRAY[NEW.id]);
        RETURN NULL;
    END $$""",
    """CREATE TRIGGER product_search_after_status AFTER UPDATE OF status ON product
        FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status) EXECUTE FUNCTION product_search_after_status()""",
    """CREATE FUNCTION product_search_after_vendor_retired() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        PERFORM product_search_keep(ARRAY(SELECT id FROM product WHERE vendor_id = NEW.id));
        RETURN NULL;
    END $$""",
    """CREATE TRIGGER product_search_after_vendor_retired AFTER UPDATE OF is_retired ON vendor
        FOR EACH ROW WHEN (OLD.is_retired IS DISTINCT FROM NEW.is_retired)
        EXECUTE FUNCTION product_search_after_vendor_retired()""",
]

PG_DOWNGRADE = [
    "DROP TRIGGER IF EXISTS product_search_after_vendor_retired ON vendor",
    "DROP TRIGGER IF EXISTS product_search_after_status ON product",
    "DROP FUNCTION IF EXISTS product_search_after_vendor_retired()",
    "DROP FUNCTION IF EXISTS product_search_after_status()",
    "DROP FUNCTION IF EXISTS product_search_keep(integer[])",
    """CREATE OR REPLACE FUNCTION product_search_refresh(wanted integer[]) RETURNS void LANGUAGE sql AS $$
        INSERT INTO product_search (product_id, document)
        SELECT product.id, product_search_document(product.id) FROM product WHERE product.id = ANY(wanted)
        ON CONFLICT (product_id) DO UPDATE SET document = EXCLUDED.document
        WHERE product_search.document IS DISTINCT FROM EXCLUDED.document
    $$""",
    "ALTER TABLE product_search DROP COLUMN listed, DROP COLUMN vendor_name, DROP COLUMN name",
]


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        for statement in PG_STATEMENTS:
            op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for statement in PG_DOWNGRADE:
            op.execute(statement)
