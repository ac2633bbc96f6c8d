-- Measurement only (issue 19, BENCHMARKS.md): puts a copy of a bench database back as it
-- was before migration 0038 — the two foreign keys of `collection_lines`, without the
-- statement-level checks — so that pg-plan-steps.sql can time both side by side on the
-- same data. Never run it on a database anyone uses.
--
--   psql .../postgres -c "CREATE DATABASE pgfk_fk TEMPLATE pgfk_run STRATEGY FILE_COPY"
--   psql .../pgfk_fk -f bench/pg-fk-before.sql
BEGIN;
DROP TRIGGER collection_lines_references_lock ON collection_lines;
DROP TRIGGER collection_lines_references_inserted ON collection_lines;
DROP TRIGGER collection_lines_references_updated ON collection_lines;
DROP TRIGGER collections_references_lock ON collections;
DROP TRIGGER collections_lines_kept_on_delete ON collections;
DROP TRIGGER collections_lines_kept_on_update ON collections;
DROP TRIGGER declaration_lines_references_lock ON declaration_lines;
DROP TRIGGER declaration_lines_collection_lines_kept_on_delete ON declaration_lines;
DROP TRIGGER declaration_lines_collection_lines_kept_on_update ON declaration_lines;
DROP TRIGGER collections_not_truncated_under_lines ON collections;
DROP TRIGGER declaration_lines_not_truncated_under_lines ON declaration_lines;
ALTER TABLE collection_lines ADD CONSTRAINT collection_lines_collection_id_fkey
    FOREIGN KEY (collection_id) REFERENCES collections (id);
ALTER TABLE collection_lines ADD CONSTRAINT collection_lines_declaration_line_id_fkey
    FOREIGN KEY (declaration_line_id) REFERENCES declaration_lines (id);
COMMIT;
