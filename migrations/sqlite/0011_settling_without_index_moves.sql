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
DROP INDEX collections_date_status;
CREATE INDEX collections_date ON collections (collection_date);
CREATE INDEX collections_planned ON collections (collection_date) WHERE status = 'planned';
CREATE INDEX collections_submitted ON collections (collection_date) WHERE status = 'submitted';

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

-- The same for the collections' lines, the largest table a run writes (500,000 rows for
-- 100,000 employers × 5 worksites): one B-tree entry per line for the table instead of two.
-- The view of migration 0006 reads it: dropped and made again, unchanged, around the rebuild.
DROP VIEW declaration_line_states;
CREATE TABLE collection_lines_new (
    collection_id       INTEGER NOT NULL REFERENCES collections (id),
    declaration_line_id INTEGER NOT NULL REFERENCES declaration_lines (id),
    amount_centimes     INTEGER NOT NULL,
    live                INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (collection_id, declaration_line_id)
) WITHOUT ROWID;
INSERT INTO collection_lines_new SELECT collection_id, declaration_line_id, amount_centimes, live FROM collection_lines;
DROP TABLE collection_lines;
ALTER TABLE collection_lines_new RENAME TO collection_lines;
CREATE UNIQUE INDEX collection_lines_one_live ON collection_lines (declaration_line_id) WHERE live = 1;
CREATE INDEX collection_lines_line ON collection_lines (declaration_line_id);
CREATE VIEW declaration_line_states AS
SELECT l.id AS declaration_line_id,
       l.declaration_id,
       CASE
           WHEN l.status = 'cancelled' THEN 'cancelled'
           WHEN c.status = 'settled' THEN 'paid'
           WHEN c.id IS NOT NULL THEN 'scheduled'
           WHEN EXISTS (SELECT 1 FROM collection_lines x WHERE x.declaration_line_id = l.id) THEN 'unpaid'
           ELSE 'submitted'
       END AS state,
       c.id AS collection_id
FROM declaration_lines l
LEFT JOIN collection_lines cl ON cl.declaration_line_id = l.id AND cl.live = 1
LEFT JOIN collections c ON c.id = cl.collection_id;
