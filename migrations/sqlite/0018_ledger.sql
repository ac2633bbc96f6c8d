-- The employer's account with the fund (issue 15): an append-only ledger in integer
-- centimes, payments received by other channels, and the lines they paid.
--
-- Sign convention: an entry's `amount_centimes` is what it changes in what the employer
-- owes the fund. Positive: owed more (a due, a settled debit returned); negative: owed less
-- (a settled debit, a payment, a write-off). The balance is the sum: positive, the employer
-- owes; negative, it is in credit. Every entry is split over the three schemes of a
-- declaration line and an `unallocated` bucket (money received that pays no line yet):
-- `amount = paid_leave + bad_weather_employer + bad_weather_employee + unallocated`.
-- Memo entries (a debit presented, a debit rejected before settlement, a credit kept)
-- change nothing (amount 0) and carry the amount they are about in `memo_centimes`.
-- `entry_key` is unique: each event writes its entries once, replayed or not.

CREATE TABLE payments (
    id              INTEGER PRIMARY KEY,
    employer_id     INTEGER NOT NULL REFERENCES employers (id),
    channel         TEXT NOT NULL CHECK (channel IN ('transfer', 'cheque', 'counter', 'other')),
    reference       TEXT NOT NULL,
    amount_centimes INTEGER NOT NULL CHECK (amount_centimes > 0),
    received_on     TEXT NOT NULL,
    note            TEXT,
    recorded_by     TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    UNIQUE (employer_id, channel, reference)
);

-- A declaration line paid by a payment (whole lines, oldest first): at most one per line.
-- The reference to the line keeps a correction from deleting a paid line.
CREATE TABLE payment_allocations (
    payment_id          INTEGER NOT NULL REFERENCES payments (id),
    declaration_line_id INTEGER NOT NULL REFERENCES declaration_lines (id),
    amount_centimes     INTEGER NOT NULL CHECK (amount_centimes >= 0),
    PRIMARY KEY (payment_id, declaration_line_id)
);
CREATE UNIQUE INDEX payment_allocations_one_per_line ON payment_allocations (declaration_line_id);

CREATE TABLE ledger_entries (
    id                            INTEGER PRIMARY KEY,
    employer_id                   INTEGER NOT NULL REFERENCES employers (id),
    kind                          TEXT NOT NULL CHECK (kind IN ('due', 'due_withdrawn', 'debit_presented',
                                      'settled', 'rejected', 'returned', 'payment_received', 'allocation',
                                      'refund', 'credit', 'write_off', 'surcharge', 'waiver')),
    entry_key                     TEXT NOT NULL UNIQUE,
    entry_date                    TEXT NOT NULL,
    amount_centimes               INTEGER NOT NULL,
    paid_leave_centimes           INTEGER NOT NULL DEFAULT 0,
    bad_weather_employer_centimes INTEGER NOT NULL DEFAULT 0,
    bad_weather_employee_centimes INTEGER NOT NULL DEFAULT 0,
    unallocated_centimes          INTEGER NOT NULL DEFAULT 0,
    memo_centimes                 INTEGER NOT NULL DEFAULT 0,
    -- What caused it (no reference to the line: a correction replaces lines, and SQLite
    -- may give a new line the id of a deleted one; `due_withdrawn` nets the old one out).
    declaration_line_id           INTEGER,
    collection_id                 INTEGER REFERENCES collections (id),
    payment_id                    INTEGER REFERENCES payments (id),
    report_id                     INTEGER REFERENCES reports (id),
    recorded_at                   TEXT NOT NULL,
    CHECK (amount_centimes = paid_leave_centimes + bad_weather_employer_centimes
                             + bad_weather_employee_centimes + unallocated_centimes)
);
CREATE INDEX ledger_entries_employer ON ledger_entries (employer_id, entry_date);
CREATE INDEX ledger_entries_line ON ledger_entries (declaration_line_id) WHERE declaration_line_id IS NOT NULL;
CREATE TRIGGER ledger_entries_no_update BEFORE UPDATE ON ledger_entries
BEGIN
    SELECT RAISE(ABORT, 'ledger_entries is append-only');
END;
CREATE TRIGGER ledger_entries_no_delete BEFORE DELETE ON ledger_entries
BEGIN
    SELECT RAISE(ABORT, 'ledger_entries is append-only');
END;

-- A line paid by another channel is paid (it was: submitted or unpaid).
DROP VIEW declaration_line_states;
CREATE VIEW declaration_line_states AS
SELECT l.id AS declaration_line_id,
       l.declaration_id,
       CASE
           WHEN l.status = 'cancelled' THEN 'cancelled'
           WHEN c.status = 'settled' THEN 'paid'
           WHEN c.id IS NOT NULL THEN 'scheduled'
           WHEN EXISTS (SELECT 1 FROM payment_allocations pa WHERE pa.declaration_line_id = l.id) THEN 'paid'
           WHEN EXISTS (SELECT 1 FROM collection_lines x WHERE x.declaration_line_id = l.id) THEN 'unpaid'
           ELSE 'submitted'
       END AS state,
       c.id AS collection_id
FROM declaration_lines l
LEFT JOIN collection_lines cl ON cl.declaration_line_id = l.id AND cl.live = 1
LEFT JOIN collections c ON c.id = cl.collection_id;

-- What happened before this migration, written once as it would have been written then
-- (a debit settled then returned before now is seen as never settled: it nets to nothing).
INSERT INTO ledger_entries (employer_id, kind, entry_key, entry_date, amount_centimes, paid_leave_centimes,
    bad_weather_employer_centimes, bad_weather_employee_centimes, declaration_line_id, recorded_at)
SELECT d.employer_id, 'due', 'due:' || l.id || ':1', d.due_from, l.paid_leave_centimes
       + l.bad_weather_employer_centimes + l.bad_weather_employee_centimes, l.paid_leave_centimes,
       l.bad_weather_employer_centimes, l.bad_weather_employee_centimes, l.id, d.created_at
FROM declaration_lines l JOIN declarations d ON d.id = l.declaration_id
WHERE d.status = 'submitted' AND l.status = 'submitted';
INSERT INTO ledger_entries (employer_id, kind, entry_key, entry_date, amount_centimes, memo_centimes,
    collection_id, recorded_at)
SELECT c.employer_id, 'debit_presented', 'presented:' || c.id, c.collection_date, 0, c.amount_centimes, c.id, c.updated_at
FROM collections c WHERE c.bank_file_id IS NOT NULL;
INSERT INTO ledger_entries (employer_id, kind, entry_key, entry_date, amount_centimes, paid_leave_centimes,
    bad_weather_employer_centimes, bad_weather_employee_centimes, collection_id, report_id, recorded_at)
SELECT c.employer_id, 'settled', 'settled:' || c.id, c.collection_date,
       -SUM(l.paid_leave_centimes + l.bad_weather_employer_centimes + l.bad_weather_employee_centimes),
       -SUM(l.paid_leave_centimes), -SUM(l.bad_weather_employer_centimes), -SUM(l.bad_weather_employee_centimes),
       c.id, c.report_id, c.updated_at
FROM collections c JOIN collection_lines cl ON cl.collection_id = c.id AND cl.live = 1
JOIN declaration_lines l ON l.id = cl.declaration_line_id
WHERE c.status = 'settled' GROUP BY c.id, c.employer_id, c.collection_date, c.report_id, c.updated_at;
INSERT INTO ledger_entries (employer_id, kind, entry_key, entry_date, amount_centimes, memo_centimes,
    collection_id, report_id, recorded_at)
SELECT c.employer_id, CASE c.status WHEN 'returned' THEN 'returned' ELSE 'rejected' END, 'failed:' || c.id, c.collection_date, 0, c.amount_centimes, c.id, c.report_id, c.updated_at
FROM collections c WHERE c.status IN ('rejected', 'returned', 'retry_planned') AND c.bank_file_id IS NOT NULL;
