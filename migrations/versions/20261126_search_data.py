"""search data: the search index also holds the data each product receives, and its vocabulary

A parent searches for "health" or "alergias": the index now keeps, beside each product's name,
vendor and purpose,

- its purpose in every language staff translated it into (product.translations), and
- the names of the data elements it receives and of their categories, in every language
  (data_element.translations, data_category.translations): the `data` column on SQLite, the
  lexemes of weight D on PostgreSQL.

`clearinghouse.directory.search_synonyms` maps everyday words to those names at search time.

Triggers keep it all in step, so every writer is covered without remembering it: product
(insert, update of name, purpose, vendor or translations, delete), vendor (rename), data_use
(insert, update, delete), data_element and data_category (rename, translations, category).

The vocabulary of the index, for "Did you mean …?", is `product_search_vocab` (term, doc: the
number of products with the word) on both databases: on SQLite FTS5's own fts5vocab table over the
index; on PostgreSQL a table that triggers on product_search keep counted.

PostgreSQL now folds ASCII and common typographic punctuation to spaces before indexing, so it
splits words where FTS5's unicode61 tokenizer does ("pick-up" is "pick up", "and/or" is "and or")
and both databases find the same products.

On SQLite, a later batch migration that recreates product, vendor, data_use, data_element or
data_category drops these triggers with the old table; it must call `create_sqlite_triggers()`
of this migration again.

Revision ID: 4f2a7d9c1e86
Revises: 9d0ba2e8c643
Create Date: 2026-11-26 01:30:00

"""

import importlib.util
from pathlib import Path

from alembic import op

# revision identifiers, used by Alembic.
revision = "4f2a7d9c1e86"
down_revision = "9d0ba2e8c643"
branch_labels = None
depends_on = None

# The same table as clearinghouse.directory.search (a test checks they match).
FOLD_FROM = "ÀÁÂÃÄÅÇÈÉÊËÌÍÎÏÑÒÓÔÕÖÙÚÛÜÝàáâãäåçèéêëìíîïñòóôõöùúûüýÿĀāĂăĄąĆćĈĉĊċČčĎďĒēĔĕĖėĘęĚěĜĝĞğĠġĢģĤĥĨĩĪīĬĭĮįİĴĵĶķĹĺĻļĽľŃńŅņŇňŌōŎŏŐőŔŕŖŗŘřŚśŜŝŞşŠšŢţŤťŨũŪūŬŭŮůŰűŲųŴŵŶŷŸŹźŻżŽžƠơƯưǍǎǏǐǑǒǓǔǕǖǗǘǙǚǛǜǞǟǠǡǦǧǨǩǪǫǬǭǰǴǵǸǹǺǻȀȁȂȃȄȅȆȇȈȉȊȋȌȍȎȏȐȑȒȓȔȕȖȗȘșȚțȞȟȦȧȨȩȪȫȬȭȮȯȰȱȲȳ"
FOLD_TO = "AAAAAACEEEEIIIINOOOOOUUUUYaaaaaaceeeeiiiinooooouuuuyyAaAaAaCcCcCcCcDdEeEeEeEeEeGgGgGgGgHhIiIiIiIiIJjKkLlLlLlNnNnNnOoOoOoRrRrRrSsSsSsSsTtTtUuUuUuUuUuUuWwYyYZzZzZzOoUuAaIiOoUuUuUuUuUuAaAaGgKkOoOojGgNnAaAaAaEeEeIiIiOoOoRrRrUuUuSsTtHhAaEeOoOoOoOoYy"
# Punctuation PostgreSQL's parser would keep inside a token (e-mail, and/or, a URL), as spaces.
PUNCTUATION = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~¿¡«»‹›‘’‚“”„–—―…·•"


def _sql_string(text):
    return "'" + text.replace("'", "''") + "'"


def _folded(expression):
    """PostgreSQL: the text with accents folded and punctuation made spaces."""
    return (
        f"translate(translate(coalesce({expression}, ''), {_sql_string(FOLD_FROM)}, {_sql_string(FOLD_TO)}),"
        f" {_sql_string(PUNCTUATION)}, {_sql_string(' ' * len(PUNCTUATION))})"
    )


# --- SQLite --------------------------------------------------------------------------------------


def _sqlite_translations(row, field):
    return (
        f"coalesce((SELECT group_concat(j.value, ' ') FROM json_tree({row}.translations) AS j "
        f"WHERE j.key = '{field}' AND j.type = 'text'), '')"
    )


def _sqlite_purpose(row):
    return f"coalesce({row}.purpose_md, '') || ' ' || {_sqlite_translations(row, 'purpose_md')}"


def _sqlite_data(product_id):
    """The names, in every language, of the data elements a product receives and of their categories."""
    return f"""coalesce((SELECT group_concat(names, ' ') FROM (
            SELECT e.name || ' ' || {_sqlite_translations("e", "name")} AS names
            FROM data_use AS u JOIN data_element AS e ON e.id = u.data_element_id
            WHERE u.product_id = {product_id}
            UNION ALL
            SELECT c.name || ' ' || {_sqlite_translations("c", "name")}
            FROM data_category AS c
            WHERE c.id IN (
                SELECT e.category_id FROM data_use AS u JOIN data_element AS e ON e.id = u.data_element_id
                WHERE u.product_id = {product_id}
            )
        )), '')"""


def _sqlite_insert(row, source=None):
    """Index the product `row` (a trigger's `new`), or every product of `source` (a FROM clause)."""
    return f"""INSERT INTO product_search (rowid, name, vendor, purpose, data)
        SELECT {row}.id, {row}.name, vendor.name, {_sqlite_purpose(row)}, {_sqlite_data(row + ".id")}
        FROM {source or f"vendor WHERE vendor.id = {row}.vendor_id"}"""


def _sqlite_refresh_data(where):
    return f"UPDATE product_search SET data = {_sqlite_data('product_search.rowid')} WHERE {where}"


SQLITE_TRIGGERS = [
    f"""CREATE TRIGGER product_search_after_insert AFTER INSERT ON product BEGIN
        {_sqlite_insert("new")};
    END""",
    f"""CREATE TRIGGER product_search_after_update AFTER UPDATE OF name, purpose_md, vendor_id, translations
    ON product BEGIN
        DELETE FROM product_search WHERE rowid = old.id;
        {_sqlite_insert("new")};
    END""",
    """CREATE TRIGGER product_search_after_delete AFTER DELETE ON product BEGIN
        DELETE FROM product_search WHERE rowid = old.id;
    END""",
    """CREATE TRIGGER product_search_after_vendor_rename AFTER UPDATE OF name ON vendor
    WHEN old.name IS NOT new.name BEGIN
        UPDATE product_search SET vendor = new.name
        WHERE rowid IN (SELECT id FROM product WHERE vendor_id = new.id);
    END""",
    f"""CREATE TRIGGER product_search_after_data_use_insert AFTER INSERT ON data_use BEGIN
        {_sqlite_refresh_data("rowid = new.product_id")};
    END""",
    f"""CREATE TRIGGER product_search_after_data_use_update AFTER UPDATE OF product_id, data_element_id
    ON data_use BEGIN
        {_sqlite_refresh_data("rowid IN (old.product_id, new.product_id)")};
    END""",
    f"""CREATE TRIGGER product_search_after_data_use_delete AFTER DELETE ON data_use BEGIN
        {_sqlite_refresh_data("rowid = old.product_id")};
    END""",
    f"""CREATE TRIGGER product_search_after_data_element_update AFTER UPDATE OF name, translations, category_id
    ON data_element BEGIN
        {_sqlite_refresh_data("rowid IN (SELECT product_id FROM data_use WHERE data_element_id = new.id)")};
    END""",
    f"""CREATE TRIGGER product_search_after_data_category_update AFTER UPDATE OF name, translations
    ON data_category BEGIN
        {
        _sqlite_refresh_data(
            "rowid IN (SELECT u.product_id FROM data_use AS u JOIN data_element AS e ON e.id = u.data_element_id"
            " WHERE e.category_id = new.id)"
        )
    };
    END""",
]
SQLITE_TRIGGER_NAMES = [statement.split()[2] for statement in SQLITE_TRIGGERS]


def create_sqlite_triggers():
    for statement in SQLITE_TRIGGERS:
        op.execute(statement)


def _upgrade_sqlite():
    for name in ("after_vendor_rename", "after_delete", "after_update", "after_insert"):
        op.execute(f"DROP TRIGGER IF EXISTS product_search_{name}")
    op.execute("DROP TABLE IF EXISTS product_search")
    op.execute(
        "CREATE VIRTUAL TABLE product_search USING fts5("
        "name, vendor, purpose, data, tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3')"
    )
    # A match in the product's name counts most, then its vendor's name, then its purpose and data.
    op.execute("INSERT INTO product_search (product_search, rank) VALUES ('rank', 'bm25(10.0, 5.0, 1.0, 1.0)')")
    op.execute("CREATE VIRTUAL TABLE product_search_vocab USING fts5vocab(product_search, row)")
    create_sqlite_triggers()
    op.execute(_sqlite_insert("product", "product JOIN vendor ON vendor.id = product.vendor_id"))


# --- PostgreSQL ----------------------------------------------------------------------------------


def _pg_translations(row, field):
    return f"coalesce((SELECT string_agg(t.value ->> '{field}', ' ') FROM jsonb_each({row}.translations) AS t), '')"


PG_STATEMENTS = [
    f"""CREATE FUNCTION product_search_document(wanted integer) RETURNS tsvector LANGUAGE sql STABLE AS $$
        SELECT setweight(to_tsvector('simple', {_folded("p.name")}), 'A')
            || setweight(to_tsvector('simple', {_folded("v.name")}), 'B')
            || setweight(to_tsvector('simple', {
        _folded("p.purpose_md || ' ' || " + _pg_translations("p", "purpose_md"))
    }), 'C')
            || setweight(to_tsvector('simple', {
        _folded(
            '''(SELECT string_agg(names, ' ') FROM (
                SELECT e.name || ' ' || '''
            + _pg_translations("e", "name")
            + ''' AS names
                FROM data_use AS u JOIN data_element AS e ON e.id = u.data_element_id
                WHERE u.product_id = p.id
                UNION ALL
                SELECT c.name || ' ' || '''
            + _pg_translations("c", "name")
            + '''
                FROM data_category AS c
                WHERE c.id IN (
                    SELECT e.category_id FROM data_use AS u JOIN data_element AS e ON e.id = u.data_element_id
                    WHERE u.product_id = p.id
                )
            ) AS data)'''
        )
    }), 'D')
        FROM product AS p JOIN vendor AS v ON v.id = p.vendor_id
        WHERE p.id = wanted
    $$""",
    """CREATE FUNCTION product_search_refresh(wanted integer[]) RETURNS void LANGUAGE sql AS $$
        INSERT INTO product_search (product_id, document)
        SELECT product.id, product_search_document(product.id) FROM product WHERE product.id = ANY(wanted)
        ON CONFLICT (product_id) DO UPDATE SET document = EXCLUDED.document
        WHERE product_search.document IS DISTINCT FROM EXCLUDED.document
    $$""",
    """CREATE FUNCTION product_search_after_product() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'INSERT' THEN
            PERFORM product_search_refresh(ARRAY(SELECT id FROM new_rows));
        ELSE
            PERFORM product_search_refresh(ARRAY[NEW.id]);
        END IF;
        RETURN NULL;
    END $$""",
    """CREATE TRIGGER product_search_after_insert AFTER INSERT ON product
        REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION product_search_after_product()""",
    """CREATE TRIGGER product_search_after_update AFTER UPDATE OF name, purpose_md, vendor_id, translations
        ON product FOR EACH ROW EXECUTE FUNCTION product_search_after_product()""",
    """CREATE FUNCTION product_search_after_vendor() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        PERFORM product_search_refresh(ARRAY(SELECT id FROM product WHERE vendor_id = NEW.id));
        RETURN NULL;
    END $$""",
    """CREATE TRIGGER product_search_after_vendor_rename AFTER UPDATE OF name ON vendor
        FOR EACH ROW WHEN (OLD.name IS DISTINCT FROM NEW.name) EXECUTE FUNCTION product_search_after_vendor()""",
    """CREATE FUNCTION product_search_after_data_use() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'INSERT' THEN
            PERFORM product_search_refresh(ARRAY(SELECT DISTINCT product_id FROM new_rows));
        ELSIF TG_OP = 'DELETE' THEN
            PERFORM product_search_refresh(ARRAY(SELECT DISTINCT product_id FROM old_rows));
        ELSE
            PERFORM product_search_refresh(
                ARRAY(SELECT product_id FROM new_rows UNION SELECT product_id FROM old_rows));
        END IF;
        RETURN NULL;
    END $$""",
    """CREATE TRIGGER product_search_after_data_use_insert AFTER INSERT ON data_use
        REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION product_search_after_data_use()""",
    """CREATE TRIGGER product_search_after_data_use_update AFTER UPDATE ON data_use
        REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
        FOR EACH STATEMENT EXECUTE FUNCTION product_search_after_data_use()""",
    """CREATE TRIGGER product_search_after_data_use_delete AFTER DELETE ON data_use
        REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION product_search_after_data_use()""",
    """CREATE FUNCTION product_search_after_data_element() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        PERFORM product_search_refresh(ARRAY(SELECT product_id FROM data_use WHERE data_element_id = NEW.id));
        RETURN NULL;
    END $$""",
    """CREATE TRIGGER product_search_after_data_element_update AFTER UPDATE OF name, translations, category_id
        ON data_element FOR EACH ROW EXECUTE FUNCTION product_search_after_data_element()""",
    """CREATE FUNCTION product_search_after_data_category() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        PERFORM product_search_refresh(ARRAY(
            SELECT DISTINCT u.product_id FROM data_use AS u JOIN data_element AS e ON e.id = u.data_element_id
            WHERE e.category_id = NEW.id));
        RETURN NULL;
    END $$""",
    """CREATE TRIGGER product_search_after_data_category_update AFTER UPDATE OF name, translations
        ON data_category FOR EACH ROW EXECUTE FUNCTION product_search_after_data_category()""",
    # The vocabulary: each word of the index and the number of products that have it.
    """CREATE TABLE product_search_vocab (term text COLLATE "C" PRIMARY KEY, doc integer NOT NULL)""",
    """CREATE FUNCTION product_search_vocab_count() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
        terms text[];
        deltas integer[];
    BEGIN
        IF TG_OP = 'TRUNCATE' THEN
            TRUNCATE product_search_vocab;
            RETURN NULL;
        ELSIF TG_OP = 'INSERT' THEN
            SELECT array_agg(lexeme ORDER BY lexeme), array_agg(n ORDER BY lexeme) INTO terms, deltas
            FROM (SELECT w.lexeme, count(*)::integer AS n FROM new_rows, unnest(new_rows.document) AS w
                  GROUP BY w.lexeme) AS changes;
        ELSIF TG_OP = 'DELETE' THEN
            SELECT array_agg(lexeme ORDER BY lexeme), array_agg(-n ORDER BY lexeme) INTO terms, deltas
            FROM (SELECT w.lexeme, count(*)::integer AS n FROM old_rows, unnest(old_rows.document) AS w
                  GROUP BY w.lexeme) AS changes;
        ELSE
            SELECT array_agg(lexeme ORDER BY lexeme), array_agg(n ORDER BY lexeme) INTO terms, deltas
            FROM (SELECT lexeme, sum(delta)::integer AS n FROM (
                    SELECT w.lexeme, 1 AS delta FROM new_rows, unnest(new_rows.document) AS w
                    UNION ALL
                    SELECT w.lexeme, -1 FROM old_rows, unnest(old_rows.document) AS w
                  ) AS words GROUP BY lexeme HAVING sum(delta) <> 0) AS changes;
        END IF;
        IF terms IS NOT NULL THEN
            INSERT INTO product_search_vocab AS v (term, doc)
            SELECT term, doc FROM unnest(terms, deltas) AS changes (term, doc) ORDER BY term
            ON CONFLICT (term) DO UPDATE SET doc = v.doc + EXCLUDED.doc;
            DELETE FROM product_search_vocab WHERE term = ANY(terms) AND doc <= 0;
        END IF;
        RETURN NULL;
    END $$""",
    """CREATE TRIGGER product_search_vocab_after_insert AFTER INSERT ON product_search
        REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION product_search_vocab_count()""",
    """CREATE TRIGGER product_search_vocab_after_update AFTER UPDATE ON product_search
        REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
        FOR EACH STATEMENT EXECUTE FUNCTION product_search_vocab_count()""",
    """CREATE TRIGGER product_search_vocab_after_delete AFTER DELETE ON product_search
        REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION product_search_vocab_count()""",
    """CREATE TRIGGER product_search_vocab_after_truncate AFTER TRUNCATE ON product_search
        FOR EACH STATEMENT EXECUTE FUNCTION product_search_vocab_count()""",
    # Rebuild every document (and so the vocabulary) from the tables.
    "TRUNCATE product_search",
    "SELECT product_search_refresh(ARRAY(SELECT id FROM product))",
]

PG_DROPS = [
    "DROP TRIGGER IF EXISTS product_search_vocab_after_truncate ON product_search",
    "DROP TRIGGER IF EXISTS product_search_vocab_after_delete ON product_search",
    "DROP TRIGGER IF EXISTS product_search_vocab_after_update ON product_search",
    "DROP TRIGGER IF EXISTS product_search_vocab_after_insert ON product_search",
    "DROP FUNCTION IF EXISTS product_search_vocab_count()",
    "DROP TABLE IF EXISTS product_search_vocab",
    "DROP TRIGGER IF EXISTS product_search_after_data_category_update ON data_category",
    "DROP FUNCTION IF EXISTS product_search_after_data_category()",
    "DROP TRIGGER IF EXISTS product_search_after_data_element_update ON data_element",
    "DROP FUNCTION IF EXISTS product_search_after_data_element()",
    "DROP TRIGGER IF EXISTS product_search_after_data_use_delete ON data_use",
    "DROP TRIGGER IF EXISTS product_search_after_data_use_update ON data_use",
    "DROP TRIGGER IF EXISTS product_search_after_data_use_insert ON data_use",
    "DROP FUNCTION IF EXISTS product_search_after_data_use()",
    "DROP TRIGGER IF EXISTS product_search_after_vendor_rename ON vendor",
    "DROP FUNCTION IF EXISTS product_search_after_vendor()",
    "DROP TRIGGER IF EXISTS product_search_after_update ON product",
    "DROP TRIGGER IF EXISTS product_search_after_insert ON product",
    "DROP FUNCTION IF EXISTS product_search_after_product()",
    "DROP FUNCTION IF EXISTS product_search_refresh(integer[])",
    "DROP FUNCTION IF EXISTS product_search_document(integer)",
]


def _previous():
    """Migration 20261122_directory_search, whose index the downgrade puts back."""
    path = Path(__file__).with_name("20261122_directory_search.py")
    spec = importlib.util.spec_from_file_location("directory_search_20261122", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        _upgrade_sqlite()
        return
    op.execute("DROP TRIGGER IF EXISTS product_search_after_vendor_rename ON vendor")
    op.execute("DROP TRIGGER IF EXISTS product_search_after_write ON product")
    op.execute("DROP FUNCTION IF EXISTS product_search_refresh_vendor()")
    op.execute("DROP FUNCTION IF EXISTS product_search_refresh_product()")
    for statement in PG_STATEMENTS:
        op.execute(statement)


def downgrade():
    previous = _previous()
    if op.get_bind().dialect.name == "postgresql":
        for statement in PG_DROPS:
            op.execute(statement)
        # The old trigger functions and triggers, then every document as it used to be.
        for statement in previous.PG_STATEMENTS:
            if statement.lstrip().startswith(("CREATE FUNCTION", "CREATE TRIGGER")):
                op.execute(statement)
        op.execute(
            f"UPDATE product_search SET document = {previous.pg_document('product', 'vendor.name')} "
            "FROM product JOIN vendor ON vendor.id = product.vendor_id WHERE product.id = product_search.product_id"
        )
        return
    for name in SQLITE_TRIGGER_NAMES:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.execute("DROP TABLE IF EXISTS product_search_vocab")
    op.execute("DROP TABLE IF EXISTS product_search")
    op.execute(
        "CREATE VIRTUAL TABLE product_search USING fts5("
        "name, vendor, purpose, tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3')"
    )
    op.execute("INSERT INTO product_search (product_search, rank) VALUES ('rank', 'bm25(10.0, 5.0, 1.0)')")
    previous.create_sqlite_triggers()
    op.execute(
        "INSERT INTO product_search (rowid, name, vendor, purpose) "
        "SELECT product.id, product.name, vendor.name, product.purpose_md "
        "FROM product JOIN vendor ON vendor.id = product.vendor_id"
    )
