-- Refunds of an employer's credit (issue 15 point 4): a request (the employer's choice in
-- the portal, staff's, or the answer to an upheld dispute), a staff decision, then a
-- credit transfer in a pain.001 refund file per institution, settled or rejected by the
-- bank's reports.
--
-- status: requested → approved | refused | withdrawn (the employer keeps its credit);
-- approved → sent (in a refund file: its `refund` ledger entry written in the same
-- transaction) | lapsed (the credit was used meanwhile, nothing sent); sent → settled |
-- rejected (the credit back, with a second `refund` entry).
-- One open request (requested or approved) per employer at most; a refund is in one file
-- at most, with an end-to-end id that is unique and given when the file is written.

CREATE TABLE refund_files (
    id                   INTEGER PRIMARY KEY,
    institution          TEXT NOT NULL,
    sequence             INTEGER NOT NULL,
    file_name            TEXT NOT NULL UNIQUE,
    format               TEXT NOT NULL,
    message_id           TEXT NOT NULL UNIQUE,
    execution_date       TEXT NOT NULL,
    transactions         INTEGER NOT NULL,
    control_sum_centimes INTEGER NOT NULL,
    sha256               TEXT NOT NULL,
    size_bytes           INTEGER NOT NULL,
    created_at           TEXT NOT NULL,
    UNIQUE (institution, sequence)
);

CREATE TABLE refunds (
    id                 INTEGER PRIMARY KEY,
    employer_id        INTEGER NOT NULL REFERENCES employers (id),
    amount_centimes    INTEGER NOT NULL CHECK (amount_centimes > 0),
    status             TEXT NOT NULL CHECK (status IN ('requested', 'approved', 'refused', 'withdrawn',
                           'sent', 'lapsed', 'settled', 'rejected')),
    requested_by       TEXT NOT NULL,
    -- 1 when staff asked for it: then another member of staff approves it.
    requested_by_staff INTEGER NOT NULL DEFAULT 0,
    requested_at       TEXT NOT NULL,
    dispute_id         INTEGER REFERENCES disputes (id),
    decided_by         TEXT,
    decided_at         TEXT,
    decision_note      TEXT,
    refund_file_id     INTEGER REFERENCES refund_files (id),
    end_to_end_id      TEXT UNIQUE,
    report_id          INTEGER REFERENCES reports (id),
    reason_code        TEXT,
    updated_at         TEXT NOT NULL,
    CHECK ((refund_file_id IS NULL) = (end_to_end_id IS NULL))
);
CREATE UNIQUE INDEX refunds_one_open_per_employer ON refunds (employer_id)
    WHERE status IN ('requested', 'approved');
CREATE INDEX refunds_by_status ON refunds (status, id);
CREATE INDEX refunds_by_file ON refunds (refund_file_id);
CREATE INDEX refunds_by_employer ON refunds (employer_id, id);

-- Disputes with money effects (issue 15 point 5). A case opened on a planned debit holds
-- it (`held_debit` = 1) until answered; an upheld answer may take one action that fits
-- its debit: `refund` or `credit` (a settled debit), `cancel_debit` or `hold_debit` (a
-- planned one).
ALTER TABLE disputes ADD COLUMN held_debit INTEGER NOT NULL DEFAULT 0;
ALTER TABLE disputes ADD COLUMN action TEXT CHECK (action IN ('refund', 'credit', 'cancel_debit', 'hold_debit'));

-- Money put into an employer's credit by the fund (an upheld dispute): once per case.
CREATE TABLE account_credits (
    id              INTEGER PRIMARY KEY,
    employer_id     INTEGER NOT NULL REFERENCES employers (id),
    dispute_id      INTEGER NOT NULL UNIQUE REFERENCES disputes (id),
    amount_centimes INTEGER NOT NULL CHECK (amount_centimes > 0),
    granted_by      TEXT NOT NULL,
    created_at      TEXT NOT NULL
);
CREATE INDEX account_credits_employer ON account_credits (employer_id);
