"""directory full-text search: product_search, kept in sync by triggers; indexes for the directory

One row per product with its name, its vendor's name and its purpose, indexed by the
database's own full-text engine:

- SQLite: an FTS5 virtual table (rowid = product.id, unicode61 tokenizer without diacritics);
- PostgreSQL: a table of weighted tsvectors (A name, B vendor, C purpose) with a GIN index.

Triggers on product (insert, update, delete) and on vendor (rename) keep it in sync, so every
writer (staff screens, importer, demo data, bench) is covered without remembering it. The
table is not a model: migrations/env.py and the head-matches-models test skip it through
`clearinghouse.directory.search_index.include_object`.

It also adds the indexes the directory's filters, counts and sorts read: product (status,
vendor_id), product (updated_at) and data_use (data_element_id, product_id).

On SQLite, a later batch migration that recreates `product` or `vendor` drops these triggers
with the old table; such a migration must call `create_sqlite_triggers()` again.

Revision ID: 5d3c9a1e7b42
Revises: 3b8f2c6d1a90
Create Date: 2026-11-22 20:00:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '5d3c9a1e7b42'
down_revision = '3b8f2c6d1a90'
branch_labels = None
depends_on = None


SQLITE_TRIGGERS = [
    """CREATE TRIGGER product_search_after_insert AFTER INSERT ON product BEGIN
        INSERT INTO product_search (rowid, name, vendor, purpose)
        SELECT new.id, new.name, vendor.name, new.purpose_md FROM vendor WHERE vendor.id = new.vendor_id;
    END""",
    """CREATE TRIGGER product_search_after_update AFTER UPDATE OF name, purpose_md, vendor_id ON product BEGIN
        DELETE FROM product_search WHERE rowid = old.id;
        INSERT INTO product_search (rowid, name, vendor, purpose)
        SELECT new.id, new.name, vendor.name, new.purpose_md FROM vendor WHERE vendor.id = new.vendor_id;
    END""",
    """CREATE TRIGGER product_search_after_delete AFTER DELETE ON product BEGIN
        DELETE FROM product_search WHERE rowid = old.id;
    END""",
    """CREATE TRIGGER product_search_after_vendor_rename AFTER UPDATE OF name ON vendor
    WHEN old.name IS NOT new.name BEGIN
        UPDATE product_search SET vendor = new.name
        WHERE rowid IN (SELECT id FROM product WHERE vendor_id = new.id);
    END""",
]

# Latin letters with diacritics and their plain letters: PostgreSQL folds both the indexed text
# (SQL translate() in the triggers) and the search terms with this table, as FTS5 does on SQLite.
FOLD_FROM = "ÀÁÂÃÄÅÇÈÉÊËÌÍÎÏÑÒÓÔÕÖÙÚÛÜÝàáâãäåçèéêëìíîïñòóôõöùúûüýÿĀāĂăĄąĆćĈĉĊċČčĎďĒēĔĕĖėĘęĚěĜĝĞğĠġĢģĤĥĨĩĪīĬĭĮįİĴĵĶķĹĺĻļĽľŃńŅņŇňŌōŎŏŐőŔŕŖŗŘřŚśŜŝŞşŠšŢţŤťŨũŪūŬŭŮůŰűŲųŴŵŶŷŸŹźŻżŽžƠơƯưǍǎǏǐǑǒǓǔǕǖǗǘǙǚǛǜǞǟǠǡǦǧǨǩǪǫǬǭǰǴǵǸǹǺǻȀȁȂȃȄȅȆȇȈȉȊȋȌȍȎȏȐȑȒȓȔȕȖȗȘșȚțȞȟȦȧȨȩȪȫȬȭȮȯȰȱȲȳ"
FOLD_TO = "AAAAAACEEEEIIIINOOOOOUUUUYaaaaaaceeeeiiiinooooouuuuyyAaAaAaCcCcCcCcDdEeEeEeEeEeGgGgGgGgHhIiIiIiIiIJjKkLlLlLlNnNnNnOoOoOoRrRrRrSsSsSsSsTtTtUuUuUuUuUuUuWwYyYZzZzZzOoUuAaIiOoUuUuUuUuUuAaAaGgKkOoOojGgNnAaAaAaEeEeIiIiOoOoRrRrUuUuSsTtHhAaEeOoOoOoOoYy"


def _folded(expression):
    return f"translate(coalesce({expression}, ''), '{FOLD_FROM}', '{FOLD_TO}')"


def pg_document(product, vendor_name):
    """The weighted search document of a product row: A its name, B its vendor's name, C its purpose."""
    return (
        f"setweight(to_tsvector('simple', {_folded(product + '.name')}), 'A')"
        f" || setweight(to_tsvector('simple', {_folded(vendor_name)}), 'B')"
        f" || setweight(to_tsvector('simple', {_folded(product + '.purpose_md')}), 'C')"
    )


PG_STATEMENTS = [
    """CREATE TABLE product_search (
        product_id integer PRIMARY KEY REFERENCES product (id) ON DELETE CASCADE,
        document tsvector NOT NULL
    )""",
    "CREATE INDEX ix_product_search_document ON product_search USING gin (document)",
    f"""CREATE FUNCTION product_search_refresh_product() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO product_search (product_id, document)
        SELECT NEW.id, {pg_document("NEW", "vendor.name")} FROM vendor WHERE vendor.id = NEW.vendor_id
        ON CONFLICT (product_id) DO UPDATE SET document = EXCLUDED.document;
        RETURN NULL;
    END $$""",
    f"""CREATE FUNCTION product_search_refresh_vendor() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE product_search SET document = {pg_document("product", "NEW.name")}
        FROM product WHERE product.id = product_search.product_id AND product.vendor_id = NEW.id;
        RETURN NULL;
    END $$""",
    """CREATE TRIGGER product_search_after_write AFTER INSERT OR UPDATE OF name, purpose_md, vendor_id ON product
        FOR EACH ROW EXECUTE FUNCTION product_search_refresh_product()""",
    """CREATE TRIGGER product_search_after_vendor_rename AFTER UPDATE OF name ON vendor
        FOR EACH ROW WHEN (OLD.name IS DISTINCT FROM NEW.name) EXECUTE FUNCTION product_search_refresh_vendor()""",
    f"""INSERT INTO product_search (product_id, document)
        SELECT product.id, {pg_document("product", "vendor.name")}
        FROM product JOIN vendor ON vendor.id = product.vendor_id""",
]


def create_sqlite_triggers():
    for statement in SQLITE_TRIGGERS:
        op.execute(statement)


def upgrade():
    op.create_index("ix_product_status_vendor_id", "product", ["status", "vendor_id"])
    op.create_index("ix_product_updated_at", "product", ["updated_at"])
    op.create_index("ix_data_use_element_product", "data_use", ["data_element_id", "product_id"])
    if op.get_bind().dialect.name == "postgresql":
        for statement in PG_STATEMENTS:
            op.execute(statement)
        return
    op.execute(
        "CREATE VIRTUAL TABLE product_search USING fts5("
        "name, vendor, purpose, tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3')"
    )
    # A match in the product's name counts most, then its vendor's name, then its purpose.
    op.execute("INSERT INTO product_search (product_search, rank) VALUES ('rank', 'bm25(10.0, 5.0, 1.0)')")
    create_sqlite_triggers()
    op.execute(
        "INSERT INTO product_search (rowid, name, vendor, purpose) "
        "SELECT product.id, product.name, vendor.name, product.purpose_md "
        "FROM product JOIN vendor ON vendor.id = product.vendor_id"
    )


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS product_search_after_vendor_rename ON vendor")
        op.execute("DROP TRIGGER IF EXISTS product_search_after_write ON product")
        op.execute("DROP FUNCTION IF EXISTS product_search_refresh_vendor()")
        op.execute("DROP FUNCTION IF EXISTS product_search_refresh_product()")
        op.execute("DROP TABLE IF EXISTS product_search")
    else:
        for name in ("after_vendor_rename", "after_delete", "after_update", "after_insert"):
            op.execute(f"DROP TRIGGER IF EXISTS product_search_{name}")
        op.execute("DROP TABLE IF EXISTS product_search")
    op.drop_index("ix_data_use_element_product", table_name="data_use")
    op.drop_index("ix_product_updated_at", table_name="product")
    op.drop_index("ix_product_status_vendor_id", table_name="product")
