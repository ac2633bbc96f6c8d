#!/usr/bin/env bash
# The collection-cycle benchmarks of issue 4 (figures in BENCHMARKS.md):
# a due-date run for 100,000 employers x 5 worksites, and the import of one camt.054 of
# about 107,000 entries, on SQLite or PostgreSQL. Each timed command runs on a fresh copy
# of a prepared database, so every repetition starts from the same state.
#
#   cargo build --release
#   bench/cycle.sh prepare              # SQLite: seed the run and import databases (~2 min)
#   bench/cycle.sh run [N]              # N timed runs of 2026-12-15 (default 5)
#   bench/cycle.sh import [N]           # N timed imports of the camt.054
#   bench/cycle.sh prepare-pg           # the same on PostgreSQL (databases bench_run, bench_imp)
#   bench/cycle.sh run-pg [N] | import-pg [N]
#   bench/cycle.sh prepare-run-pg       # only the run's database (bench_run)
#   bench/cycle.sh million              # seed 1,000,000 employers x 5 (SQLite, ~3 min, 1.7 GB) and time one run
#   bench/cycle.sh million-run [N]      # N more timed runs on that seeded database
#
# Each timed line is "<seconds> s <peak RSS> KB" (GNU time) followed by the stage timings
# from the debug log (`plan_collections step=…`, `run: …`, `apply_report step=…`).
# Environment: TAHSIL_BIN (default target/release/tahsil), BENCH_DIR (default
# /tmp/tahsil-bench), PG (default postgres://postgres@127.0.0.1:5432), PGDB (the prefix of
# the PostgreSQL databases, default `bench`: bench_run, bench_imp, bench_copy; give each
# person or session sharing a server its own). On PostgreSQL each timed line also says the
# WAL the command wrote (`pg_current_wal_lsn()` before and after, in bytes: the server's
# whole WAL, so nothing else should write meanwhile). Needs GNU time (/usr/bin/time) and,
# for PostgreSQL, psql.
set -euo pipefail
SELF=$(realpath "$0")
cd "$(dirname "$0")/.."
BIN=$(realpath "${TAHSIL_BIN:-${CARGO_TARGET_DIR:-target}/release/tahsil}")
DIR=${BENCH_DIR:-/tmp/tahsil-bench}
PG=${PG:-postgres://postgres@127.0.0.1:5432}
PGDB=${PGDB:-bench}
DATE=2026-12-15
[ -x "$BIN" ] || { echo "no $BIN: cargo build --release first" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "GNU time is missing: apt-get install -y time" >&2; exit 1; }
mkdir -p "$DIR"
[ -f "$DIR/key" ] || head -c32 /dev/urandom | base64 >"$DIR/key"
export TAHSIL_ENCRYPTION_KEY
TAHSIL_ENCRYPTION_KEY=$(cat "$DIR/key")

# Runs "$@" under GNU time with the debug log, printing the time and the stage lines.
timed() {
    TAHSIL_LOG=tahsil=debug /usr/bin/time -f "%e s %M KB" "$@" 2>&1 \
        | sed -e 's/\x1b\[[0-9;]*m//g' \
        | grep -E '^[0-9.]+ s [0-9]+ KB$|step=|run: |import_file: ' \
        | sed -E 's/^.*(step=|run: |import_file: )/    \1/'
}

sqlite_copy() { # SOURCE -> $DIR/copy.db
    rm -f "$DIR"/copy.db "$DIR"/copy.db-wal "$DIR"/copy.db-shm
    cp "$DIR/$1" "$DIR/copy.db"
    sync
}

psql_admin() { psql "$PG/postgres" -q -v ON_ERROR_STOP=1 -c "$1"; }

pg_copy() { # SOURCE database -> ${PGDB}_copy
    psql_admin "DROP DATABASE IF EXISTS ${PGDB}_copy"
    psql_admin "CREATE DATABASE ${PGDB}_copy TEMPLATE $1 STRATEGY FILE_COPY"
    psql_admin "CHECKPOINT"
}

wal_lsn() { psql "$PG/postgres" -Atc "SELECT pg_current_wal_lsn()"; }

# Runs "$@" like `timed`, then prints the WAL bytes written meanwhile.
pg_timed() {
    local before
    before=$(wal_lsn)
    timed "$@"
    psql "$PG/postgres" -Atc "SELECT '    WAL ' || pg_wal_lsn_diff(pg_current_wal_lsn(), '$before') || ' bytes'"
}

prepare_run_pg() {
    psql_admin "DROP DATABASE IF EXISTS ${PGDB}_run"
    psql_admin "CREATE DATABASE ${PGDB}_run"
    "$BIN" --database-url "$PG/${PGDB}_run" seed --employers 100000 --worksites 5
    psql "$PG/${PGDB}_run" -q -c "VACUUM ANALYZE"
}

# Seeds 140,000 employers, runs the date into one bank file, answers it with the simulated
# bank (no rejects, so the camt.054 holds every bank debit), imports the pain.002.
prepare_import() { # DATABASE-URL EXCHANGE-DIR
    "$BIN" --database-url "$1" seed --employers 140000 --worksites 5
    rm -rf "$2"
    TAHSIL_MAX_PER_FILE=200000 TAHSIL_EXCHANGE_DIR="$2" "$BIN" --database-url "$1" run --date $DATE
    "$BIN" bank-sim --outbox "$2/bank/outbox" --inbox "$2/bank/inbox" --reject-per-mille 0
    "$BIN" --database-url "$1" import --today $DATE "$2"/bank/inbox/*pain002*.xml
}

repeat=${2:-5}
case "${1:-}" in
prepare)
    rm -f "$DIR"/run.db* "$DIR"/imp.db*
    "$BIN" --database-url "sqlite://$DIR/run.db" seed --employers 100000 --worksites 5
    prepare_import "sqlite://$DIR/imp.db" "$DIR/imp-exchange"
    ;;
run)
    for _ in $(seq "$repeat"); do
        sqlite_copy run.db
        rm -rf "$DIR/run-exchange"
        TAHSIL_EXCHANGE_DIR="$DIR/run-exchange" timed "$BIN" --database-url "sqlite://$DIR/copy.db" run --date $DATE
    done
    ;;
import)
    for _ in $(seq "$repeat"); do
        sqlite_copy imp.db
        timed "$BIN" --database-url "sqlite://$DIR/copy.db" import --today $DATE "$DIR"/imp-exchange/bank/inbox/*camt054*.xml
    done
    ;;
prepare-pg)
    prepare_run_pg
    psql_admin "DROP DATABASE IF EXISTS ${PGDB}_imp"
    psql_admin "CREATE DATABASE ${PGDB}_imp"
    prepare_import "$PG/${PGDB}_imp" "$DIR/pg-imp-exchange"
    psql "$PG/${PGDB}_imp" -q -c "VACUUM ANALYZE"
    ;;
prepare-run-pg)
    prepare_run_pg
    ;;
run-pg)
    for _ in $(seq "$repeat"); do
        pg_copy "${PGDB}_run"
        rm -rf "$DIR/pg-run-exchange"
        TAHSIL_EXCHANGE_DIR="$DIR/pg-run-exchange" pg_timed "$BIN" --database-url "$PG/${PGDB}_copy" run --date $DATE
    done
    ;;
import-pg)
    for _ in $(seq "$repeat"); do
        pg_copy "${PGDB}_imp"
        pg_timed "$BIN" --database-url "$PG/${PGDB}_copy" import --today $DATE "$DIR"/pg-imp-exchange/bank/inbox/*camt054*.xml
    done
    ;;
million)
    rm -f "$DIR"/million.db*
    "$BIN" --database-url "sqlite://$DIR/million.db" seed --employers 1000000 --worksites 5
    "$SELF" million-run 1
    ;;
million-run)
    [ -f "$DIR/million.db" ] || { echo "no $DIR/million.db: bench/cycle.sh million first" >&2; exit 1; }
    for _ in $(seq "$repeat"); do
        sqlite_copy million.db
        rm -rf "$DIR/million-exchange"
        TAHSIL_EXCHANGE_DIR="$DIR/million-exchange" timed "$BIN" --database-url "sqlite://$DIR/copy.db" run --date $DATE
    done
    ;;
*)
    sed -n '2,20p' "$0" >&2
    exit 2
    ;;
esac
