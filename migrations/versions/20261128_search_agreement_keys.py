"""search agreement keys: product_search keeps each product's agreement key and stated agreement status

PostgreSQL only. A search with an agreement filter asked broad enough to be asked by its rule
(`/directory?q=reading&agreement=active`) read the hits from product_search, then asked the rule of each
hit's product: PostgreSQL hashed the agreements in the state and read all 25,000 entries of
`ix_product_agreement_key` to hash the matching products, joined to the hits (about 7.6 ms of the
statement's execution on the bench). The rule reads only two columns of a product with no agreement or a
sole one (`Product.agreement_key`, `Product.agreement_status`), so product_search now keeps them beside
each document, and the hits answer it themselves (`directory.queries.DirectoryFilters.hit_clauses`); the
few products with several agreements are still ranked from their agreements.

- `agreement_key`: product.agreement_key (0 none, the sole agreement's id, -1 several);
- `agreement_status`: product.agreement_status (what the district stated).

Kept exact whatever writes: `product_search_refresh` (a product's insert, an update of what its document
reads) writes them with the document; `product_search_keep`, run when a product's status, agreement key or
stated status changes (trigger `product_search_after_kept`, which replaces `product_search_after_status`)
or its vendor retires or returns, writes the kept columns alone. The agreement key itself is kept by
triggers on agreement_product (migration 20261126_agreement_standing_counts), whose UPDATE of product
fires this one. `kept_counts_check` compares both with product's.

SQLite's product_search is an FTS5 table, which keeps no such column (migration 20261126_search_sort_keys);
its searches join product, and ask the rule of it, as before.

Revision ID: 4bab71c1370d
Revises: 1102edbe85a9
Create Date: 2026-11-28 08:30:00

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "4bab71c1370d"
down_revision = "1102edbe85a9"
branch_labels = None
depends_on = None

# What the kept columns hold for product p of vendor v (ProductStatus.RETIRED is stored as 'retired').
SORT_KEYS = "p.name AS name, v.name AS vendor_name, (p.status <> 'retired' AND NOT v.is_retired) AS listed"
KEPT = f"{SORT_KEYS}, p.agreement_key AS agreement_key, p.agreement_status AS agreement_status"
COLUMNS = "name, vendor_name, listed, agreement_key, agreement_status"
SORT_KEY_COLUMNS = "name, vendor_name, listed"


def _functions(kept: str, columns: str) -> list[str]:
    """`product_search_refresh` and `product_search_keep` writing `columns` (what `kept` selects)."""
    names = [name.strip() for name in columns.split(",")]
    excluded = ", ".join(f"EXCLUDED.{name}" for name in names)
    stored = ", ".join(f"product_search.{name}" for name in names)
    return [
        f"""CREATE OR REPLACE FUNCTION product_search_refresh(wanted integer[]) RETURNS void LANGUAGE sql AS $$
        INSERT INTO product_search (product_id, document, {columns})
        SELECT p.id, product_search_document(p.id), {kept}
        FROM product AS p JOIN vendor AS v ON v.id = p.vendor_id WHERE p.id = ANY(wanted)
        ON CONFLICT (product_id) DO UPDATE
        SET (document, {columns}) = (EXCLUDED.document, {excluded})
        WHERE (product_search.document, {stored}) IS DISTINCT FROM (EXCLUDED.document, {excluded})
    $$""",
        f"""CREATE OR REPLACE FUNCTION product_search_keep(wanted integer[]) RETURNS void LANGUAGE sql AS $$
        UPDATE product_search AS s SET ({columns}) = ({", ".join(f"kept.{name}" for name in names)})
        FROM (SELECT p.id, {kept}
              FROM product AS p JOIN vendor AS v ON v.id = p.vendor_id WHERE p.id = ANY(wanted)) AS kept
        WHERE s.product_id = kept.id
            AND ({", ".join(f"s.{name}" for name in names)})
                IS DISTINCT FROM ({", ".join(f"kept.{name}" for name in names)})
    $$""",
    ]


PG_STATEMENTS = [
    "ALTER TABLE product_search ADD COLUMN agreement_key integer, ADD COLUMN agreement_status varchar(32)",
    # Filled once; the documents do not change, so the vocabulary's trigger has nothing to note.
    "ALTER TABLE product_search DISABLE TRIGGER product_search_vocab_after_update",
    """UPDATE product_search AS s SET (agreement_key, agreement_status) = (p.agreement_key, p.agreement_status)
        FROM product AS p WHERE p.id = s.product_id""",
    "ALTER TABLE product_search ENABLE TRIGGER product_search_vocab_after_update",
    "ALTER TABLE product_search ALTER COLUMN agreement_key SET NOT NULL,"
    " ALTER COLUMN agreement_status SET NOT NULL",
    # Every row was written again: the table and its GIN index were half dead rows (the bench's 9,940 heap and
    # 2,483 index pages after VACUUM, against 6,747 and 1,842), and a search read its hits from more pages. A table
    # rewrite copies only the rows this transaction sees (CLUSTER would keep the old versions, VACUUM FULL cannot
    # run in a transaction): a change of type that is not a plain copy forces one, and rebuilds the indexes.
    "ALTER TABLE product_search ALTER COLUMN agreement_key TYPE integer USING agreement_key + 0",
    *_functions(KEPT, COLUMNS),
    "DROP TRIGGER product_search_after_status ON product",
    "DROP FUNCTION product_search_after_status()",
    """CREATE FUNCTION product_search_after_kept() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        PERFORM product_search_keep(ARRAY[NEW.id]);
        RETURN NULL;
    END $$""",
    """CREATE TRIGGER product_search_after_kept AFTER UPDATE OF status, agreement_key, agreement_status ON product
        FOR EACH ROW WHEN ((OLD.status, OLD.agreement_key, OLD.agreement_status)
            IS DISTINCT FROM (NEW.status, NEW.agreement_key, NEW.agreement_status))
        EXECUTE FUNCTION product_search_after_kept()""",
]

PG_DOWNGRADE = [
    "DROP TRIGGER product_search_after_kept ON product",
    "DROP FUNCTION product_search_after_kept()",
    """CREATE FUNCTION product_search_after_status() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        PERFORM product_search_keep(ARRAY[NEW.id]);
        RETURN NULL;
    END $$""",
    """CREATE TRIGGER product_search_after_status AFTER UPDATE OF status ON product
        FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status) EXECUTE FUNCTION product_search_after_status()""",
    *_functions(SORT_KEYS, SORT_KEY_COLUMNS),
    "ALTER TABLE product_search DROP COLUMN agreement_status, DROP COLUMN agreement_key",
]


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        for statement in PG_STATEMENTS:
            op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for statement in PG_DOWNGRADE:
            op.execute(statement)
