"""Counts kept by triggers: on PostgreSQL, changed when the writer commits, their rows locked in one order.

Triggers keep public counts in shared rows, in the writer's transaction, whatever writes (migrations
20261126_*, 20261127_agreement_term_standing_counts, _agreement_term_element_counts,
20261128_agreement_term_facet_counts): listed products per approval status, per agreement group, per agreement
term group (and per data element, data category, school or kind and term group) and per vendor, agreements per
term group, the home page's headline row, each data element's receivers, each school's (and per data element),
category's and kind's products, and the search vocabulary's words. A row
changed at once stays locked until its writer commits, so two writers that changed two such rows in opposite
orders (a product moved out of "approved" then another into "under review", against the opposite moves)
waited for each other until PostgreSQL aborted one with `deadlock detected`.

So on PostgreSQL (migration 20261126_kept_counts_at_commit) the triggers write no shared row: each notes, in
`TABLE` (rows no other transaction sees), the counts its row changes, with what to add (worked out from the
row's OLD and NEW, as the triggers did before) or none when the count must be made again from the rows (a
category's products, a kind's, a school's sensitive products after a data use changed: whether a row was a
product's first or last cannot be told inside a multi-row statement). When the writer commits, the data
version's deferred trigger (`data_version.function_statement`) first applies the notes, then bumps the
version. The rows are taken in one order, the same for every writer: table by table
(`agreement_standing_count`, `agreement_term_count`, `agreement_term_standing_count`,
`agreement_term_element_count`, `agreement_term_category_count`, `agreement_term_school_count`,
`agreement_term_kind_count`, `data_category`, `data_element`, `product_kind`, `product_search_vocab`,
`product_status_count`, `school`, `school_element_count`, `vendor`, then `headline_count`, made from the
vendors' and elements' counts, and last the data version's row), each table's rows by key, each locked
(`FOR NO KEY UPDATE`, as an UPDATE does, so that foreign-key checks of other writers never wait for it) before it
changes. A writer thus waits for another only at commit, for rows the other took in the same order: no
cycle, no deadlock. A count made again is a statement of its own after the lock, so it sees every writer
that committed the row before; a delta is commutative. Writers of the same count still wait for one another
at commit, for the few milliseconds it takes.

SQLite has one writer at a time and keeps its triggers, which change each count at once.
"""

TABLE = "kept_count_change"  # PostgreSQL: (counter, key, delta) noted by this transaction, emptied at commit
MARKED_SETTING = "clearinghouse.kept_counts_marked"  # PostgreSQL: 'on' while this transaction has notes
APPLY_FUNCTION = "kept_counts_apply"  # PostgreSQL: applies the notes, in the one order
