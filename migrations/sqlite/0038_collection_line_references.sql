-- PostgreSQL only (issue 19): there the two foreign keys of `collection_lines` become
-- statement-level checks (migrations/postgres/0038_collection_line_references.sql). SQLite
-- keeps its foreign keys: each check is an in-process index probe. Nothing to change here;
-- the file keeps both folders numbered alike.
SELECT 1;
