-- Fewer index writes per collection. A collection's status changes three or four times
-- (planned, submitted, settled or failed) and each change rewrote every index holding the
-- status: the mandate index now holds the mandate alone (a mandate has a handful of
-- collections, found by it and then filtered). The file, report and retry references are
-- empty while a collection is planned, and for most collections for good (retry_of):
-- their indexes now hold only the collections that have one, so planning 100,000 debits
-- writes none of them and recording or settling one writes one entry instead of moving it.
-- Every query that uses them compares the column with a value (which implies it is not
-- empty) or says `IS NOT NULL`.
DROP INDEX collections_mandate;
CREATE INDEX collections_mandate ON collections (mandate_id);
DROP INDEX collections_bank_file;
CREATE INDEX collections_bank_file ON collections (bank_file_id) WHERE bank_file_id IS NOT NULL;
DROP INDEX collections_report;
CREATE INDEX collections_report ON collections (report_id) WHERE report_id IS NOT NULL;
DROP INDEX collections_retry_of;
CREATE INDEX collections_retry_of ON collections (retry_of) WHERE retry_of IS NOT NULL;
