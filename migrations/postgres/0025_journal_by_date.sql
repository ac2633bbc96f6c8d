-- The accounting journal (`tahsil journal`, issue 15 point 8) reads the ledger's entries of
-- a range of days across every employer: indexed by date, then as written.
CREATE INDEX ledger_entries_by_date ON ledger_entries (entry_date, id);
