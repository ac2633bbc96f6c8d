-- The console's list of every debit (issue 15, item 7): pages by keyset in the order
-- (collection date, id), both descending, and the count and sum of what a filter takes.
--   * collections_date becomes (collection_date, id) INCLUDE (channel, amount_centimes):
--     the order the list pages in (a row-value range `(collection_date, id) < ($1, $2)` is
--     an index condition; with the date alone, the first page of a date sorted every debit
--     of that date), and the totals of a date range, a channel and an amount range can be
--     an index-only scan. Its columns change only when a planned debit is amended or moved.
--   * collections_failure_reason holds only failed debits (a reason category is written
--     when a debit fails, with its state): the list and totals of one reason.
-- The state gets no index: settling would move every settled debit in it (migration 0011).
-- The query plans, measured on 1,000,000 debits, are in BENCHMARKS.md.
DROP INDEX collections_date;
CREATE INDEX collections_date ON collections (collection_date, id) INCLUDE (channel, amount_centimes);
CREATE INDEX collections_failure_reason ON collections (reason_category, collection_date, amount_centimes)
    WHERE reason_category IS NOT NULL;
