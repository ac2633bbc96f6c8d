-- What the fund is owed, kept exact as it changes (issue 15 leftovers): the fund-wide
-- receivables and aging read a few rows instead of every owed line.
-- `owed_lines`: the owed declaration lines (submitted, paid by no settled debit, by no
-- payment, not written off), one row each with what it owes per scheme and its due date.
-- `owed_by_due`: their count and sums per due date; `owed_by_employer`: their count per
-- employer (an employer with no owed line has no row). Triggers keep all three in the
-- transaction of every change to the tables that decide whether a line is owed
-- (declarations, declaration_lines, collections, collection_lines, payment_allocations,
-- line_write_offs): a line touched is taken out of `owed_lines` and put back if it is
-- owed; `owed_lines`' own triggers move the sums. `tahsil ledger check` compares them with
-- the full recomputation.
CREATE TABLE owed_lines (
    declaration_line_id           INTEGER PRIMARY KEY,
    employer_id                   INTEGER NOT NULL,
    due_from                      TEXT NOT NULL,
    paid_leave_centimes           INTEGER NOT NULL,
    bad_weather_employer_centimes INTEGER NOT NULL,
    bad_weather_employee_centimes INTEGER NOT NULL
);

CREATE TABLE owed_by_due (
    due_from                      TEXT PRIMARY KEY,
    lines                         INTEGER NOT NULL,
    paid_leave_centimes           INTEGER NOT NULL,
    bad_weather_employer_centimes INTEGER NOT NULL,
    bad_weather_employee_centimes INTEGER NOT NULL
);

CREATE TABLE owed_by_employer (
    employer_id INTEGER PRIMARY KEY,
    lines       INTEGER NOT NULL
);

INSERT INTO owed_lines
SELECT l.id, d.employer_id, d.due_from, l.paid_leave_centimes, l.bad_weather_employer_centimes,
       l.bad_weather_employee_centimes
FROM declaration_lines l JOIN declarations d ON d.id = l.declaration_id
WHERE d.status = 'submitted' AND l.status = 'submitted'
  AND NOT EXISTS (SELECT 1 FROM payment_allocations a WHERE a.declaration_line_id = l.id)
  AND NOT EXISTS (SELECT 1 FROM line_write_offs wo WHERE wo.declaration_line_id = l.id)
  AND NOT EXISTS (SELECT 1 FROM collection_lines cl JOIN collections c ON c.id = cl.collection_id
                  WHERE cl.declaration_line_id = l.id AND cl.live = 1 AND c.status = 'settled');

INSERT INTO owed_by_due
SELECT due_from, COUNT(*), SUM(paid_leave_centimes), SUM(bad_weather_employer_centimes),
       SUM(bad_weather_employee_centimes)
FROM owed_lines GROUP BY due_from;

INSERT INTO owed_by_employer SELECT employer_id, COUNT(*) FROM owed_lines GROUP BY employer_id;

CREATE TRIGGER owed_lines_added AFTER INSERT ON owed_lines BEGIN
    INSERT INTO owed_by_due VALUES (NEW.due_from, 1, NEW.paid_leave_centimes,
        NEW.bad_weather_employer_centimes, NEW.bad_weather_employee_centimes)
    ON CONFLICT (due_from) DO UPDATE SET lines = lines + 1,
        paid_leave_centimes = paid_leave_centimes + excluded.paid_leave_centimes,
        bad_weather_employer_centimes = bad_weather_employer_centimes + excluded.bad_weather_employer_centimes,
        bad_weather_employee_centimes = bad_weather_employee_centimes + excluded.bad_weather_employee_centimes;
    INSERT INTO owed_by_employer VALUES (NEW.employer_id, 1)
    ON CONFLICT (employer_id) DO UPDATE SET lines = lines + 1;
END;

CREATE TRIGGER owed_lines_removed AFTER DELETE ON owed_lines BEGIN
    UPDATE owed_by_due SET lines = lines - 1,
        paid_leave_centimes = paid_leave_centimes - OLD.paid_leave_centimes,
        bad_weather_employer_centimes = bad_weather_employer_centimes - OLD.bad_weather_employer_centimes,
        bad_weather_employee_centimes = bad_weather_employee_centimes - OLD.bad_weather_employee_centimes
    WHERE due_from = OLD.due_from;
    DELETE FROM owed_by_due WHERE due_from = OLD.due_from AND lines = 0;
    UPDATE owed_by_employer SET lines = lines - 1 WHERE employer_id = OLD.employer_id;
    DELETE FROM owed_by_employer WHERE employer_id = OLD.employer_id AND lines = 0;
END;

-- OWED(x) below: the line ids x taken out, then those of them owed put back.
CREATE TRIGGER owed_line_inserted AFTER INSERT ON declaration_lines BEGIN
    DELETE FROM owed_lines WHERE declaration_line_id IN (NEW.id);
    INSERT INTO owed_lines
    SELECT l.id, d.employer_id, d.due_from, l.paid_leave_centimes, l.bad_weather_employer_centimes,
           l.bad_weather_employee_centimes
    FROM declaration_lines l JOIN declarations d ON d.id = l.declaration_id
    WHERE l.id IN (NEW.id) AND d.status = 'submitted' AND l.status = 'submitted'
      AND NOT EXISTS (SELECT 1 FROM payment_allocations a WHERE a.declaration_line_id = l.id)
      AND NOT EXISTS (SELECT 1 FROM line_write_offs wo WHERE wo.declaration_line_id = l.id)
      AND NOT EXISTS (SELECT 1 FROM collection_lines cl JOIN collections c ON c.id = cl.collection_id
                      WHERE cl.declaration_line_id = l.id AND cl.live = 1 AND c.status = 'settled');
END;

CREATE TRIGGER owed_line_updated AFTER UPDATE OF id, declaration_id, status, paid_leave_centimes, bad_weather_employer_centimes, bad_weather_employee_centimes ON declaration_lines BEGIN
    DELETE FROM owed_lines WHERE declaration_line_id IN (OLD.id, NEW.id);
    INSERT INTO owed_lines
    SELECT l.id, d.employer_id, d.due_from, l.paid_leave_centimes, l.bad_weather_employer_centimes,
           l.bad_weather_employee_centimes
    FROM declaration_lines l JOIN declarations d ON d.id = l.declaration_id
    WHERE l.id IN (OLD.id, NEW.id) AND d.status = 'submitted' AND l.status = 'submitted'
      AND NOT EXISTS (SELECT 1 FROM payment_allocations a WHERE a.declaration_line_id = l.id)
      AND NOT EXISTS (SELECT 1 FROM line_write_offs wo WHERE wo.declaration_line_id = l.id)
      AND NOT EXISTS (SELECT 1 FROM collection_lines cl JOIN collections c ON c.id = cl.collection_id
                      WHERE cl.declaration_line_id = l.id AND cl.live = 1 AND c.status = 'settled');
END;

CREATE TRIGGER owed_line_deleted AFTER DELETE ON declaration_lines BEGIN
    DELETE FROM owed_lines WHERE declaration_line_id = OLD.id;
END;

CREATE TRIGGER owed_declaration_updated AFTER UPDATE OF id, employer_id, status, due_from ON declarations BEGIN
    DELETE FROM owed_lines WHERE declaration_line_id IN (SELECT id FROM declaration_lines WHERE declaration_id IN (OLD.id, NEW.id));
    INSERT INTO owed_lines
    SELECT l.id, d.employer_id, d.due_from, l.paid_leave_centimes, l.bad_weather_employer_centimes,
           l.bad_weather_employee_centimes
    FROM declaration_lines l JOIN declarations d ON d.id = l.declaration_id
    WHERE l.id IN (SELECT id FROM declaration_lines WHERE declaration_id IN (OLD.id, NEW.id)) AND d.status = 'submitted' AND l.status = 'submitted'
      AND NOT EXISTS (SELECT 1 FROM payment_allocations a WHERE a.declaration_line_id = l.id)
      AND NOT EXISTS (SELECT 1 FROM line_write_offs wo WHERE wo.declaration_line_id = l.id)
      AND NOT EXISTS (SELECT 1 FROM collection_lines cl JOIN collections c ON c.id = cl.collection_id
                      WHERE cl.declaration_line_id = l.id AND cl.live = 1 AND c.status = 'settled');
END;

CREATE TRIGGER owed_allocation_inserted AFTER INSERT ON payment_allocations BEGIN
    DELETE FROM owed_lines WHERE declaration_line_id IN (NEW.declaration_line_id);
    INSERT INTO owed_lines
    SELECT l.id, d.employer_id, d.due_from, l.paid_leave_centimes, l.bad_weather_employer_centimes,
           l.bad_weather_employee_centimes
    FROM declaration_lines l JOIN declarations d ON d.id = l.declaration_id
    WHERE l.id IN (NEW.declaration_line_id) AND d.status = 'submitted' AND l.status = 'submitted'
      AND NOT EXISTS (SELECT 1 FROM payment_allocations a WHERE a.declaration_line_id = l.id)
      AND NOT EXISTS (SELECT 1 FROM line_write_offs wo WHERE wo.declaration_line_id = l.id)
      AND NOT EXISTS (SELECT 1 FROM collection_lines cl JOIN collections c ON c.id = cl.collection_id
                      WHERE cl.declaration_line_id = l.id AND cl.live = 1 AND c.status = 'settled');
END;

CREATE TRIGGER owed_allocation_updated AFTER UPDATE ON payment_allocations BEGIN
    DELETE FROM owed_lines WHERE declaration_line_id IN (OLD.declaration_line_id, NEW.declaration_line_id);
    INSERT INTO owed_lines
    SELECT l.id, d.employer_id, d.due_from, l.paid_leave_centimes, l.bad_weather_employer_centimes,
           l.bad_weather_employee_centimes
    FROM declaration_lines l JOIN declarations d ON d.id = l.declaration_id
    WHERE l.id IN (OLD.declaration_line_id, NEW.declaration_line_id) AND d.status = 'submitted' AND l.status = 'submitted'
      AND NOT EXISTS (SELECT 1 FROM payment_allocations a WHERE a.declaration_line_id = l.id)
      AND NOT EXISTS (SELECT 1 FROM line_write_offs wo WHERE wo.declaration_line_id = l.id)
      AND NOT EXISTS (SELECT 1 FROM collection_lines cl JOIN collections c ON c.id = cl.collection_id
                      WHERE cl.declaration_line_id = l.id AND cl.live = 1 AND c.status = 'settled');
END;

CREATE TRIGGER owed_allocation_deleted AFTER DELETE ON payment_allocations BEGIN
    DELETE FROM owed_lines WHERE declaration_line_id IN (OLD.declaration_line_id);
    INSERT INTO owed_lines
    SELECT l.id, d.employer_id, d.due_from, l.paid_leave_centimes, l.bad_weather_employer_centimes,
           l.bad_weather_employee_centimes
    FROM declaration_lines l JOIN declarations d ON d.id = l.declaration_id
    WHERE l.id IN (OLD.declaration_line_id) AND d.status = 'submitted' AND l.status = 'submitted'
      AND NOT EXISTS (SELECT 1 FROM payment_allocations a WHERE a.declaration_line_id = l.id)
      AND NOT EXISTS (SELECT 1 FROM line_write_offs wo WHERE wo.declaration_line_id = l.id)
      AND NOT EXISTS (SELECT 1 FROM collection_lines cl JOIN collections c ON c.id = cl.collection_id
                      WHERE cl.declaration_line_id = l.id AND cl.live = 1 AND c.status = 'settled');
END;

CREATE TRIGGER owed_write_off_inserted AFTER INSERT ON line_write_offs BEGIN
    DELETE FROM owed_lines WHERE declaration_line_id IN (NEW.declaration_line_id);
    INSERT INTO owed_lines
    SELECT l.id, d.employer_id, d.due_from, l.paid_leave_centimes, l.bad_weather_employer_centimes,
           l.bad_weather_employee_centimes
    FROM declaration_lines l JOIN declarations d ON d.id = l.declaration_id
    WHERE l.id IN (NEW.declaration_line_id) AND d.status = 'submitted' AND l.status = 'submitted'
      AND NOT EXISTS (SELECT 1 FROM payment_allocations a WHERE a.declaration_line_id = l.id)
      AND NOT EXISTS (SELECT 1 FROM line_write_offs wo WHERE wo.declaration_line_id = l.id)
      AND NOT EXISTS (SELECT 1 FROM collection_lines cl JOIN collections c ON c.id = cl.collection_id
                      WHERE cl.declaration_line_id = l.id AND cl.live = 1 AND c.status = 'settled');
END;

CREATE TRIGGER owed_write_off_updated AFTER UPDATE OF declaration_line_id ON line_write_offs BEGIN
    DELETE FROM owed_lines WHERE declaration_line_id IN (OLD.declaration_line_id, NEW.declaration_line_id);
    INSERT INTO owed_lines
    SELECT l.id, d.employer_id, d.due_from, l.paid_leave_centimes, l.bad_weather_employer_centimes,
           l.bad_weather_employee_centimes
    FROM declaration_lines l JOIN declarations d ON d.id = l.declaration_id
    WHERE l.id IN (OLD.declaration_line_id, NEW.declaration_line_id) AND d.status = 'submitted' AND l.status = 'submitted'
      AND NOT EXISTS (SELECT 1 FROM payment_allocations a WHERE a.declaration_line_id = l.id)
      AND NOT EXISTS (SELECT 1 FROM line_write_offs wo WHERE wo.declaration_line_id = l.id)
      AND NOT EXISTS (SELECT 1 FROM collection_lines cl JOIN collections c ON c.id = cl.collection_id
                      WHERE cl.declaration_line_id = l.id AND cl.live = 1 AND c.status = 'settled');
END;

CREATE TRIGGER owed_write_off_deleted AFTER DELETE ON line_write_offs BEGIN
    DELETE FROM owed_lines WHERE declaration_line_id IN (OLD.declaration_line_id);
    INSERT INTO owed_lines
    SELECT l.id, d.employer_id, d.due_from, l.paid_leave_centimes, l.bad_weather_employer_centimes,
           l.bad_weather_employee_centimes
    FROM declaration_lines l JOIN declarations d ON d.id = l.declaration_id
    WHERE l.id IN (OLD.declaration_line_id) AND d.status = 'submitted' AND l.status = 'submitted'
      AND NOT EXISTS (SELECT 1 FROM payment_allocations a WHERE a.declaration_line_id = l.id)
      AND NOT EXISTS (SELECT 1 FROM line_write_offs wo WHERE wo.declaration_line_id = l.id)
      AND NOT EXISTS (SELECT 1 FROM collection_lines cl JOIN collections c ON c.id = cl.collection_id
                      WHERE cl.declaration_line_id = l.id AND cl.live = 1 AND c.status = 'settled');
END;

CREATE TRIGGER owed_collection_line_inserted AFTER INSERT ON collection_lines
WHEN EXISTS (SELECT 1 FROM collections c WHERE c.id = NEW.collection_id AND c.status = 'settled') BEGIN
    DELETE FROM owed_lines WHERE declaration_line_id IN (NEW.declaration_line_id);
    INSERT INTO owed_lines
    SELECT l.id, d.employer_id, d.due_from, l.paid_leave_centimes, l.bad_weather_employer_centimes,
           l.bad_weather_employee_centimes
    FROM declaration_lines l JOIN declarations d ON d.id = l.declaration_id
    WHERE l.id IN (NEW.declaration_line_id) AND d.status = 'submitted' AND l.status = 'submitted'
      AND NOT EXISTS (SELECT 1 FROM payment_allocations a WHERE a.declaration_line_id = l.id)
      AND NOT EXISTS (SELECT 1 FROM line_write_offs wo WHERE wo.declaration_line_id = l.id)
      AND NOT EXISTS (SELECT 1 FROM collection_lines cl JOIN collections c ON c.id = cl.collection_id
                      WHERE cl.declaration_line_id = l.id AND cl.live = 1 AND c.status = 'settled');
END;

CREATE TRIGGER owed_collection_line_updated AFTER UPDATE ON collection_lines
WHEN (EXISTS (SELECT 1 FROM collections c WHERE c.id = OLD.collection_id AND c.status = 'settled') OR EXISTS (SELECT 1 FROM collections c WHERE c.id = NEW.collection_id AND c.status = 'settled')) BEGIN
    DELETE FROM owed_lines WHERE declaration_line_id IN (OLD.declaration_line_id, NEW.declaration_line_id);
    INSERT INTO owed_lines
    SELECT l.id, d.employer_id, d.due_from, l.paid_leave_centimes, l.bad_weather_employer_centimes,
           l.bad_weather_employee_centimes
    FROM declaration_lines l JOIN declarations d ON d.id = l.declaration_id
    WHERE l.id IN (OLD.declaration_line_id, NEW.declaration_line_id) AND d.status = 'submitted' AND l.status = 'submitted'
      AND NOT EXISTS (SELECT 1 FROM payment_allocations a WHERE a.declaration_line_id = l.id)
      AND NOT EXISTS (SELECT 1 FROM line_write_offs wo WHERE wo.declaration_line_id = l.id)
      AND NOT EXISTS (SELECT 1 FROM collection_lines cl JOIN collections c ON c.id = cl.collection_id
                      WHERE cl.declaration_line_id = l.id AND cl.live = 1 AND c.status = 'settled');
END;

CREATE TRIGGER owed_collection_line_deleted AFTER DELETE ON collection_lines
WHEN EXISTS (SELECT 1 FROM collections c WHERE c.id = OLD.collection_id AND c.status = 'settled') BEGIN
    DELETE FROM owed_lines WHERE declaration_line_id IN (OLD.declaration_line_id);
    INSERT INTO owed_lines
    SELECT l.id, d.employer_id, d.due_from, l.paid_leave_centimes, l.bad_weather_employer_centimes,
           l.bad_weather_employee_centimes
    FROM declaration_lines l JOIN declarations d ON d.id = l.declaration_id
    WHERE l.id IN (OLD.declaration_line_id) AND d.status = 'submitted' AND l.status = 'submitted'
      AND NOT EXISTS (SELECT 1 FROM payment_allocations a WHERE a.declaration_line_id = l.id)
      AND NOT EXISTS (SELECT 1 FROM line_write_offs wo WHERE wo.declaration_line_id = l.id)
      AND NOT EXISTS (SELECT 1 FROM collection_lines cl JOIN collections c ON c.id = cl.collection_id
                      WHERE cl.declaration_line_id = l.id AND cl.live = 1 AND c.status = 'settled');
END;

CREATE TRIGGER owed_collection_updated AFTER UPDATE OF id, status ON collections
WHEN (OLD.status = 'settled') <> (NEW.status = 'settled') OR (OLD.id <> NEW.id AND NEW.status = 'settled') BEGIN
    DELETE FROM owed_lines WHERE declaration_line_id IN (SELECT declaration_line_id FROM collection_lines WHERE collection_id IN (OLD.id, NEW.id));
    INSERT INTO owed_lines
    SELECT l.id, d.employer_id, d.due_from, l.paid_leave_centimes, l.bad_weather_employer_centimes,
           l.bad_weather_employee_centimes
    FROM declaration_lines l JOIN declarations d ON d.id = l.declaration_id
    WHERE l.id IN (SELECT declaration_line_id FROM collection_lines WHERE collection_id IN (OLD.id, NEW.id)) AND d.status = 'submitted' AND l.status = 'submitted'
      AND NOT EXISTS (SELECT 1 FROM payment_allocations a WHERE a.declaration_line_id = l.id)
      AND NOT EXISTS (SELECT 1 FROM line_write_offs wo WHERE wo.declaration_line_id = l.id)
      AND NOT EXISTS (SELECT 1 FROM collection_lines cl JOIN collections c ON c.id = cl.collection_id
                      WHERE cl.declaration_line_id = l.id AND cl.live = 1 AND c.status = 'settled');
END;

-- A write-off request holds the planned debits carrying its lines (`held_at`) until it is
-- approved or refused: this lists them (comma-separated ids; NULL: none), so the decision
-- releases those it held.
ALTER TABLE write_off_requests ADD COLUMN held_debits TEXT;
