-- The collection cycle, part 2: runs and the files they write, the reports banks send
-- back and what they did, exceptions for staff, quarantined files, the scheduler's
-- lease and the job queue.

-- One row per collection date that was run: the lock a run holds while it builds files
-- (`holder`, `lease_until`: a run whose holder died can be taken over once it expires).
CREATE TABLE runs (
    id              INTEGER PRIMARY KEY,
    collection_date TEXT NOT NULL UNIQUE,
    status          TEXT NOT NULL CHECK (status IN ('building', 'complete')),
    holder          TEXT NOT NULL,
    lease_until     TEXT NOT NULL,
    started_at      TEXT NOT NULL,
    finished_at     TEXT
);

-- A debit file, immutable once recorded: its bytes are what `sha256` says, its
-- transactions are the collections pointing at it, their sum is its control sum.
CREATE TABLE bank_files (
    id                   INTEGER PRIMARY KEY,
    run_id               INTEGER NOT NULL REFERENCES runs (id),
    institution          TEXT NOT NULL,
    channel              TEXT NOT NULL CHECK (channel IN ('bank', 'postal')),
    sequence             INTEGER NOT NULL,
    file_name            TEXT NOT NULL UNIQUE,
    format               TEXT NOT NULL,
    message_id           TEXT NOT NULL UNIQUE,
    collection_date      TEXT NOT NULL,
    created_at           TEXT NOT NULL,
    transactions         INTEGER NOT NULL,
    control_sum_centimes INTEGER NOT NULL,
    sha256               TEXT NOT NULL,
    size_bytes           INTEGER NOT NULL,
    downloaded_at        TEXT,
    UNIQUE (institution, sequence)
);

-- A report imported and applied, once: the same bytes twice are refused by `sha256`.
CREATE TABLE reports (
    id                  INTEGER PRIMARY KEY,
    institution         TEXT,
    file_name           TEXT NOT NULL,
    sha256              TEXT NOT NULL UNIQUE,
    format              TEXT NOT NULL,
    message_id          TEXT,
    original_message_id TEXT,
    items               INTEGER NOT NULL DEFAULT 0,
    applied             INTEGER NOT NULL DEFAULT 0,
    exceptions          INTEGER NOT NULL DEFAULT 0,
    imported_at         TEXT NOT NULL,
    imported_by         TEXT NOT NULL
);

-- What a report said, transaction by transaction, and what it did.
-- effect: settle | reject | return | info; outcome: applied | info | unmatched |
-- amount_mismatch | duplicate | conflict.
CREATE TABLE report_items (
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
);
CREATE INDEX report_items_collection ON report_items (collection_id);

ALTER TABLE collections ADD COLUMN bank_file_id INTEGER REFERENCES bank_files (id);
ALTER TABLE collections ADD COLUMN sequence_type TEXT;
ALTER TABLE collections ADD COLUMN report_id INTEGER REFERENCES reports (id);
ALTER TABLE collections ADD COLUMN settled_on TEXT;
CREATE INDEX collections_bank_file ON collections (bank_file_id);
CREATE INDEX collections_mandate ON collections (mandate_id, status);
CREATE INDEX collections_report ON collections (report_id);
CREATE INDEX collections_retry_of ON collections (retry_of);

-- Something finance staff must look at: an unmatched or mismatching report item, a
-- duplicate, a technical reject. Resolved with a note, audited.
CREATE TABLE exceptions (
    id              INTEGER PRIMARY KEY,
    kind            TEXT NOT NULL CHECK (kind IN ('unmatched', 'amount_mismatch', 'duplicate', 'conflict', 'needs_staff')),
    report_id       INTEGER REFERENCES reports (id),
    item            INTEGER,
    collection_id   INTEGER REFERENCES collections (id),
    detail          TEXT NOT NULL,
    status          TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'resolved')),
    resolution      TEXT,
    resolved_by     TEXT,
    resolved_at     TEXT,
    created_at      TEXT NOT NULL,
    UNIQUE (report_id, item)
);
CREATE INDEX exceptions_open ON exceptions (status, id);

-- A file that could not be read or matched: moved aside, never lost, shown to staff.
CREATE TABLE quarantined_files (
    id             INTEGER PRIMARY KEY,
    institution    TEXT,
    file_name      TEXT NOT NULL,
    stored_path    TEXT NOT NULL,
    sha256         TEXT NOT NULL,
    error          TEXT NOT NULL,
    quarantined_at TEXT NOT NULL
);

-- Named leases (the scheduler's): one holder at a time, taken over once expired.
CREATE TABLE leases (
    name       TEXT PRIMARY KEY,
    holder     TEXT NOT NULL,
    expires_at TEXT NOT NULL
);

-- The job queue: idempotent by `dedupe_key`, claimed by one worker at a time.
CREATE TABLE jobs (
    id           INTEGER PRIMARY KEY,
    kind         TEXT NOT NULL,
    dedupe_key   TEXT NOT NULL UNIQUE,
    payload      TEXT NOT NULL,
    status       TEXT NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'running', 'done', 'failed')),
    attempts     INTEGER NOT NULL DEFAULT 0,
    run_after    TEXT NOT NULL,
    locked_by    TEXT,
    locked_until TEXT,
    last_error   TEXT,
    created_at   TEXT NOT NULL,
    finished_at  TEXT
);
CREATE INDEX jobs_ready ON jobs (status, run_after);
