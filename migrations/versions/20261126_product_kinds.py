"""product kinds: the kinds of product become district data (issue 11, item 9)

`product_kind` holds the kinds a district files its products under, each with its English name,
its names in other languages (`translations`, as every staff-written public text), its place in
the lists and whether it is retired. It starts with the fourteen kinds the app had as an enum,
with the same keys (now slugs: addresses, filters and the API keep working), names and Spanish
names. Products and teachers' tool requests point at a kind by id from now on; a value that names
no kind (none should exist) becomes "other".

SQLite adds the column with its foreign key in one ADD COLUMN (foreign keys are off while the
migrations run) and keeps a default there: removing it would rebuild `product`, dropping its
search, count and data-version triggers. PostgreSQL drops the default. Kinds are public, so their
writes bump the data version; the products' new values bump it too.

Revision ID: e4ed6bb32a39
Revises: 6c1d8e3a9f47
Create Date: 2026-11-26 05:00:00

"""

import unicodedata

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from clearinghouse import data_version

# revision identifiers, used by Alembic.
revision = "e4ed6bb32a39"
down_revision = "6c1d8e3a9f47"
branch_labels = None
depends_on = None

KEY_MAX = 400
DEFAULT = "other"
# The enum's members as of this migration: key, English name, Spanish name (messages.po).
SEEDED = (
    ("learning_platform", "Learning platform", "Plataforma de aprendizaje"),
    ("reading", "Reading and literacy", "Lectura y alfabetización"),
    ("math", "Math", "Matemáticas"),
    ("science", "Science", "Ciencias"),
    ("assessment", "Assessment", "Evaluación"),
    ("communication", "Communication", "Comunicación"),
    ("student_information", "Student information", "Información estudiantil"),
    ("productivity", "Productivity", "Productividad"),
    ("creativity", "Creativity and media", "Creatividad y medios"),
    ("language", "World languages", "Idiomas"),
    ("special_education", "Special education", "Educación especial"),
    ("safety", "Safety and wellness", "Seguridad y bienestar"),
    ("operations", "School operations", "Gestión escolar"),
    (DEFAULT, "Other", "Otro"),
)
# table -> its old text column's index, if any
USERS = {"product": "ix_product_kind", "tool_request": None}

kind_table = sa.table(
    "product_kind",
    sa.column("id", sa.Integer()),
    sa.column("slug", sa.String()),
    sa.column("name", sa.String()),
    sa.column("name_key", sa.String()),
    sa.column("position", sa.Integer()),
    sa.column("is_retired", sa.Boolean()),
    sa.column("translations", sa.JSON()),
)


def _name_key(value: str) -> str:
    """`clearinghouse.text.name_key` as of this migration (frozen here, as migrations must be)."""
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", value or "").casefold())
    visible = "".join(ch for ch in folded if unicodedata.category(ch) != "Cf")
    return " ".join(visible.split())[:KEY_MAX]


def _fire_pending_triggers() -> None:
    """PostgreSQL refuses to ALTER a table whose rows a statement just changed while their deferred
    triggers (the data version's) wait for the commit: run them now."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute("SET CONSTRAINTS ALL IMMEDIATE")


def upgrade():
    conn = op.get_bind()
    postgresql_db = conn.dialect.name == "postgresql"
    op.create_table(
        "product_kind",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("is_retired", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("name_key", sa.String(length=KEY_MAX), nullable=False),
        sa.Column(
            "translations",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            server_default=sa.text("'{}'"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_product_kind")),
        sa.UniqueConstraint("slug", name=op.f("uq_product_kind_slug")),
    )
    op.create_index("uq_product_kind_name_key", "product_kind", ["name_key"], unique=True)
    op.bulk_insert(
        kind_table,
        [
            {
                "slug": slug,
                "name": name,
                "name_key": _name_key(name),
                "position": position,
                "is_retired": False,
                "translations": {"es": {"name": spanish}},
            }
            for position, (slug, name, spanish) in enumerate(SEEDED, start=1)
        ],
    )
    other = int(conn.scalar(sa.text("SELECT id FROM product_kind WHERE slug = :slug"), {"slug": DEFAULT}))
    for table, index in USERS.items():
        fk = f"fk_{table}_kind_id_product_kind"
        if postgresql_db:
            op.add_column(table, sa.Column("kind_id", sa.Integer(), nullable=True))
        else:  # one plain ADD COLUMN, the foreign key with it: no rebuild, so the table's triggers stay
            op.execute(
                f"ALTER TABLE {table} ADD COLUMN kind_id INTEGER NOT NULL DEFAULT {other} "
                f"CONSTRAINT {fk} REFERENCES product_kind (id)"
            )
        op.execute(
            f"UPDATE {table} SET kind_id = coalesce("  # noqa: S608 - constants
            f"(SELECT product_kind.id FROM product_kind WHERE product_kind.slug = {table}.kind), {other})"
        )
        _fire_pending_triggers()
        if postgresql_db:
            op.alter_column(table, "kind_id", nullable=False)
            op.create_foreign_key(op.f(fk), table, "product_kind", ["kind_id"], ["id"])
        op.create_index(op.f(f"ix_{table}_kind_id"), table, ["kind_id"], unique=False)
        if index:
            op.drop_index(index, table_name=table)
        op.drop_column(table, "kind")  # a plain DROP COLUMN (SQLite 3.35+)
    data_version.watch(op, "product_kind")


def _sqlite_drop_kind_id(table: str) -> None:
    """SQLite drops a column with a foreign key only by rebuilding the table, which drops its triggers
    (and a trigger elsewhere that names it refuses the rebuild's rename): every trigger is set aside
    and made again, and the table's own indexes as the schema writes them."""
    conn = op.get_bind()
    triggers = conn.exec_driver_sql("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'").fetchall()
    indexes = conn.exec_driver_sql(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL", (table,)
    ).fetchall()
    for name, _sql in triggers:
        op.execute(f'DROP TRIGGER "{name}"')
    with op.batch_alter_table(table, recreate="always") as batch:
        batch.drop_column("kind_id")
    for name, sql in indexes:
        if "kind_id" not in sql:
            op.execute(f'DROP INDEX IF EXISTS "{name}"')
            op.execute(sql)
    for _name, sql in triggers:
        op.execute(sql)


def downgrade():
    conn = op.get_bind()
    seeded = ", ".join(f"'{slug}'" for slug, _, _ in SEEDED)
    for table in USERS:
        added = conn.scalar(
            sa.text(
                f"SELECT count(*) FROM {table} JOIN product_kind ON product_kind.id = {table}.kind_id "  # noqa: S608
                f"WHERE product_kind.slug NOT IN ({seeded})"
            )
        )
        if added:
            raise RuntimeError(
                f"{added} rows of {table} are of a kind the district added; the previous version cannot hold "
                "them. Give them one of the first fourteen kinds first, or restore the backup taken before "
                "the upgrade."
            )
    data_version.unwatch(op, "product_kind")
    for table, index in USERS.items():
        op.add_column(table, sa.Column("kind", sa.String(length=32), server_default=DEFAULT, nullable=False))
        op.execute(
            f"UPDATE {table} SET kind = (SELECT product_kind.slug FROM product_kind "  # noqa: S608 - constants
            f"WHERE product_kind.id = {table}.kind_id)"
        )
        _fire_pending_triggers()
        if index:
            op.create_index(index, table, ["kind"], unique=False)
        op.drop_index(op.f(f"ix_{table}_kind_id"), table_name=table)
        if conn.dialect.name == "postgresql":
            op.alter_column(table, "kind", server_default=None)
            op.drop_column(table, "kind_id")  # and its foreign key
        else:
            _sqlite_drop_kind_id(table)
    op.drop_index("uq_product_kind_name_key", table_name="product_kind")
    op.drop_table("product_kind")
