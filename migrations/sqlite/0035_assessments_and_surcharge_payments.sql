-- Provisional assessments applied, and payments that pay surcharges (issue 16 points 1, 2).
--
-- `provisional_assessments`: one per employer and period whose declaration was missing past
-- its deadline (`taxation provisoire/d'office`): the contributions of the employer's last
-- declaration before that period (`base_declaration_id`, per scheme; its lines per worksite
-- in `provisional_assessment_lines`) plus the confirmed `provisional_assessment` rule's
-- increase (`rate_bp`, per scheme rounded down). The ledger holds a provisional `due` (the
-- base, key `provisional:A`) and a `surcharge` (the increase, `provisional_increase:A`),
-- both carrying `assessment_id`. When the employer declares the period, both are reversed
-- by one `due_withdrawn` entry (`provisional_replaced:A`) and the assessment is `replaced`.
-- `allocation_policy` (one row): the order in which money received pays what is owed —
-- `principal_first` (shipped: contribution lines oldest first, then surcharges oldest
-- first), `oldest_first` (lines and surcharges together by their date) or
-- `surcharges_first`. `surcharge_allocations`: a surcharge paid (whole, once) by a payment
-- or a credit, with its `allocation` entry (`allocation:P:surcharge:S`).

CREATE TABLE provisional_assessments (
    id                             INTEGER PRIMARY KEY,
    employer_id                    INTEGER NOT NULL REFERENCES employers (id),
    period                         TEXT NOT NULL,
    due_from                       TEXT NOT NULL,
    deadline                       TEXT NOT NULL,
    base_declaration_id            INTEGER NOT NULL REFERENCES declarations (id),
    rule_id                        INTEGER NOT NULL REFERENCES surcharge_rules (id),
    rate_bp                        INTEGER NOT NULL,
    base_paid_leave_centimes       INTEGER NOT NULL,
    base_bad_weather_employer_centimes INTEGER NOT NULL,
    base_bad_weather_employee_centimes INTEGER NOT NULL,
    base_centimes                  INTEGER NOT NULL,
    increase_paid_leave_centimes   INTEGER NOT NULL,
    increase_bad_weather_employer_centimes INTEGER NOT NULL,
    increase_bad_weather_employee_centimes INTEGER NOT NULL,
    increase_centimes              INTEGER NOT NULL,
    assessed_on                    TEXT NOT NULL,
    status                         TEXT NOT NULL CHECK (status IN ('assessed', 'replaced')),
    replaced_by_declaration_id     INTEGER REFERENCES declarations (id),
    replaced_on                    TEXT,
    recorded_at                    TEXT NOT NULL,
    UNIQUE (employer_id, period),
    CHECK (base_centimes = base_paid_leave_centimes + base_bad_weather_employer_centimes + base_bad_weather_employee_centimes),
    CHECK (increase_centimes = increase_paid_leave_centimes + increase_bad_weather_employer_centimes + increase_bad_weather_employee_centimes),
    CHECK (status = 'assessed' OR replaced_on IS NOT NULL)
);

CREATE TABLE provisional_assessment_lines (
    assessment_id                 INTEGER NOT NULL REFERENCES provisional_assessments (id),
    worksite_id                   INTEGER NOT NULL REFERENCES worksites (id),
    paid_leave_centimes           INTEGER NOT NULL,
    bad_weather_employer_centimes INTEGER NOT NULL,
    bad_weather_employee_centimes INTEGER NOT NULL,
    PRIMARY KEY (assessment_id, worksite_id)
);

ALTER TABLE ledger_entries ADD COLUMN assessment_id INTEGER REFERENCES provisional_assessments (id);

CREATE TABLE allocation_policy (
    id              INTEGER PRIMARY KEY CHECK (id = 1),
    surcharge_order TEXT NOT NULL CHECK (surcharge_order IN ('principal_first', 'oldest_first', 'surcharges_first')),
    updated_by      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);
INSERT INTO allocation_policy VALUES (1, 'principal_first', 'migration', '2026-12-07T00:00:00Z');

CREATE TABLE surcharge_allocations (
    payment_id      INTEGER NOT NULL REFERENCES payments (id),
    surcharge_id    INTEGER NOT NULL REFERENCES surcharges (id),
    amount_centimes INTEGER NOT NULL CHECK (amount_centimes >= 0),
    allocated_on    TEXT NOT NULL,
    PRIMARY KEY (payment_id, surcharge_id)
);
CREATE UNIQUE INDEX surcharge_allocations_once ON surcharge_allocations (surcharge_id);
