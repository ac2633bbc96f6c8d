-- The references of `collection_lines` checked once per statement instead of once per row
-- (issue 19). A run inserts one line per collectible declaration line (500,000 for 100,000
-- employers × 5 worksites); its two foreign keys checked each line with a query of its own
-- that locked the collection and the declaration line it names FOR KEY SHARE — a lock
-- written into each referenced row (WAL, and a full-page image per page after a
-- checkpoint): two thirds of the insert's time and half its WAL (BENCHMARKS.md). The same
-- guarantee, with one lock for the statement instead of a lock per referenced row:
--
-- - lines inserted (or their keys changed) must name an existing collection and an
--   existing declaration line: checked after the statement, with one anti-join each;
-- - a collection or declaration line that still has lines cannot be deleted, nor its id
--   changed, nor its table truncated while `collection_lines` has any row: checked after
--   the statement, against the rows it deleted;
-- - races: writing lines takes the transaction-scoped advisory lock "collection-line
--   references" SHARED (writers of lines never wait for each other); deleting or
--   renumbering collections or declaration lines takes it EXCLUSIVE, so it waits for the
--   transactions writing lines to end and they wait for it. Each check then runs on a
--   snapshot taken after the lock (READ COMMITTED: a new snapshot per statement), so it
--   sees what the other side committed. Under REPEATABLE READ or SERIALIZABLE the
--   snapshot could be older than the lock: these statements are refused there (the store
--   runs READ COMMITTED).
--
-- A correction that deletes declaration lines therefore waits for a run's planning
-- transaction to commit (before, only when the run held the same lines). The errors carry
-- SQLSTATE 23503 (foreign_key_violation), like the constraints they replace. SQLite keeps
-- its foreign keys. tests/it/planning/references.rs proves each refusal on both databases
-- and both orders of the race on PostgreSQL.
ALTER TABLE collection_lines DROP CONSTRAINT collection_lines_collection_id_fkey;
ALTER TABLE collection_lines DROP CONSTRAINT collection_lines_declaration_line_id_fkey;

-- The lock. Its key is arbitrary but fixed ("tahsil planning" is 7268657).
CREATE FUNCTION collection_line_references_lock(exclusive BOOLEAN) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('transaction_isolation') <> 'read committed' THEN
        RAISE EXCEPTION 'collection lines and the rows they name are written under READ COMMITTED only (this transaction is %)',
            current_setting('transaction_isolation')
            USING ERRCODE = 'feature_not_supported',
                  HINT = 'run the statement in a READ COMMITTED transaction: its reference checks need a snapshot taken after their lock';
    END IF;
    IF exclusive THEN
        PERFORM pg_advisory_xact_lock(7268658);
    ELSE
        PERFORM pg_advisory_xact_lock_shared(7268658);
    END IF;
END $$;

CREATE FUNCTION collection_lines_lock_shared() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM collection_line_references_lock(false);
    RETURN NULL;
END $$;

CREATE FUNCTION collection_lines_lock_exclusive() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM collection_line_references_lock(true);
    RETURN NULL;
END $$;

-- Lines written: every collection and declaration line they name exists.
CREATE FUNCTION collection_lines_check_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    orphan BIGINT;
BEGIN
    SELECT n.collection_id INTO orphan FROM new_lines n
    WHERE NOT EXISTS (SELECT 1 FROM collections c WHERE c.id = n.collection_id) LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'a collection line names collection % which does not exist', orphan
            USING ERRCODE = 'foreign_key_violation',
                  HINT = 'insert the collection first (planning writes both in one transaction)';
    END IF;
    SELECT n.declaration_line_id INTO orphan FROM new_lines n
    WHERE NOT EXISTS (SELECT 1 FROM declaration_lines l WHERE l.id = n.declaration_line_id) LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'a collection line names declaration line % which does not exist', orphan
            USING ERRCODE = 'foreign_key_violation',
                  HINT = 'the line was deleted (a declaration corrected meanwhile?): plan the date again';
    END IF;
    RETURN NULL;
END $$;

CREATE FUNCTION collection_lines_check_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM collections c WHERE c.id = NEW.collection_id) THEN
        RAISE EXCEPTION 'a collection line names collection % which does not exist', NEW.collection_id
            USING ERRCODE = 'foreign_key_violation',
                  HINT = 'a line belongs to an existing collection';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM declaration_lines l WHERE l.id = NEW.declaration_line_id) THEN
        RAISE EXCEPTION 'a collection line names declaration line % which does not exist', NEW.declaration_line_id
            USING ERRCODE = 'foreign_key_violation',
                  HINT = 'a line belongs to an existing declaration line';
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER collection_lines_references_lock
    BEFORE INSERT OR UPDATE OF collection_id, declaration_line_id ON collection_lines
    FOR EACH STATEMENT EXECUTE FUNCTION collection_lines_lock_shared();
CREATE TRIGGER collection_lines_references_inserted
    AFTER INSERT ON collection_lines REFERENCING NEW TABLE AS new_lines
    FOR EACH STATEMENT EXECUTE FUNCTION collection_lines_check_inserted();
CREATE TRIGGER collection_lines_references_updated
    AFTER UPDATE OF collection_id, declaration_line_id ON collection_lines FOR EACH ROW
    WHEN (OLD.collection_id IS DISTINCT FROM NEW.collection_id
          OR OLD.declaration_line_id IS DISTINCT FROM NEW.declaration_line_id)
    EXECUTE FUNCTION collection_lines_check_updated();

-- Collections deleted or renumbered: none may still have lines.
CREATE FUNCTION collections_keep_their_lines() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    kept BIGINT;
BEGIN
    IF TG_OP = 'DELETE' THEN
        SELECT cl.collection_id INTO kept FROM collection_lines cl
        WHERE cl.collection_id IN (SELECT id FROM old_collections) LIMIT 1;
    ELSE
        SELECT cl.collection_id INTO kept FROM collection_lines cl WHERE cl.collection_id = OLD.id LIMIT 1;
    END IF;
    IF FOUND THEN
        RAISE EXCEPTION 'collection % still has collection lines', kept
            USING ERRCODE = 'foreign_key_violation',
                  HINT = 'a collection is cancelled (its status), not deleted';
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER collections_references_lock
    BEFORE DELETE OR UPDATE OF id ON collections
    FOR EACH STATEMENT EXECUTE FUNCTION collection_lines_lock_exclusive();
CREATE TRIGGER collections_lines_kept_on_delete
    AFTER DELETE ON collections REFERENCING OLD TABLE AS old_collections
    FOR EACH STATEMENT EXECUTE FUNCTION collections_keep_their_lines();
CREATE TRIGGER collections_lines_kept_on_update
    AFTER UPDATE OF id ON collections FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id)
    EXECUTE FUNCTION collections_keep_their_lines();

-- Declaration lines deleted (a correction) or renumbered: none may still be in a collection.
CREATE FUNCTION declaration_lines_keep_their_collection_lines() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    kept BIGINT;
BEGIN
    IF TG_OP = 'DELETE' THEN
        SELECT cl.declaration_line_id INTO kept FROM collection_lines cl
        WHERE cl.declaration_line_id IN (SELECT id FROM old_lines) LIMIT 1;
    ELSE
        SELECT cl.declaration_line_id INTO kept FROM collection_lines cl
        WHERE cl.declaration_line_id = OLD.id LIMIT 1;
    END IF;
    IF FOUND THEN
        RAISE EXCEPTION 'declaration line % is still in a collection', kept
            USING ERRCODE = 'foreign_key_violation',
                  HINT = 'detach it from its collections first (a correction does)';
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER declaration_lines_references_lock
    BEFORE DELETE OR UPDATE OF id ON declaration_lines
    FOR EACH STATEMENT EXECUTE FUNCTION collection_lines_lock_exclusive();
CREATE TRIGGER declaration_lines_collection_lines_kept_on_delete
    AFTER DELETE ON declaration_lines REFERENCING OLD TABLE AS old_lines
    FOR EACH STATEMENT EXECUTE FUNCTION declaration_lines_keep_their_collection_lines();
CREATE TRIGGER declaration_lines_collection_lines_kept_on_update
    AFTER UPDATE OF id ON declaration_lines FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id)
    EXECUTE FUNCTION declaration_lines_keep_their_collection_lines();

-- A truncate skips the delete triggers: refused while any line exists.
CREATE FUNCTION collection_lines_parents_not_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM collection_line_references_lock(true);
    IF EXISTS (SELECT 1 FROM collection_lines) THEN
        RAISE EXCEPTION 'cannot truncate %: collection lines still refer to it', TG_TABLE_NAME
            USING ERRCODE = 'foreign_key_violation',
                  HINT = 'truncate collection_lines first';
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER collections_not_truncated_under_lines
    BEFORE TRUNCATE ON collections FOR EACH STATEMENT
    EXECUTE FUNCTION collection_lines_parents_not_truncated();
CREATE TRIGGER declaration_lines_not_truncated_under_lines
    BEFORE TRUNCATE ON declaration_lines FOR EACH STATEMENT
    EXECUTE FUNCTION collection_lines_parents_not_truncated();
