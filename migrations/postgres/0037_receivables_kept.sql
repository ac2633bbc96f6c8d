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
    declaration_line_id           BIGINT PRIMARY KEY,
    employer_id                   BIGINT NOT NULL,
    due_from                      TEXT NOT NULL,
    paid_leave_centimes           BIGINT NOT NULL,
    bad_weather_employer_centimes BIGINT NOT NULL,
    bad_weather_employee_centimes BIGINT NOT NULL
);

CREATE TABLE owed_by_due (
    due_from                      TEXT PRIMARY KEY,
    lines                         BIGINT NOT NULL,
    paid_leave_centimes           BIGINT NOT NULL,
    bad_weather_employer_centimes BIGINT NOT NULL,
    bad_weather_employee_centimes BIGINT NOT NULL
);

CREATE TABLE owed_by_employer (
    employer_id BIGINT PRIMARY KEY,
    lines       BIGINT NOT NULL
);

-- The lines `ids` taken out of `owed_lines`, then those of them owed put back.
CREATE FUNCTION owed_refresh(ids BIGINT[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM owed_lines WHERE declaration_line_id = ANY (ids);
    INSERT INTO owed_lines
    SELECT l.id, d.employer_id, d.due_from, l.paid_leave_centimes, l.bad_weather_employer_centimes,
           l.bad_weather_employee_centimes
    FROM declaration_lines l JOIN declarations d ON d.id = l.declaration_id
    WHERE l.id = ANY (ids) AND d.status = 'submitted' AND l.status = 'submitted'
      AND NOT EXISTS (SELECT 1 FROM payment_allocations a WHERE a.declaration_line_id = l.id)
      AND NOT EXISTS (SELECT 1 FROM line_write_offs wo WHERE wo.declaration_line_id = l.id)
      AND NOT EXISTS (SELECT 1 FROM collection_lines cl JOIN collections c ON c.id = cl.collection_id
                      WHERE cl.declaration_line_id = l.id AND cl.live = 1 AND c.status = 'settled');
END $$;

SELECT owed_refresh(ARRAY(SELECT id FROM declaration_lines));

INSERT INTO owed_by_due
SELECT due_from, COUNT(*), SUM(paid_leave_centimes), SUM(bad_weather_employer_centimes),
       SUM(bad_weather_employee_centimes)
FROM owed_lines GROUP BY due_from;

INSERT INTO owed_by_employer SELECT employer_id, COUNT(*) FROM owed_lines GROUP BY employer_id;

CREATE FUNCTION owed_lines_moved() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO owed_by_due VALUES (NEW.due_from, 1, NEW.paid_leave_centimes,
            NEW.bad_weather_employer_centimes, NEW.bad_weather_employee_centimes)
        ON CONFLICT (due_from) DO UPDATE SET lines = owed_by_due.lines + 1,
            paid_leave_centimes = owed_by_due.paid_leave_centimes + excluded.paid_leave_centimes,
            bad_weather_employer_centimes = owed_by_due.bad_weather_employer_centimes + excluded.bad_weather_employer_centimes,
            bad_weather_employee_centimes = owed_by_due.bad_weather_employee_centimes + excluded.bad_weather_employee_centimes;
        INSERT INTO owed_by_employer VALUES (NEW.employer_id, 1)
        ON CONFLICT (employer_id) DO UPDATE SET lines = owed_by_employer.lines + 1;
        RETURN NEW;
    END IF;
    UPDATE owed_by_due SET lines = lines - 1,
        paid_leave_centimes = paid_leave_centimes - OLD.paid_leave_centimes,
        bad_weather_employer_centimes = bad_weather_employer_centimes - OLD.bad_weather_employer_centimes,
        bad_weather_employee_centimes = bad_weather_employee_centimes - OLD.bad_weather_employee_centimes
    WHERE due_from = OLD.due_from;
    DELETE FROM owed_by_due WHERE due_from = OLD.due_from AND lines = 0;
    UPDATE owed_by_employer SET lines = lines - 1 WHERE employer_id = OLD.employer_id;
    DELETE FROM owed_by_employer WHERE employer_id = OLD.employer_id AND lines = 0;
    RETURN OLD;
END $$;
CREATE TRIGGER owed_lines_moved AFTER INSERT OR DELETE ON owed_lines
    FOR EACH ROW EXECUTE FUNCTION owed_lines_moved();

-- A declaration line, an allocation or a write-off changed: its line (old and new).
CREATE FUNCTION owed_line_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'declaration_lines' THEN
        IF TG_OP = 'INSERT' THEN
            PERFORM owed_refresh(ARRAY[NEW.id]);
        ELSIF TG_OP = 'UPDATE' THEN
            PERFORM owed_refresh(ARRAY[OLD.id, NEW.id]);
        ELSE
            DELETE FROM owed_lines WHERE declaration_line_id = OLD.id;
        END IF;
    ELSIF TG_OP = 'INSERT' THEN
        PERFORM owed_refresh(ARRAY[NEW.declaration_line_id]);
    ELSIF TG_OP = 'UPDATE' THEN
        PERFORM owed_refresh(ARRAY[OLD.declaration_line_id, NEW.declaration_line_id]);
    ELSE
        PERFORM owed_refresh(ARRAY[OLD.declaration_line_id]);
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER owed_line_changed AFTER INSERT OR DELETE OR UPDATE OF id, declaration_id, status,
    paid_leave_centimes, bad_weather_employer_centimes, bad_weather_employee_centimes
    ON declaration_lines FOR EACH ROW EXECUTE FUNCTION owed_line_changed();
CREATE TRIGGER owed_line_changed AFTER INSERT OR DELETE OR UPDATE
    ON payment_allocations FOR EACH ROW EXECUTE FUNCTION owed_line_changed();
CREATE TRIGGER owed_line_changed AFTER INSERT OR DELETE OR UPDATE OF declaration_line_id
    ON line_write_offs FOR EACH ROW EXECUTE FUNCTION owed_line_changed();

-- A line of a settled debit added, changed or removed.
CREATE FUNCTION owed_collection_line_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF EXISTS (SELECT 1 FROM collections c WHERE c.id = NEW.collection_id AND c.status = 'settled') THEN
            PERFORM owed_refresh(ARRAY[NEW.declaration_line_id]);
        END IF;
    ELSIF TG_OP = 'UPDATE' THEN
        IF EXISTS (SELECT 1 FROM collections c WHERE c.id IN (OLD.collection_id, NEW.collection_id)
                   AND c.status = 'settled') THEN
            PERFORM owed_refresh(ARRAY[OLD.declaration_line_id, NEW.declaration_line_id]);
        END IF;
    ELSIF EXISTS (SELECT 1 FROM collections c WHERE c.id = OLD.collection_id AND c.status = 'settled') THEN
        PERFORM owed_refresh(ARRAY[OLD.declaration_line_id]);
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER owed_collection_line_changed AFTER INSERT OR DELETE OR UPDATE
    ON collection_lines FOR EACH ROW EXECUTE FUNCTION owed_collection_line_changed();

-- A debit settled, or no longer settled: its lines.
CREATE FUNCTION owed_collection_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (OLD.status = 'settled') <> (NEW.status = 'settled')
       OR (OLD.id <> NEW.id AND NEW.status = 'settled') THEN
        PERFORM owed_refresh(ARRAY(SELECT declaration_line_id FROM collection_lines
                                   WHERE collection_id IN (OLD.id, NEW.id)));
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER owed_collection_changed AFTER UPDATE OF id, status ON collections
    FOR EACH ROW EXECUTE FUNCTION owed_collection_changed();

-- A declaration submitted, cancelled, or its due date or employer changed: its lines.
CREATE FUNCTION owed_declaration_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM owed_refresh(ARRAY(SELECT id FROM declaration_lines WHERE declaration_id IN (OLD.id, NEW.id)));
    RETURN NULL;
END $$;
CREATE TRIGGER owed_declaration_changed AFTER UPDATE OF id, employer_id, status, due_from
    ON declarations FOR EACH ROW EXECUTE FUNCTION owed_declaration_changed();

-- A write-off request holds the planned debits carrying its lines (`held_at`) until it is
-- approved or refused: this lists them (comma-separated ids; NULL: none), so the decision
-- releases those it held.
ALTER TABLE write_off_requests ADD COLUMN held_debits TEXT;
