-- Staff actions on a debit (issue 14): hold, release, cancel, re-present, each audited with
-- its reason.
--
-- A debit has at most one next attempt, whoever plans it — the automatic retry after a
-- failure or a clerk's re-presentation: the index on `retry_of` (partial since 0010, the
-- column empty for most collections) becomes unique, so the second attempt of the same
-- debit fails its insert instead of debiting the employer twice.
DROP INDEX collections_retry_of;
CREATE UNIQUE INDEX collections_one_next_attempt ON collections (retry_of) WHERE retry_of IS NOT NULL;

-- A held debit stays planned, out of every file, until released: when it was held (empty
-- when it is not). Who held it and why are in the audit trail.
ALTER TABLE collections ADD COLUMN held_at TEXT;

-- An exception resolved by an action on its debit says which (who and when are
-- `resolved_by` and `resolved_at`, the reason is `resolution`); resolved by a note, empty.
ALTER TABLE exceptions ADD COLUMN resolved_by_action TEXT
    CHECK (resolved_by_action IN ('hold', 'cancel', 'represent'));
