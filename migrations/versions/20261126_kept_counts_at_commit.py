"""kept counts: on PostgreSQL, noted by triggers and made again at commit in one lock order: no deadlock

The triggers of migrations 20261126_headline_counts, _headline_element_count, _data_element_receivers,
_school_product_counts, _report_counts and _agreement_standing_counts changed shared count rows at
once, each in the order its statements ran: a writer held them until it committed, and two writers
that took two of them in opposite orders (a product moved out of "approved" and then another into
"under review", against the opposite moves; data uses moved between elements; school links; any mix
of these) deadlocked. On PostgreSQL they are replaced by triggers that only note which counts a row
may change (a row of `kept_count_change` per count, which no other transaction sees), and the data
version's deferred trigger makes the noted counts again when the writer commits, locking them in one
order before the version's own row (clearinghouse/kept_counts.py). Made from the rows under the lock,
each count equals a count made afresh, whatever other writers committed before.

The standing_link trigger stays: it sets the product's own `agreement_key`, no shared row. SQLite, with
one writer at a time, keeps its triggers. The counts are right before and after: none is made again.

Revision ID: 6f2a8d4c1e93
Revises: 3a6d9e2c7f41
Create Date: 2026-11-26 18:00:00

"""

import importlib.util
from pathlib import Path

from alembic import op

from clearinghouse import data_version, kept_counts

# revision identifiers, used by Alembic.
revision = "6f2a8d4c1e93"
down_revision = "3a6d9e2c7f41"
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
REPORTS = _migration("20261126_report_counts")
STANDING = _migration("20261126_agreement_standing_counts")
VOCABULARY = _migration("20261126_search_vocab_terms")

# The triggers replaced here, with their tables, and their functions (standing_link stays).
OLD_TRIGGERS = {
    **HEADLINE.PG_TRIGGERS,
    "headline_element": "data_element",
    **RECEIVERS.PG_TRIGGERS,
    **SCHOOLS.PG_TRIGGERS,
    **REPORTS.PG_TRIGGERS,
    **{trigger: table for trigger, table in STANDING.PG_TRIGGERS.items() if trigger != "standing_link"},
}
OLD_FUNCTIONS = (
    *HEADLINE.PG_FUNCTIONS,
    "headline_element",
    *RECEIVERS.PG_FUNCTIONS,
    *SCHOOLS.PG_FUNCTIONS,
    *REPORTS.PG_FUNCTIONS,
    *(function for function in STANDING.PG_FUNCTIONS if function != "standing_link"),
)
OLD_STATEMENTS = (
    *HEADLINE.PG_STATEMENTS,
    *HEADLINE_ELEMENT.PG_STATEMENTS,
    *RECEIVERS.PG_STATEMENTS,
    *SCHOOLS.PG_STATEMENTS,
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


def _note(*sources: str) -> str:
    """Note the counts that the SELECTs `sources` name (each gives a counter and its key)."""
    rows = " UNION ALL ".join(sources)
    return (
        f"INSERT INTO {NOTES} (counter, key) SELECT counter, key FROM ({rows}) AS noted(counter, key) "  # noqa: S608
        "WHERE key IS NOT NULL"
    )


def _key(value: str) -> str:
    return f"CAST({value} AS text)"


def _group(row: str) -> str:
    """The key of an agreement standing group: the product row's agreement key and stated status."""
    return f"{_key(f'{row}.agreement_key')} || '|' || {_key(f'{row}.agreement_status')}"


def _product_rows(row: str) -> list[str]:
    """The counts a product row `row` is part of (its vendor's, its status's, its group's, its kind's)."""
    return [
        f"SELECT 'vendor', {_key(f'{row}.vendor_id')}",
        f"SELECT 'product_status_count', {_key(f'{row}.status')}",
        f"SELECT 'agreement_standing_count', {_group(row)}",
        f"SELECT 'product_kind', {_key(f'{row}.kind_id')}",
    ]


def _products_data(products: str) -> list[str]:
    """The counts of the data elements, categories and schools of the products `products` (a SELECT of ids)."""
    return [
        f"SELECT 'data_element', {_key('u.data_element_id')} FROM data_use AS u WHERE u.product_id IN ({products})",
        f"SELECT 'data_category', {_key('e.category_id')} FROM data_use AS u "
        f"JOIN data_element AS e ON e.id = u.data_element_id WHERE u.product_id IN ({products})",
        f"SELECT 'school', {_key('l.school_id')} FROM product_school AS l WHERE l.product_id IN ({products})",
    ]


def _use_rows(row: str) -> list[str]:
    """The counts a data use row `row` is part of: its element's, its category's, and when the element is
    sensitive its product's schools'."""
    return [
        f"SELECT 'data_element', {_key(f'{row}.data_element_id')}",
        f"SELECT 'data_category', {_key('e.category_id')} FROM data_element AS e WHERE e.id = {row}.data_element_id",
        f"SELECT 'school', {_key('l.school_id')} FROM product_school AS l WHERE l.product_id = {row}.product_id "
        f"AND EXISTS (SELECT 1 FROM data_element AS e WHERE e.id = {row}.data_element_id AND e.is_sensitive)",
    ]


def _link_rows(row: str) -> list[str]:
    """The counts a school link row `row` is part of: its school's and its product's kind's."""
    return [
        f"SELECT 'school', {_key(f'{row}.school_id')}",
        f"SELECT 'product_kind', {_key('p.kind_id')} FROM product AS p WHERE p.id = {row}.product_id",
    ]


_TERM_KEY = HEADLINE._term_key("agreement")
_OF_VENDOR = "FROM product AS p WHERE p.vendor_id = NEW.id"
# A vendor retired or brought back: the counts of each of its products.
_VENDOR_RETIRED = _note(
    f"SELECT 'product_status_count', {_key('p.status')} {_OF_VENDOR}",
    f"SELECT 'agreement_standing_count', {_group('p')} {_OF_VENDOR}",
    f"SELECT 'product_kind', {_key('p.kind_id')} {_OF_VENDOR}",
    *_products_data(f"SELECT p.id {_OF_VENDOR}"),
)
_ELEMENT_MOVED = _note(
    f"SELECT 'data_category', {_key('OLD.category_id')}", f"SELECT 'data_category', {_key('NEW.category_id')}"
)
# An element made sensitive or no longer: the schools of the products that receive it.
_ELEMENT_SENSITIVE = _note(
    f"SELECT 'school', {_key('l.school_id')} FROM product_school AS l "
    "JOIN data_use AS u ON u.product_id = l.product_id WHERE u.data_element_id = NEW.id"
)

NOTE_STATEMENTS = [
    f"""CREATE UNLOGGED TABLE {NOTES} (counter VARCHAR(40) NOT NULL, key TEXT NOT NULL)""",
    f"""CREATE FUNCTION kept_counts_product() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'UPDATE' AND (OLD.status, OLD.vendor_id, OLD.kind_id, OLD.agreement_status, OLD.agreement_key)
            IS NOT DISTINCT FROM (NEW.status, NEW.vendor_id, NEW.kind_id, NEW.agreement_status, NEW.agreement_key) THEN
            RETURN NULL;
        END IF;
        IF TG_OP IN ('UPDATE', 'DELETE') THEN
            {_note(*_product_rows("OLD"))};
        END IF;
        IF TG_OP IN ('UPDATE', 'INSERT') THEN
            {_note(*_product_rows("NEW"))};
        END IF;
        -- Listed or unlisted: its receivers, categories and schools. (A deleted product's data uses and
        -- links go with it, and note their counts themselves.)
        IF TG_OP = 'UPDATE' AND (OLD.status, OLD.vendor_id) IS DISTINCT FROM (NEW.status, NEW.vendor_id) THEN
            {_note(*_products_data("NEW.id"))};
        END IF;
        {MARK}
        RETURN NULL;
    END $$""",
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
        IF TG_OP IN ('UPDATE', 'INSERT') THEN
            {_note(f"SELECT 'vendor', {_key('NEW.id')}")};
        END IF;
        {_note("SELECT 'headline_count', 'vendors'")};
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
            {_note(*_use_rows("OLD"))};
        END IF;
        IF TG_OP IN ('UPDATE', 'INSERT') THEN
            {_note(*_use_rows("NEW"))};
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
            {_note(*_link_rows("OLD"))};
        END IF;
        IF TG_OP IN ('UPDATE', 'INSERT') THEN
            {_note(*_link_rows("NEW"))};
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
            {_note("SELECT 'headline_count', 'elements'")};
        END IF;
        IF TG_OP = 'INSERT' THEN
            {_note(f"SELECT 'data_element', {_key('NEW.id')}")};
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
            {_note(f"SELECT 'agreement_term_count', {HEADLINE._term_key('OLD')}")};
        END IF;
        IF TG_OP IN ('UPDATE', 'INSERT') THEN
            {_note(f"SELECT 'agreement_term_count', {HEADLINE._term_key('NEW')}")};
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
_NEW_WORDS = """SELECT DISTINCT 'product_search_vocab', w.lexeme FROM new_rows, unnest(new_rows.document) AS w
    WHERE NOT EXISTS (SELECT 1 FROM product_search_vocab AS v WHERE v.term = w.lexeme)"""
_WORDS_DELETED = _note(
    f"SELECT DISTINCT 'product_search_vocab_unused', w.lexeme FROM ({_WORDS.format(rows='old_rows')}) AS w"
)
_WORDS_REPLACED = _note(
    f"SELECT 'product_search_vocab_unused', w.lexeme FROM ({_WORDS.format(rows='old_rows')} "
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
    "kept_counts_product": "product",
    "kept_counts_vendor": "vendor",
    "kept_counts_use": "data_use",
    "kept_counts_link": "product_school",
    "kept_counts_element": "data_element",
    "kept_counts_agreement": "agreement",
}
NEW_FUNCTIONS = (*NEW_TRIGGERS, kept_counts.APPLY_FUNCTION)


def _noted(counter: str) -> str:
    """This transaction's noted keys of `counter`, sorted: the order their rows are locked in."""
    return f"noted := ARRAY(SELECT DISTINCT key FROM {NOTES} WHERE counter = '{counter}' ORDER BY key);"  # noqa: S608


def _by_id(table: str, recount: str) -> str:
    """Lock the noted rows of `table` (keyed by id) in id order, then count them again with `recount`."""
    return f"""{_noted(table)}
        IF cardinality(noted) > 0 THEN
            PERFORM 1 FROM {table} WHERE id = ANY(CAST(noted AS integer[])) ORDER BY id FOR NO KEY UPDATE;
            {recount};
        END IF;"""


_NOTED_IDS = "id = ANY(CAST(noted AS integer[]))"
_VENDOR_RECOUNT = (
    "UPDATE vendor SET product_count = (SELECT count(*) FROM product "
    f"WHERE product.vendor_id = vendor.id AND product.status <> 'retired') WHERE {_NOTED_IDS}"
)
_NOTED_GROUPS = "(SELECT CAST(split_part(k, '|', 1) AS integer), split_part(k, '|', 2) FROM unnest(noted) AS k)"
_LISTED = "product.status <> 'retired' AND NOT vendor.is_retired"

# One order for every writer: each table in turn, its rows by key, the headline row (made from the
# vendors' and elements' counts) last; the data version's row comes after (data_version.function_statement).
# A group's row is made when new (in key order too), then every row is locked before it is counted, so
# the count, a statement of its own, sees whatever the rows' earlier writers committed.
APPLY = f"""CREATE FUNCTION {kept_counts.APPLY_FUNCTION}() RETURNS void LANGUAGE plpgsql AS $$
    DECLARE
        noted text[];
        vendors_noted boolean;
        elements_noted boolean;
    BEGIN
        PERFORM set_config('{kept_counts.MARKED_SETTING}', 'off', true);
        {_noted("agreement_standing_count")}
        IF cardinality(noted) > 0 THEN
            INSERT INTO agreement_standing_count (agreement_key, stated, product_count)
                SELECT g.agreement_key, g.stated, 0 FROM {_NOTED_GROUPS} AS g(agreement_key, stated)
                ORDER BY g.agreement_key, g.stated ON CONFLICT (agreement_key, stated) DO NOTHING;
            PERFORM 1 FROM agreement_standing_count WHERE (agreement_key, stated) IN {_NOTED_GROUPS}
                ORDER BY agreement_key, stated FOR NO KEY UPDATE;
            UPDATE agreement_standing_count AS g SET product_count = (SELECT count(*) FROM product
                JOIN vendor ON vendor.id = product.vendor_id WHERE product.agreement_key = g.agreement_key
                AND product.agreement_status = g.stated AND {_LISTED})
                WHERE (g.agreement_key, g.stated) IN {_NOTED_GROUPS};
        END IF;
        {_noted("agreement_term_count")}
        IF cardinality(noted) > 0 THEN
            INSERT INTO agreement_term_count (term_key, {HEADLINE.TERM_COLUMNS}, agreement_count)
                SELECT {_TERM_KEY}, {HEADLINE._term_values("agreement")}, 0 FROM agreement
                WHERE {_TERM_KEY} = ANY(noted) ORDER BY 1 ON CONFLICT (term_key) DO NOTHING;
            PERFORM 1 FROM agreement_term_count WHERE term_key = ANY(noted) ORDER BY term_key FOR NO KEY UPDATE;
            UPDATE agreement_term_count SET agreement_count =
                (SELECT count(*) FROM agreement WHERE {_TERM_KEY} = agreement_term_count.term_key)
                WHERE term_key = ANY(noted);
        END IF;
        {_by_id("data_category", REPORTS.recount_categories(_NOTED_IDS))}
        {_by_id("data_element", f"{RECEIVERS.RECOUNT} WHERE {_NOTED_IDS}")}
        elements_noted := cardinality(noted) > 0;
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
        noted := array_remove(noted, 'retired');
        IF cardinality(noted) > 0 THEN
            INSERT INTO product_status_count (status, product_count)
                SELECT k, 0 FROM unnest(noted) AS k ORDER BY k ON CONFLICT (status) DO NOTHING;
            PERFORM 1 FROM product_status_count WHERE status = ANY(noted) ORDER BY status FOR NO KEY UPDATE;
            UPDATE product_status_count SET product_count = (SELECT count(*) FROM product
                JOIN vendor ON vendor.id = product.vendor_id
                WHERE product.status = product_status_count.status AND {_LISTED})
                WHERE status = ANY(noted);
        END IF;
        {_by_id("school", f"{SCHOOLS.RECOUNT_ALL} WHERE {_NOTED_IDS}; {SCHOOLS.recount(_NOTED_IDS)}")}
        {_by_id("vendor", _VENDOR_RECOUNT)}
        vendors_noted := cardinality(noted) > 0;
        {_noted("headline_count")}
        vendors_noted := vendors_noted OR 'vendors' = ANY(noted);
        elements_noted := elements_noted OR 'elements' = ANY(noted);
        IF vendors_noted OR elements_noted THEN
            INSERT INTO headline_count (id, vendor_count, element_count) VALUES (1, 0, 0) ON CONFLICT (id) DO NOTHING;
            PERFORM 1 FROM headline_count WHERE id = 1 FOR NO KEY UPDATE;
            IF vendors_noted THEN
                UPDATE headline_count SET vendor_count =
                    (SELECT count(*) FROM vendor WHERE NOT is_retired AND product_count > 0) WHERE id = 1;
            END IF;
            IF elements_noted THEN
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
