-- The fund-wide receivables are recomputed from the owed lines again, not kept by triggers
-- (see migrations/postgres/0039: quadratic there). 0037_receivables_kept shipped, so it
-- stays as it was; this takes its triggers and tables out. Its `write_off_requests.
-- held_debits` column stays (a waiting write-off request's held debits).
DROP TRIGGER owed_lines_added;
DROP TRIGGER owed_lines_removed;
DROP TRIGGER owed_line_inserted;
DROP TRIGGER owed_line_updated;
DROP TRIGGER owed_line_deleted;
DROP TRIGGER owed_declaration_updated;
DROP TRIGGER owed_allocation_inserted;
DROP TRIGGER owed_allocation_updated;
DROP TRIGGER owed_allocation_deleted;
DROP TRIGGER owed_write_off_inserted;
DROP TRIGGER owed_write_off_updated;
DROP TRIGGER owed_write_off_deleted;
DROP TRIGGER owed_collection_line_inserted;
DROP TRIGGER owed_collection_line_updated;
DROP TRIGGER owed_collection_line_deleted;
DROP TRIGGER owed_collection_updated;
DROP TABLE owed_lines;
DROP TABLE owed_by_due;
DROP TABLE owed_by_employer;
