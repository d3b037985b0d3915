"""The full-text search index and the indexes that only migrations make: what Alembic must not compare.

The search table (FTS5 on SQLite, a tsvector table on PostgreSQL), its vocabulary and two indexes are
created by migrations 20261122_directory_search, _speed and _counts and 20261126_search_data, not by
the models; so are the data version's counter table (clearinghouse/data_version.py, written by
triggers alone) and the kept counts' notes (clearinghouse/kept_counts.py, PostgreSQL only).
`migrations/env.py` imports this module alone, so autogenerate skips them.
"""

from typing import Any

from clearinghouse import data_version, kept_counts

SEARCH_TABLE = "product_search"
# The words of the index, column `term` (migrations 20261126_search_data and _search_vocab_terms):
# FTS5's fts5vocab table on SQLite, a table its triggers keep on PostgreSQL.
VOCAB_TABLE = "product_search_vocab"
# FTS5 keeps its index in shadow tables named after the virtual table (SQLite only).
SEARCH_SHADOW_TABLES = frozenset(f"{SEARCH_TABLE}_{part}" for part in ("data", "idx", "content", "docsize", "config"))

# Indexes made by migrations 20261122_directory_speed, 20261126_retired_vendor_ids, 20261128_vendor_name_listed and
# 20261128_product_retired_name (PostgreSQL only), 20261122_directory_counts and 20261126_product_name_listing
# (different on each database).
MIGRATION_ONLY_INDEXES = frozenset(
    {
        "ix_product_retired_id",
        "ix_product_retired_name",
        "ix_vendor_retired_id",
        "ix_vendor_name_listed",
        "ix_product_listing",
        "ix_product_name_listing",
    }
)


def include_object(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    """Alembic filter: the search index and the PostgreSQL-only indexes live in their migrations,
    so comparing with the models skips them."""
    if type_ == "index":
        return name not in MIGRATION_ONLY_INDEXES
    return not (
        type_ == "table"
        and (name in (SEARCH_TABLE, VOCAB_TABLE, data_version.TABLE, kept_counts.TABLE) or name in SEARCH_SHADOW_TABLES)
    )
