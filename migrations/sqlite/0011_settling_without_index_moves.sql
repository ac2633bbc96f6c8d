-- Fewer index writes when a debit is recorded, settled or fails (issue 4: importing a
-- 100,000-transaction report). The index on (date, status) moved every collection's entry
-- at each status change: 100,000 deletions and insertions to record a run, as many again
-- to settle it. It becomes two:
--   * collections_date holds every collection by date (the date changes only when the
--     calendar moves a planned debit), for the counts and lists of a date;
--   * collections_in_flight holds only the planned and submitted ones, by date, for the
--     run, the planner and the settlement window. Recording (planned → submitted) does
--     not touch it; settling or failing removes one entry and inserts none.
-- Its condition is written as an OR so that SQLite uses it for `status = 'planned'` and
-- for `status = 'submitted'` alike (a term of the query's WHERE that is a term of the
-- index's OR).
DROP INDEX collections_date_status;
CREATE INDEX collections_date ON collections (collection_date);
CREATE INDEX collections_in_flight ON collections (collection_date)
    WHERE status = 'planned' OR status = 'submitted';

-- A report's items are written once and read by report (and by collection): stored in
-- their primary key's order (WITHOUT ROWID), so each item is one B-tree entry in the table
-- instead of a row plus a separate primary-key index entry.
CREATE TABLE report_items_new (
    report_id         INTEGER NOT NULL REFERENCES reports (id),
    item              INTEGER NOT NULL,
    end_to_end_id     TEXT,
    mandate_reference TEXT,
    amount_centimes   INTEGER,
    status            TEXT,
    reason_code       TEXT,
    reason_category   TEXT,
    retry_class       TEXT,
    effect            TEXT NOT NULL CHECK (effect IN ('settle', 'reject', 'return', 'info')),
    collection_id     INTEGER REFERENCES collections (id),
    outcome           TEXT,
    PRIMARY KEY (report_id, item)
) WITHOUT ROWID;
INSERT INTO report_items_new SELECT report_id, item, end_to_end_id, mandate_reference, amount_centimes,
    status, reason_code, reason_category, retry_class, effect, collection_id, outcome FROM report_items;
DROP TABLE report_items;
ALTER TABLE report_items_new RENAME TO report_items;
CREATE INDEX report_items_collection ON report_items (collection_id);
