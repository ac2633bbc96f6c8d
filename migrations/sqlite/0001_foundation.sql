-- tahsil foundation schema (SQLite). Portable types shared with PostgreSQL:
-- INTEGER ids and centimes (read as i64), TEXT ISO-8601 dates and UTC timestamps,
-- INTEGER flags. Append-only: never edit this file once applied; add a new migration.

CREATE TABLE employers (
    id                 INTEGER PRIMARY KEY,
    affiliation_number TEXT NOT NULL UNIQUE,
    name               TEXT NOT NULL,
    name_ar            TEXT,
    email              TEXT NOT NULL,
    language           TEXT NOT NULL DEFAULT 'both' CHECK (language IN ('ar', 'fr', 'both')),
    period_kind        TEXT NOT NULL DEFAULT 'monthly' CHECK (period_kind IN ('monthly', 'quarterly')),
    created_at         TEXT NOT NULL
);

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    email         TEXT NOT NULL UNIQUE,
    display_name  TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('employer', 'finance', 'admin')),
    password_hash TEXT,
    language      TEXT,
    disabled      INTEGER NOT NULL DEFAULT 0,
    created_at    TEXT NOT NULL
);

CREATE TABLE user_employers (
    user_id     INTEGER NOT NULL REFERENCES users (id),
    employer_id INTEGER NOT NULL REFERENCES employers (id),
    PRIMARY KEY (user_id, employer_id)
);

CREATE TABLE worksites (
    id          INTEGER PRIMARY KEY,
    employer_id INTEGER NOT NULL REFERENCES employers (id),
    code        TEXT NOT NULL,
    name        TEXT NOT NULL,
    wilaya      TEXT,
    created_at  TEXT NOT NULL,
    UNIQUE (employer_id, code)
);

-- Account numbers are never stored in clear: `number_encrypted` is AES-256-GCM,
-- `number_index` a keyed HMAC for look-ups, `masked` the only displayable form.
CREATE TABLE accounts (
    id               INTEGER PRIMARY KEY,
    employer_id      INTEGER NOT NULL REFERENCES employers (id),
    kind             TEXT NOT NULL CHECK (kind IN ('bank', 'postal')),
    bank_code        TEXT NOT NULL,
    number_encrypted TEXT NOT NULL,
    number_index     TEXT NOT NULL,
    masked           TEXT NOT NULL,
    created_at       TEXT NOT NULL,
    UNIQUE (employer_id, number_index)
);

CREATE TABLE mandates (
    id                  INTEGER PRIMARY KEY,
    employer_id         INTEGER NOT NULL REFERENCES employers (id),
    account_id          INTEGER NOT NULL REFERENCES accounts (id),
    reference           TEXT NOT NULL UNIQUE,
    status              TEXT NOT NULL CHECK (status IN ('pending', 'active', 'suspended', 'revoked', 'expired', 'superseded')),
    ceiling_centimes    INTEGER CHECK (ceiling_centimes IS NULL OR ceiling_centimes > 0),
    status_reason       TEXT,
    signed_at           TEXT,
    signed_by           TEXT,
    signature_ip        TEXT,
    signature_user_agent TEXT,
    consent_version     TEXT,
    consent_text_sha256 TEXT,
    superseded_by       INTEGER REFERENCES mandates (id),
    created_at          TEXT NOT NULL,
    updated_at          TEXT NOT NULL
);
-- At most one active and one pending mandate per employer: signing a replacement
-- supersedes the active one in the same transaction, so there is never a gap.
CREATE UNIQUE INDEX mandates_one_live_per_employer ON mandates (employer_id, status)
    WHERE status IN ('pending', 'active');

CREATE TABLE declarations (
    id           INTEGER PRIMARY KEY,
    employer_id  INTEGER NOT NULL REFERENCES employers (id),
    period       TEXT NOT NULL,
    -- First day after the period: the declaration can be collected from then on.
    due_from     TEXT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('draft', 'submitted', 'cancelled')),
    submitted_at TEXT,
    created_at   TEXT NOT NULL,
    UNIQUE (employer_id, period)
);

CREATE TABLE declaration_lines (
    id                              INTEGER PRIMARY KEY,
    declaration_id                  INTEGER NOT NULL REFERENCES declarations (id),
    worksite_id                     INTEGER NOT NULL REFERENCES worksites (id),
    headcount                       INTEGER NOT NULL CHECK (headcount >= 0),
    wage_bill_centimes              INTEGER NOT NULL CHECK (wage_bill_centimes >= 0),
    bad_weather_base_centimes       INTEGER NOT NULL CHECK (bad_weather_base_centimes >= 0),
    paid_leave_centimes             INTEGER NOT NULL,
    bad_weather_employer_centimes   INTEGER NOT NULL,
    bad_weather_employee_centimes   INTEGER NOT NULL,
    total_centimes                  INTEGER NOT NULL,
    status                          TEXT NOT NULL CHECK (status IN ('submitted', 'scheduled', 'paid', 'unpaid', 'cancelled')),
    UNIQUE (declaration_id, worksite_id)
);

CREATE TABLE contribution_rates (
    id          INTEGER PRIMARY KEY,
    scheme      TEXT NOT NULL,
    rate_ppm    INTEGER NOT NULL CHECK (rate_ppm >= 0 AND rate_ppm <= 1000000),
    valid_from  TEXT NOT NULL,
    valid_to    TEXT,
    source      TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    UNIQUE (scheme, valid_from)
);

CREATE TABLE calendar_entries (
    id         INTEGER PRIMARY KEY,
    date       TEXT NOT NULL,
    name       TEXT NOT NULL,
    kind       TEXT NOT NULL CHECK (kind IN ('fixed', 'lunar')),
    confirmed  INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    UNIQUE (date, name)
);

-- Append-only audit trail: who, when, what, why. Triggers refuse any change.
CREATE TABLE audit_log (
    id        INTEGER PRIMARY KEY,
    at        TEXT NOT NULL,
    actor     TEXT NOT NULL,
    action    TEXT NOT NULL,
    entity    TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    detail    TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_entity ON audit_log (entity, entity_id);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
