-- Surcharges and waivers (issue 16 points 1 and 2).
--
-- `surcharge_rules`: the legal rules as dated data, rates in basis points (1/100 of a
-- percent). A rule computes nothing until the fund confirms it (`confirmed_by/at`); the
-- shipped defaults (../shared/algeria.md) are provisional. `first_bp` is the penalty (late
-- declaration, provisional assessment) or the first month's surcharge (late payment);
-- `monthly_bp` the surcharge of each further month of delay (late payment only).
-- `surcharge_policy` (one row): the deadlines and the grace the fund applies, and the
-- amount above which a waiver needs a second member of staff.
-- `surcharges`: what the daily job computed, one row per (declaration, worksite, kind,
-- month of delay) — the source of the ledger's `surcharge` entries (key `surcharge:ID`).
-- `surcharge_waivers` and their items: individual waivers and amnesties' waivers; each
-- surcharge is waived by at most one live item; an applied waiver writes `waiver` entries
-- (key `waiver:W:S`), a reversed one their opposite (`waiver_reversed:W:S`).

CREATE TABLE surcharge_rules (
    id           INTEGER PRIMARY KEY,
    kind         TEXT NOT NULL CHECK (kind IN ('late_declaration', 'late_payment', 'provisional_assessment')),
    first_bp     INTEGER NOT NULL CHECK (first_bp >= 0 AND first_bp <= 10000),
    monthly_bp   INTEGER NOT NULL DEFAULT 0 CHECK (monthly_bp >= 0 AND monthly_bp <= 10000),
    valid_from   TEXT NOT NULL,
    valid_to     TEXT,
    source       TEXT NOT NULL,
    confirmed_by TEXT,
    confirmed_at TEXT,
    created_by   TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    UNIQUE (kind, valid_from),
    CHECK (valid_to IS NULL OR valid_to >= valid_from),
    CHECK (kind = 'late_payment' OR monthly_bp = 0)
);

INSERT INTO surcharge_rules (kind, first_bp, monthly_bp, valid_from, source, created_by, created_at) VALUES
    ('late_declaration', 1500, 0, '2004-12-25', 'loi 04-17 art. 16 (15 % of the contributions due) — provisional default, to be confirmed by the fund', 'migration', '2026-12-07T00:00:00Z'),
    ('late_payment', 500, 100, '2004-12-25', '5 % of the principal, then 1 % per further month of delay — unverified provisional default, to be confirmed by the fund', 'migration', '2026-12-07T00:00:00Z'),
    ('provisional_assessment', 500, 0, '2004-12-25', '5 % increase of a provisional assessment — unverified provisional default, to be confirmed by the fund', 'migration', '2026-12-07T00:00:00Z');

CREATE TABLE surcharge_policy (
    id                 INTEGER PRIMARY KEY CHECK (id = 1),
    payment_days       INTEGER NOT NULL CHECK (payment_days >= 0 AND payment_days <= 366),
    declaration_days   INTEGER NOT NULL CHECK (declaration_days >= 0 AND declaration_days <= 366),
    grace_days         INTEGER NOT NULL CHECK (grace_days >= 0 AND grace_days <= 366),
    four_eyes_centimes INTEGER NOT NULL CHECK (four_eyes_centimes >= 0),
    updated_by         TEXT NOT NULL,
    updated_at         TEXT NOT NULL
);
INSERT INTO surcharge_policy VALUES (1, 60, 30, 15, 10000000, 'migration', '2026-12-07T00:00:00Z');

CREATE TABLE surcharges (
    id                            INTEGER PRIMARY KEY,
    employer_id                   INTEGER NOT NULL REFERENCES employers (id),
    rule_id                       INTEGER NOT NULL REFERENCES surcharge_rules (id),
    kind                          TEXT NOT NULL,
    declaration_id                INTEGER NOT NULL REFERENCES declarations (id),
    worksite_id                   INTEGER NOT NULL REFERENCES worksites (id),
    -- The line at the time (no reference: a correction replaces lines).
    declaration_line_id           INTEGER NOT NULL,
    month                         INTEGER NOT NULL CHECK (month >= 1),
    base_centimes                 INTEGER NOT NULL,
    rate_bp                       INTEGER NOT NULL,
    paid_leave_centimes           INTEGER NOT NULL,
    bad_weather_employer_centimes INTEGER NOT NULL,
    bad_weather_employee_centimes INTEGER NOT NULL,
    amount_centimes               INTEGER NOT NULL,
    deadline                      TEXT NOT NULL,
    accrued_on                    TEXT NOT NULL,
    days_late                     INTEGER NOT NULL,
    recorded_at                   TEXT NOT NULL,
    UNIQUE (declaration_id, worksite_id, kind, month),
    CHECK (amount_centimes = paid_leave_centimes + bad_weather_employer_centimes + bad_weather_employee_centimes)
);
CREATE INDEX surcharges_employer ON surcharges (employer_id, accrued_on);

CREATE TABLE amnesties (
    id                INTEGER PRIMARY KEY,
    name              TEXT NOT NULL,
    accrued_from      TEXT NOT NULL,
    accrued_to        TEXT NOT NULL,
    principal_paid_by TEXT NOT NULL,
    -- Extension point: "a payment plan requested by D" (plans do not exist yet; refused when set).
    plan_requested_by TEXT,
    status            TEXT NOT NULL CHECK (status IN ('draft', 'applied', 'reversed')),
    created_by        TEXT NOT NULL,
    created_at        TEXT NOT NULL,
    applied_by        TEXT,
    applied_at        TEXT,
    reversed_by       TEXT,
    reversed_at       TEXT,
    CHECK (accrued_to >= accrued_from)
);

CREATE TABLE surcharge_waivers (
    id              INTEGER PRIMARY KEY,
    employer_id     INTEGER NOT NULL REFERENCES employers (id),
    amnesty_id      INTEGER REFERENCES amnesties (id),
    reason          TEXT NOT NULL,
    amount_centimes INTEGER NOT NULL CHECK (amount_centimes > 0),
    status          TEXT NOT NULL CHECK (status IN ('pending', 'applied', 'refused', 'reversed')),
    requested_by    TEXT NOT NULL,
    requested_at    TEXT NOT NULL,
    approved_by     TEXT,
    approved_at     TEXT,
    refused_by      TEXT,
    refused_at      TEXT,
    reversed_by     TEXT,
    reversed_at     TEXT,
    CHECK (approved_by IS NULL OR approved_by <> requested_by),
    UNIQUE (amnesty_id, employer_id)
);

CREATE TABLE surcharge_waiver_items (
    waiver_id    INTEGER NOT NULL REFERENCES surcharge_waivers (id),
    surcharge_id INTEGER NOT NULL REFERENCES surcharges (id),
    live         INTEGER NOT NULL DEFAULT 1 CHECK (live IN (0, 1)),
    PRIMARY KEY (waiver_id, surcharge_id)
);
-- A surcharge is waived (or waiting for approval) at most once at a time.
CREATE UNIQUE INDEX surcharge_waiver_items_once ON surcharge_waiver_items (surcharge_id) WHERE live = 1;

-- The surcharge a `surcharge` or `waiver` entry is about (what explains it on the statement).
ALTER TABLE ledger_entries ADD COLUMN surcharge_id INTEGER REFERENCES surcharges (id);
