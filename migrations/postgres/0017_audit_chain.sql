-- The audit trail becomes a hash chain (issue 17, finding 16). Every entry written from now
-- on carries its place in the chain (`seq`, 1, 2, 3, … with no gap), the hash of the entry
-- before it (`prev_hash`) and its own `hash`: SHA-256 over a canonical encoding of
-- (prev_hash, seq, at, actor, action, entity, entity_id, detail), computed by the store in
-- the transaction that writes the entry (src/store/audit.rs).
--
-- Entries written before this migration keep NULL in the three columns. They are anchored,
-- not re-written (the trail is append-only): `audit_head.legacy_through` is the last of
-- them, and the store's first step after migrating hashes them in `id` order into the
-- chain's starting hash (`audit_head.hash`, '' until then), which the first chained entry
-- carries as its `prev_hash`. `tahsil audit verify` recomputes that too, so an edit of an
-- old entry is still detected (as "the entries before the chain differ", without naming one).
ALTER TABLE audit_log ADD COLUMN seq BIGINT;
ALTER TABLE audit_log ADD COLUMN prev_hash TEXT;
ALTER TABLE audit_log ADD COLUMN hash TEXT;
CREATE UNIQUE INDEX audit_log_seq ON audit_log (seq);

-- UPDATE and DELETE were refused row by row (0001); TRUNCATE skipped those triggers and
-- emptied the trail (finding 16). It is refused as a statement.
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change();

-- The head of the chain, one row: the last entry's place and hash. Appending locks it
-- (its no-op `UPDATE … RETURNING`) in the appending transaction, so two transactions never
-- extend the same entry: appends queue behind each other until commit. `tahsil audit head`
-- prints it; `serve` logs it each day; evidence packs carry it.
CREATE TABLE audit_head (
    id             BIGINT PRIMARY KEY CHECK (id = 1),
    seq            BIGINT NOT NULL,
    hash           TEXT NOT NULL,
    legacy_through BIGINT NOT NULL
);
INSERT INTO audit_head (id, seq, hash, legacy_through)
SELECT 1, 0, '', COALESCE(MAX(id), 0) FROM audit_log;

CREATE FUNCTION audit_head_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'UPDATE' THEN
        RAISE EXCEPTION 'audit_head is never deleted';
    END IF;
    IF NEW.seq < OLD.seq OR NEW.legacy_through <> OLD.legacy_through
        OR (OLD.hash <> '' AND NEW.seq = OLD.seq AND NEW.hash <> OLD.hash) THEN
        RAISE EXCEPTION 'audit_head only moves forward';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER audit_head_forward_only BEFORE UPDATE OR DELETE ON audit_head
    FOR EACH ROW EXECUTE FUNCTION audit_head_guard();
CREATE TRIGGER audit_head_no_truncate BEFORE TRUNCATE ON audit_head
    FOR EACH STATEMENT EXECUTE FUNCTION audit_head_guard();
