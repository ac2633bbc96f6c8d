-- Fewer index writes when a debit is recorded, settled or fails (issue 4: importing a
-- 100,000-transaction report). The index on (date, status) moved every collection's entry
-- at each status change. It becomes two:
--   * collections_date holds every collection by date (the date changes only when the
--     calendar moves a planned debit), for the counts and lists of a date;
--   * collections_in_flight holds only the planned and submitted ones, by date, for the
--     run, the planner and the settlement window. Settling or failing removes one entry
--     and inserts none.
-- (The SQLite migration of the same number also stores report items WITHOUT ROWID;
-- PostgreSQL has no such distinction.)
DROP INDEX collections_date_status;
CREATE INDEX collections_date ON collections (collection_date);
CREATE INDEX collections_in_flight ON collections (collection_date)
    WHERE status = 'planned' OR status = 'submitted';
