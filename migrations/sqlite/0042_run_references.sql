-- PostgreSQL only (issue 19): there the foreign keys of `collections` and `ledger_entries`
-- become statement-level checks (migrations/postgres/0042_run_references.sql). SQLite
-- keeps its foreign keys: each check is an in-process index probe. Nothing to change here;
-- the file keeps both folders numbered alike.
SELECT 1;
