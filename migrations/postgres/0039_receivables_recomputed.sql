-- The fund-wide receivables are recomputed from the owed lines again, not kept by triggers:
-- 0037_receivables_kept's per-row triggers update one row per due date for every line a
-- statement touches, which is quadratic inside one PostgreSQL transaction (a run inserts
-- 500,000 collection lines; BENCHMARKS, "Tried and not adopted"). 0037 shipped, so it stays
-- as it was; this takes its triggers, functions and tables out. Its `write_off_requests.
-- held_debits` column stays (a waiting write-off request's held debits).
DROP FUNCTION owed_line_changed() CASCADE;
DROP FUNCTION owed_collection_line_changed() CASCADE;
DROP FUNCTION owed_collection_changed() CASCADE;
DROP FUNCTION owed_declaration_changed() CASCADE;
DROP TABLE owed_lines, owed_by_due, owed_by_employer;
DROP FUNCTION owed_lines_moved();
DROP FUNCTION owed_refresh(BIGINT[]);
