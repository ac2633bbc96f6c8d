-- Fewer index writes when a debit settles or fails, and small indexes for what is still to
-- do (issue 4: importing a 100,000-transaction report). The index on (date, status) held
-- every collection ever made and moved its entry at each status change. It becomes three:
--   * collections_date holds every collection by date (the date changes only when the
--     calendar moves a planned debit), for the counts and lists of a date;
--   * collections_planned and collections_submitted hold only the debits still to run and
--     those awaiting settlement, by date, for the planner, the run, the scheduler's "next
--     date" and the settlement window: a few dates' worth, however long the history.
-- Recording moves an entry from the first to the second, as before; settling or failing
-- removes one entry and inserts none (it used to move it).
-- (The SQLite migration of the same number also stores report items WITHOUT ROWID;
-- PostgreSQL has no such distinction.)
DROP INDEX collections_date_status;
CREATE INDEX collections_date ON collections (collection_date);
CREATE INDEX collections_planned ON collections (collection_date) WHERE status = 'planned';
CREATE INDEX collections_submitted ON collections (collection_date) WHERE status = 'submitted';
