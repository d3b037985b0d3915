"""reports: each product's schools' names, joined, kept on the product by triggers

The reports' overlap lists up to 50 products of each overlapping kind with the names of the schools
that use them. On PostgreSQL its statement joined the 700 products' 1,400 school links and their
schools, grouped them back and ordered each product's names in a `string_agg` (on SQLite a row per
product and school, joined in Python); it also probed each walked product for a link, to list only
products used at some school. `product.school_names` holds that text: the names of the product's
schools ordered by name (then id), joined by ", "; NULL when no school uses it (an empty name still
counts as a school). The overlap reads it from the product it walks: no second probe, no join, no
grouping (EXPLAIN on the bench: execution 5.3-5.9 -> 2.5-2.6 ms, planning 0.5 -> 0.3 ms).

What changes it: a school link added, removed or moved (its product's names made again), a school
renamed (the names of every product it uses made again); a school or product deleted takes its links
by cascade, which then count. The triggers write the product's own row, in the writer's statement,
as `standing_link` writes `product.agreement_key`: no shared row, nothing to note for the commit.
The names are ordered by each database's own comparison of text, as the query they replace was.

Revision ID: 8b2d6f0c3e71
Revises: 4e7a1c9b2d55
Create Date: 2026-11-27 06:20:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "8b2d6f0c3e71"
down_revision = "4e7a1c9b2d55"
branch_labels = None
depends_on = None


def _names(product_id: str, dialect: str) -> str:
    """The product's schools' names, by name then id, joined by ', ' (NULL without a school)."""
    if dialect == "postgresql":
        return (
            "(SELECT string_agg(s.name, ', ' ORDER BY s.name, s.id) FROM product_school AS l "  # noqa: S608 - constants
            f"JOIN school AS s ON s.id = l.school_id WHERE l.product_id = {product_id})"
        )
    # SQLite before 3.44 has no ORDER BY inside an aggregate: group_concat reads an ordered subquery's rows
    # in their order.
    return (
        "(SELECT group_concat(n, ', ') FROM (SELECT s.name AS n FROM product_school AS l "  # noqa: S608 - constants
        f"JOIN school AS s ON s.id = l.school_id WHERE l.product_id = {product_id} ORDER BY s.name, s.id))"
    )


def _renamed(products: str, dialect: str) -> str:
    """Make the names of the products `products` (a WHERE clause on product) again, where they change."""
    distinct = "IS DISTINCT FROM" if dialect == "postgresql" else "IS NOT"
    names = _names("product.id", dialect)
    return f"UPDATE product SET school_names = {names} WHERE {products} AND school_names {distinct} {names}"  # noqa: S608 - constants


def _of_product(product_id: str, dialect: str) -> str:
    return _renamed(f"product.id = {product_id}", dialect)


def _of_school(school_id: str, dialect: str) -> str:
    uses = f"SELECT product_id FROM product_school WHERE school_id = {school_id}"  # noqa: S608 - constants
    return _renamed(f"product.id IN ({uses})", dialect)


SQLITE_TRIGGERS = {
    "school_names_link_insert": f"""CREATE TRIGGER school_names_link_insert AFTER INSERT ON product_school BEGIN
        {_of_product("new.product_id", "sqlite")};
    END""",
    "school_names_link_delete": f"""CREATE TRIGGER school_names_link_delete AFTER DELETE ON product_school BEGIN
        {_of_product("old.product_id", "sqlite")};
    END""",
    "school_names_link_update": f"""CREATE TRIGGER school_names_link_update
        AFTER UPDATE OF product_id, school_id ON product_school BEGIN
        {_of_product("old.product_id", "sqlite")};
        {_of_product("new.product_id", "sqlite")};
    END""",
    "school_names_rename": f"""CREATE TRIGGER school_names_rename AFTER UPDATE OF name ON school
        WHEN old.name IS NOT new.name BEGIN
        {_of_school("new.id", "sqlite")};
    END""",
}

PG_STATEMENTS = [
    f"""CREATE FUNCTION school_names_link() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP IN ('UPDATE', 'DELETE') THEN
            {_of_product("OLD.product_id", "postgresql")};
        END IF;
        IF TG_OP IN ('UPDATE', 'INSERT') THEN
            {_of_product("NEW.product_id", "postgresql")};
        END IF;
        RETURN NULL;
    END $$""",
    """CREATE TRIGGER school_names_link AFTER INSERT OR DELETE OR UPDATE OF product_id, school_id
        ON product_school FOR EACH ROW EXECUTE FUNCTION school_names_link()""",
    f"""CREATE FUNCTION school_names_rename() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        {_of_school("NEW.id", "postgresql")};
        RETURN NULL;
    END $$""",
    """CREATE TRIGGER school_names_rename AFTER UPDATE OF name ON school
        FOR EACH ROW WHEN (OLD.name IS DISTINCT FROM NEW.name) EXECUTE FUNCTION school_names_rename()""",
]
PG_TRIGGERS = {"school_names_link": "product_school", "school_names_rename": "school"}


def upgrade():
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        # An earlier migration of the same upgrade may have written product rows, whose deferred triggers
        # (the data version's) wait for the commit: PostgreSQL refuses to alter the table until they have run.
        op.execute("SET CONSTRAINTS ALL IMMEDIATE")
    # Not batch mode: rebuilding product on SQLite would drop the triggers that name it.
    op.add_column("product", sa.Column("school_names", sa.Text(), nullable=True))
    op.execute(_renamed("product.id IN (SELECT product_id FROM product_school)", dialect))
    if dialect == "postgresql":
        for statement in PG_STATEMENTS:
            op.execute(statement)
    else:
        for statement in SQLITE_TRIGGERS.values():
            op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for trigger, table in PG_TRIGGERS.items():
            op.execute(f"DROP TRIGGER IF EXISTS {trigger} ON {table}")
            op.execute(f"DROP FUNCTION IF EXISTS {trigger}()")
    else:
        for trigger in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    # Not batch mode: rebuilding product on SQLite would drop the other triggers that name it.
    op.execute("ALTER TABLE product DROP COLUMN school_names")
