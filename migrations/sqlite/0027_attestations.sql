-- Certificates of being up to date (attestations de mise à jour, issue 16): one row per
-- certificate issued, its number given from its id once inserted, its verification code
-- random (not derived from the number) and unique; revoked by staff with a reason.
CREATE TABLE attestations (
    id                INTEGER PRIMARY KEY,
    number            TEXT UNIQUE,
    code              TEXT NOT NULL UNIQUE,
    employer_id       INTEGER NOT NULL REFERENCES employers (id),
    issued_at         TEXT NOT NULL,
    issued_on         TEXT NOT NULL,
    valid_until       TEXT NOT NULL,
    issued_by         TEXT NOT NULL,
    revoked_at        TEXT,
    revoked_by        TEXT,
    revoke_reason     TEXT,
    CHECK (valid_until >= issued_on),
    CHECK ((revoked_at IS NULL) = (revoke_reason IS NULL))
);
CREATE INDEX attestations_by_employer ON attestations (employer_id, id);
