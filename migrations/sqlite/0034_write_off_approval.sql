-- Write-offs above an amount need a second member of staff (issue 15 leftovers).
-- `write_off_policy` (one row): the amount above which a write-off waits for approval
-- (100,000.00 DA shipped, the surcharge waivers' default); the employer's write-offs of
-- the last 30 days and its requests waiting count together with the new one.
-- `write_off_requests`: a write-off waiting (`pending`), then `approved` by someone other
-- than who asked (its lines written off then, `line_write_offs.request_id`) or `refused`
-- with a reason. The lines asked for are kept as a list of ids (checked again on
-- approval; no reference, so a pending request never blocks a correction).
CREATE TABLE write_off_policy (
    id                 INTEGER PRIMARY KEY CHECK (id = 1),
    four_eyes_centimes INTEGER NOT NULL CHECK (four_eyes_centimes >= 0),
    updated_by         TEXT NOT NULL,
    updated_at         TEXT NOT NULL
);
INSERT INTO write_off_policy VALUES (1, 10000000, 'migration', '2026-12-07T00:00:00Z');

CREATE TABLE write_off_requests (
    id              INTEGER PRIMARY KEY,
    employer_id     INTEGER NOT NULL REFERENCES employers (id),
    line_ids        TEXT NOT NULL CHECK (line_ids <> ''),
    amount_centimes INTEGER NOT NULL CHECK (amount_centimes > 0),
    reason          TEXT NOT NULL CHECK (reason <> ''),
    decided_by_name TEXT NOT NULL,
    requested_by    TEXT NOT NULL,
    requested_at    TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'refused')),
    reviewed_by     TEXT,
    reviewed_at     TEXT,
    refusal_reason  TEXT,
    CHECK (status = 'pending' OR reviewed_by IS NOT NULL),
    CHECK (status <> 'approved' OR reviewed_by <> requested_by)
);
CREATE INDEX write_off_requests_employer ON write_off_requests (employer_id, status);

ALTER TABLE line_write_offs ADD COLUMN approved_by TEXT;
ALTER TABLE line_write_offs ADD COLUMN request_id INTEGER REFERENCES write_off_requests (id);
