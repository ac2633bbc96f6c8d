-- Payment plans (échéanciers) for arrears (issue 16 point 3). An employer asks for one in
-- the portal (or staff open one), staff set it: the owed lines it covers, each given to one
-- of N instalments with its due day (a line is never part-paid: an instalment is whole
-- lines). A line of an active plan is collectible from its instalment's day, by the normal
-- cycle, and accrues no late-payment month while the plan is honoured.
--
-- status: requested → active (set by staff) | refused | withdrawn; active → completed
-- (every line paid) | broken (an instalment unpaid past the fund's grace) | cancelled
-- (by staff). One open plan (requested or active) per employer at most.
CREATE TABLE payment_plans (
    id              INTEGER PRIMARY KEY,
    employer_id     INTEGER NOT NULL REFERENCES employers (id),
    status          TEXT NOT NULL CHECK (status IN ('requested', 'active', 'refused', 'withdrawn',
                        'completed', 'broken', 'cancelled')),
    requested_by    TEXT NOT NULL,
    requested_on    TEXT NOT NULL,
    request_note    TEXT,
    instalments     INTEGER CHECK (instalments IS NULL OR instalments > 0),
    total_centimes  INTEGER CHECK (total_centimes IS NULL OR total_centimes > 0),
    set_by          TEXT,
    started_on      TEXT,
    ended_on        TEXT,
    ended_by        TEXT,
    end_reason      TEXT,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    CHECK ((status IN ('requested', 'refused', 'withdrawn')) = (started_on IS NULL))
);
CREATE UNIQUE INDEX payment_plans_one_open ON payment_plans (employer_id)
    WHERE status IN ('requested', 'active');
CREATE INDEX payment_plans_by_status ON payment_plans (status, id);

CREATE TABLE payment_plan_instalments (
    plan_id         INTEGER NOT NULL REFERENCES payment_plans (id),
    number          INTEGER NOT NULL CHECK (number > 0),
    due_on          TEXT NOT NULL,
    amount_centimes INTEGER NOT NULL CHECK (amount_centimes > 0),
    PRIMARY KEY (plan_id, number)
);

-- The lines a plan covers, each in one instalment (a line in one plan per plan).
CREATE TABLE payment_plan_lines (
    plan_id             INTEGER NOT NULL REFERENCES payment_plans (id),
    declaration_line_id INTEGER NOT NULL REFERENCES declaration_lines (id),
    number              INTEGER NOT NULL,
    due_on              TEXT NOT NULL,
    amount_centimes     INTEGER NOT NULL,
    PRIMARY KEY (plan_id, declaration_line_id)
);
CREATE INDEX payment_plan_lines_by_line ON payment_plan_lines (declaration_line_id);
