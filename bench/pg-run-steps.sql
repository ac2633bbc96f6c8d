-- The run's bookkeeping on PostgreSQL, statement by statement, under EXPLAIN (ANALYZE, WAL,
-- BUFFERS): marking the date's collections submitted, the ledger's `debit_presented`
-- entries, the date's totals counted again and the audit entries — what
-- `Store::begin_recording` and `FileRecording::finish` (src/store/runs/recording.rs) run —
-- on a copy of a 100,000-employer database whose date is planned (issue 19; figures in
-- BENCHMARKS.md). Everything is rolled back.
--
--   bench/cycle.sh prepare-run-pg                    (PGDB=x: database x_run, seeded)
--   a copy of x_run planned and not run: `tahsil run --date 2026-12-15` with
--   TAHSIL_EXCHANGE_DIR=/proc/none (planning commits, the files cannot be written)
--   psql .../copy -v date=2026-12-15 -f bench/pg-run-steps.sql
--
-- One file per channel (the run splits the bank's 75,000 into two files of at most 50,000:
-- the same statements, one more range). The audit chain's hashes are computed by tahsil;
-- here two md5 texts of the same width stand in for them, joined the way tahsil joins its
-- pages (one JSON array per 10,000 entries).
\timing on
\set ON_ERROR_STOP on
BEGIN;
SELECT id AS run_id FROM runs WHERE collection_date = :'date' \gset
SELECT COALESCE(MAX(sequence), 0) + 1 AS seq FROM bank_files \gset
INSERT INTO bank_files (run_id, institution, channel, sequence, file_name, format, message_id,
  collection_date, created_at, transactions, control_sum_centimes, sha256, size_bytes)
  SELECT :run_id, 'bank', 'bank', :seq, 'bench-bank', 'pain.008.001.02', 'BENCH-B', :'date', '2026-12-10T08:00:00', COUNT(*), SUM(amount_centimes), '', 0
  FROM collections WHERE collection_date = :'date' AND channel = 'bank' AND status = 'planned'
  RETURNING id AS bank_file \gset
INSERT INTO bank_files (run_id, institution, channel, sequence, file_name, format, message_id,
  collection_date, created_at, transactions, control_sum_centimes, sha256, size_bytes)
  SELECT :run_id, 'postal', 'postal', :seq, 'bench-postal', 'ccp', 'BENCH-P', :'date', '2026-12-10T08:00:00', COUNT(*), SUM(amount_centimes), '', 0
  FROM collections WHERE collection_date = :'date' AND channel = 'postal' AND status = 'planned'
  RETURNING id AS postal_file \gset
SELECT MIN(id) AS b0, MAX(id) AS b1 FROM collections WHERE collection_date = :'date' AND channel = 'bank' AND status = 'planned' \gset
SELECT MIN(id) AS p0, MAX(id) AS p1 FROM collections WHERE collection_date = :'date' AND channel = 'postal' AND status = 'planned' \gset

SELECT pg_current_wal_lsn() AS l0 \gset
EXPLAIN (ANALYZE, WAL, BUFFERS, TIMING OFF) UPDATE collections SET status = 'submitted', bank_file_id = :bank_file, updated_at = '2026-12-10T07:00:00Z'
 WHERE collection_date = :'date' AND channel = 'bank' AND status = 'planned' AND held_at IS NULL
 AND sequence_type = 'FRST' AND id >= :b0 AND id <= :b1
 AND EXISTS (SELECT 1 FROM mandates m WHERE m.id = collections.mandate_id AND m.status = 'active');
EXPLAIN (ANALYZE, WAL, BUFFERS, TIMING OFF) UPDATE collections SET status = 'submitted', bank_file_id = :postal_file, updated_at = '2026-12-10T07:00:00Z'
 WHERE collection_date = :'date' AND channel = 'postal' AND status = 'planned' AND held_at IS NULL
 AND sequence_type = 'FRST' AND id >= :p0 AND id <= :p1
 AND EXISTS (SELECT 1 FROM mandates m WHERE m.id = collections.mandate_id AND m.status = 'active');
SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), :'l0') AS wal_marked_submitted;

SELECT pg_current_wal_lsn() AS l1 \gset
EXPLAIN (ANALYZE, WAL, BUFFERS, TIMING OFF) INSERT INTO ledger_entries (employer_id, kind, entry_key, entry_date, amount_centimes, paid_leave_centimes,
 bad_weather_employer_centimes, bad_weather_employee_centimes, unallocated_centimes, memo_centimes, collection_id, recorded_at)
 SELECT c.employer_id, 'debit_presented', 'presented:' || CAST(c.id AS TEXT), c.collection_date, 0, 0, 0, 0, 0, c.amount_centimes, c.id, '2026-12-10T07:00:00Z'
 FROM collections c JOIN bank_files f ON f.id = c.bank_file_id
 WHERE c.bank_file_id IS NOT NULL AND f.run_id = :run_id AND c.updated_at = '2026-12-10T07:00:00Z' AND c.status = 'submitted'
 ON CONFLICT (entry_key) DO NOTHING;
SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), :'l1') AS wal_ledger_presented;

SELECT pg_current_wal_lsn() AS l2 \gset
DELETE FROM collection_totals WHERE collection_date = :'date';
EXPLAIN (ANALYZE, WAL, BUFFERS, TIMING OFF) INSERT INTO collection_totals (collection_date, channel, status, reason_category, presented, held, debits, amount_centimes)
 SELECT c.collection_date, c.channel, c.status, COALESCE(c.reason_category, ''),
 CAST(CASE WHEN c.bank_file_id IS NULL THEN 0 ELSE 1 END AS BIGINT), CAST(CASE WHEN c.held_at IS NULL THEN 0 ELSE 1 END AS BIGINT),
 COUNT(*), CAST(SUM(c.amount_centimes) AS BIGINT) FROM collections c
 WHERE c.collection_date = :'date' GROUP BY 1, 2, 3, 4, 5, 6 ORDER BY 1, 2, 3, 4, 5, 6
 ON CONFLICT (collection_date, channel, status, reason_category, presented, held) DO UPDATE SET debits = excluded.debits, amount_centimes = excluded.amount_centimes;
SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), :'l2') AS wal_totals;

SELECT pg_current_wal_lsn() AS l3 \gset
CREATE TEMP TABLE audit_batch (n INTEGER PRIMARY KEY, action TEXT NOT NULL, entity_id TEXT NOT NULL, detail TEXT NOT NULL);
EXPLAIN (ANALYZE, WAL, BUFFERS, TIMING OFF) INSERT INTO audit_batch (n, action, entity_id, detail)
 SELECT ROW_NUMBER() OVER (), 'collection.submitted', CAST(c.id AS TEXT), '{"bank_file_id":' || CAST(c.bank_file_id AS TEXT) || '}'
 FROM collections c JOIN bank_files f ON f.id = c.bank_file_id
 WHERE c.bank_file_id IS NOT NULL AND f.run_id = :run_id AND c.updated_at = '2026-12-10T07:00:00Z' AND c.status = 'submitted';
SELECT COALESCE(MAX(seq), 0) AS head FROM audit_log \gset
-- The ten pages: each read as tahsil reads it, then its entries written.
SELECT CAST(json_agg(json_build_array(n, action, entity_id, detail)) AS TEXT) IS NOT NULL AS read_page FROM audit_batch WHERE n > 0 AND n <= 10000;
SELECT CAST(json_agg(json_build_array(n, md5(entity_id) || md5(detail), md5(detail) || md5(entity_id))) AS TEXT) AS links FROM audit_batch WHERE n > 0 AND n <= 10000 \gset
EXPLAIN (ANALYZE, WAL, BUFFERS, TIMING OFF) INSERT INTO audit_log (at, actor, action, entity, entity_id, detail, seq, prev_hash, hash)
 SELECT '2026-12-10T07:00:00Z', 'cli', b.action, 'collection', b.entity_id, b.detail, :head + b.n, j.value ->> 1, j.value ->> 2
 FROM jsonb_array_elements(CAST(:'links' AS jsonb)) WITH ORDINALITY AS j(value, key) CROSS JOIN audit_batch b WHERE b.n = CAST(j.value ->> 0 AS INTEGER);
SELECT CAST(json_agg(json_build_array(n, action, entity_id, detail)) AS TEXT) IS NOT NULL AS read_page FROM audit_batch WHERE n > 10000 AND n <= 20000;
SELECT CAST(json_agg(json_build_array(n, md5(entity_id) || md5(detail), md5(detail) || md5(entity_id))) AS TEXT) AS links FROM audit_batch WHERE n > 10000 AND n <= 20000 \gset
EXPLAIN (ANALYZE, WAL, BUFFERS, TIMING OFF) INSERT INTO audit_log (at, actor, action, entity, entity_id, detail, seq, prev_hash, hash)
 SELECT '2026-12-10T07:00:00Z', 'cli', b.action, 'collection', b.entity_id, b.detail, :head + b.n, j.value ->> 1, j.value ->> 2
 FROM jsonb_array_elements(CAST(:'links' AS jsonb)) WITH ORDINALITY AS j(value, key) CROSS JOIN audit_batch b WHERE b.n = CAST(j.value ->> 0 AS INTEGER);
SELECT CAST(json_agg(json_build_array(n, action, entity_id, detail)) AS TEXT) IS NOT NULL AS read_page FROM audit_batch WHERE n > 20000 AND n <= 30000;
SELECT CAST(json_agg(json_build_array(n, md5(entity_id) || md5(detail), md5(detail) || md5(entity_id))) AS TEXT) AS links FROM audit_batch WHERE n > 20000 AND n <= 30000 \gset
EXPLAIN (ANALYZE, WAL, BUFFERS, TIMING OFF) INSERT INTO audit_log (at, actor, action, entity, entity_id, detail, seq, prev_hash, hash)
 SELECT '2026-12-10T07:00:00Z', 'cli', b.action, 'collection', b.entity_id, b.detail, :head + b.n, j.value ->> 1, j.value ->> 2
 FROM jsonb_array_elements(CAST(:'links' AS jsonb)) WITH ORDINALITY AS j(value, key) CROSS JOIN audit_batch b WHERE b.n = CAST(j.value ->> 0 AS INTEGER);
SELECT CAST(json_agg(json_build_array(n, action, entity_id, detail)) AS TEXT) IS NOT NULL AS read_page FROM audit_batch WHERE n > 30000 AND n <= 40000;
SELECT CAST(json_agg(json_build_array(n, md5(entity_id) || md5(detail), md5(detail) || md5(entity_id))) AS TEXT) AS links FROM audit_batch WHERE n > 30000 AND n <= 40000 \gset
EXPLAIN (ANALYZE, WAL, BUFFERS, TIMING OFF) INSERT INTO audit_log (at, actor, action, entity, entity_id, detail, seq, prev_hash, hash)
 SELECT '2026-12-10T07:00:00Z', 'cli', b.action, 'collection', b.entity_id, b.detail, :head + b.n, j.value ->> 1, j.value ->> 2
 FROM jsonb_array_elements(CAST(:'links' AS jsonb)) WITH ORDINALITY AS j(value, key) CROSS JOIN audit_batch b WHERE b.n = CAST(j.value ->> 0 AS INTEGER);
SELECT CAST(json_agg(json_build_array(n, action, entity_id, detail)) AS TEXT) IS NOT NULL AS read_page FROM audit_batch WHERE n > 40000 AND n <= 50000;
SELECT CAST(json_agg(json_build_array(n, md5(entity_id) || md5(detail), md5(detail) || md5(entity_id))) AS TEXT) AS links FROM audit_batch WHERE n > 40000 AND n <= 50000 \gset
EXPLAIN (ANALYZE, WAL, BUFFERS, TIMING OFF) INSERT INTO audit_log (at, actor, action, entity, entity_id, detail, seq, prev_hash, hash)
 SELECT '2026-12-10T07:00:00Z', 'cli', b.action, 'collection', b.entity_id, b.detail, :head + b.n, j.value ->> 1, j.value ->> 2
 FROM jsonb_array_elements(CAST(:'links' AS jsonb)) WITH ORDINALITY AS j(value, key) CROSS JOIN audit_batch b WHERE b.n = CAST(j.value ->> 0 AS INTEGER);
SELECT CAST(json_agg(json_build_array(n, action, entity_id, detail)) AS TEXT) IS NOT NULL AS read_page FROM audit_batch WHERE n > 50000 AND n <= 60000;
SELECT CAST(json_agg(json_build_array(n, md5(entity_id) || md5(detail), md5(detail) || md5(entity_id))) AS TEXT) AS links FROM audit_batch WHERE n > 50000 AND n <= 60000 \gset
EXPLAIN (ANALYZE, WAL, BUFFERS, TIMING OFF) INSERT INTO audit_log (at, actor, action, entity, entity_id, detail, seq, prev_hash, hash)
 SELECT '2026-12-10T07:00:00Z', 'cli', b.action, 'collection', b.entity_id, b.detail, :head + b.n, j.value ->> 1, j.value ->> 2
 FROM jsonb_array_elements(CAST(:'links' AS jsonb)) WITH ORDINALITY AS j(value, key) CROSS JOIN audit_batch b WHERE b.n = CAST(j.value ->> 0 AS INTEGER);
SELECT CAST(json_agg(json_build_array(n, action, entity_id, detail)) AS TEXT) IS NOT NULL AS read_page FROM audit_batch WHERE n > 60000 AND n <= 70000;
SELECT CAST(json_agg(json_build_array(n, md5(entity_id) || md5(detail), md5(detail) || md5(entity_id))) AS TEXT) AS links FROM audit_batch WHERE n > 60000 AND n <= 70000 \gset
EXPLAIN (ANALYZE, WAL, BUFFERS, TIMING OFF) INSERT INTO audit_log (at, actor, action, entity, entity_id, detail, seq, prev_hash, hash)
 SELECT '2026-12-10T07:00:00Z', 'cli', b.action, 'collection', b.entity_id, b.detail, :head + b.n, j.value ->> 1, j.value ->> 2
 FROM jsonb_array_elements(CAST(:'links' AS jsonb)) WITH ORDINALITY AS j(value, key) CROSS JOIN audit_batch b WHERE b.n = CAST(j.value ->> 0 AS INTEGER);
SELECT CAST(json_agg(json_build_array(n, action, entity_id, detail)) AS TEXT) IS NOT NULL AS read_page FROM audit_batch WHERE n > 70000 AND n <= 80000;
SELECT CAST(json_agg(json_build_array(n, md5(entity_id) || md5(detail), md5(detail) || md5(entity_id))) AS TEXT) AS links FROM audit_batch WHERE n > 70000 AND n <= 80000 \gset
EXPLAIN (ANALYZE, WAL, BUFFERS, TIMING OFF) INSERT INTO audit_log (at, actor, action, entity, entity_id, detail, seq, prev_hash, hash)
 SELECT '2026-12-10T07:00:00Z', 'cli', b.action, 'collection', b.entity_id, b.detail, :head + b.n, j.value ->> 1, j.value ->> 2
 FROM jsonb_array_elements(CAST(:'links' AS jsonb)) WITH ORDINALITY AS j(value, key) CROSS JOIN audit_batch b WHERE b.n = CAST(j.value ->> 0 AS INTEGER);
SELECT CAST(json_agg(json_build_array(n, action, entity_id, detail)) AS TEXT) IS NOT NULL AS read_page FROM audit_batch WHERE n > 80000 AND n <= 90000;
SELECT CAST(json_agg(json_build_array(n, md5(entity_id) || md5(detail), md5(detail) || md5(entity_id))) AS TEXT) AS links FROM audit_batch WHERE n > 80000 AND n <= 90000 \gset
EXPLAIN (ANALYZE, WAL, BUFFERS, TIMING OFF) INSERT INTO audit_log (at, actor, action, entity, entity_id, detail, seq, prev_hash, hash)
 SELECT '2026-12-10T07:00:00Z', 'cli', b.action, 'collection', b.entity_id, b.detail, :head + b.n, j.value ->> 1, j.value ->> 2
 FROM jsonb_array_elements(CAST(:'links' AS jsonb)) WITH ORDINALITY AS j(value, key) CROSS JOIN audit_batch b WHERE b.n = CAST(j.value ->> 0 AS INTEGER);
SELECT CAST(json_agg(json_build_array(n, action, entity_id, detail)) AS TEXT) IS NOT NULL AS read_page FROM audit_batch WHERE n > 90000 AND n <= 100000;
SELECT CAST(json_agg(json_build_array(n, md5(entity_id) || md5(detail), md5(detail) || md5(entity_id))) AS TEXT) AS links FROM audit_batch WHERE n > 90000 AND n <= 100000 \gset
EXPLAIN (ANALYZE, WAL, BUFFERS, TIMING OFF) INSERT INTO audit_log (at, actor, action, entity, entity_id, detail, seq, prev_hash, hash)
 SELECT '2026-12-10T07:00:00Z', 'cli', b.action, 'collection', b.entity_id, b.detail, :head + b.n, j.value ->> 1, j.value ->> 2
 FROM jsonb_array_elements(CAST(:'links' AS jsonb)) WITH ORDINALITY AS j(value, key) CROSS JOIN audit_batch b WHERE b.n = CAST(j.value ->> 0 AS INTEGER);
SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), :'l3') AS wal_audit;
ROLLBACK;
