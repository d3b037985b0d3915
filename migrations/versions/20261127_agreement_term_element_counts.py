"""directory: listed products counted per (data element, term group of their sole agreement or none, stated status)

The directory's agreement filter with a data element ("signed, in effect" and the most shared element:
112-153 ms at half speed) read, sorted and counted every product matching both (about 10,000 on the
bench), while either filter alone reads a kept count and walks the products in name order, stopping
after the page (`directory.queries.DirectoryFilters.kept`). `agreement_term_element_count` is
`agreement_term_standing_count` by data element, with the products that have no agreement too:

- per (data element, `agreement_term_count.term_key` of the product's sole agreement, stated status)
  the listed products that receive the element; `term_key` is '' (NO_AGREEMENT: a term key always holds
  '|') for the products with no agreement (`product.agreement_key` 0). Products with several agreements
  (-1) are not counted: the page counts those few one by one, as the agreement filter alone does.

What changes it: a data use added, removed or moved (its product's group, when the product is listed);
a product's listing (status, vendor), stated status or agreement key changed, or the product deleted
(its uses, out of the old group and into the new one); a vendor retired or brought back (its products'
uses); an agreement whose term columns change (its products' uses, from the old term group to the new
one) or that is deleted (out of its group: its links go by cascade after it, when it can no longer be
found, so the key changes of an agreement that no longer exists count nowhere). A count that falls to
zero keeps its row; a data element deleted takes its rows by cascade.

SQLite (one writer at a time) changes the counts at once, with triggers on data_use, product, vendor
and agreement. On PostgreSQL nothing shared is written before commit (clearinghouse/kept_counts.py):
the triggers note each listed product's uses by (agreement key, stated status, data element), and
`kept_counts_apply` adds them at commit to the term group of each agreement as it is then (key 0 to
NO_AGREEMENT's), as it does for `agreement_term_standing_count`; a trigger on agreement notes the move
of its products counted so far (what the rows count now, less this transaction's own notes of that
agreement, which are added at commit). The rows are taken in the one lock order: this table's after
`agreement_term_standing_count`'s, by data element, term key and stated status. A transaction that
changes an agreement's dates and its products, in either order, thus moves every product once.

On SQLite a later migration that rebuilds `data_use`, `product`, `vendor` or `agreement` in batch mode
drops their triggers: it must call `create_sqlite_triggers()` from here again.

Revision ID: a2e298975949
Revises: 6f1d3b8a2c47
Create Date: 2026-11-27 12:40:00

"""

import importlib.util
from pathlib import Path

import sqlalchemy as sa
from alembic import op

from clearinghouse import data_version, kept_counts

# revision identifiers, used by Alembic.
revision = "a2e298975949"
down_revision = "6f1d3b8a2c47"
branch_labels = None
depends_on = None

TABLE = "agreement_term_element_count"
NO_AGREEMENT = ""  # the term key of the products with no agreement (agreements.models.NO_AGREEMENT_TERM)


def _migration(name: str):
    """An earlier migration of this directory, for the SQL it wrote (its term key, its commit-time notes)."""
    path = Path(__file__).with_name(f"{name}.py")
    spec = importlib.util.spec_from_file_location(f"term_element_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


HEADLINE = _migration("20261126_headline_counts")
AT_COMMIT = _migration("20261126_kept_counts_at_commit")
TERM_STANDING = _migration("20261127_agreement_term_standing_counts")
NOTES = kept_counts.TABLE
# PostgreSQL: the notes of this transaction's listed products' uses, "agreement key|stated|element", added at
# commit to this table's group of the agreement's term as it is then.
STANDING = "agreement_element_standing"


def _term_key(row: str) -> str:
    return HEADLINE._term_key(row)


def _row_listed(row: str) -> str:
    return HEADLINE._row_listed(row)


def _term_of(product: str) -> str:
    """The group of the product row `product`: NO_AGREEMENT (key 0), its sole agreement's term key, or NULL
    (several agreements, -1, or an agreement that no longer exists)."""
    return (
        f"(CASE WHEN {product}.agreement_key = 0 THEN '{NO_AGREEMENT}' ELSE "
        f"(SELECT {_term_key('a')} FROM agreement AS a WHERE a.id = {product}.agreement_key) END)"
    )


# Sources of (data_element_id, term_key, stated) rows, one per counted use of a listed product.
def _use_rows(use: str) -> str:
    """The data use row `use` (OLD or NEW), when its product is listed."""
    return (
        f"SELECT {use}.data_element_id AS data_element_id, {_term_of('p')} AS term_key, p.agreement_status AS stated "
        f"FROM product AS p WHERE p.id = {use}.product_id AND {_row_listed('p')}"
    )


def _product_rows(product: str) -> str:
    """The uses of the product row `product` (OLD or NEW), when it is listed."""
    return (
        f"SELECT u.data_element_id AS data_element_id, {_term_of(product)} AS term_key, "
        f"{product}.agreement_status AS stated FROM data_use AS u WHERE u.product_id = {product}.id "
        f"AND {_row_listed(product)}"
    )


def _vendor_rows(vendor_id: str) -> str:
    """The uses of the vendor's products that are not retired."""
    return (
        f"SELECT u.data_element_id AS data_element_id, {_term_of('p')} AS term_key, p.agreement_status AS stated "
        f"FROM product AS p JOIN data_use AS u ON u.product_id = p.id "
        f"WHERE p.vendor_id = {vendor_id} AND p.status <> 'retired'"
    )


def _agreement_rows(agreement: str) -> str:
    """The uses of the listed products whose sole agreement is the agreement row `agreement`, in its group."""
    return (
        f"SELECT u.data_element_id AS data_element_id, {_term_key(agreement)} AS term_key, "
        "p.agreement_status AS stated FROM product AS p JOIN data_use AS u ON u.product_id = p.id "
        f"WHERE p.agreement_key = {agreement}.id AND {_row_listed('p')}"
    )


_GROUP = "(data_element_id, term_key, stated)"


def _add(rows: str) -> str:
    """SQLite: count each row of `rows` once more (a new group gets its row)."""
    return (
        f"INSERT INTO {TABLE} (data_element_id, term_key, stated, product_count) "
        f"SELECT r.data_element_id, r.term_key, r.stated, count(*) FROM ({rows}) AS r "
        "WHERE r.term_key IS NOT NULL GROUP BY r.data_element_id, r.term_key, r.stated "
        f"ON CONFLICT {_GROUP} DO UPDATE SET product_count = {TABLE}.product_count + excluded.product_count"
    )


def _take(rows: str) -> str:
    """SQLite: count each row of `rows` once less (an UPDATE: a data element deleted takes its rows first)."""
    return (
        f"UPDATE {TABLE} SET product_count = product_count - (SELECT count(*) FROM ({rows}) AS r "
        f"WHERE r.data_element_id = {TABLE}.data_element_id AND r.term_key = {TABLE}.term_key "
        f"AND r.stated = {TABLE}.stated) "
        f"WHERE {_GROUP} IN (SELECT r.data_element_id, r.term_key, r.stated FROM ({rows}) AS r)"
    )


COUNT_ALL = (
    f"INSERT INTO {TABLE} (data_element_id, term_key, stated, product_count) "
    f"SELECT u.data_element_id, CASE WHEN p.agreement_key = 0 THEN '{NO_AGREEMENT}' ELSE {_term_key('a')} END, "
    "p.agreement_status, count(*) FROM product AS p JOIN data_use AS u ON u.product_id = p.id "
    "LEFT JOIN agreement AS a ON a.id = p.agreement_key "
    f"WHERE (p.agreement_key = 0 OR a.id IS NOT NULL) AND {_row_listed('p')} "
    f"GROUP BY u.data_element_id, CASE WHEN p.agreement_key = 0 THEN '{NO_AGREEMENT}' ELSE {_term_key('a')} END, "
    "p.agreement_status"
)

# The product moved to another group, or into or out of the listing (else its uses stay where they are counted).
_PRODUCT_CHANGED = (
    f"({_row_listed('old')}) IS NOT ({_row_listed('new')}) "
    "OR old.agreement_status IS NOT new.agreement_status OR old.agreement_key IS NOT new.agreement_key"
)
SQLITE_TRIGGERS = {
    "term_element_use_insert": f"""CREATE TRIGGER term_element_use_insert AFTER INSERT ON data_use BEGIN
        {_add(_use_rows("new"))};
    END""",
    "term_element_use_delete": f"""CREATE TRIGGER term_element_use_delete AFTER DELETE ON data_use BEGIN
        {_take(_use_rows("old"))};
    END""",
    "term_element_use_update": f"""CREATE TRIGGER term_element_use_update
        AFTER UPDATE OF product_id, data_element_id ON data_use BEGIN
        {_take(_use_rows("old"))};
        {_add(_use_rows("new"))};
    END""",
    "term_element_product_update": f"""CREATE TRIGGER term_element_product_update
        AFTER UPDATE OF status, vendor_id, agreement_status, agreement_key ON product WHEN {_PRODUCT_CHANGED} BEGIN
        {_take(_product_rows("old"))};
        {_add(_product_rows("new"))};
    END""",
    # Before the row goes: its uses go after it (by cascade), when the product can no longer be found.
    "term_element_product_delete": f"""CREATE TRIGGER term_element_product_delete BEFORE DELETE ON product BEGIN
        {_take(_product_rows("old"))};
    END""",
    "term_element_vendor_retired": f"""CREATE TRIGGER term_element_vendor_retired
        AFTER UPDATE OF is_retired ON vendor WHEN new.is_retired AND NOT old.is_retired BEGIN
        {_take(_vendor_rows("new.id"))};
    END""",
    "term_element_vendor_back": f"""CREATE TRIGGER term_element_vendor_back
        AFTER UPDATE OF is_retired ON vendor WHEN old.is_retired AND NOT new.is_retired BEGIN
        {_add(_vendor_rows("new.id"))};
    END""",
    "term_element_agreement": f"""CREATE TRIGGER term_element_agreement
        AFTER UPDATE OF {HEADLINE._TERM_COLUMNS_WRITTEN} ON agreement WHEN {HEADLINE._TERM_CHANGED} BEGIN
        {_take(_agreement_rows("old"))};
        {_add(_agreement_rows("new"))};
    END""",
    # Before the row goes: its links go after it (by cascade), when the agreement can no longer be found.
    "term_element_agreement_delete": f"""CREATE TRIGGER term_element_agreement_delete BEFORE DELETE ON agreement
        BEGIN
        {_take(_agreement_rows("old"))};
    END""",
}


# --- PostgreSQL: notes, applied at commit ------------------------------------------------------------------


def _key(value: str) -> str:
    return f"CAST({value} AS text)"


def _standing_key(agreement_key: str, stated: str, element_id: str) -> str:
    return f"{_key(agreement_key)} || '|' || {stated} || '|' || {_key(element_id)}"


def _note_use(use: str, sign: str) -> str:
    """Note the data use row `use` in (1) or out of (-1) its listed product's group."""
    return AT_COMMIT._note(
        f"SELECT '{STANDING}', {_standing_key('p.agreement_key', 'p.agreement_status', f'{use}.data_element_id')}, "
        f"{sign} FROM product AS p WHERE p.id = {use}.product_id AND p.agreement_key >= 0 AND {_row_listed('p')}"
    )


def _note_product(product: str, sign: str) -> str:
    """Note the uses of the product row `product` in or out of its group, when it is listed."""
    return AT_COMMIT._note(
        f"SELECT '{STANDING}', {_standing_key(f'{product}.agreement_key', f'{product}.agreement_status', 'u.data_element_id')}, "
        f"{sign} FROM data_use AS u WHERE u.product_id = {product}.id AND {product}.agreement_key >= 0 "
        f"AND {_row_listed(product)}"
    )


_NOTE_VENDOR = AT_COMMIT._note(
    f"SELECT '{STANDING}', {_standing_key('p.agreement_key', 'p.agreement_status', 'u.data_element_id')}, "
    "(CASE WHEN NEW.is_retired THEN -1 ELSE 1 END) * count(*) FROM product AS p "
    "JOIN data_use AS u ON u.product_id = p.id WHERE p.vendor_id = NEW.id AND p.status <> 'retired' "
    "AND p.agreement_key >= 0 GROUP BY p.agreement_key, p.agreement_status, u.data_element_id"
)


def _counted_so_far(agreement: str) -> str:
    """The listed products of the agreement row `agreement` per (data element, stated), as (data_element_id,
    stated, n): what the rows count now, less this transaction's own notes of that agreement (added at commit)."""
    return (
        "(SELECT c.data_element_id, c.stated, sum(c.n) AS n FROM ("
        "SELECT u.data_element_id, p.agreement_status AS stated, count(*) AS n FROM product AS p "
        f"JOIN data_use AS u ON u.product_id = p.id WHERE p.agreement_key = {agreement}.id AND {_row_listed('p')} "
        "GROUP BY u.data_element_id, p.agreement_status UNION ALL "
        "SELECT CAST(split_part(key, '|', 3) AS integer), split_part(key, '|', 2), -sum(delta) "
        f"FROM {NOTES} WHERE counter = '{STANDING}' AND split_part(key, '|', 1) = {_key(f'{agreement}.id')} "  # noqa: S608
        "GROUP BY key) AS c GROUP BY c.data_element_id, c.stated HAVING sum(c.n) <> 0)"
    )


def _group_key(element_id: str, stated: str, term_key: str) -> str:
    """A note's key of this table: "data element|stated|term key" (neither of the first two holds '|')."""
    return f"{_key(element_id)} || '|' || {stated} || '|' || {term_key}"


def _note_moved(agreement: str, sign: str) -> str:
    """Note the products counted so far of the agreement row `agreement` in (1) or out of (-1) its group."""
    return AT_COMMIT._note(
        f"SELECT '{TABLE}', {_group_key('c.data_element_id', 'c.stated', _term_key(agreement))}, {sign} * c.n "
        f"FROM {_counted_so_far(agreement)} AS c"
    )


PG_FUNCTIONS = {
    "kept_counts_term_element_use": f"""CREATE FUNCTION kept_counts_term_element_use() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'UPDATE' AND (OLD.product_id, OLD.data_element_id) IS NOT DISTINCT FROM
            (NEW.product_id, NEW.data_element_id) THEN
            RETURN NULL;
        END IF;
        IF TG_OP IN ('UPDATE', 'DELETE') THEN
            {_note_use("OLD", "-1")};
        END IF;
        IF TG_OP IN ('UPDATE', 'INSERT') THEN
            {_note_use("NEW", "1")};
        END IF;
        {AT_COMMIT.MARK}
        RETURN NULL;
    END $$""",
    "kept_counts_term_element_product": f"""CREATE FUNCTION kept_counts_term_element_product() RETURNS trigger
    LANGUAGE plpgsql AS $$
    DECLARE
        was_listed boolean;
        is_listed boolean;
    BEGIN
        IF TG_OP = 'DELETE' THEN
            -- Before its data uses go (by cascade, or by the ORM before it): each is counted out once, here
            -- or by its own trigger.
            {_note_product("OLD", "-1")};
            {AT_COMMIT.MARK}
            RETURN OLD;
        END IF;
        was_listed := {_row_listed("OLD")};
        is_listed := {_row_listed("NEW")};
        IF (was_listed, OLD.agreement_status, OLD.agreement_key)
            IS NOT DISTINCT FROM (is_listed, NEW.agreement_status, NEW.agreement_key) THEN
            RETURN NULL;  -- in the same group, or in none
        END IF;
        {_note_product("OLD", "-1")};
        {_note_product("NEW", "1")};
        {AT_COMMIT.MARK}
        RETURN NULL;
    END $$""",
    "kept_counts_term_element_vendor": f"""CREATE FUNCTION kept_counts_term_element_vendor() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        {_NOTE_VENDOR};
        {AT_COMMIT.MARK}
        RETURN NULL;
    END $$""",
    "kept_counts_term_element_agreement": f"""CREATE FUNCTION kept_counts_term_element_agreement() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'UPDATE' AND {_term_key("OLD")} = {_term_key("NEW")} THEN
            RETURN NULL;
        END IF;
        {_note_moved("OLD", "-1")};
        IF TG_OP = 'UPDATE' THEN
            {_note_moved("NEW", "1")};
        END IF;
        {AT_COMMIT.MARK}
        RETURN NULL;
    END $$""",
}
PG_TRIGGERS = {
    "kept_counts_term_element_use": (
        "data_use",
        "AFTER INSERT OR DELETE OR UPDATE OF product_id, data_element_id ON data_use FOR EACH ROW",
    ),
    "kept_counts_term_element_product_delete": ("product", "BEFORE DELETE ON product FOR EACH ROW"),
    "kept_counts_term_element_product": (
        "product",
        "AFTER UPDATE OF status, vendor_id, agreement_status, agreement_key ON product FOR EACH ROW",
    ),
    "kept_counts_term_element_vendor": (
        "vendor",
        "AFTER UPDATE OF is_retired ON vendor FOR EACH ROW WHEN (OLD.is_retired IS DISTINCT FROM NEW.is_retired)",
    ),
    "kept_counts_term_element_agreement": (
        "agreement",
        f"AFTER DELETE OR UPDATE OF {HEADLINE._TERM_COLUMNS_WRITTEN} ON agreement FOR EACH ROW",
    ),
}


def _pg_trigger(trigger: str, when: str) -> str:
    function = trigger.removesuffix("_delete")
    return f"CREATE TRIGGER {trigger} {when} EXECUTE FUNCTION {function}()"


# This transaction's notes of listed products' uses that add something, as (agreement key, stated, element, delta).
_STANDING_DELTAS = (
    "(SELECT CAST(split_part(key, '|', 1) AS integer) AS agreement_key, split_part(key, '|', 2) AS stated, "
    "CAST(split_part(key, '|', 3) AS integer) AS data_element_id, sum(delta) AS delta "
    f"FROM {NOTES} WHERE counter = '{STANDING}' GROUP BY key HAVING sum(delta) <> 0)"  # noqa: S608
)


def _parsed(key: str) -> str:
    """A note's key of this table as (data_element_id, stated, term_key)."""
    element, stated = f"split_part({key}, '|', 1)", f"split_part({key}, '|', 2)"
    return f"CAST({element} AS integer), {stated}, substr({key}, length({element}) + length({stated}) + 3)"


_NOTED_GROUPS = f"(SELECT {_parsed('k')} FROM unnest(noted) AS k)"
_TERM_AT_COMMIT = f"(CASE WHEN d.agreement_key = 0 THEN '{NO_AGREEMENT}' ELSE {_term_key('a')} END)"
APPLY_SECTION = f"""INSERT INTO {NOTES} (counter, key, delta)
            SELECT '{TABLE}', {_group_key("d.data_element_id", "d.stated", _TERM_AT_COMMIT)}, d.delta
            FROM {_STANDING_DELTAS} AS d LEFT JOIN agreement AS a ON a.id = d.agreement_key
            WHERE d.agreement_key = 0 OR a.id IS NOT NULL;
        {AT_COMMIT._noted(TABLE)}
        IF cardinality(noted) > 0 THEN
            INSERT INTO {TABLE} (data_element_id, stated, term_key, product_count)
                SELECT g.data_element_id, g.stated, g.term_key, 0 FROM {_NOTED_GROUPS} AS g(data_element_id, stated, term_key)
                WHERE EXISTS (SELECT 1 FROM data_element WHERE data_element.id = g.data_element_id)
                ORDER BY g.data_element_id, g.term_key, g.stated ON CONFLICT {_GROUP} DO NOTHING;
            PERFORM 1 FROM {TABLE} WHERE (data_element_id, stated, term_key) IN {_NOTED_GROUPS}
                ORDER BY data_element_id, term_key, stated FOR NO KEY UPDATE;
            UPDATE {TABLE} AS g SET product_count = g.product_count + d.delta
                FROM (SELECT {_parsed("t.key")}, t.delta FROM {AT_COMMIT._deltas(TABLE)} AS t)
                AS d(data_element_id, stated, term_key, delta)
                WHERE (g.data_element_id, g.stated, g.term_key) = (d.data_element_id, d.stated, d.term_key);
        END IF;
        """
# Its place in the one lock order: after agreement_term_standing_count's rows, before data_category's.
_NEXT_SECTION = AT_COMMIT._noted("data_category")
OLD_APPLY = TERM_STANDING.APPLY
APPLY = OLD_APPLY.replace(_NEXT_SECTION, APPLY_SECTION + _NEXT_SECTION, 1)


def create_sqlite_triggers():
    for statement in SQLITE_TRIGGERS.values():
        op.execute(statement)


def upgrade():
    op.create_table(
        TABLE,
        sa.Column("data_element_id", sa.Integer(), nullable=False),
        sa.Column("term_key", sa.String(length=80), nullable=False),
        sa.Column("stated", sa.String(length=40), nullable=False),
        sa.Column("product_count", sa.Integer(), nullable=False, server_default="0"),
        sa.ForeignKeyConstraint(
            ["data_element_id"],
            ["data_element.id"],
            name=op.f(f"fk_{TABLE}_data_element_id_data_element"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("data_element_id", "term_key", "stated", name=op.f(f"pk_{TABLE}")),
    )
    op.execute(COUNT_ALL)
    if op.get_bind().dialect.name == "postgresql":
        if APPLY == OLD_APPLY:
            raise RuntimeError("kept_counts_apply no longer has the section this one goes before")
        for statement in PG_FUNCTIONS.values():
            op.execute(statement)
        for trigger, (_table, when) in PG_TRIGGERS.items():
            op.execute(_pg_trigger(trigger, when))
        op.execute(APPLY)
    else:
        create_sqlite_triggers()
    data_version.watch(op, TABLE)


def downgrade():
    data_version.unwatch(op, TABLE)
    if op.get_bind().dialect.name == "postgresql":
        op.execute(OLD_APPLY)
        for trigger, (table, _when) in PG_TRIGGERS.items():
            op.execute(f"DROP TRIGGER IF EXISTS {trigger} ON {table}")
        for function in PG_FUNCTIONS:
            op.execute(f"DROP FUNCTION IF EXISTS {function}()")
    else:
        for trigger in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    op.drop_table(TABLE)
