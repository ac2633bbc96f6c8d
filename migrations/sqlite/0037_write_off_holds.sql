-- A write-off request holds the planned debits carrying its lines (`held_at`) until it is
-- approved or refused: this lists them (comma-separated ids; NULL: none), so the decision
-- releases those it held.
ALTER TABLE write_off_requests ADD COLUMN held_debits TEXT;
