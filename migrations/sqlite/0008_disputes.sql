-- Disputes: an employer contests a collection and gets a case number at once. One case
-- per collection (a second contest of the same collection joins the first); every
-- message of the case, the employer's and the fund's answers, is a row of
-- dispute_messages, never changed once written.

-- `status`: `open` (the fund answers by `deadline`) or `answered` (with `outcome`; the
-- employer may write again, which reopens the case, until `deadline`; after it the case
-- is closed). `case_number` (`RCL-<year>-<6 digits>` from the id) is given in the
-- transaction that inserts the row.
CREATE TABLE disputes (
    id            INTEGER PRIMARY KEY,
    case_number   TEXT UNIQUE,
    collection_id INTEGER NOT NULL UNIQUE REFERENCES collections (id),
    employer_id   INTEGER NOT NULL REFERENCES employers (id),
    reason        TEXT NOT NULL CHECK (reason IN ('amount_wrong', 'already_paid', 'not_authorised', 'duplicate_debit', 'other')),
    status        TEXT NOT NULL CHECK (status IN ('open', 'answered')),
    outcome       TEXT CHECK (outcome IN ('upheld', 'rejected')),
    deadline      TEXT NOT NULL,
    opened_at     TEXT NOT NULL,
    answered_at   TEXT,
    updated_at    TEXT NOT NULL
);
CREATE INDEX disputes_queue ON disputes (status, deadline);
CREATE INDEX disputes_employer ON disputes (employer_id, id);

-- `deadline` is the case's deadline as this message set it (an employer's: the answer
-- date; the fund's: until when the employer may write again), so a notice about a
-- message says what was true when it was written.
CREATE TABLE dispute_messages (
    id         INTEGER PRIMARY KEY,
    dispute_id INTEGER NOT NULL REFERENCES disputes (id),
    author     TEXT NOT NULL CHECK (author IN ('employer', 'fund')),
    actor      TEXT NOT NULL,
    reason     TEXT CHECK (reason IN ('amount_wrong', 'already_paid', 'not_authorised', 'duplicate_debit', 'other')),
    outcome    TEXT CHECK (outcome IN ('upheld', 'rejected')),
    body       TEXT NOT NULL,
    deadline   TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX dispute_messages_dispute ON dispute_messages (dispute_id, id);
