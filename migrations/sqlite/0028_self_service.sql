-- Self-service (issue 20 point 3): employers enrol themselves with an activation code the
-- fund issues, invite colleagues with a capacity, confirm a new e-mail address before it
-- takes effect; staff sign in with a second factor (TOTP), required for administrators.

-- What a user may do for one employer: `owner` everything (and invites colleagues),
-- `sign` sign and revoke mandates, `declare` send declarations, `view` look only.
-- Links made before self-service were made by staff: owners.
ALTER TABLE user_employers ADD COLUMN capacity TEXT NOT NULL DEFAULT 'owner'
    CHECK (capacity IN ('owner', 'sign', 'declare', 'view'));

-- Activation codes printed on a letter (or e-mailed) by the fund: kept as SHA-256 only,
-- single use (`used_at`), expiring. Redeeming one creates the employer's first owner.
CREATE TABLE enrolment_codes (
    id          INTEGER PRIMARY KEY,
    employer_id INTEGER NOT NULL REFERENCES employers (id),
    code_sha256 TEXT NOT NULL UNIQUE,
    issued_by   TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL,
    used_at     TEXT,
    user_id     INTEGER REFERENCES users (id)
);
CREATE INDEX enrolment_codes_employer ON enrolment_codes (employer_id);

-- A link that confirms a new e-mail address is a reset-like link sent to that address:
-- the row of `password_resets` carries the address it confirms.
ALTER TABLE password_resets ADD COLUMN new_email TEXT;

-- TOTP (RFC 6238): the secret encrypted with the fund's key, confirmed once a first code
-- matched; the last time step accepted, so the same code is never accepted twice.
ALTER TABLE users ADD COLUMN totp_secret TEXT;
ALTER TABLE users ADD COLUMN totp_enabled INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN totp_last_step INTEGER;

-- One-time recovery codes (SHA-256), for a lost authenticator.
CREATE TABLE recovery_codes (
    id          INTEGER PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users (id),
    code_sha256 TEXT NOT NULL,
    used_at     TEXT,
    UNIQUE (user_id, code_sha256)
);

-- Right password, second factor awaited: a short-lived token (SHA-256) in a cookie of its
-- own; no session exists until the code is given.
CREATE TABLE sign_in_challenges (
    id           INTEGER PRIMARY KEY,
    token_sha256 TEXT NOT NULL UNIQUE,
    user_id      INTEGER NOT NULL REFERENCES users (id),
    created_at   TEXT NOT NULL,
    expires_at   TEXT NOT NULL
);
