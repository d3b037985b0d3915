"""directory: listed products counted per (data category | school | kind, term group of their sole agreement or
none, stated status)

The directory's and the API's agreement filter with a data category, a school or a kind ("signed, in effect"
with category-2: 23 ms of the directory, 29 of the API at the bench; school-7 17-29 and 21.5; "reading"
17-20 and 21.5) read, sorted and counted every product matching both (6,489 for category-2), while an
agreement filter with a data element reads kept counts and walks the products in name order, stopping after
the page (`directory.queries.agreement_facet_kept`). These are `agreement_term_element_count`'s three
siblings (migration 20261127_agreement_term_element_counts), one table per facet:

- `agreement_term_category_count`: per (data category, term key of the product's sole agreement or
  NO_AGREEMENT '', stated status) the listed products that receive some element of the category (each once,
  however many of its elements);
- `agreement_term_school_count`: the same per school the product is used at;
- `agreement_term_kind_count`: the same per kind of product.

Products with several agreements (key -1) are not counted: the page counts those few one by one. Three
tables rather than one keyed by (facet, id): each row's facet id is a foreign key to its own table (a school
deleted takes its rows by cascade, as a data element takes `agreement_term_element_count`'s), the keys stay
narrow, and each facet's rows are contiguous in their own primary key. On the bench: 22 categories → 30,574
rows, 40 schools → 33,102, 14 kinds → 14,560 (one table would hold the 78,236 rows with a facet name in each
key); a count reads one facet id's rows whichever the design (category-2: 2,004 groups, 399 buffers with the
term groups it joins; school-7: 829, 384), and the migration counts them all in about 12 s.

What changes them, as for the element's table: a product's listing (status, vendor), stated status or
agreement key changed, its kind changed (kinds), or the product inserted (kinds) or deleted; a vendor retired or
brought back; an agreement whose term columns change, or that is deleted; and each facet's own links: a data
use added, removed or moved, or a data element moved to another category (categories: a product is counted
once per category, so a use counts only when it is the product's first or last in its category, worked out
from the rows before and after the statement); a school link added, removed or moved (schools). A count that
falls to zero keeps its row.

SQLite (one writer at a time) changes the counts at once, with row triggers, which see each row's statement
as it goes. On PostgreSQL nothing shared is written before commit (clearinghouse/kept_counts.py): the triggers
note each listed product's facet ids by (agreement key, stated status, facet id), and `kept_counts_apply` adds
them at commit to the term group of each agreement as it is then, as it does for the element's table; a data
use's statement (its transition tables: a row trigger cannot tell a product's first use in a category inside
a multi-row statement) and a data element's note the pairs whose membership changed. A trigger on agreement
notes the move of its products counted so far. The rows are taken in the one lock order: these tables after
`agreement_term_element_count`, category, school, kind, each by facet id, term key and stated status.

On SQLite a later migration that rebuilds `data_use`, `data_element`, `product`, `product_school`, `vendor`
or `agreement` in batch mode drops their triggers: it must call `create_sqlite_triggers()` from here again.

Revision ID: b7d334992287
Revises: 565d66ba5609
Create Date: 2026-11-28 05:30:00

"""

import importlib.util
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from alembic import op

from clearinghouse import data_version, kept_counts

# revision identifiers, used by Alembic.
revision = "b7d334992287"
down_revision = "565d66ba5609"
branch_labels = None
depends_on = None


def _migration(name: str):
    """An earlier migration of this directory, for the SQL it wrote (its term key, its commit-time notes)."""
    path = Path(__file__).with_name(f"{name}.py")
    spec = importlib.util.spec_from_file_location(f"term_facet_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


ELEMENT = _migration("20261127_agreement_term_element_counts")
HEADLINE = ELEMENT.HEADLINE
AT_COMMIT = ELEMENT.AT_COMMIT
REPORTS = _migration("20261126_report_counts")
NOTES = kept_counts.TABLE
NO_AGREEMENT = ELEMENT.NO_AGREEMENT
_row_listed = HEADLINE._row_listed
_term_key = HEADLINE._term_key
_term_of = ELEMENT._term_of
_key = ELEMENT._key


@dataclass(frozen=True)
class Facet:
    """A facet of the directory whose listed products are counted per agreement term group and stated status.

    `joins` and `facet_id`: how a product `p` reaches its facet ids (`distinct`: several rows may give the
    same one); `of_row`: the facet ids (column facet_id) of the product row `{row}`; `product_columns`: the
    product's columns whose change moves it."""

    name: str
    parent: str
    column: str
    joins: str
    facet_id: str
    distinct: bool
    of_row: str
    product_columns: str

    @property
    def table(self) -> str:
        return f"agreement_term_{self.name}_count"

    @property
    def standing(self) -> str:
        """PostgreSQL: the notes of this transaction's listed products, "agreement key|stated|facet id"."""
        return f"agreement_{self.name}_standing"


_LISTING = "status, vendor_id, agreement_status, agreement_key"
CATEGORY = Facet(
    "category",
    "data_category",
    "category_id",
    "JOIN data_use AS fu ON fu.product_id = p.id JOIN data_element AS fe ON fe.id = fu.data_element_id",
    "fe.category_id",
    True,
    "SELECT DISTINCT fe.category_id AS facet_id FROM data_use AS fu "
    "JOIN data_element AS fe ON fe.id = fu.data_element_id WHERE fu.product_id = {row}.id",
    _LISTING,
)
SCHOOL = Facet(
    "school",
    "school",
    "school_id",
    "JOIN product_school AS fl ON fl.product_id = p.id",
    "fl.school_id",
    False,
    "SELECT fl.school_id AS facet_id FROM product_school AS fl WHERE fl.product_id = {row}.id",
    _LISTING,
)
KIND = Facet("kind", "product_kind", "kind_id", "", "p.kind_id", False, "SELECT {row}.kind_id AS facet_id",
             f"{_LISTING}, kind_id")  # fmt: skip
FACETS = (CATEGORY, SCHOOL, KIND)  # in the one lock order


def _pairs(facet: Facet, where: str) -> str:
    """The listed products `where` selects (a WHERE clause on product `p`) with each of their facet ids once, as
    (product_id, agreement_key, stated, facet_id)."""
    distinct = "DISTINCT " if facet.distinct else ""
    return (
        f"SELECT {distinct}p.id AS product_id, p.agreement_key AS agreement_key, p.agreement_status AS stated, "
        f"{facet.facet_id} AS facet_id FROM product AS p {facet.joins} WHERE {where}"
    )


# --- Category: a data use's or a data element's change, from the rows before and after ----------------------


def _category_pairs_delta(pairs: str, had: str) -> str:
    """(product_id, category_id) pairs `pairs` with the change of their membership: now (the rows as they are)
    less `had` (a condition on `pr`, before), as (product_id, facet_id, delta), the pairs that changed."""
    now = (
        "EXISTS (SELECT 1 FROM data_use AS nu JOIN data_element AS ne ON ne.id = nu.data_element_id "
        "WHERE nu.product_id = pr.product_id AND ne.category_id = pr.category_id)"
    )
    delta = f"(CASE WHEN {now} THEN 1 ELSE 0 END - CASE WHEN {had} THEN 1 ELSE 0 END)"
    return (
        f"SELECT c.product_id, c.facet_id, c.delta FROM (SELECT pr.product_id AS product_id, "
        f"pr.category_id AS facet_id, {delta} AS delta FROM ({pairs}) AS pr) AS c WHERE c.delta <> 0"
    )


def _use_delta(old: str, new: str) -> str:
    """The data use rows `old` (removed, or as they were) and `new` (written), sources with the columns id,
    product_id and data_element_id: the (product, category) pairs whose membership they changed."""
    pairs = (
        "SELECT DISTINCT r.product_id AS product_id, re.category_id AS category_id FROM "
        f"(SELECT product_id, data_element_id FROM {old} AS o UNION ALL SELECT product_id, data_element_id "
        f"FROM {new} AS n) AS r JOIN data_element AS re ON re.id = r.data_element_id"
    )
    had = (
        "(EXISTS (SELECT 1 FROM data_use AS hu JOIN data_element AS he ON he.id = hu.data_element_id "
        "WHERE hu.product_id = pr.product_id AND he.category_id = pr.category_id "
        f"AND NOT EXISTS (SELECT 1 FROM {new} AS n WHERE n.id = hu.id)) "
        f"OR EXISTS (SELECT 1 FROM {old} AS o JOIN data_element AS oe ON oe.id = o.data_element_id "
        "WHERE o.product_id = pr.product_id AND oe.category_id = pr.category_id))"
    )
    return _category_pairs_delta(pairs, had)


def _element_delta(old: str, new: str) -> str:
    """The data element rows `old` (as they were) and `new` (sources with the columns id and category_id): the
    (product, category) pairs whose membership a move of elements to another category changed."""
    moved = (
        f"SELECT o.id AS id, o.category_id AS old_category, n.category_id AS new_category FROM {old} AS o "
        f"JOIN {new} AS n ON n.id = o.id WHERE o.category_id <> n.category_id"
    )
    pairs = (
        "SELECT DISTINCT mu.product_id AS product_id, m.category_id AS category_id FROM data_use AS mu JOIN "
        f"(SELECT id, old_category AS category_id FROM ({moved}) AS m1 UNION "
        f"SELECT id, new_category FROM ({moved}) AS m2) AS m ON m.id = mu.data_element_id"
    )
    had = (
        "EXISTS (SELECT 1 FROM data_use AS hu JOIN data_element AS he ON he.id = hu.data_element_id "
        f"LEFT JOIN {old} AS o ON o.id = he.id "
        "WHERE hu.product_id = pr.product_id AND coalesce(o.category_id, he.category_id) = pr.category_id)"
    )
    return _category_pairs_delta(pairs, had)


def _sqlite_use(row: str) -> str:
    return f"(SELECT {row}.id AS id, {row}.product_id AS product_id, {row}.data_element_id AS data_element_id)"


def _sqlite_element(row: str) -> str:
    return f"(SELECT {row}.id AS id, {row}.category_id AS category_id)"


# --- SQLite: the counts changed at once -----------------------------------------------------------------------


def _change(facet: Facet, rows: str) -> str:
    """SQLite: add each row's delta of `rows` (facet_id, term_key, stated, delta) to its group: the rows there
    are, then (a new group) a row made, when its facet still exists (a school deleted takes its rows first)."""
    table, column = facet.table, facet.column
    match = f"r.facet_id = {table}.{column} AND r.term_key = {table}.term_key AND r.stated = {table}.stated"
    return (
        f"UPDATE {table} SET product_count = product_count + (SELECT sum(r.delta) FROM ({rows}) AS r WHERE {match}) "
        f"WHERE ({column}, term_key, stated) IN (SELECT r.facet_id, r.term_key, r.stated FROM ({rows}) AS r);\n"
        f"        INSERT INTO {table} ({column}, term_key, stated, product_count) "
        f"SELECT r.facet_id, r.term_key, r.stated, sum(r.delta) FROM ({rows}) AS r WHERE r.term_key IS NOT NULL "
        f"AND EXISTS (SELECT 1 FROM {facet.parent} AS f WHERE f.id = r.facet_id) "
        f"AND NOT EXISTS (SELECT 1 FROM {table} WHERE {match}) GROUP BY r.facet_id, r.term_key, r.stated"
    )


def _product_rows(facet: Facet, product: str, sign: str) -> str:
    """The facet ids of the product row `product` (OLD or NEW), counted `sign`, when it is listed."""
    return (
        f"SELECT f.facet_id AS facet_id, {_term_of(product)} AS term_key, {product}.agreement_status AS stated, "
        f"{sign} AS delta FROM ({facet.of_row.format(row=product)}) AS f WHERE {_row_listed(product)}"
    )


def _grouped(pairs: str, term: str, sign: str) -> str:
    """Pairs (`_pairs`, as `q`) counted `sign` in their group, its term key `term`."""
    return f"SELECT q.facet_id AS facet_id, {term} AS term_key, q.stated AS stated, {sign} AS delta FROM ({pairs}) AS q"


def _vendor_rows(facet: Facet, sign: str) -> str:
    """The facet ids of the vendor's products that are not retired."""
    return _grouped(_pairs(facet, "p.vendor_id = new.id AND p.status <> 'retired'"), _term_of("q"), sign)


def _agreement_rows(facet: Facet, agreement: str, sign: str) -> str:
    """The facet ids of the listed products whose sole agreement is the agreement row `agreement`, in its group."""
    pairs = _pairs(facet, f"p.agreement_key = {agreement}.id AND {_row_listed('p')}")
    return _grouped(pairs, _term_key(agreement), sign)


def _delta_rows(delta: str) -> str:
    """Changed pairs (product_id, facet_id, delta) in the group of their product, when it is listed."""
    return (
        f"SELECT d.facet_id AS facet_id, {_term_of('p')} AS term_key, p.agreement_status AS stated, d.delta AS delta "
        f"FROM ({delta}) AS d JOIN product AS p ON p.id = d.product_id WHERE {_row_listed('p')}"
    )


def _count_all(facet: Facet) -> str:
    term = f"CASE WHEN q.agreement_key = 0 THEN '{NO_AGREEMENT}' ELSE {_term_key('a')} END"
    return (
        f"INSERT INTO {facet.table} ({facet.column}, term_key, stated, product_count) "
        f"SELECT q.facet_id, {term}, q.stated, count(*) FROM ({_pairs(facet, _row_listed('p'))}) AS q "
        "LEFT JOIN agreement AS a ON a.id = q.agreement_key WHERE q.agreement_key = 0 OR a.id IS NOT NULL "
        f"GROUP BY q.facet_id, {term}, q.stated"
    )


def _sqlite_triggers(facet: Facet) -> dict[str, str]:
    name = f"term_{facet.name}"
    changed = (
        f"({_row_listed('old')}) IS NOT ({_row_listed('new')}) OR old.agreement_status IS NOT new.agreement_status "
        "OR old.agreement_key IS NOT new.agreement_key OR old.kind_id IS NOT new.kind_id"
    )
    triggers = {
        f"{name}_product_insert": f"""CREATE TRIGGER {name}_product_insert AFTER INSERT ON product BEGIN
        {_change(facet, _product_rows(facet, "new", "1"))};
    END""",
        f"{name}_product_update": f"""CREATE TRIGGER {name}_product_update
        AFTER UPDATE OF {facet.product_columns} ON product WHEN {changed} BEGIN
        {_change(facet, _product_rows(facet, "old", "-1"))};
        {_change(facet, _product_rows(facet, "new", "1"))};
    END""",
        # Before the row goes: its uses and links go after it (by cascade), when the product can no longer be found.
        f"{name}_product_delete": f"""CREATE TRIGGER {name}_product_delete BEFORE DELETE ON product BEGIN
        {_change(facet, _product_rows(facet, "old", "-1"))};
    END""",
        f"{name}_vendor_retired": f"""CREATE TRIGGER {name}_vendor_retired
        AFTER UPDATE OF is_retired ON vendor WHEN new.is_retired AND NOT old.is_retired BEGIN
        {_change(facet, _vendor_rows(facet, "-1"))};
    END""",
        f"{name}_vendor_back": f"""CREATE TRIGGER {name}_vendor_back
        AFTER UPDATE OF is_retired ON vendor WHEN old.is_retired AND NOT new.is_retired BEGIN
        {_change(facet, _vendor_rows(facet, "1"))};
    END""",
        f"{name}_agreement": f"""CREATE TRIGGER {name}_agreement
        AFTER UPDATE OF {HEADLINE._TERM_COLUMNS_WRITTEN} ON agreement WHEN {HEADLINE._TERM_CHANGED} BEGIN
        {_change(facet, _agreement_rows(facet, "old", "-1"))};
        {_change(facet, _agreement_rows(facet, "new", "1"))};
    END""",
        # Before the row goes: its links go after it (by cascade), when the agreement can no longer be found.
        f"{name}_agreement_delete": f"""CREATE TRIGGER {name}_agreement_delete BEFORE DELETE ON agreement BEGIN
        {_change(facet, _agreement_rows(facet, "old", "-1"))};
    END""",
    }
    if facet is CATEGORY:
        no_uses = REPORTS.NO_USES
        uses = {
            "insert": (no_uses, _sqlite_use("new"), "AFTER INSERT"),
            "delete": (_sqlite_use("old"), no_uses, "AFTER DELETE"),
            "update": (_sqlite_use("old"), _sqlite_use("new"), "AFTER UPDATE OF product_id, data_element_id"),
        }
        for event, (old, new, when) in uses.items():
            triggers[f"{name}_use_{event}"] = f"""CREATE TRIGGER {name}_use_{event} {when} ON data_use BEGIN
        {_change(facet, _delta_rows(_use_delta(old, new)))};
    END"""
        triggers[f"{name}_element_moved"] = f"""CREATE TRIGGER {name}_element_moved
        AFTER UPDATE OF category_id ON data_element WHEN old.category_id IS NOT new.category_id BEGIN
        {_change(facet, _delta_rows(_element_delta(_sqlite_element("old"), _sqlite_element("new"))))};
    END"""
    if facet is SCHOOL:
        link = "SELECT {row}.product_id AS product_id, {row}.school_id AS facet_id, {sign} AS delta"
        links = {
            "insert": ([("new", "1")], "AFTER INSERT"),
            "delete": ([("old", "-1")], "AFTER DELETE"),
            "update": ([("old", "-1"), ("new", "1")], "AFTER UPDATE OF product_id, school_id"),
        }
        for event, (rows, when) in links.items():
            changes = ";\n        ".join(
                _change(facet, _delta_rows(link.format(row=row, sign=sign))) for row, sign in rows
            )
            triggers[f"{name}_link_{event}"] = f"""CREATE TRIGGER {name}_link_{event} {when} ON product_school BEGIN
        {changes};
    END"""
    return triggers


SQLITE_TRIGGERS = {trigger: sql for facet in FACETS for trigger, sql in _sqlite_triggers(facet).items()}


# --- PostgreSQL: notes, applied at commit ------------------------------------------------------------------


def _standing_key(agreement_key: str, stated: str, facet_id: str) -> str:
    return ELEMENT._standing_key(agreement_key, stated, facet_id)


def _note_product(facet: Facet, product: str, sign: str) -> str:
    """Note the facet ids of the product row `product` in or out of its group, when it is listed."""
    key = _standing_key(f"{product}.agreement_key", f"{product}.agreement_status", "f.facet_id")
    return AT_COMMIT._note(
        f"SELECT '{facet.standing}', {key}, {sign} FROM ({facet.of_row.format(row=product)}) AS f "
        f"WHERE {product}.agreement_key >= 0 AND {_row_listed(product)}"
    )


def _note_delta(facet: Facet, delta: str) -> str:
    """Note the changed pairs `delta` (product_id, facet_id, delta) in their product's group, when it is listed."""
    key = _standing_key("p.agreement_key", "p.agreement_status", "d.facet_id")
    return AT_COMMIT._note(
        f"SELECT '{facet.standing}', {key}, d.delta FROM ({delta}) AS d JOIN product AS p ON p.id = d.product_id "
        f"WHERE p.agreement_key >= 0 AND {_row_listed('p')}"
    )


def _note_vendor(facet: Facet) -> str:
    pairs = _pairs(facet, "p.vendor_id = NEW.id AND p.status <> 'retired' AND p.agreement_key >= 0")
    return AT_COMMIT._note(
        f"SELECT '{facet.standing}', {_standing_key('q.agreement_key', 'q.stated', 'q.facet_id')}, "
        f"(CASE WHEN NEW.is_retired THEN -1 ELSE 1 END) * count(*) FROM ({pairs}) AS q "
        "GROUP BY q.agreement_key, q.stated, q.facet_id"
    )


def _counted_so_far(facet: Facet, agreement: str) -> str:
    """The listed products of the agreement row `agreement` per (facet id, stated), as (facet_id, stated, n): what
    the rows count now, less this transaction's own notes of that agreement (added at commit)."""
    pairs = _pairs(facet, f"p.agreement_key = {agreement}.id AND {_row_listed('p')}")
    return (
        "(SELECT c.facet_id, c.stated, sum(c.n) AS n FROM ("
        f"SELECT q.facet_id, q.stated, count(*) AS n FROM ({pairs}) AS q GROUP BY q.facet_id, q.stated UNION ALL "
        "SELECT CAST(split_part(key, '|', 3) AS integer), split_part(key, '|', 2), -sum(delta) "
        f"FROM {NOTES} WHERE counter = '{facet.standing}' AND split_part(key, '|', 1) = {_key(f'{agreement}.id')} "  # noqa: S608
        "GROUP BY key) AS c GROUP BY c.facet_id, c.stated HAVING sum(c.n) <> 0)"
    )


def _note_moved(facet: Facet, agreement: str, sign: str) -> str:
    """Note the products counted so far of the agreement row `agreement` in (1) or out of (-1) its group."""
    return AT_COMMIT._note(
        f"SELECT '{facet.table}', {ELEMENT._group_key('c.facet_id', 'c.stated', _term_key(agreement))}, {sign} * c.n "
        f"FROM {_counted_so_far(facet, agreement)} AS c"
    )


def _pg_functions(facet: Facet) -> dict[str, str]:
    name = f"kept_counts_term_{facet.name}"
    functions = {
        f"{name}_product": f"""CREATE FUNCTION {name}_product() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
        was_listed boolean;
        is_listed boolean;
    BEGIN
        IF TG_OP = 'DELETE' THEN
            -- Before its uses and links go (by cascade, or by the ORM before it): each is counted out once, here
            -- or by its own trigger.
            {_note_product(facet, "OLD", "-1")};
            {AT_COMMIT.MARK}
            RETURN OLD;
        END IF;
        IF TG_OP = 'INSERT' THEN
            {_note_product(facet, "NEW", "1")};
            {AT_COMMIT.MARK}
            RETURN NULL;
        END IF;
        was_listed := {_row_listed("OLD")};
        is_listed := {_row_listed("NEW")};
        IF (was_listed, OLD.agreement_status, OLD.agreement_key, OLD.kind_id)
            IS NOT DISTINCT FROM (is_listed, NEW.agreement_status, NEW.agreement_key, NEW.kind_id) THEN
            RETURN NULL;  -- in the same group, or in none
        END IF;
        {_note_product(facet, "OLD", "-1")};
        {_note_product(facet, "NEW", "1")};
        {AT_COMMIT.MARK}
        RETURN NULL;
    END $$""",
        f"{name}_vendor": f"""CREATE FUNCTION {name}_vendor() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        {_note_vendor(facet)};
        {AT_COMMIT.MARK}
        RETURN NULL;
    END $$""",
        f"{name}_agreement": f"""CREATE FUNCTION {name}_agreement() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'UPDATE' AND {_term_key("OLD")} = {_term_key("NEW")} THEN
            RETURN NULL;
        END IF;
        {_note_moved(facet, "OLD", "-1")};
        IF TG_OP = 'UPDATE' THEN
            {_note_moved(facet, "NEW", "1")};
        END IF;
        {AT_COMMIT.MARK}
        RETURN NULL;
    END $$""",
    }
    if facet is CATEGORY:
        no_uses = REPORTS.NO_USES
        changed = (
            "EXISTS (SELECT 1 FROM old_rows AS o JOIN new_rows AS n ON n.id = o.id "
            "WHERE (o.product_id, o.data_element_id) IS DISTINCT FROM (n.product_id, n.data_element_id))"
        )
        uses = {
            "insert": (no_uses, "new_rows", "true"),
            "delete": ("old_rows", no_uses, "true"),
            "update": ("old_rows", "new_rows", changed),
        }
        for event, (old, new, when) in uses.items():
            functions[f"{name}_use_{event}"] = f"""CREATE FUNCTION {name}_use_{event}() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        IF {when} THEN
            {_note_delta(facet, _use_delta(old, new))};
            {AT_COMMIT.MARK}
        END IF;
        RETURN NULL;
    END $$"""
        functions[f"{name}_element"] = f"""CREATE FUNCTION {name}_element() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF EXISTS (SELECT 1 FROM old_rows AS o JOIN new_rows AS n ON n.id = o.id
            WHERE o.category_id <> n.category_id) THEN
            {_note_delta(facet, _element_delta("old_rows", "new_rows"))};
            {AT_COMMIT.MARK}
        END IF;
        RETURN NULL;
    END $$"""
    if facet is SCHOOL:
        link = "SELECT {row}.product_id AS product_id, {row}.school_id AS facet_id, {sign} AS delta"
        functions[f"{name}_link"] = f"""CREATE FUNCTION {name}_link() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'UPDATE' AND (OLD.product_id, OLD.school_id) IS NOT DISTINCT FROM (NEW.product_id, NEW.school_id)
        THEN
            RETURN NULL;
        END IF;
        IF TG_OP IN ('UPDATE', 'DELETE') THEN
            {_note_delta(facet, link.format(row="OLD", sign="-1"))};
        END IF;
        IF TG_OP IN ('UPDATE', 'INSERT') THEN
            {_note_delta(facet, link.format(row="NEW", sign="1"))};
        END IF;
        {AT_COMMIT.MARK}
        RETURN NULL;
    END $$"""
    return functions


def _pg_triggers(facet: Facet) -> dict[str, tuple[str, str, str]]:
    """Trigger → (table, when, function)."""
    name = f"kept_counts_term_{facet.name}"
    triggers = {
        f"{name}_product_delete": ("product", "BEFORE DELETE ON product FOR EACH ROW", f"{name}_product"),
        f"{name}_product": (
            "product",
            f"AFTER INSERT OR UPDATE OF {facet.product_columns} ON product FOR EACH ROW",
            f"{name}_product",
        ),
        f"{name}_vendor": (
            "vendor",
            "AFTER UPDATE OF is_retired ON vendor FOR EACH ROW WHEN (OLD.is_retired IS DISTINCT FROM NEW.is_retired)",
            f"{name}_vendor",
        ),
        f"{name}_agreement": (
            "agreement",
            f"AFTER DELETE OR UPDATE OF {HEADLINE._TERM_COLUMNS_WRITTEN} ON agreement FOR EACH ROW",
            f"{name}_agreement",
        ),
    }
    if facet is CATEGORY:
        # Transition tables: one trigger per event, and an UPDATE trigger without a column list.
        triggers[f"{name}_use_insert"] = (
            "data_use",
            "AFTER INSERT ON data_use REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT",
            f"{name}_use_insert",
        )
        triggers[f"{name}_use_delete"] = (
            "data_use",
            "AFTER DELETE ON data_use REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT",
            f"{name}_use_delete",
        )
        triggers[f"{name}_use_update"] = (
            "data_use",
            "AFTER UPDATE ON data_use REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT",
            f"{name}_use_update",
        )
        triggers[f"{name}_element"] = (
            "data_element",
            "AFTER UPDATE ON data_element REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT",
            f"{name}_element",
        )
    if facet is SCHOOL:
        triggers[f"{name}_link"] = (
            "product_school",
            "AFTER INSERT OR DELETE OR UPDATE OF product_id, school_id ON product_school FOR EACH ROW",
            f"{name}_link",
        )
    return triggers


PG_FUNCTIONS = {function: sql for facet in FACETS for function, sql in _pg_functions(facet).items()}
PG_TRIGGERS = {trigger: spec for facet in FACETS for trigger, spec in _pg_triggers(facet).items()}


def _apply_section(facet: Facet) -> str:
    """kept_counts_apply's section of the facet's table: this transaction's standing notes added to the term group
    of each agreement as it is at commit, then the groups' rows made, locked in key order and changed."""
    table, column = facet.table, facet.column
    deltas = (
        "(SELECT CAST(split_part(key, '|', 1) AS integer) AS agreement_key, split_part(key, '|', 2) AS stated, "
        "CAST(split_part(key, '|', 3) AS integer) AS facet_id, sum(delta) AS delta "
        f"FROM {NOTES} WHERE counter = '{facet.standing}' GROUP BY key HAVING sum(delta) <> 0)"  # noqa: S608
    )
    groups = f"(SELECT {ELEMENT._parsed('k')} FROM unnest(noted) AS k)"
    return f"""INSERT INTO {NOTES} (counter, key, delta)
            SELECT '{table}', {ELEMENT._group_key("d.facet_id", "d.stated", ELEMENT._TERM_AT_COMMIT)}, d.delta
            FROM {deltas} AS d LEFT JOIN agreement AS a ON a.id = d.agreement_key
            WHERE d.agreement_key = 0 OR a.id IS NOT NULL;
        {AT_COMMIT._noted(table)}
        IF cardinality(noted) > 0 THEN
            INSERT INTO {table} ({column}, stated, term_key, product_count)
                SELECT g.facet_id, g.stated, g.term_key, 0 FROM {groups} AS g(facet_id, stated, term_key)
                WHERE EXISTS (SELECT 1 FROM {facet.parent} AS f WHERE f.id = g.facet_id)
                ORDER BY g.facet_id, g.term_key, g.stated ON CONFLICT ({column}, term_key, stated) DO NOTHING;
            PERFORM 1 FROM {table} WHERE ({column}, stated, term_key) IN {groups}
                ORDER BY {column}, term_key, stated FOR NO KEY UPDATE;
            UPDATE {table} AS g SET product_count = g.product_count + d.delta
                FROM (SELECT {ELEMENT._parsed("t.key")}, t.delta FROM {AT_COMMIT._deltas(table)} AS t)
                AS d(facet_id, stated, term_key, delta)
                WHERE (g.{column}, g.stated, g.term_key) = (d.facet_id, d.stated, d.term_key);
        END IF;
        """


# Their place in the one lock order: after agreement_term_element_count's rows, before data_category's.
_NEXT_SECTION = AT_COMMIT._noted("data_category")
OLD_APPLY = ELEMENT.APPLY
APPLY = OLD_APPLY.replace(_NEXT_SECTION, "".join(_apply_section(facet) for facet in FACETS) + _NEXT_SECTION, 1)


def create_sqlite_triggers():
    for statement in SQLITE_TRIGGERS.values():
        op.execute(statement)


def upgrade():
    for facet in FACETS:
        op.create_table(
            facet.table,
            sa.Column(facet.column, sa.Integer(), nullable=False),
            sa.Column("term_key", sa.String(length=80), nullable=False),
            sa.Column("stated", sa.String(length=40), nullable=False),
            sa.Column("product_count", sa.Integer(), nullable=False, server_default="0"),
            sa.ForeignKeyConstraint(
                [facet.column],
                [f"{facet.parent}.id"],
                name=op.f(f"fk_{facet.table}_{facet.column}_{facet.parent}"),
                ondelete="CASCADE",
            ),
            sa.PrimaryKeyConstraint(facet.column, "term_key", "stated", name=op.f(f"pk_{facet.table}")),
        )
        op.execute(_count_all(facet))
    if op.get_bind().dialect.name == "postgresql":
        if APPLY == OLD_APPLY:
            raise RuntimeError("kept_counts_apply no longer has the section these go before")
        for statement in PG_FUNCTIONS.values():
            op.execute(statement)
        for trigger, (_table, when, function) in PG_TRIGGERS.items():
            op.execute(f"CREATE TRIGGER {trigger} {when} EXECUTE FUNCTION {function}()")
        op.execute(APPLY)
    else:
        create_sqlite_triggers()
    for facet in FACETS:
        data_version.watch(op, facet.table)


def downgrade():
    for facet in FACETS:
        data_version.unwatch(op, facet.table)
    if op.get_bind().dialect.name == "postgresql":
        op.execute(OLD_APPLY)
        for trigger, (table, _when, _function) in PG_TRIGGERS.items():
            op.execute(f"DROP TRIGGER IF EXISTS {trigger} ON {table}")
        for function in PG_FUNCTIONS:
            op.execute(f"DROP FUNCTION IF EXISTS {function}()")
    else:
        for trigger in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    for facet in reversed(FACETS):
        op.drop_table(facet.table)
