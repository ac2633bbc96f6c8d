-- Planning that follows the declarations, and ceilings (issue 14).
--
-- 1. What the last advance notice of a collection announced, and the first day it may be
-- debited: `announced_centimes` and `earliest_debit_date` (the day of that announcement +
-- the notice period), written by planning with each announcement; `notice_version` counts
-- the announcements (1 for the first; an amended collection is announced again as v2, v3…).
-- No collection goes into a file (any status but planned and cancelled) for more than it
-- announced or before its earliest debit date: SQLite cannot add a CHECK to an existing
-- table, so two triggers refuse the insert or the update (PostgreSQL: a CHECK constraint).
-- Collections made before this migration were planned under the notice rule: they are taken
-- as announced for their amount, on their date.
ALTER TABLE collections ADD COLUMN announced_centimes INTEGER;
ALTER TABLE collections ADD COLUMN earliest_debit_date TEXT;
ALTER TABLE collections ADD COLUMN notice_version INTEGER NOT NULL DEFAULT 1;
UPDATE collections SET announced_centimes = amount_centimes, earliest_debit_date = collection_date;

CREATE TRIGGER collections_within_notice_insert BEFORE INSERT ON collections
WHEN NEW.status NOT IN ('planned', 'cancelled')
 AND (NEW.announced_centimes IS NULL OR NEW.earliest_debit_date IS NULL
      OR NEW.amount_centimes > NEW.announced_centimes OR NEW.collection_date < NEW.earliest_debit_date)
BEGIN
    SELECT RAISE(ABORT, 'collections_within_notice: a debit for more than its last advance notice announced, or before its notice period');
END;

CREATE TRIGGER collections_within_notice_update BEFORE UPDATE ON collections
WHEN NEW.status NOT IN ('planned', 'cancelled')
 AND (NEW.announced_centimes IS NULL OR NEW.earliest_debit_date IS NULL
      OR NEW.amount_centimes > NEW.announced_centimes OR NEW.collection_date < NEW.earliest_debit_date)
BEGIN
    SELECT RAISE(ABORT, 'collections_within_notice: a debit for more than its last advance notice announced, or before its notice period');
END;

-- 2. Employers whose total for a collection date is above their mandate's ceiling: the
-- debit is skipped (never a part of what is owed without the employer's choice), the
-- employer is told once per date (notice `over_ceiling`, subject = this row), staff see
-- the list. `resolved_at` is set when planning debits the employer on that date after all
-- (ceiling raised or removed before the notice deadline).
CREATE TABLE ceiling_shortfalls (
    id               INTEGER PRIMARY KEY,
    employer_id      INTEGER NOT NULL REFERENCES employers (id),
    mandate_id       INTEGER NOT NULL REFERENCES mandates (id),
    collection_date  TEXT NOT NULL,
    amount_centimes  INTEGER NOT NULL CHECK (amount_centimes > 0),
    ceiling_centimes INTEGER NOT NULL CHECK (ceiling_centimes > 0),
    deadline         TEXT NOT NULL,
    resolved_at      TEXT,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL,
    UNIQUE (employer_id, collection_date)
);
CREATE INDEX ceiling_shortfalls_open ON ceiling_shortfalls (collection_date) WHERE resolved_at IS NULL;
