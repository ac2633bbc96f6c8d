-- Planning's statements on PostgreSQL, one by one, under EXPLAIN (ANALYZE, WAL, BUFFERS):
-- what each costs in time and WAL, on a copy of the 100,000-employer bench database
-- (issue 19; figures in BENCHMARKS.md). Everything is rolled back.
--
--   bench/cycle.sh prepare-run-pg   (PGDB=pgcopy: database pgcopy_run)
--   psql .../postgres -c "CREATE DATABASE pgcopy_y TEMPLATE pgcopy_run STRATEGY FILE_COPY" -c CHECKPOINT
--   psql .../pgcopy_y -f bench/pg-plan-steps.sql
--
-- The statements are planning's (src/store/collections/planning.rs) with the date bound
-- (2026-12-15) and the sequence type left FRST (the bench has no settled debit). The last
-- one is a measurement only: the same insert with the foreign-key triggers off
-- (`session_replication_role = replica`, superuser), to see what the row-by-row checks cost.
-- Since migration 0038 the lines' references are statement-level triggers (replica turns
-- them off too); bench/pg-fk-before.sql puts the foreign keys back on a copy, to compare.
\timing on
BEGIN;
CREATE TEMP TABLE plan_source (employer_id BIGINT NOT NULL, mandate_id BIGINT NOT NULL, line_id BIGINT NOT NULL, total_centimes BIGINT NOT NULL);
INSERT INTO plan_source SELECT m.employer_id, m.id, l.id, l.total_centimes FROM mandates m
     JOIN declarations d ON d.employer_id = m.employer_id AND d.status = 'submitted' AND d.due_from <= '2026-12-15'
     JOIN declaration_lines l ON l.declaration_id = d.id AND l.status = 'submitted'
     WHERE m.status = 'active'
       AND NOT EXISTS (SELECT 1 FROM collection_lines cl WHERE cl.declaration_line_id = l.id AND cl.live = 1)
       AND NOT EXISTS (SELECT 1 FROM payment_allocations pa WHERE pa.declaration_line_id = l.id)
       AND NOT EXISTS (SELECT 1 FROM line_write_offs wo WHERE wo.declaration_line_id = l.id)
       AND NOT EXISTS (SELECT 1 FROM collections c WHERE c.employer_id = m.employer_id AND c.collection_date = '2026-12-15'
                       AND (c.mandate_id <> m.id OR NOT (c.status = 'planned' OR (c.status = 'cancelled'
                            AND c.reason_code = 'over_ceiling' AND c.retry_of IS NULL))));
CREATE INDEX plan_source_employer ON plan_source (employer_id);
CREATE TEMP TABLE plan_debits (employer_id BIGINT NOT NULL, mandate_id BIGINT NOT NULL, channel TEXT NOT NULL, ceiling_centimes BIGINT, amount_centimes BIGINT NOT NULL, sequence_type TEXT NOT NULL, fresh INTEGER NOT NULL);
INSERT INTO plan_debits SELECT g.employer_id, g.mandate_id, a.kind, m.ceiling_centimes, g.amount, 'FRST',
   CASE WHEN EXISTS (SELECT 1 FROM collections c WHERE c.employer_id = g.employer_id AND c.collection_date = '2026-12-15') THEN 0 ELSE 1 END
   FROM (SELECT employer_id, mandate_id, CAST(SUM(total_centimes) AS BIGINT) AS amount FROM plan_source GROUP BY employer_id, mandate_id) g
   JOIN mandates m ON m.id = g.mandate_id JOIN accounts a ON a.id = m.account_id;
DELETE FROM plan_debits WHERE ceiling_centimes IS NOT NULL AND amount_centimes > ceiling_centimes;
SELECT pg_current_wal_lsn() AS l0 \gset
EXPLAIN (ANALYZE, WAL, BUFFERS, TIMING OFF) INSERT INTO collections (employer_id, mandate_id, channel, collection_date, amount_centimes,
 status, attempt, end_to_end_id, noticed_on, created_at, updated_at, sequence_type, announced_centimes, earliest_debit_date, notice_version)
 SELECT d.employer_id, d.mandate_id, d.channel, '2026-12-15', d.amount_centimes, 'planned', 1, 'T20261215M' || CAST(d.mandate_id AS TEXT),
 '2026-12-01', '2026-12-01T00:00:00', '2026-12-01T00:00:00', d.sequence_type, d.amount_centimes, '2026-12-10', 1
 FROM plan_debits d WHERE d.amount_centimes > 0 AND d.fresh = 1;
SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), :'l0') AS wal_collections;
SAVEPOINT s;
-- The lines as planning inserted them before issue 19 (an upsert)…
SELECT pg_current_wal_lsn() AS l1 \gset
EXPLAIN (ANALYZE, WAL, BUFFERS, TIMING OFF) INSERT INTO collection_lines (collection_id, declaration_line_id, amount_centimes, live)
 SELECT c.id, p.line_id, p.total_centimes, 1 FROM plan_source p CROSS JOIN collections c
 WHERE c.employer_id = p.employer_id AND c.collection_date = '2026-12-15' AND c.status = 'planned' AND c.mandate_id = p.mandate_id
 ON CONFLICT (collection_id, declaration_line_id) DO UPDATE SET live = 1, amount_centimes = excluded.amount_centimes;
SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), :'l1') AS wal_lines_upsert;
ROLLBACK TO SAVEPOINT s;
-- …and now (plain insert for the collections of the pass)…
SELECT pg_current_wal_lsn() AS l2 \gset
EXPLAIN (ANALYZE, WAL, BUFFERS, TIMING OFF) INSERT INTO collection_lines (collection_id, declaration_line_id, amount_centimes, live)
 SELECT c.id, p.line_id, p.total_centimes, 1 FROM plan_source p CROSS JOIN collections c
 WHERE c.employer_id = p.employer_id AND c.collection_date = '2026-12-15' AND c.status = 'planned' AND c.mandate_id = p.mandate_id AND c.id > 0;
SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), :'l2') AS wal_lines_plain;
ROLLBACK TO SAVEPOINT s;
-- …and, as a measurement only, without the foreign-key triggers.
SET LOCAL session_replication_role = replica;
SELECT pg_current_wal_lsn() AS l3 \gset
EXPLAIN (ANALYZE, WAL, BUFFERS, TIMING OFF) INSERT INTO collection_lines (collection_id, declaration_line_id, amount_centimes, live)
 SELECT c.id, p.line_id, p.total_centimes, 1 FROM plan_source p CROSS JOIN collections c
 WHERE c.employer_id = p.employer_id AND c.collection_date = '2026-12-15' AND c.status = 'planned' AND c.mandate_id = p.mandate_id AND c.id > 0;
SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), :'l3') AS wal_lines_no_fk_triggers;
ROLLBACK;
