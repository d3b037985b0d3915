"""kept counts: on PostgreSQL, noted by triggers and applied at commit in one lock order: no deadlock

The triggers of migrations 20261126_headline_counts, _headline_element_count,
_data_element_receivers, _school_product_counts, _school_element_counts, _report_counts and
_agreement_standing_counts (and the search vocabulary's of _search_vocab_terms) changed shared rows
at once, each in the order its statements ran: a writer held them until it committed, and two
writers that took two of them in opposite orders (a product moved out of "approved" and then another
into "under review", against the opposite moves; data uses moved between elements; school links;
agreement terms; any mix of these) deadlocked. On PostgreSQL they are replaced by triggers that only
note, in `kept_count_change` (rows no other transaction sees), which counts their row changes and
what to add, worked out from OLD and NEW as before, or that a count must be made again from the rows
(where the old triggers recounted, or worked a delta out per statement from its transition tables: a
category's products, a kind's, a school's sensitive products after a data use changed). The data
version's deferred trigger applies the notes when the writer commits, locking the rows in one order
before the version's own row (clearinghouse/kept_counts.py).

The standing_link trigger stays: it sets the product's own `agreement_key`, no shared row. SQLite, with
one writer at a time, keeps its triggers. The counts are right before and after: none is made again.

Revision ID: 6f2a8d4c1e93
Revises: 7c3f9b2e5a16
Create Date: 2026-11-26 18:00:00

"""

import importlib.util
from pathlib import Path

from alembic import op

from clearinghouse import data_version, kept_counts

# revision identifiers, used by Alembic.
revision = "6f2a8d4c1e93"
down_revision = "7c3f9b2e5a16"
branch_labels = None
depends_on = None


def _migration(name: str):
    """An earlier migration of this directory, for the counts' SQL it wrote and the triggers the downgrade puts back."""
    path = Path(__file__).with_name(f"{name}.py")
    spec = importlib.util.spec_from_file_location(f"kept_counts_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


HEADLINE = _migration("20261126_headline_counts")
HEADLINE_ELEMENT = _migration("20261126_headline_element_count")
RECEIVERS = _migration("20261126_data_element_receivers")
SCHOOLS = _migration("20261126_school_product_counts")
SCHOOL_ELEMENTS = _migration("20261126_school_element_counts")
REPORTS = _migration("20261126_report_counts")
STANDING = _migration("20261126_agreement_standing_counts")
VOCABULARY = _migration("20261126_search_vocab_terms")

# The triggers replaced here, with their tables, and their functions (standing_link stays).
OLD_TRIGGERS = {
    **HEADLINE.PG_TRIGGERS,
    "headline_element": "data_element",
    **RECEIVERS.PG_TRIGGERS,
    **SCHOOLS.PG_TRIGGERS,
    **SCHOOL_ELEMENTS.PG_TRIGGERS,
    **REPORTS.PG_TRIGGERS,
    **{trigger: table for trigger, table in STANDING.PG_TRIGGERS.items() if trigger != "standing_link"},
}
OLD_FUNCTIONS = (
    *HEADLINE.PG_FUNCTIONS,
    "headline_element",
    *RECEIVERS.PG_FUNCTIONS,
    *SCHOOLS.PG_FUNCTIONS,
    *SCHOOL_ELEMENTS.PG_FUNCTIONS,
    *REPORTS.PG_FUNCTIONS,
    *(function for function in STANDING.PG_FUNCTIONS if function != "standing_link"),
)
OLD_STATEMENTS = (
    *HEADLINE.PG_STATEMENTS,
    *HEADLINE_ELEMENT.PG_STATEMENTS,
    *RECEIVERS.PG_STATEMENTS,
    *SCHOOLS.PG_STATEMENTS,
    *SCHOOL_ELEMENTS.PG_STATEMENTS,
    *REPORTS.PG_STATEMENTS,
    *(statement for statement in STANDING.PG_STATEMENTS if "standing_link" not in statement),
)

# The data version's function before this migration (migration 20261126_data_version_once_per_transaction).
OLD_BUMP = (
    f"CREATE OR REPLACE FUNCTION {data_version.FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "  # noqa: S608
    f"IF coalesce(current_setting('{data_version.BUMPED_SETTING}', true), '') <> 'on' THEN "
    f"UPDATE {data_version.TABLE} SET value = value + 1 WHERE id = {data_version.ROW_ID}; "
    f"PERFORM set_config('{data_version.BUMPED_SETTING}', 'on', true); "
    "END IF; RETURN NULL; END $$"
)

NOTES = kept_counts.TABLE
MARK = f"PERFORM set_config('{kept_counts.MARKED_SETTING}', 'on', true);"
AGAIN = "CAST(NULL AS integer)"  # a note's delta when the count is made again from the rows at commit


def _note(*sources: str) -> str:
    """Note the counts that the SELECTs `sources` name: each gives a counter, its key, and what to add to it
    (`AGAIN`: make it again)."""
    rows = " UNION ALL ".join(sources)
    return (
        f"INSERT INTO {NOTES} (counter, key, delta) SELECT counter, key, delta "  # noqa: S608
        f"FROM ({rows}) AS noted(counter, key, delta) WHERE key IS NOT NULL"
    )


def _key(value: str) -> str:
    return f"CAST({value} AS text)"


def _group(row: str) -> str:
    """The key of an agreement standing group: the product row's agreement key and stated status."""
    return f"{_key(f'{row}.agreement_key')} || '|' || {_key(f'{row}.agreement_status')}"


def _pair(school_id: str, element_id: str) -> str:
    """The key of a school's count of listed products receiving a data element."""
    return f"{_key(school_id)} || '|' || {_key(element_id)}"


def _product_rows(row: str, sign: str) -> list[str]:
    """A product row `row` counted in (`sign` 1) or out (-1) of its vendor's, status's and group's counts."""
    listed = HEADLINE._row_listed(row)
    return [
        f"SELECT 'vendor', {_key(f'{row}.vendor_id')}, {sign} WHERE {row}.status <> 'retired'",
        f"SELECT 'product_status_count', {_key(f'{row}.status')}, {sign} WHERE {listed}",
        f"SELECT 'agreement_standing_count', {_group(row)}, {sign} WHERE {listed}",
    ]


def _listing(products: str, sign: str) -> list[str]:
    """The products `products` (a FROM clause naming `p`) listed (`sign` 1) or unlisted (-1): counted in or
    out of their elements' receivers, categories, schools and schools' sensitive products; kinds made again."""
    sensitive = SCHOOLS._sensitive_uses("l.product_id")
    return [
        f"SELECT 'data_element', {_key('u.data_element_id')}, {sign} * count(*) FROM data_use AS u "
        f"WHERE u.product_id IN (SELECT p.id {products}) GROUP BY u.data_element_id",
        f"SELECT 'data_category', {_key('e.category_id')}, {sign} * count(DISTINCT u.product_id) FROM data_use AS u "
        f"JOIN data_element AS e ON e.id = u.data_element_id WHERE u.product_id IN (SELECT p.id {products}) "
        "GROUP BY e.category_id",
        f"SELECT 'school', {_key('l.school_id')}, {sign} * count(*) FROM product_school AS l "
        f"WHERE l.product_id IN (SELECT p.id {products}) GROUP BY l.school_id",
        f"SELECT 'school_sensitive', {_key('l.school_id')}, {sign} * count(*) FROM product_school AS l "
        f"WHERE l.product_id IN (SELECT p.id {products}) AND {sensitive} > 0 GROUP BY l.school_id",
        f"SELECT 'school_element_count', {_pair('l.school_id', 'u.data_element_id')}, {sign} * count(*) "
        "FROM product_school AS l JOIN data_use AS u ON u.product_id = l.product_id "
        f"WHERE l.product_id IN (SELECT p.id {products}) GROUP BY l.school_id, u.data_element_id",
        f"SELECT DISTINCT 'product_kind', {_key('p.kind_id')}, {AGAIN} {products}",
    ]


def _use_rows(row: str, sign: str) -> list[str]:
    """A data use row `row` counted in or out of its element's receivers (when its product is listed); its
    category and, when the element is sensitive, its product's schools made again."""
    return [
        f"SELECT 'data_element', {_key(f'{row}.data_element_id')}, {sign} WHERE {RECEIVERS.LISTED.format(use=row)}",
        f"SELECT 'data_category', {_key('e.category_id')}, {AGAIN} FROM data_element AS e "
        f"WHERE e.id = {row}.data_element_id",
        f"SELECT 'school_sensitive', {_key('l.school_id')}, {AGAIN} FROM product_school AS l "
        f"WHERE l.product_id = {row}.product_id "
        f"AND EXISTS (SELECT 1 FROM data_element AS e WHERE e.id = {row}.data_element_id AND e.is_sensitive)",
        f"SELECT 'school_element_count', {_pair('l.school_id', f'{row}.data_element_id')}, {sign} "
        f"FROM product_school AS l WHERE l.product_id = {row}.product_id AND {RECEIVERS.LISTED.format(use=row)}",
    ]


def _link_rows(row: str, sign: str) -> list[str]:
    """A school link row `row` counted in or out of its school's products and (when its product receives
    sensitive data) sensitive products, when its product is listed; the product's kind made again."""
    listed = SCHOOLS._listed(f"{row}.product_id")
    return [
        f"SELECT 'school', {_key(f'{row}.school_id')}, {sign} WHERE {listed}",
        f"SELECT 'school_sensitive', {_key(f'{row}.school_id')}, {sign} "
        f"WHERE {listed} AND {SCHOOLS._sensitive_uses(f'{row}.product_id')} > 0",
        f"SELECT 'product_kind', {_key('p.kind_id')}, {AGAIN} FROM product AS p WHERE p.id = {row}.product_id",
        f"SELECT 'school_element_count', {_pair(f'{row}.school_id', 'u.data_element_id')}, {sign} "
        f"FROM data_use AS u WHERE u.product_id = {row}.product_id AND {listed}",
    ]


_TERM_KEY = HEADLINE._term_key("agreement")
_OF_VENDOR = "FROM product AS p WHERE p.vendor_id = NEW.id AND p.status <> 'retired'"
_VENDOR_SIGN = "(CASE WHEN NEW.is_retired THEN -1 ELSE 1 END)"
# A vendor retired or brought back: its products that are not retired counted out or in.
_VENDOR_RETIRED = _note(
    f"SELECT 'product_status_count', {_key('p.status')}, {_VENDOR_SIGN} * count(*) {_OF_VENDOR} GROUP BY p.status",
    f"SELECT 'agreement_standing_count', {_group('p')}, {_VENDOR_SIGN} * count(*) {_OF_VENDOR} "
    "GROUP BY p.agreement_key, p.agreement_status",
    *_listing(_OF_VENDOR, _VENDOR_SIGN),
)
_ELEMENT_MOVED = _note(
    f"SELECT 'data_category', {_key('OLD.category_id')}, {AGAIN}",
    f"SELECT 'data_category', {_key('NEW.category_id')}, {AGAIN}",
)
# An element made sensitive or no longer: the schools of the products that receive it.
_ELEMENT_SENSITIVE = _note(
    f"SELECT DISTINCT 'school_sensitive', {_key('l.school_id')}, {AGAIN} FROM product_school AS l "
    "JOIN data_use AS u ON u.product_id = l.product_id WHERE u.data_element_id = NEW.id"
)
_THIS_PRODUCT = "FROM product AS p WHERE p.id = OLD.id"

NOTE_STATEMENTS = [
    f"""CREATE UNLOGGED TABLE {NOTES} (counter VARCHAR(40) NOT NULL, key TEXT NOT NULL, delta INTEGER)""",
    f"""CREATE FUNCTION kept_counts_product() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
        was_listed boolean;
        is_listed boolean;
    BEGIN
        IF TG_OP = 'DELETE' AND TG_WHEN = 'BEFORE' THEN
            -- Before its data uses and school links go (by cascade, or by the ORM before it), while they
            -- still tell whether it was listed: each is counted out once, here or by its own trigger.
            IF {HEADLINE._row_listed("OLD")} THEN
                {_note(*_listing(_THIS_PRODUCT, "-1"))};
                {MARK}
            END IF;
            RETURN OLD;
        END IF;
        IF TG_OP = 'UPDATE' AND (OLD.status, OLD.vendor_id, OLD.kind_id, OLD.agreement_status, OLD.agreement_key)
            IS NOT DISTINCT FROM (NEW.status, NEW.vendor_id, NEW.kind_id, NEW.agreement_status, NEW.agreement_key) THEN
            RETURN NULL;
        END IF;
        IF TG_OP IN ('UPDATE', 'DELETE') THEN
            {_note(*_product_rows("OLD", "-1"))};
        END IF;
        IF TG_OP IN ('UPDATE', 'INSERT') THEN
            {_note(*_product_rows("NEW", "1"))};
        END IF;
        IF TG_OP = 'UPDATE' THEN
            was_listed := {HEADLINE._row_listed("OLD")};
            is_listed := {HEADLINE._row_listed("NEW")};
            IF is_listed AND NOT was_listed THEN
                {_note(*_listing("FROM product AS p WHERE p.id = NEW.id", "1"))};
            ELSIF was_listed AND NOT is_listed THEN
                {_note(*_listing("FROM product AS p WHERE p.id = NEW.id", "-1"))};
            END IF;
            IF OLD.kind_id IS DISTINCT FROM NEW.kind_id THEN
                {_note(f"SELECT 'product_kind', {_key('OLD.kind_id')}, {AGAIN}",
                       f"SELECT 'product_kind', {_key('NEW.kind_id')}, {AGAIN}")};
            END IF;
        END IF;
        {MARK}
        RETURN NULL;
    END $$""",
    """CREATE TRIGGER kept_counts_product_delete BEFORE DELETE ON product
        FOR EACH ROW EXECUTE FUNCTION kept_counts_product()""",
    """CREATE TRIGGER kept_counts_product AFTER INSERT OR DELETE
        OR UPDATE OF status, vendor_id, kind_id, agreement_status, agreement_key ON product
        FOR EACH ROW EXECUTE FUNCTION kept_counts_product()""",
    f"""CREATE FUNCTION kept_counts_vendor() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'UPDATE' THEN
            IF OLD.is_retired IS NOT DISTINCT FROM NEW.is_retired THEN
                RETURN NULL;
            END IF;
            {_VENDOR_RETIRED};
        END IF;
        {_note(f"SELECT 'headline_count', 'vendors', {AGAIN}")};
        {MARK}
        RETURN NULL;
    END $$""",
    """CREATE TRIGGER kept_counts_vendor AFTER INSERT OR DELETE OR UPDATE OF is_retired ON vendor
        FOR EACH ROW EXECUTE FUNCTION kept_counts_vendor()""",
    f"""CREATE FUNCTION kept_counts_use() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'UPDATE' AND (OLD.product_id, OLD.data_element_id) IS NOT DISTINCT FROM
            (NEW.product_id, NEW.data_element_id) THEN
            RETURN NULL;
        END IF;
        IF TG_OP IN ('UPDATE', 'DELETE') THEN
            {_note(*_use_rows("OLD", "-1"))};
        END IF;
        IF TG_OP IN ('UPDATE', 'INSERT') THEN
            {_note(*_use_rows("NEW", "1"))};
        END IF;
        {MARK}
        RETURN NULL;
    END $$""",
    """CREATE TRIGGER kept_counts_use AFTER INSERT OR DELETE OR UPDATE OF product_id, data_element_id ON data_use
        FOR EACH ROW EXECUTE FUNCTION kept_counts_use()""",
    f"""CREATE FUNCTION kept_counts_link() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'UPDATE'
            AND (OLD.product_id, OLD.school_id) IS NOT DISTINCT FROM (NEW.product_id, NEW.school_id) THEN
            RETURN NULL;
        END IF;
        IF TG_OP IN ('UPDATE', 'DELETE') THEN
            {_note(*_link_rows("OLD", "-1"))};
        END IF;
        IF TG_OP IN ('UPDATE', 'INSERT') THEN
            {_note(*_link_rows("NEW", "1"))};
        END IF;
        {MARK}
        RETURN NULL;
    END $$""",
    """CREATE TRIGGER kept_counts_link AFTER INSERT OR DELETE OR UPDATE OF product_id, school_id ON product_school
        FOR EACH ROW EXECUTE FUNCTION kept_counts_link()""",
    f"""CREATE FUNCTION kept_counts_element() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'UPDATE' THEN
            IF OLD.category_id IS DISTINCT FROM NEW.category_id THEN
                {_ELEMENT_MOVED};
            END IF;
            IF OLD.is_sensitive IS DISTINCT FROM NEW.is_sensitive THEN
                {_ELEMENT_SENSITIVE};
            END IF;
        ELSE
            {_note(f"SELECT 'headline_count', 'elements', {AGAIN}")};
        END IF;
        {MARK}
        RETURN NULL;
    END $$""",
    """CREATE TRIGGER kept_counts_element AFTER INSERT OR DELETE OR UPDATE OF category_id, is_sensitive ON data_element
        FOR EACH ROW EXECUTE FUNCTION kept_counts_element()""",
    f"""CREATE FUNCTION kept_counts_agreement() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'UPDATE' AND {HEADLINE._term_key("OLD")} = {HEADLINE._term_key("NEW")} THEN
            RETURN NULL;
        END IF;
        IF TG_OP IN ('UPDATE', 'DELETE') THEN
            {_note(f"SELECT 'agreement_term_count', {HEADLINE._term_key('OLD')}, -1")};
        END IF;
        IF TG_OP IN ('UPDATE', 'INSERT') THEN
            {_note(f"SELECT 'agreement_term_count', {HEADLINE._term_key('NEW')}, 1")};
        END IF;
        {MARK}
        RETURN NULL;
    END $$""",
    f"""CREATE TRIGGER kept_counts_agreement AFTER INSERT OR DELETE
        OR UPDATE OF {HEADLINE._TERM_COLUMNS_WRITTEN} ON agreement
        FOR EACH ROW EXECUTE FUNCTION kept_counts_agreement()""",
]
# The search vocabulary (migration 20261126_search_vocab_terms) is a set of rows shared the same way: a
# word new to the index is inserted, and one no document has any more deleted, at commit too. A word
# already in the vocabulary is not noted (as before, nothing is written for it).
_WORDS = "SELECT w.lexeme FROM {rows}, unnest({rows}.document) AS w"
_NEW_WORDS = f"""SELECT DISTINCT 'product_search_vocab', w.lexeme, {AGAIN} FROM new_rows, unnest(new_rows.document) AS w
    WHERE NOT EXISTS (SELECT 1 FROM product_search_vocab AS v WHERE v.term = w.lexeme)"""
_WORDS_DELETED = _note(
    f"SELECT DISTINCT 'product_search_vocab_unused', w.lexeme, {AGAIN} FROM ({_WORDS.format(rows='old_rows')}) AS w"
)
_WORDS_REPLACED = _note(
    f"SELECT 'product_search_vocab_unused', w.lexeme, {AGAIN} FROM ({_WORDS.format(rows='old_rows')} "
    f"EXCEPT {_WORDS.format(rows='new_rows')}) AS w"
)
VOCABULARY_FUNCTION = f"""CREATE OR REPLACE FUNCTION product_search_vocab_count() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'TRUNCATE' THEN
            TRUNCATE product_search_vocab;
            RETURN NULL;
        END IF;
        IF TG_OP IN ('INSERT', 'UPDATE') THEN
            {_note(_NEW_WORDS)};
        END IF;
        IF TG_OP = 'DELETE' THEN
            {_WORDS_DELETED};
        ELSIF TG_OP = 'UPDATE' THEN
            {_WORDS_REPLACED};
        END IF;
        {MARK}
        RETURN NULL;
    END $$"""

NEW_TRIGGERS = {
    "kept_counts_product_delete": "product",
    "kept_counts_product": "product",
    "kept_counts_vendor": "vendor",
    "kept_counts_use": "data_use",
    "kept_counts_link": "product_school",
    "kept_counts_element": "data_element",
    "kept_counts_agreement": "agreement",
}
NEW_FUNCTIONS = (
    "kept_counts_product",
    "kept_counts_vendor",
    "kept_counts_use",
    "kept_counts_link",
    "kept_counts_element",
    "kept_counts_agreement",
    kept_counts.APPLY_FUNCTION,
)


def _noted(*counters: str) -> str:
    """This transaction's noted keys of `counters` that change (made again, or deltas that do not cancel out),
    sorted: the order their rows are locked in."""
    names = ", ".join(f"'{counter}'" for counter in counters)
    return (
        f"noted := ARRAY(SELECT key FROM {NOTES} WHERE counter IN ({names}) GROUP BY key "  # noqa: S608
        "HAVING bool_or(delta IS NULL) OR sum(delta) <> 0 ORDER BY key);"
    )


def _deltas(counter: str, key_type: str = "text") -> str:
    """The sum of this transaction's deltas of `counter` per key, as (key, delta): none that add nothing, and
    none for a key also made again (from the rows, which hold every change)."""
    return (
        f"(SELECT CAST(key AS {key_type}) AS key, sum(delta) AS delta FROM {NOTES} "  # noqa: S608
        f"WHERE counter = '{counter}' GROUP BY key HAVING sum(delta) <> 0 AND NOT bool_or(delta IS NULL))"
    )


def _again(counter: str) -> str:
    """The ids of `counter` to make again from the rows."""
    return (
        f"id IN (SELECT CAST(key AS integer) FROM {NOTES} WHERE counter = '{counter}' AND delta IS NULL)"  # noqa: S608
    )


def _lock(table: str) -> str:
    """Lock the noted rows of `table` (keyed by id), in id order."""
    return f"PERFORM 1 FROM {table} WHERE id = ANY(CAST(noted AS integer[])) ORDER BY id FOR NO KEY UPDATE;"


def _by_id(table: str, recount: str) -> str:
    """Lock the noted rows of `table` (keyed by id) in id order, then count them again with `recount`."""
    return f"""{_noted(table)}
        IF cardinality(noted) > 0 THEN
            {_lock(table)}
            {recount};
        END IF;"""


_NOTED_IDS = "id = ANY(CAST(noted AS integer[]))"
_NOTED_GROUPS = "(SELECT CAST(split_part(k, '|', 1) AS integer), split_part(k, '|', 2) FROM unnest(noted) AS k)"
_NOTED_PAIRS = (
    "(SELECT CAST(split_part(k, '|', 1) AS integer), CAST(split_part(k, '|', 2) AS integer) FROM unnest(noted) AS k)"
)

# One order for every writer: each table in turn, its rows by key, the headline row (made from the
# vendors' and elements' counts) last; the data version's row comes after (data_version.function_statement).
# A group's row is made when new (in key order too). Every row is locked before it changes, so that a
# count made again, a statement of its own, sees whatever the row's earlier writers committed; the
# others add the sum of the deltas noted (each from its row's OLD and NEW, as the triggers did before).
APPLY = f"""CREATE FUNCTION {kept_counts.APPLY_FUNCTION}() RETURNS void LANGUAGE plpgsql AS $$
    DECLARE
        noted text[];
        vendors_moved boolean := false;
        elements_moved boolean := false;
    BEGIN
        PERFORM set_config('{kept_counts.MARKED_SETTING}', 'off', true);
        {_noted("agreement_standing_count")}
        IF cardinality(noted) > 0 THEN
            INSERT INTO agreement_standing_count (agreement_key, stated, product_count)
                SELECT g.agreement_key, g.stated, 0 FROM {_NOTED_GROUPS} AS g(agreement_key, stated)
                ORDER BY g.agreement_key, g.stated ON CONFLICT (agreement_key, stated) DO NOTHING;
            PERFORM 1 FROM agreement_standing_count WHERE (agreement_key, stated) IN {_NOTED_GROUPS}
                ORDER BY agreement_key, stated FOR NO KEY UPDATE;
            UPDATE agreement_standing_count AS g SET product_count = g.product_count + d.delta
                FROM {_deltas("agreement_standing_count")} AS d
                WHERE g.agreement_key = CAST(split_part(d.key, '|', 1) AS integer)
                AND g.stated = split_part(d.key, '|', 2);
        END IF;
        {_noted("agreement_term_count")}
        IF cardinality(noted) > 0 THEN
            -- A new group takes its columns from an agreement in it (read only then: it means reading them all).
            IF EXISTS (SELECT 1 FROM unnest(noted) AS k WHERE k NOT IN (SELECT term_key FROM agreement_term_count)) THEN
                INSERT INTO agreement_term_count (term_key, {HEADLINE.TERM_COLUMNS}, agreement_count)
                    SELECT {_TERM_KEY}, {HEADLINE._term_values("agreement")}, 0 FROM agreement
                    WHERE {_TERM_KEY} = ANY(noted) ORDER BY 1 ON CONFLICT (term_key) DO NOTHING;
            END IF;
            PERFORM 1 FROM agreement_term_count WHERE term_key = ANY(noted) ORDER BY term_key FOR NO KEY UPDATE;
            UPDATE agreement_term_count AS g SET agreement_count = g.agreement_count + d.delta
                FROM {_deltas("agreement_term_count")} AS d WHERE g.term_key = d.key;
        END IF;
        {_noted("data_category")}
        IF cardinality(noted) > 0 THEN
            {_lock("data_category")}
            {REPORTS.recount_categories(_again("data_category"))};
            UPDATE data_category SET product_count = data_category.product_count + d.delta
                FROM {_deltas("data_category", "integer")} AS d WHERE data_category.id = d.key;
        END IF;
        {_noted("data_element")}
        IF cardinality(noted) > 0 THEN
            {_lock("data_element")}
            WITH moved AS (
                UPDATE data_element SET receiver_count = data_element.receiver_count + d.delta
                FROM {_deltas("data_element", "integer")} AS d WHERE data_element.id = d.key
                RETURNING data_element.receiver_count AS now, d.delta
            )
            SELECT coalesce(bool_or((now > 0) <> (now - delta > 0)), false) INTO elements_moved FROM moved;
        END IF;
        {_by_id("product_kind", REPORTS.recount_kinds(_NOTED_IDS))}
        {_noted("product_search_vocab")}
        INSERT INTO product_search_vocab (term)
            SELECT k FROM unnest(noted) AS k ORDER BY k COLLATE "C" ON CONFLICT (term) DO NOTHING;
        {_noted("product_search_vocab_unused")}
        IF cardinality(noted) > 0 THEN
            PERFORM 1 FROM product_search_vocab WHERE term = ANY(noted) ORDER BY term FOR NO KEY UPDATE;
            DELETE FROM product_search_vocab AS v WHERE v.term = ANY(noted) AND {VOCABULARY._UNUSED};
        END IF;
        {_noted("product_status_count")}
        IF cardinality(noted) > 0 THEN
            INSERT INTO product_status_count (status, product_count)
                SELECT k, 0 FROM unnest(noted) AS k ORDER BY k ON CONFLICT (status) DO NOTHING;
            PERFORM 1 FROM product_status_count WHERE status = ANY(noted) ORDER BY status FOR NO KEY UPDATE;
            UPDATE product_status_count AS s SET product_count = s.product_count + d.delta
                FROM {_deltas("product_status_count")} AS d WHERE s.status = d.key;
        END IF;
        {_noted("school", "school_sensitive")}
        IF cardinality(noted) > 0 THEN
            {_lock("school")}
            UPDATE school SET product_count = school.product_count + d.delta
                FROM {_deltas("school", "integer")} AS d WHERE school.id = d.key;
            {SCHOOLS.recount(_again("school_sensitive"))};
            UPDATE school SET sensitive_product_count = school.sensitive_product_count + d.delta
                FROM {_deltas("school_sensitive", "integer")} AS d WHERE school.id = d.key;
        END IF;
        {_noted("school_element_count")}
        IF cardinality(noted) > 0 THEN
            INSERT INTO school_element_count (school_id, data_element_id, product_count)
                SELECT g.school_id, g.data_element_id, 0 FROM {_NOTED_PAIRS} AS g(school_id, data_element_id)
                WHERE EXISTS (SELECT 1 FROM school WHERE school.id = g.school_id)
                AND EXISTS (SELECT 1 FROM data_element WHERE data_element.id = g.data_element_id)
                ORDER BY g.school_id, g.data_element_id ON CONFLICT (school_id, data_element_id) DO NOTHING;
            PERFORM 1 FROM school_element_count WHERE (school_id, data_element_id) IN {_NOTED_PAIRS}
                ORDER BY school_id, data_element_id FOR NO KEY UPDATE;
            UPDATE school_element_count AS c SET product_count = c.product_count + d.delta
                FROM {_deltas("school_element_count")} AS d
                WHERE c.school_id = CAST(split_part(d.key, '|', 1) AS integer)
                AND c.data_element_id = CAST(split_part(d.key, '|', 2) AS integer);
        END IF;
        {_noted("vendor")}
        IF cardinality(noted) > 0 THEN
            {_lock("vendor")}
            WITH moved AS (
                UPDATE vendor SET product_count = vendor.product_count + d.delta
                FROM {_deltas("vendor", "integer")} AS d WHERE vendor.id = d.key
                RETURNING vendor.product_count AS now, d.delta
            )
            SELECT coalesce(bool_or((now > 0) <> (now - delta > 0)), false) INTO vendors_moved FROM moved;
        END IF;
        {_noted("headline_count")}
        vendors_moved := vendors_moved OR 'vendors' = ANY(noted);
        elements_moved := elements_moved OR 'elements' = ANY(noted);
        IF vendors_moved OR elements_moved THEN
            INSERT INTO headline_count (id, vendor_count, element_count) VALUES (1, 0, 0) ON CONFLICT (id) DO NOTHING;
            PERFORM 1 FROM headline_count WHERE id = 1 FOR NO KEY UPDATE;
            IF vendors_moved THEN
                UPDATE headline_count SET vendor_count =
                    (SELECT count(*) FROM vendor WHERE NOT is_retired AND product_count > 0) WHERE id = 1;
            END IF;
            IF elements_moved THEN
                UPDATE headline_count SET element_count =
                    (SELECT count(*) FROM data_element WHERE receiver_count > 0) WHERE id = 1;
            END IF;
        END IF;
        DELETE FROM {NOTES};
    END $$"""


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for trigger, table in OLD_TRIGGERS.items():
        op.execute(f"DROP TRIGGER {trigger} ON {table}")
    for function in OLD_FUNCTIONS:
        op.execute(f"DROP FUNCTION {function}()")
    for statement in NOTE_STATEMENTS:
        op.execute(statement)
    op.execute(VOCABULARY_FUNCTION)
    op.execute(APPLY)
    op.execute(data_version.function_statement())


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(OLD_BUMP)
    op.execute(VOCABULARY.VOCAB_FUNCTION)
    for trigger, table in NEW_TRIGGERS.items():
        op.execute(f"DROP TRIGGER {trigger} ON {table}")
    for function in NEW_FUNCTIONS:
        op.execute(f"DROP FUNCTION {function}()")
    op.execute(f"DROP TABLE {NOTES}")
    for statement in OLD_STATEMENTS:
        op.execute(statement)
