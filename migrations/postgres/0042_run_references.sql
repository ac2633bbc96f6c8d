-- The references a due-date run writes row by row, checked once per statement instead of
-- once per row (issue 19), as migration 0038 did for `collection_lines`. On a 100,000-employer
-- run (bench/pg-plan-steps.sql, bench/pg-run-steps.sql; BENCHMARKS.md) the foreign keys were
-- about half the time of two statements: planning's insert of the collections (five checks a
-- row: 5.5 s of 10.0 s) and the ledger's `debit_presented` entries (six a row: 6.8 s of
-- 13.0 s). A check with a value is a query that also locks the row it names FOR KEY SHARE (a
-- WAL record, and a full-page image after a checkpoint); an empty one still fires its
-- trigger. The same guarantee, per statement, as 0038 gives it:
--
-- - `collections` and `ledger_entries` inserted (the ledger is append-only): every reference
--   they hold names an existing row — checked after the statement, in one pass over its
--   transition table; a collection's employer, mandate or retried debit changed by an
--   UPDATE (a replacement mandate's hand-over): checked row by row, only where it changed;
-- - a row still named cannot be deleted, nor its id changed (after the statement, against
--   the rows it deleted), nor its table truncated while the naming table has rows;
-- - races: the writers take 0038's advisory lock SHARED, deleting or renumbering a named
--   row takes it EXCLUSIVE (0038's functions, READ COMMITTED only), so each check runs on
--   a snapshot that sees what the other side committed. No code path of tahsil deletes or
--   renumbers these rows; the checks keep a hand-written statement honest.
--
-- A collection's file and report (`bank_file_id`, `report_id`) stay foreign keys: UPDATEs
-- set them (the run, the import), and a statement-level check of an UPDATE reads every
-- updated row of every update of `collections` (a transition table takes no column list).
-- The errors carry SQLSTATE 23503 (foreign_key_violation), like the constraints they
-- replace. The other tables' foreign keys to these rows stay. SQLite keeps its foreign
-- keys. tests/it/planning/references.rs proves each refusal on both databases.
ALTER TABLE collections DROP CONSTRAINT collections_employer_id_fkey;
ALTER TABLE collections DROP CONSTRAINT collections_mandate_id_fkey;
ALTER TABLE collections DROP CONSTRAINT collections_retry_of_fkey;
ALTER TABLE ledger_entries DROP CONSTRAINT ledger_entries_employer_id_fkey;
ALTER TABLE ledger_entries DROP CONSTRAINT ledger_entries_collection_id_fkey;
ALTER TABLE ledger_entries DROP CONSTRAINT ledger_entries_payment_id_fkey;
ALTER TABLE ledger_entries DROP CONSTRAINT ledger_entries_report_id_fkey;
ALTER TABLE ledger_entries DROP CONSTRAINT ledger_entries_surcharge_id_fkey;
ALTER TABLE ledger_entries DROP CONSTRAINT ledger_entries_assessment_id_fkey;

-- Rows inserted (`new_rows`): each reference names an existing row. Arguments: pairs of
-- (column, referenced table, whose key is `id`); an empty reference names nothing. One
-- pass over the statement's rows (a transition table past `work_mem` is read from disk),
-- probing the referenced key for each reference that is set.
CREATE FUNCTION row_references_exist() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    i INTEGER := 0;
    cases TEXT := '';
    orphan TEXT;
BEGIN
    WHILE i < TG_NARGS LOOP
        cases := cases || format(' WHEN n.%1$I IS NOT NULL AND NOT EXISTS (SELECT 1 FROM %2$I p WHERE p.id = n.%1$I)'
                                 ' THEN %3$L || CAST(n.%1$I AS TEXT)',
                                 TG_ARGV[i], TG_ARGV[i + 1], TG_ARGV[i] || ' names ' || TG_ARGV[i + 1] || ' ');
        i := i + 2;
    END LOOP;
    EXECUTE 'SELECT o FROM (SELECT CASE' || cases || ' END AS o FROM new_rows n) x WHERE o IS NOT NULL LIMIT 1'
        INTO orphan;
    IF orphan IS NOT NULL THEN
        RAISE EXCEPTION '%.%, which does not exist', TG_TABLE_NAME, orphan
            USING ERRCODE = 'foreign_key_violation',
                  HINT = 'write the row it names first, in the same transaction or before';
    END IF;
    RETURN NULL;
END $$;

-- A collection whose employer, mandate (a replacement mandate's hand-over) or retried
-- debit changed: the new one exists. Row by row, for the rows whose reference changed only
-- (an update that sets none of them fires nothing).
CREATE FUNCTION collections_references_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.employer_id IS DISTINCT FROM OLD.employer_id
       AND NOT EXISTS (SELECT 1 FROM employers p WHERE p.id = NEW.employer_id) THEN
        RAISE EXCEPTION 'collections.employer_id names employers %, which does not exist', NEW.employer_id
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    IF NEW.mandate_id IS DISTINCT FROM OLD.mandate_id
       AND NOT EXISTS (SELECT 1 FROM mandates p WHERE p.id = NEW.mandate_id) THEN
        RAISE EXCEPTION 'collections.mandate_id names mandates %, which does not exist', NEW.mandate_id
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    IF NEW.retry_of IS NOT NULL AND NEW.retry_of IS DISTINCT FROM OLD.retry_of
       AND NOT EXISTS (SELECT 1 FROM collections p WHERE p.id = NEW.retry_of) THEN
        RAISE EXCEPTION 'collections.retry_of names collections %, which does not exist', NEW.retry_of
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NULL;
END $$;

-- Rows deleted (`old_rows`) or renumbered (OLD): none may still be named. Arguments: pairs
-- of (naming table, column).
CREATE FUNCTION row_references_kept() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    i INTEGER := 0;
    kept BIGINT;
BEGIN
    WHILE i < TG_NARGS LOOP
        IF TG_OP = 'DELETE' THEN
            EXECUTE format('SELECT c.%2$I FROM %1$I c WHERE c.%2$I IN (SELECT id FROM old_rows) LIMIT 1',
                           TG_ARGV[i], TG_ARGV[i + 1])
                INTO kept;
        ELSE
            EXECUTE format('SELECT c.%2$I FROM %1$I c WHERE c.%2$I = $1 LIMIT 1', TG_ARGV[i], TG_ARGV[i + 1])
                INTO kept USING OLD.id;
        END IF;
        IF kept IS NOT NULL THEN
            RAISE EXCEPTION '% % is still named by %.%', TG_TABLE_NAME, kept, TG_ARGV[i], TG_ARGV[i + 1]
                USING ERRCODE = 'foreign_key_violation',
                      HINT = 'these rows are kept (a debit is cancelled, a ledger entry reversed), not deleted';
        END IF;
        i := i + 2;
    END LOOP;
    RETURN NULL;
END $$;

-- A truncate skips the delete triggers: refused while a naming table (the arguments) has rows.
CREATE FUNCTION row_references_not_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    i INTEGER := 0;
    named BOOLEAN;
BEGIN
    PERFORM collection_line_references_lock(true);
    WHILE i < TG_NARGS LOOP
        EXECUTE format('SELECT EXISTS (SELECT 1 FROM %I)', TG_ARGV[i]) INTO named;
        IF named THEN
            RAISE EXCEPTION 'cannot truncate %: % still refers to it', TG_TABLE_NAME, TG_ARGV[i]
                USING ERRCODE = 'foreign_key_violation',
                      HINT = 'truncate the referring table first';
        END IF;
        i := i + 1;
    END LOOP;
    RETURN NULL;
END $$;

-- The writers.
CREATE TRIGGER collections_references_written
    BEFORE INSERT OR UPDATE OF employer_id, mandate_id, retry_of ON collections
    FOR EACH STATEMENT EXECUTE FUNCTION collection_lines_lock_shared();
CREATE TRIGGER collections_references_inserted
    AFTER INSERT ON collections REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION row_references_exist(
        'employer_id', 'employers', 'mandate_id', 'mandates', 'retry_of', 'collections');
CREATE TRIGGER collections_references_updated
    AFTER UPDATE OF employer_id, mandate_id, retry_of ON collections FOR EACH ROW
    WHEN (OLD.employer_id IS DISTINCT FROM NEW.employer_id OR OLD.mandate_id IS DISTINCT FROM NEW.mandate_id
          OR OLD.retry_of IS DISTINCT FROM NEW.retry_of)
    EXECUTE FUNCTION collections_references_updated();
CREATE TRIGGER ledger_entries_references_written
    BEFORE INSERT ON ledger_entries
    FOR EACH STATEMENT EXECUTE FUNCTION collection_lines_lock_shared();
CREATE TRIGGER ledger_entries_references_inserted
    AFTER INSERT ON ledger_entries REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION row_references_exist(
        'employer_id', 'employers', 'collection_id', 'collections', 'payment_id', 'payments',
        'report_id', 'reports', 'surcharge_id', 'surcharges',
        'assessment_id', 'provisional_assessments');

-- The rows they name. (`collections` already takes the lock for a delete or a new id: 0038.)
CREATE TRIGGER employers_references_lock BEFORE DELETE OR UPDATE OF id ON employers
    FOR EACH STATEMENT EXECUTE FUNCTION collection_lines_lock_exclusive();
CREATE TRIGGER employers_references_kept_on_delete AFTER DELETE ON employers
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT
    EXECUTE FUNCTION row_references_kept('collections', 'employer_id', 'ledger_entries', 'employer_id');
CREATE TRIGGER employers_references_kept_on_update AFTER UPDATE OF id ON employers
    FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id)
    EXECUTE FUNCTION row_references_kept('collections', 'employer_id', 'ledger_entries', 'employer_id');
CREATE TRIGGER employers_references_not_truncated BEFORE TRUNCATE ON employers
    FOR EACH STATEMENT EXECUTE FUNCTION row_references_not_truncated('collections', 'ledger_entries');

CREATE TRIGGER mandates_references_lock BEFORE DELETE OR UPDATE OF id ON mandates
    FOR EACH STATEMENT EXECUTE FUNCTION collection_lines_lock_exclusive();
CREATE TRIGGER mandates_references_kept_on_delete AFTER DELETE ON mandates
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT
    EXECUTE FUNCTION row_references_kept('collections', 'mandate_id');
CREATE TRIGGER mandates_references_kept_on_update AFTER UPDATE OF id ON mandates
    FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id)
    EXECUTE FUNCTION row_references_kept('collections', 'mandate_id');
CREATE TRIGGER mandates_references_not_truncated BEFORE TRUNCATE ON mandates
    FOR EACH STATEMENT EXECUTE FUNCTION row_references_not_truncated('collections');

CREATE TRIGGER reports_references_lock BEFORE DELETE OR UPDATE OF id ON reports
    FOR EACH STATEMENT EXECUTE FUNCTION collection_lines_lock_exclusive();
CREATE TRIGGER reports_references_kept_on_delete AFTER DELETE ON reports
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT
    EXECUTE FUNCTION row_references_kept('ledger_entries', 'report_id');
CREATE TRIGGER reports_references_kept_on_update AFTER UPDATE OF id ON reports
    FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id)
    EXECUTE FUNCTION row_references_kept('ledger_entries', 'report_id');
CREATE TRIGGER reports_references_not_truncated BEFORE TRUNCATE ON reports
    FOR EACH STATEMENT EXECUTE FUNCTION row_references_not_truncated('ledger_entries');

CREATE TRIGGER payments_references_lock BEFORE DELETE OR UPDATE OF id ON payments
    FOR EACH STATEMENT EXECUTE FUNCTION collection_lines_lock_exclusive();
CREATE TRIGGER payments_references_kept_on_delete AFTER DELETE ON payments
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT
    EXECUTE FUNCTION row_references_kept('ledger_entries', 'payment_id');
CREATE TRIGGER payments_references_kept_on_update AFTER UPDATE OF id ON payments
    FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id)
    EXECUTE FUNCTION row_references_kept('ledger_entries', 'payment_id');
CREATE TRIGGER payments_references_not_truncated BEFORE TRUNCATE ON payments
    FOR EACH STATEMENT EXECUTE FUNCTION row_references_not_truncated('ledger_entries');

CREATE TRIGGER surcharges_references_lock BEFORE DELETE OR UPDATE OF id ON surcharges
    FOR EACH STATEMENT EXECUTE FUNCTION collection_lines_lock_exclusive();
CREATE TRIGGER surcharges_references_kept_on_delete AFTER DELETE ON surcharges
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT
    EXECUTE FUNCTION row_references_kept('ledger_entries', 'surcharge_id');
CREATE TRIGGER surcharges_references_kept_on_update AFTER UPDATE OF id ON surcharges
    FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id)
    EXECUTE FUNCTION row_references_kept('ledger_entries', 'surcharge_id');
CREATE TRIGGER surcharges_references_not_truncated BEFORE TRUNCATE ON surcharges
    FOR EACH STATEMENT EXECUTE FUNCTION row_references_not_truncated('ledger_entries');

CREATE TRIGGER provisional_assessments_references_lock BEFORE DELETE OR UPDATE OF id ON provisional_assessments
    FOR EACH STATEMENT EXECUTE FUNCTION collection_lines_lock_exclusive();
CREATE TRIGGER provisional_assessments_references_kept_on_delete AFTER DELETE ON provisional_assessments
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT
    EXECUTE FUNCTION row_references_kept('ledger_entries', 'assessment_id');
CREATE TRIGGER provisional_assessments_references_kept_on_update AFTER UPDATE OF id ON provisional_assessments
    FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id)
    EXECUTE FUNCTION row_references_kept('ledger_entries', 'assessment_id');
CREATE TRIGGER provisional_assessments_references_not_truncated BEFORE TRUNCATE ON provisional_assessments
    FOR EACH STATEMENT EXECUTE FUNCTION row_references_not_truncated('ledger_entries');

-- Collections themselves: named by a retry (`retry_of`) and by ledger entries.
CREATE TRIGGER collections_references_kept_on_delete AFTER DELETE ON collections
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT
    EXECUTE FUNCTION row_references_kept('collections', 'retry_of', 'ledger_entries', 'collection_id');
CREATE TRIGGER collections_references_kept_on_update AFTER UPDATE OF id ON collections
    FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id)
    EXECUTE FUNCTION row_references_kept('collections', 'retry_of', 'ledger_entries', 'collection_id');
CREATE TRIGGER collections_references_not_truncated BEFORE TRUNCATE ON collections
    FOR EACH STATEMENT EXECUTE FUNCTION row_references_not_truncated('ledger_entries');
