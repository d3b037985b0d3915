"""Counts kept by triggers: on PostgreSQL, made again when the writer commits, their rows locked in one order.

Triggers keep public counts in shared rows, in the writer's transaction, whatever writes
(migrations 20261126_*): listed products per approval status, per agreement group and per vendor,
agreements per term group, the home page's headline row, each data element's receivers, each
school's, category's and kind's products. A row changed at once stays locked until its writer
commits, so two writers that changed two such rows in opposite orders (a product moved out of
"approved" then another into "under review", against the opposite moves) waited for each other
until PostgreSQL aborted one with `deadlock detected`.

So on PostgreSQL (migration 20261126_kept_counts_at_commit) the triggers only note which counts a
statement may change: one row of `TABLE` per count (its table and key), seen by nobody else. When
the writer commits, the data version's deferred trigger (`data_version.function_statement`) first
makes every noted count again from the rows, then bumps the version. The counts are taken in one
order, the same for every writer: table by table (`agreement_standing_count`,
`agreement_term_count`, `data_category`, `data_element`, `product_kind`, `product_status_count`,
`school`, `vendor`, then `headline_count`, which is made from the vendors' and elements' counts,
and last the data version's row), each table's rows by key, each locked before it is counted,
so that the count reads every writer that committed the row before. A writer waits for another
only at commit, for rows the other has already taken in the same order: no cycle, no deadlock,
and each count equals a count made afresh. Writers of the same count still wait for one another
at commit, for the few milliseconds of the counting.

SQLite has one writer at a time and keeps its triggers, which change each count at once.
"""

TABLE = "kept_count_change"  # PostgreSQL: (counter, key) noted by this transaction's triggers, emptied at commit
MARKED_SETTING = "clearinghouse.kept_counts_marked"  # PostgreSQL: 'on' while this transaction has notes
APPLY_FUNCTION = "kept_counts_apply"  # PostgreSQL: makes the noted counts again, in the one order
