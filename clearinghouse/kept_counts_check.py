"""The kept counts checked against the rows they count, and rewritten where they drifted.

Triggers keep public counts in shared rows (`kept_counts`); nothing else ever compares them with the
rows they count. A known race (a product linked to an agreement committing while another transaction
changes that agreement's dates leaves it counted under the old term group), a bug, a fix typed into
psql or a restore would leave a wrong count on the public pages for good. `COUNTS` says, for every
kept count, how to count it from scratch, with the rules the pages use (`listed_clause`, the term
groups' `term_key_sql`); `check()` compares each with what is kept, in one statement per count (one
snapshot on PostgreSQL), and `repair()` rewrites the rows that drifted, in one unit of work.

The repair takes rows as a writer's commit does on PostgreSQL (`kept_counts`): the products' own
`school_names` and `received_element_ids` first (a writer holds its product rows from its statements on), the
agreement key and stated status the search index keeps of each (its triggers write them with the product),
then table by table in the one order, each table's drifted rows by key, each locked (`FOR NO KEY UPDATE`)
before it is counted again in a statement of its own and written. Under the lock the count sees every writer that
committed before; a writer still running adds its delta at its commit, to the true count. It thus
waits for writers only as they wait for one another, never in a cycle. When it rewrote anything it
bumps the data version last (most rows it writes are watched and bump it anyway; the search
vocabulary's are not), so no cached answer survives (`data_version`).
On SQLite a few of those rows have triggers of their own (a vendor's count keeps the headline's, an
agreement's group its term group's); each table is compared when its turn comes, after the tables
before it were repaired, and so counts what their triggers already mended.

The daily sweep runs `repair()` once a day, and `flask kept-counts check` / `repair` run them by hand.
"""

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from itertools import groupby
from typing import Any

from sqlalchemy import (
    Column,
    Integer,
    MetaData,
    Select,
    Table,
    Text,
    and_,
    bindparam,
    case,
    func,
    literal,
    literal_column,
    or_,
    select,
    text,
    tuple_,
    union_all,
)
from sqlalchemy.dialects import postgresql, sqlite

from clearinghouse import data_version, models  # noqa: F401 - every domain's tables: directory.queries configures the mappers
from clearinghouse.agreements.models import (
    NO_AGREEMENT_TERM,
    Agreement,
    agreement_standing_count,
    agreement_term_category_count,
    agreement_term_count,
    agreement_term_element_count,
    agreement_term_kind_count,
    agreement_term_school_count,
    agreement_term_standing_count,
)
from clearinghouse.agreements.state import term_key_sql
from clearinghouse.audit import services as audit
from clearinghouse.directory.models import (
    DataCategory,
    DataElement,
    DataUse,
    Product,
    ProductKind,
    ProductStatus,
    School,
    Vendor,
    headline_count,
    product_school,
    product_status_count,
    school_element_count,
)
from clearinghouse.directory.queries import listed_clause
from clearinghouse.directory.search_index import SEARCH_TABLE, VOCAB_TABLE
from clearinghouse.extensions import db, unit_of_work

# The search vocabulary's words (PostgreSQL only), a table migrations make and no model maps.
VOCABULARY = Table(VOCAB_TABLE, MetaData(), Column("term", Text, primary_key=True))
# The columns of product the search index keeps beside each document for an agreement filter's rule (PostgreSQL
# only, migration 20261128_search_agreement_keys; SQLite's index is FTS5): a table no model maps.
SEARCH_KEPT = Table(
    SEARCH_TABLE,
    MetaData(),
    Column("product_id", Integer, primary_key=True),
    Column("agreement_key", Integer),
    Column("agreement_status", Text),
)
HEADLINE_ROW = 1


@dataclass(frozen=True)
class KeptCount:
    """One kept count: the column `column` of `table`, one value per `key`, and how to count it from scratch.

    `true` gives rows (*key, value[, *made_with]); a key it leaves out is worth `absent`. A group's row
    (`makes_rows`) is made when first counted, with the columns `made_with` too; a missing one counts as
    `absent`. A set of words (`is_set`) keeps a row per word, its value 1 when present.
    """

    table: Table
    column: str
    key: tuple[str, ...]
    true: Callable[[], Select]
    absent: Any = 0
    makes_rows: bool = False
    made_with: tuple[str, ...] = ()
    is_set: bool = False
    postgresql_only: bool = False

    def kept(self) -> Select:
        keys = [self.table.c[name] for name in self.key]
        value = literal_column("1", Integer) if self.is_set else self.table.c[self.column]
        return select(*keys, value)


@dataclass(frozen=True)
class Drift:
    """A kept value that is not what its rows count: `kept` is None when its row is missing (or NULL)."""

    table: str
    column: str
    key: tuple
    kept: Any
    true: Any

    def describe(self) -> str:
        key = ", ".join(str(part) for part in self.key)
        return f"{self.table}.{self.column} [{key}]: kept {_shown(self.kept)}, true {_shown(self.true)}"

    def changes(self) -> dict[str, list]:
        return {self.column: [self.kept, self.true]}


def _shown(value: Any) -> str:
    return "nothing" if value is None else repr(value)


# --- the counts from scratch -------------------------------------------------------------------------------


def _school_names() -> Select:
    """Each product's schools' names, by the database's order of names (then id), joined by ", "."""
    if db.session.get_bind().dialect.name == "postgresql":
        names = func.string_agg(
            School.name, postgresql.aggregate_order_by(literal_column("', '"), School.name, School.id)
        )
        return (
            select(product_school.c.product_id, names)
            .join(School, School.id == product_school.c.school_id)
            .group_by(product_school.c.product_id)
        )
    # SQLite has no ORDER BY inside an aggregate before 3.44: group_concat reads an ordered subquery's rows in order.
    ordered = (
        select(product_school.c.product_id, School.name)
        .join(School, School.id == product_school.c.school_id)
        .order_by(product_school.c.product_id, School.name, School.id)
        .subquery()
    )
    return select(ordered.c.product_id, func.group_concat(ordered.c.name, literal_column("', '"))).group_by(
        ordered.c.product_id
    )


def _received_element_ids() -> Select:
    """Each product's data elements' ids, by id, each between commas."""
    ids = DataUse.data_element_id
    if db.session.get_bind().dialect.name == "postgresql":
        joined = func.string_agg(ids.cast(Text), postgresql.aggregate_order_by(literal_column("','"), ids))
        return select(DataUse.product_id, "," + joined + ",").group_by(DataUse.product_id)
    # As `_school_names`: group_concat reads an ordered subquery's rows in order.
    ordered = select(DataUse.product_id, ids).order_by(DataUse.product_id, ids).subquery()
    joined = func.group_concat(ordered.c.data_element_id, literal_column("','"))
    return select(ordered.c.product_id, "," + joined + ",").group_by(ordered.c.product_id)


def _searched_product(column: str) -> Callable[[], Select]:
    """The product's own `column`, for each product the search index holds."""

    def searched_product() -> Select:
        return select(Product.id, Product.__table__.c[column]).join(SEARCH_KEPT, SEARCH_KEPT.c.product_id == Product.id)

    return searched_product


def _by_agreement_and_stated() -> Select:
    """Listed products per (agreement key, stated status)."""
    return (
        select(Product.agreement_key, Product.agreement_status, func.count())
        .where(listed_clause())
        .group_by(Product.agreement_key, Product.agreement_status)
    )


TERM_COLUMNS = (
    "effective_on",
    "expires_on",
    "auto_renews",
    "terminated_on",
    "dates_recorded",
    "is_signed",
    "is_renewed",
)


def _agreements_by_term() -> Select:
    """Agreements per term group, with the group's columns."""
    key = term_key_sql(Agreement)
    columns = (
        Agreement.effective_on,
        Agreement.expires_on,
        Agreement.auto_renews,
        Agreement.terminated_on,
        Agreement.dates_recorded,
        Agreement.signed_on.is_not(None).label("is_signed"),
        Agreement.renewed_by_id.is_not(None).label("is_renewed"),
    )
    return select(key, func.count(), *columns).group_by(key, *columns)


def _by_term_and_stated() -> Select:
    """Listed products with a sole agreement per (its term group, stated status)."""
    key = term_key_sql(Agreement)
    return (
        select(key, Product.agreement_status, func.count())
        .join(Agreement, Agreement.id == Product.agreement_key)
        .where(listed_clause())
        .group_by(key, Product.agreement_status)
    )


def _by_term_and_stated_of(facet_id: Any, *joins: tuple[Any, Any]) -> Callable[[], Select]:
    """Listed products with no agreement or a sole one per (`facet_id`, a column reached from product by `joins`:
    a data element received, a category, a school, a kind; the term group of that agreement or
    NO_AGREEMENT_TERM; stated status), each product once per facet id."""

    def by_term_and_stated() -> Select:
        key = case((Product.agreement_key == 0, literal(NO_AGREEMENT_TERM)), else_=term_key_sql(Agreement))
        statement = select(facet_id, key, Product.agreement_status, func.count(Product.id.distinct())).select_from(
            Product
        )
        for target, on in joins:
            statement = statement.join(target, on)
        return (
            statement.outerjoin(Agreement, Agreement.id == Product.agreement_key)
            .where(listed_clause(), or_(Product.agreement_key == 0, Agreement.id.is_not(None)))
            .group_by(facet_id, key, Product.agreement_status)
        )

    return by_term_and_stated


_USES = (DataUse, DataUse.product_id == Product.id)


def _by_category() -> Select:
    """Listed products receiving some element of each category."""
    return (
        select(DataElement.category_id, func.count(DataUse.product_id.distinct()))
        .select_from(DataUse)
        .join(DataElement, DataElement.id == DataUse.data_element_id)
        .join(Product, Product.id == DataUse.product_id)
        .where(listed_clause())
        .group_by(DataElement.category_id)
    )


def _receivers() -> Select:
    """Listed products receiving each element (a product receives an element once)."""
    return (
        select(DataUse.data_element_id, func.count())
        .join(Product, Product.id == DataUse.product_id)
        .where(listed_clause())
        .group_by(DataUse.data_element_id)
    )


def _placed(counted: Any) -> Callable[[], Select]:
    """Per kind, `counted` (distinct products or schools) over the school links of its listed products."""

    def placed() -> Select:
        return (
            select(Product.kind_id, func.count(counted.distinct()))
            .select_from(product_school)
            .join(Product, Product.id == product_school.c.product_id)
            .where(listed_clause())
            .group_by(Product.kind_id)
        )

    return placed


def _words() -> Select:
    """The words of the search index (PostgreSQL's tsvector documents)."""
    return (
        select(literal_column("w.lexeme"), literal_column("1", Integer))
        .select_from(text(f"{SEARCH_TABLE}, unnest({SEARCH_TABLE}.document) AS w"))
        .distinct()
    )


def _by_status() -> Select:
    """Listed products per approval status."""
    return select(Product.status, func.count()).where(listed_clause()).group_by(Product.status)


def _sensitive_products() -> Select:
    return (
        select(DataUse.product_id)
        .join(DataElement, DataElement.id == DataUse.data_element_id)
        .where(DataElement.is_sensitive.is_(True))
    )


def _at_school(*conditions: Any) -> Callable[[], Select]:
    """Listed products used at each school (that meet `conditions`)."""

    def at_school() -> Select:
        return (
            select(product_school.c.school_id, func.count())
            .join(Product, Product.id == product_school.c.product_id)
            .where(listed_clause(), *conditions)
            .group_by(product_school.c.school_id)
        )

    return at_school


def _at_school_by_element() -> Select:
    """Listed products used at each school receiving each element."""
    return (
        select(product_school.c.school_id, DataUse.data_element_id, func.count())
        .join(DataUse, DataUse.product_id == product_school.c.product_id)
        .join(Product, Product.id == product_school.c.product_id)
        .where(listed_clause())
        .group_by(product_school.c.school_id, DataUse.data_element_id)
    )


def _not_retired_by_vendor() -> Select:
    """Each vendor's products that are not retired (whether or not the vendor is)."""
    return (
        select(Product.vendor_id, func.count())
        .where(Product.status != ProductStatus.RETIRED)
        .group_by(Product.vendor_id)
    )


def _vendors_listed() -> Select:
    """The headline's vendors: those with a listed product."""
    return select(literal_column(str(HEADLINE_ROW), Integer), func.count(Product.vendor_id.distinct())).where(
        listed_clause()
    )


def _elements_received() -> Select:
    """The headline's data elements: those some listed product receives."""
    return (
        select(literal_column(str(HEADLINE_ROW), Integer), func.count(DataUse.data_element_id.distinct()))
        .join(Product, Product.id == DataUse.product_id)
        .where(listed_clause())
    )


_PRODUCTS = Product.__table__
_SCHOOLS = School.__table__
_KINDS = ProductKind.__table__

# In the order rows are locked: the products' own rows, the search index's row of each (written by a product's
# triggers as soon as it changes), then kept_counts' order of tables.
COUNTS: tuple[KeptCount, ...] = (
    KeptCount(_PRODUCTS, "school_names", ("id",), _school_names, absent=None),
    KeptCount(_PRODUCTS, "received_element_ids", ("id",), _received_element_ids, absent=None),
    KeptCount(SEARCH_KEPT, "agreement_key", ("product_id",), _searched_product("agreement_key"), postgresql_only=True),
    KeptCount(SEARCH_KEPT, "agreement_status", ("product_id",), _searched_product("agreement_status"),
              postgresql_only=True),
    KeptCount(agreement_standing_count, "product_count", ("agreement_key", "stated"), _by_agreement_and_stated,
              makes_rows=True),
    KeptCount(agreement_term_count, "agreement_count", ("term_key",), _agreements_by_term, makes_rows=True,
              made_with=TERM_COLUMNS),
    KeptCount(agreement_term_standing_count, "product_count", ("term_key", "stated"), _by_term_and_stated,
              makes_rows=True),
    KeptCount(agreement_term_element_count, "product_count", ("data_element_id", "term_key", "stated"),
              _by_term_and_stated_of(DataUse.data_element_id, _USES), makes_rows=True),
    KeptCount(agreement_term_category_count, "product_count", ("category_id", "term_key", "stated"),
              _by_term_and_stated_of(DataElement.category_id, _USES,
                                     (DataElement, DataElement.id == DataUse.data_element_id)), makes_rows=True),
    KeptCount(agreement_term_school_count, "product_count", ("school_id", "term_key", "stated"),
              _by_term_and_stated_of(product_school.c.school_id, (product_school,
                                     product_school.c.product_id == Product.id)), makes_rows=True),
    KeptCount(agreement_term_kind_count, "product_count", ("kind_id", "term_key", "stated"),
              _by_term_and_stated_of(Product.kind_id), makes_rows=True),
    KeptCount(DataCategory.__table__, "product_count", ("id",), _by_category),
    KeptCount(DataElement.__table__, "receiver_count", ("id",), _receivers),
    KeptCount(_KINDS, "placed_product_count", ("id",), _placed(product_school.c.product_id)),
    KeptCount(_KINDS, "school_count", ("id",), _placed(product_school.c.school_id)),
    KeptCount(VOCABULARY, "term", ("term",), _words, makes_rows=True, is_set=True, postgresql_only=True),
    KeptCount(product_status_count, "product_count", ("status",), _by_status, makes_rows=True),
    KeptCount(_SCHOOLS, "product_count", ("id",), _at_school()),
    KeptCount(_SCHOOLS, "sensitive_product_count", ("id",),
              _at_school(product_school.c.product_id.in_(_sensitive_products()))),
    KeptCount(school_element_count, "product_count", ("school_id", "data_element_id"), _at_school_by_element,
              makes_rows=True),
    KeptCount(Vendor.__table__, "product_count", ("id",), _not_retired_by_vendor),
    KeptCount(headline_count, "vendor_count", ("id",), _vendors_listed, makes_rows=True),
    KeptCount(headline_count, "element_count", ("id",), _elements_received, makes_rows=True),
)  # fmt: skip


def counts() -> list[KeptCount]:
    """The kept counts this database has, in lock order."""
    postgres = db.session.get_bind().dialect.name == "postgresql"
    return [count for count in COUNTS if postgres or not count.postgresql_only]


# --- checking ------------------------------------------------------------------------------------------------


def compare(count: KeptCount) -> list[Drift]:
    """The drifts of one kept count, kept and true read in one statement (one snapshot)."""
    true = count.true()
    if count.made_with:
        counted_with = true.subquery()
        true = select(*list(counted_with.c)[: len(count.key) + 1])
    rows = db.session.execute(
        union_all(
            count.kept().add_columns(literal_column("0", Integer)),
            true.add_columns(literal_column("1", Integer)),
        )
    ).all()
    kept: dict[tuple, Any] = {}
    counted: dict[tuple, Any] = {}
    for *key, value, is_true in rows:
        (counted if is_true else kept)[tuple(key)] = value
    drifts = []
    for key in sorted(kept.keys() | counted.keys()):
        value = kept.get(key)
        seen = value if key in kept else count.absent
        should = counted.get(key, count.absent)
        if seen != should:
            drifts.append(Drift(count.table.name, count.column, key, value, should))
    return drifts


def check(tables: Iterable[str] | None = None) -> list[Drift]:
    """Every drift of the kept counts (of the tables `tables`, when given); reads only."""
    wanted = None if tables is None else set(tables)
    return [drift for count in counts() if wanted is None or count.table.name in wanted for drift in compare(count)]


# --- repairing -----------------------------------------------------------------------------------------------


def repair() -> list[Drift]:
    """Rewrite every kept count that drifted, in one unit of work, auditing each; returns what was rewritten."""
    with unit_of_work():
        return repair_drifts()


def repair_drifts() -> list[Drift]:
    """`repair`'s core (flushes only): each table in lock order, compared, locked (PostgreSQL), compared
    again under the locks, written, and each rewrite audited."""
    postgres = db.session.get_bind().dialect.name == "postgresql"
    repaired = []
    for _table, group in groupby(counts(), key=lambda count: count.table.name):
        table_counts = list(group)
        drifts = [drift for count in table_counts for drift in compare(count)]
        if not drifts:
            continue
        missing = [drift for drift in drifts if drift.kept is None]
        _make_rows(table_counts, missing)
        if postgres:
            keys = sorted({drift.key for drift in drifts})
            _lock(table_counts[0], keys)
            locked, made = set(keys), {(drift.column, drift.key) for drift in missing}
            columns = [count.column for count in table_counts]
            sets = {count.column for count in table_counts if count.is_set}
            added = [drift for drift in missing if drift.column in sets]  # a word made is a word repaired
            rechecked = [
                replace(drift, kept=None) if (drift.column, drift.key) in made else drift
                for count in table_counts
                for drift in compare(count)
                if drift.key in locked
            ]
            drifts = sorted(added + rechecked, key=lambda drift: (columns.index(drift.column), drift.key))
        for count in table_counts:
            _write(count, [drift for drift in drifts if drift.column == count.column])
        repaired += drifts
    if repaired:
        # Last, as in every writer's commit: the version's row. Most rows written are watched (each bumps it),
        # the search vocabulary's are not; the public answers must change whichever it was.
        db.session.execute(text(data_version.BUMP_SQL))
    for drift in repaired:
        record_id = drift.key[0] if len(drift.key) == 1 and isinstance(drift.key[0], int) else None
        audit.record_row(None, "kept_count.repaired", drift.table, record_id, drift.changes(), label=drift.describe())
    db.session.flush()
    return repaired


def _insert(table: Table) -> Any:
    dialect = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
    return dialect.insert(table)


def _make_rows(table_counts: list[KeptCount], missing: list[Drift]) -> None:
    """Make the missing rows of groups (at zero; words as they are), in key order, as a writer's commit does."""
    for count in table_counts:
        keys = sorted({drift.key for drift in missing if drift.column == count.column and count.makes_rows})
        if not keys:
            continue
        if count.is_set:  # a word missing is a word to add, in PostgreSQL's "C" order as a writer's commit adds them
            rows = [{count.key[0]: word} for (word,) in sorted(keys, key=lambda key: key[0].encode())]
        else:
            rows = _new_rows(count, keys)
        if rows:
            db.session.execute(_insert(count.table).on_conflict_do_nothing(), rows)


def _new_rows(count: KeptCount, keys: list[tuple]) -> list[dict[str, Any]]:
    """Rows at zero for the groups `keys`, with their `made_with` columns from the count from scratch."""
    if not count.made_with:
        return [{**dict(zip(count.key, key, strict=True)), count.column: 0} for key in keys]
    made = {}
    for row in db.session.execute(count.true()):
        key = tuple(row[: len(count.key)])
        made[key] = dict(zip(count.made_with, row[len(count.key) + 1 :], strict=True))
    return [{**dict(zip(count.key, key, strict=True)), count.column: 0, **made[key]} for key in keys if key in made]


def _lock(count: KeptCount, keys: list[tuple]) -> None:
    """Lock the rows `keys` of the count's table in key order, as an UPDATE would (PostgreSQL)."""
    columns = [count.table.c[name] for name in count.key]
    for chunk in _chunks(keys):
        db.session.execute(
            select(*columns).where(tuple_(*columns).in_(chunk)).order_by(*columns).with_for_update(key_share=True)
        )


def _chunks(keys: list[tuple], size: int = 1000) -> Iterator[list[tuple]]:
    for start in range(0, len(keys), size):
        yield keys[start : start + size]


def _write(count: KeptCount, drifts: list[Drift]) -> None:
    """Write each drifted value (a word of a set: deleted when no document has it; made by `_make_rows`)."""
    if not drifts:
        return
    table = count.table
    where = and_(*(table.c[name] == bindparam(f"key_{name}") for name in count.key))
    params = [{f"key_{name}": part for name, part in zip(count.key, drift.key, strict=True)} for drift in drifts]
    if count.is_set:
        gone = [param for param, drift in zip(params, drifts, strict=True) if not drift.true]
        if gone:
            db.session.execute(table.delete().where(where), gone)
        return
    # A row's own "updated" time stays: the count is the triggers', not a change anyone made.
    unchanged = {column.name: column for column in table.c if column.onupdate is not None}
    statement = table.update().where(where).values({count.column: bindparam("true_value"), **unchanged})
    db.session.execute(
        statement, [{**param, "true_value": drift.true} for param, drift in zip(params, drifts, strict=True)]
    )
