"""search vocabulary: on PostgreSQL, the words of the index without their counts

Migration 20261126_search_data counted, for each word, the products that have it: every change
of a document updated the rows of its words, and a bulk load in one transaction (25,000 products
and 150,000 data uses in bench/directory.py, or a large import) updated the same rows of common
words ("student") over and over, each update walking past the versions the last ones left, so the
load slowed with every statement. "Did you mean …?" needs only the words, so rows are now only
inserted (ON CONFLICT DO NOTHING writes no new version of an existing row), and a word a change
removes is deleted once no document has it (a lookup in the GIN index). SQLite's fts5vocab is
unchanged.

Revision ID: 2b7e9c4a6d18
Revises: 4d7e2a9c5b18
Create Date: 2026-11-26 02:30:00

"""
import importlib.util
from pathlib import Path

from alembic import op

# revision identifiers, used by Alembic.
revision = "2b7e9c4a6d18"
down_revision = "4d7e2a9c5b18"
branch_labels = None
depends_on = None

# A word is removed only when no document has it any more (the GIN index answers that).
_UNUSED = "NOT EXISTS (SELECT FROM product_search AS p WHERE p.document @@ quote_literal(v.term)::tsquery)"

VOCAB_FUNCTION = f"""CREATE OR REPLACE FUNCTION product_search_vocab_count() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'TRUNCATE' THEN
            TRUNCATE product_search_vocab;
            RETURN NULL;
        END IF;
        IF TG_OP IN ('INSERT', 'UPDATE') THEN
            INSERT INTO product_search_vocab (term)
            SELECT DISTINCT w.lexeme FROM new_rows, unnest(new_rows.document) AS w ORDER BY w.lexeme
            ON CONFLICT (term) DO NOTHING;
        END IF;
        IF TG_OP = 'DELETE' THEN
            DELETE FROM product_search_vocab AS v
            WHERE v.term IN (SELECT w.lexeme FROM old_rows, unnest(old_rows.document) AS w) AND {_UNUSED};
        ELSIF TG_OP = 'UPDATE' THEN
            DELETE FROM product_search_vocab AS v
            WHERE v.term IN (
                SELECT w.lexeme FROM old_rows, unnest(old_rows.document) AS w
                EXCEPT SELECT w.lexeme FROM new_rows, unnest(new_rows.document) AS w
            ) AND {_UNUSED};
        END IF;
        RETURN NULL;
    END $$"""


def _previous():
    """Migration 20261126_search_data, whose counting function the downgrade puts back."""
    path = Path(__file__).with_name("20261126_search_data.py")
    spec = importlib.util.spec_from_file_location("search_data_20261126", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(VOCAB_FUNCTION)
    op.execute("ALTER TABLE product_search_vocab DROP COLUMN doc")


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("ALTER TABLE product_search_vocab ADD COLUMN doc integer NOT NULL DEFAULT 0")
    op.execute("ALTER TABLE product_search_vocab ALTER COLUMN doc DROP DEFAULT")
    op.execute(
        "UPDATE product_search_vocab AS v SET doc = counts.n FROM ("
        "SELECT w.lexeme, count(*) AS n FROM product_search, unnest(product_search.document) AS w GROUP BY w.lexeme"
        ") AS counts WHERE counts.lexeme = v.term"
    )
    (counting,) = [s for s in _previous().PG_STATEMENTS if "CREATE FUNCTION product_search_vocab_count()" in s]
    op.execute(counting.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION", 1))
