-- Notices, part 2: delivering the notice events recorded by 0002 (the outbox), what was
-- sent for the portal, and receipt numbers.

-- Delivery state of an event: claimed by one worker at a time with a lock that expires
-- (`locked_by`, `locked_until`, like jobs), retried with backoff after `next_attempt_at`.
ALTER TABLE notice_events ADD COLUMN next_attempt_at TEXT;
ALTER TABLE notice_events ADD COLUMN locked_by TEXT;
ALTER TABLE notice_events ADD COLUMN locked_until TEXT;
CREATE INDEX notice_events_employer ON notice_events (employer_id, id);

-- What was sent, once per event, recorded in the transaction that marks the event sent:
-- the portal lists an employer's notices from here. The stable Message-ID is derived from
-- the event, so a resend after a crash carries the same one.
CREATE TABLE notice_messages (
    event_id    INTEGER PRIMARY KEY REFERENCES notice_events (id),
    employer_id INTEGER NOT NULL REFERENCES employers (id),
    message_id  TEXT NOT NULL UNIQUE,
    recipient   TEXT NOT NULL,
    subject     TEXT NOT NULL,
    language    TEXT NOT NULL CHECK (language IN ('ar', 'fr', 'both')),
    body_text   TEXT NOT NULL,
    transport   TEXT NOT NULL CHECK (transport IN ('smtp', 'folder')),
    sent_at     TEXT NOT NULL
);
CREATE INDEX notice_messages_employer ON notice_messages (employer_id, event_id);

-- A receipt per settled collection, numbered once from this table's id: `number` is
-- unique across the fund and never changes once given.
CREATE TABLE receipts (
    id            INTEGER PRIMARY KEY,
    collection_id INTEGER NOT NULL UNIQUE REFERENCES collections (id),
    number        TEXT UNIQUE,
    issued_at     TEXT NOT NULL
);
