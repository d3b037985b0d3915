"""name keys: compare vendor, product, school, category and data element names as people read them

Each of these tables gets `name_key`: the name with compatibility forms, case, invisible format
characters and spacing folded away (`clearinghouse.text.name_key`), and a unique index on it in
the name's scope (a product's vendor, an element's category). "ÉMILE" and "Émile", or the
decomposed and fullwidth forms of a name, were two vendors before; now the second is refused.

Existing rows get their key here. Rows whose names already collide keep a distinct key (the
shared key followed by `#` and the row id) until someone renames one of them: saving such a row
with its look-alike name is then refused as a duplicate, which is the point.

SQLite cannot add a NOT NULL column without a default and cannot drop that default without
rebuilding the table (which would drop the search triggers on product and vendor), so the
column keeps an empty default there; PostgreSQL drops it. Names are also stored in NFC from now
on (the models do it), so existing names are normalised to NFC here.

Revision ID: 7c1e5a9b3d20
Revises: 6a1f0c3e9b27
Create Date: 2026-11-25 22:10:00

"""

import unicodedata

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "7c1e5a9b3d20"
down_revision = "6a1f0c3e9b27"
branch_labels = None
depends_on = None

KEY_MAX = 400
# table -> the column that scopes its names (None: unique in the whole table)
TABLES = {
    "vendor": None,
    "product": "vendor_id",
    "school": None,
    "data_category": None,
    "data_element": "category_id",
}


def _name_key(value: str) -> str:
    """`clearinghouse.text.name_key` as of this migration (frozen here, as migrations must be)."""
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", value or "").casefold())
    visible = "".join(ch for ch in folded if unicodedata.category(ch) != "Cf")
    return " ".join(visible.split())[:KEY_MAX]


def _index_name(table: str, scope: str | None) -> str:
    return f"uq_{table}_{scope}_name_key" if scope else f"uq_{table}_name_key"


def _fill_keys(table_name: str, scope: str | None) -> None:
    conn = op.get_bind()
    columns = [sa.column("id"), sa.column("name"), sa.column("name_key")]
    if scope:
        columns.append(sa.column(scope))
    table = sa.table(table_name, *columns)
    rows = conn.execute(sa.select(*columns).select_from(table).order_by(table.c.id)).mappings().all()
    names = {(row[scope] if scope else None, row["name"]) for row in rows}
    keys: set[tuple] = set()
    for row in rows:
        where = row[scope] if scope else None
        key = _name_key(row["name"])
        if (where, key) in keys:  # a look-alike of an earlier row: distinct until renamed
            key = f"{key[: KEY_MAX - 12]}#{row['id']}"
        keys.add((where, key))
        values = {"name_key": key}
        nfc = unicodedata.normalize("NFC", row["name"])
        if nfc != row["name"] and (where, nfc) not in names:  # NFC, unless that spelling is another row's
            values["name"] = nfc
            names.add((where, nfc))
        conn.execute(sa.update(table).where(table.c.id == row["id"]).values(**values))


def upgrade():
    postgresql = op.get_bind().dialect.name == "postgresql"
    for table, scope in TABLES.items():
        op.add_column(table, sa.Column("name_key", sa.String(KEY_MAX), nullable=False, server_default=""))
        _fill_keys(table, scope)
        if postgresql:
            op.alter_column(table, "name_key", server_default=None)
        op.create_index(_index_name(table, scope), table, [scope, "name_key"] if scope else ["name_key"], unique=True)


def downgrade():
    # A plain DROP COLUMN (SQLite 3.35+), not a batch rebuild, so the search triggers stay.
    for table, scope in reversed(TABLES.items()):
        op.drop_index(_index_name(table, scope), table_name=table)
        op.drop_column(table, "name_key")
