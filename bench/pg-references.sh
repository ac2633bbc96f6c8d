#!/usr/bin/env bash
# The run's statements on PostgreSQL with the foreign keys (before migration 0042) and with
# the statement-level reference checks (after), interleaved, each on a fresh copy of one
# template (issue 19; figures in BENCHMARKS.md).
#
#   bench/pg-references.sh prepare BIN   # seed PGDB_run (100,000 × 5) with BIN, plan 2026-12-15
#                                        # into PGDB_plan, and the two templates with 0042
#   bench/pg-references.sh measure N     # N rounds: before, after; prints time and WAL per step
#   bench/pg-references.sh drop          # drops the databases
#
# The seeded database must be migrated up to 0038 and not 0042 (a binary of main), so that
# "before" is the foreign keys; "after" applies migrations/postgres/0042 to a copy with psql.
# Environment: PG (default postgres://postgres@127.0.0.1:5432), PGDB (default bench_e).
set -euo pipefail
cd "$(dirname "$0")/.."
PG=${PG:-postgres://postgres@127.0.0.1:5432}
PGDB=${PGDB:-bench_e}
DATE=2026-12-15
admin() { psql "$PG/postgres" -q -v ON_ERROR_STOP=1 -c "$1"; }

# The statements' lines worth reading: times, WAL, trigger totals.
summary() {
    grep -E 'Execution Time|wal_[a-z_]+$|^ +[0-9]+$|Trigger for|^ +WAL:' | sed -E 's/^ +//' | paste -sd' ' \
        | sed -E 's/ (wal_[a-z_]+) ([0-9]+)/ \1=\2\n/g'
}

measure_one() { # TEMPLATE SCRIPT
    admin "DROP DATABASE IF EXISTS ${PGDB}_y"
    admin "CREATE DATABASE ${PGDB}_y TEMPLATE $1 STRATEGY FILE_COPY"
    admin "CHECKPOINT"
    psql "$PG/${PGDB}_y" -v ON_ERROR_STOP=1 -v date=$DATE -f "$2" 2>&1 | summary
}

case "${1:-}" in
prepare)
    BIN=$2
    [ -n "${TAHSIL_ENCRYPTION_KEY:-}" ] || { echo "set TAHSIL_ENCRYPTION_KEY" >&2; exit 1; }
    admin "DROP DATABASE IF EXISTS ${PGDB}_run"
    admin "CREATE DATABASE ${PGDB}_run"
    "$BIN" --database-url "$PG/${PGDB}_run" seed --employers 100000 --worksites 5
    psql "$PG/${PGDB}_run" -q -c "VACUUM ANALYZE"
    admin "DROP DATABASE IF EXISTS ${PGDB}_plan"
    admin "CREATE DATABASE ${PGDB}_plan TEMPLATE ${PGDB}_run STRATEGY FILE_COPY"
    # Planning commits; the files cannot be written (no exchange folder): planned, not run.
    TAHSIL_EXCHANGE_DIR=/proc/none/x "$BIN" --database-url "$PG/${PGDB}_plan" run --date $DATE || true
    for base in run plan; do
        admin "DROP DATABASE IF EXISTS ${PGDB}_${base}42"
        admin "CREATE DATABASE ${PGDB}_${base}42 TEMPLATE ${PGDB}_${base} STRATEGY FILE_COPY"
        psql "$PG/${PGDB}_${base}42" -q -v ON_ERROR_STOP=1 -f migrations/postgres/0042_run_references.sql
    done
    ;;
measure)
    for round in $(seq "${2:-1}"); do
        for variant in before after; do
            suffix=""; [ $variant = after ] && suffix=42
            echo "== round $round, $variant, $(date -u +%H:%M:%S), load $(cut -d' ' -f1 /proc/loadavg)"
            echo "-- collections inserted (bench/pg-plan-steps.sql, up to the insert)"
            awk '/^SAVEPOINT s;/{exit} {print}' bench/pg-plan-steps.sql > /tmp/pg-references-plan.sql
            echo "ROLLBACK;" >> /tmp/pg-references-plan.sql
            measure_one "${PGDB}_run$suffix" /tmp/pg-references-plan.sql
            echo "-- marked submitted, ledger, totals, audit (bench/pg-run-steps.sql)"
            measure_one "${PGDB}_plan$suffix" bench/pg-run-steps.sql
        done
    done
    ;;
drop)
    for db in run plan run42 plan42 y; do admin "DROP DATABASE IF EXISTS ${PGDB}_$db"; done
    ;;
*)
    sed -n '2,14p' "$0" >&2
    exit 2
    ;;
esac
