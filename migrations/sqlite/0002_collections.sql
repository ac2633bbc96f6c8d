-- The collection cycle, part 1: collections planned from declarations, their lines, and
-- the notice events planning records (a transactional outbox the mailer drains).

-- One debit of one mandate on one collection date: the sum of all of its employer's
-- collectible lines, every worksite. One per employer and date.
CREATE TABLE collections (
    id               INTEGER PRIMARY KEY,
    employer_id      INTEGER NOT NULL REFERENCES employers (id),
    mandate_id       INTEGER NOT NULL REFERENCES mandates (id),
    channel          TEXT NOT NULL CHECK (channel IN ('bank', 'postal')),
    collection_date  TEXT NOT NULL,
    amount_centimes  INTEGER NOT NULL CHECK (amount_centimes > 0),
    status           TEXT NOT NULL CHECK (status IN ('planned', 'submitted', 'settled', 'rejected', 'returned', 'retry_planned', 'cancelled')),
    attempt          INTEGER NOT NULL DEFAULT 1,
    retry_of         INTEGER REFERENCES collections (id),
    end_to_end_id    TEXT NOT NULL UNIQUE,
    noticed_on       TEXT NOT NULL,
    reason_code      TEXT,
    reason_category  TEXT,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL,
    UNIQUE (employer_id, collection_date)
);
CREATE INDEX collections_date_status ON collections (collection_date, status);

-- The breakdown of a collection, line by line. `live` is 1 while the collection can still
-- take (or has taken) the money, 0 once it failed or was cancelled: a declaration line is in
-- at most one live collection (invariant 1), by this partial unique index.
CREATE TABLE collection_lines (
    collection_id       INTEGER NOT NULL REFERENCES collections (id),
    declaration_line_id INTEGER NOT NULL REFERENCES declaration_lines (id),
    amount_centimes     INTEGER NOT NULL,
    live                INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (collection_id, declaration_line_id)
);
CREATE UNIQUE INDEX collection_lines_one_live ON collection_lines (declaration_line_id) WHERE live = 1;

-- Notices to send, recorded in the same transaction as the change that causes them. The
-- dedupe key makes recording the same event twice impossible.
CREATE TABLE notice_events (
    id          INTEGER PRIMARY KEY,
    employer_id INTEGER NOT NULL REFERENCES employers (id),
    kind        TEXT NOT NULL,
    subject_id  INTEGER NOT NULL,
    dedupe_key  TEXT NOT NULL UNIQUE,
    status      TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
    attempts    INTEGER NOT NULL DEFAULT 0,
    created_at  TEXT NOT NULL,
    sent_at     TEXT,
    last_error  TEXT
);
CREATE INDEX notice_events_pending ON notice_events (status, id);
