-- The console's list of every debit (issue 15, item 7): pages by keyset in the order
-- (collection date, id), both descending, and the count and sum of what a filter takes.
--   * collections_date becomes (collection_date, id) INCLUDE (channel, amount_centimes):
--     the order the list pages in (with the date alone, the first page of a date sorted
--     every debit of that date; a page after a cursor is two seeks of it: the rest of the
--     cursor's date, then the dates before), and the totals of a date range, a channel and
--     an amount range can be an index-only scan. Its columns change only when a planned
--     debit is amended or moved.
--   * collections_failure_reason and collections_failed hold only the few debits that
--     failed (a reason category is written when a debit fails, with its state) or were
--     cancelled: the list and the totals of one reason or of one such state, in the same
--     order. Settling touches neither (the states `submitted` and `settled` are not in them).
-- The query plans and timings on 1,000,000 employers are in BENCHMARKS.md.
DROP INDEX collections_date;
CREATE INDEX collections_date ON collections (collection_date, id) INCLUDE (channel, amount_centimes);
CREATE INDEX collections_failure_reason ON collections (reason_category, collection_date, id)
    INCLUDE (amount_centimes) WHERE reason_category IS NOT NULL;
CREATE INDEX collections_failed ON collections (status, collection_date, id)
    INCLUDE (amount_centimes) WHERE status IN ('rejected', 'returned', 'retry_planned', 'cancelled');
