#!/usr/bin/env bash
# The finance console's dashboard on a large history (issue 19; figures in BENCHMARKS.md):
# `GET /console` under `serve`, signed in as a finance user, on a SQLite database of
# EMPLOYERS employers x 5 worksites with CYCLES monthly collection dates.
#
#   cargo build --release
#   bench/console.sh prepare [EMPLOYERS] [CYCLES]   # default 1000000 and 12 (uses sqlite3)
#   bench/console.sh measure [ROUNDS] [REQUESTS]    # default 3 rounds of 5 requests
#
# `prepare` seeds the employers and runs 2026-12-15 for real (planning, files, recording:
# the latest date, its debits submitted). The CYCLES - 1 monthly dates before it are then
# written by SQL, as copies of that run: a run, its files, and each debit settled, except
# 2.5 % failed (1.2 % retried, 0.8 % returned, 0.5 % rejected: 'retry_planned',
# 'returned', 'rejected' with a reason category). So the history has the size of CYCLES
# national cycles without running CYCLES cycles (reports, retries and their notices are
# not written: the dashboard does not read them). Last, the kept totals
# (`collection_totals`) are counted afresh from the debits, as migration 0022 does.
#
# `measure`: for each round, `serve` on the database, a finance user signed in through the
# form, REQUESTS timed `GET /console` (curl's time_total); with OLD_BIN set, the same with
# that build in each round (its database without migration 0022's row, which it does not
# know: the table it adds is left there unread).
#
# Environment: TAHSIL_BIN (default target/release/tahsil), OLD_BIN, BENCH_DIR (default
# /tmp/tahsil-console), PORT (18090). Needs curl and sqlite3.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=$(realpath "${TAHSIL_BIN:-${CARGO_TARGET_DIR:-target}/release/tahsil}")
DIR=${BENCH_DIR:-/tmp/tahsil-console}
PORT=${PORT:-18090}
BASE="http://127.0.0.1:$PORT"
DB="$DIR/console.db"
EMAIL=finance@bench.tahsil.dz
PASSWORD=bench-console-password-19
DATE=2026-12-15
[ -x "$BIN" ] || { echo "no $BIN: cargo build --release first" >&2; exit 1; }
command -v sqlite3 >/dev/null || { echo "sqlite3 is missing" >&2; exit 1; }
mkdir -p "$DIR"
[ -f "$DIR/key" ] || head -c32 /dev/urandom | base64 >"$DIR/key"
export TAHSIL_ENCRYPTION_KEY
TAHSIL_ENCRYPTION_KEY=$(cat "$DIR/key")
export TAHSIL_LOG=warn

history_sql() { # K: the date K months before $DATE, copied from the real run
    cat <<EOF
BEGIN;
CREATE TEMP TABLE IF NOT EXISTS base AS SELECT id AS run_id FROM runs WHERE collection_date = '$DATE';
INSERT INTO runs (collection_date, status, holder, lease_until, started_at, finished_at)
SELECT date('$DATE', '-$1 months'), 'complete', 'bench', started_at, started_at, finished_at
FROM runs WHERE id = (SELECT run_id FROM base);
CREATE TEMP TABLE shift AS SELECT
    (SELECT MAX(id) FROM bank_files) + 1 - (SELECT MIN(id) FROM bank_files WHERE run_id = (SELECT run_id FROM base)) AS offset,
    (SELECT id FROM runs WHERE collection_date = date('$DATE', '-$1 months')) AS run_id;
INSERT INTO bank_files (id, run_id, institution, channel, sequence, file_name, format, message_id,
    collection_date, created_at, transactions, control_sum_centimes, sha256, size_bytes)
SELECT f.id + s.offset, s.run_id, f.institution, f.channel, f.sequence + 1000 * $1,
    f.file_name || '.h$1', f.format, f.message_id || 'H$1', date('$DATE', '-$1 months'),
    f.created_at, f.transactions, f.control_sum_centimes, f.sha256, f.size_bytes
FROM bank_files f, shift s WHERE f.run_id = (SELECT run_id FROM base) ORDER BY f.id;
INSERT INTO collections (employer_id, mandate_id, channel, collection_date, amount_centimes, status,
    attempt, end_to_end_id, noticed_on, created_at, updated_at, sequence_type, announced_centimes,
    earliest_debit_date, notice_version, bank_file_id, reason_code, reason_category, settled_on)
SELECT c.employer_id, c.mandate_id, c.channel, date('$DATE', '-$1 months'), c.amount_centimes,
    CASE WHEN c.id % 1000 < 12 THEN 'retry_planned' WHEN c.id % 1000 < 20 THEN 'returned'
         WHEN c.id % 1000 < 25 THEN 'rejected' ELSE 'settled' END,
    1, 'T' || strftime('%Y%m%d', date('$DATE', '-$1 months')) || 'M' || c.mandate_id,
    c.noticed_on, c.created_at, c.updated_at, c.sequence_type, c.amount_centimes,
    date('$DATE', '-$1 months'), 1, c.bank_file_id + s.offset,
    CASE WHEN c.id % 1000 < 12 THEN 'AM04' WHEN c.id % 1000 < 20 THEN 'AC04' WHEN c.id % 1000 < 25 THEN 'MD01' END,
    CASE WHEN c.id % 1000 < 12 THEN 'insufficient_funds' WHEN c.id % 1000 < 20 THEN 'account_closed'
         WHEN c.id % 1000 < 25 THEN 'no_or_invalid_mandate' END,
    CASE WHEN c.id % 1000 >= 25 THEN date('$DATE', '-$1 months', '+2 days') END
FROM collections c, shift s WHERE c.collection_date = '$DATE' AND c.bank_file_id IS NOT NULL ORDER BY c.id;
DROP TABLE shift;
COMMIT;
EOF
}

serve_and_measure() { # WHO BINARY REQUESTS
    "$2" --database-url "sqlite://$DB" serve --listen "127.0.0.1:$PORT" 2>"$DIR/serve-$1.log" &
    local serve=$!
    for _ in $(seq 1 300); do
        curl -fs "$BASE/healthz" >/dev/null 2>&1 && break
        sleep 0.1
    done
    local jar="$DIR/cookies-$1.txt"
    rm -f "$jar"
    local csrf
    csrf=$(curl -fs -c "$jar" -b "$jar" "$BASE/login" | grep -o 'name="csrf" value="[^"]*"' | head -n 1 | sed 's/.*value="//; s/"$//')
    curl -fs -o /dev/null -c "$jar" -b "$jar" --data-urlencode "csrf=$csrf" \
        --data-urlencode "email=$EMAIL" --data-urlencode "password=$PASSWORD" "$BASE/login"
    local times=()
    for _ in $(seq "$3"); do
        times+=("$(curl -fs -o "$DIR/console-$1.html" -b "$jar" -w '%{time_total}' "$BASE/console")")
    done
    echo "$1: GET /console ${times[*]} s ($(wc -c <"$DIR/console-$1.html") bytes)"
    kill "$serve"
    wait "$serve" 2>/dev/null || true
}

case "${1:-}" in
prepare)
    EMPLOYERS=${2:-1000000}
    CYCLES=${3:-12}
    rm -f "$DB" "$DB"-wal "$DB"-shm
    /usr/bin/time -f "seed: %e s" "$BIN" --database-url "sqlite://$DB" seed --employers "$EMPLOYERS" --worksites 5 >/dev/null
    TAHSIL_EXCHANGE_DIR="$DIR/exchange" /usr/bin/time -f "run: %e s" "$BIN" --database-url "sqlite://$DB" run --date $DATE >/dev/null
    for k in $(seq 1 $((CYCLES - 1))); do
        history_sql "$k" | sqlite3 "$DB"
    done
    sqlite3 "$DB" "BEGIN; DELETE FROM collection_totals;
        INSERT INTO collection_totals (collection_date, channel, status, reason_category, presented, held, debits, amount_centimes)
        SELECT collection_date, channel, status, COALESCE(reason_category, ''),
            CASE WHEN bank_file_id IS NULL THEN 0 ELSE 1 END, CASE WHEN held_at IS NULL THEN 0 ELSE 1 END,
            COUNT(*), SUM(amount_centimes) FROM collections GROUP BY 1, 2, 3, 4, 5, 6;
        CREATE TABLE IF NOT EXISTS bench_migration_0022 AS SELECT * FROM _sqlx_migrations WHERE version = 22;
        COMMIT; PRAGMA wal_checkpoint(TRUNCATE);"
    printf '%s\n' "$PASSWORD" | "$BIN" --database-url "sqlite://$DB" users add --role finance --email "$EMAIL" >/dev/null
    sqlite3 "$DB" "SELECT COUNT(*) || ' debits on ' || COUNT(DISTINCT collection_date) || ' dates' FROM collections;
        SELECT COUNT(*) || ' rows of totals' FROM collection_totals;"
    ls -la "$DB"
    ;;
measure)
    [ -f "$DB" ] || { echo "no $DB: bench/console.sh prepare first" >&2; exit 1; }
    uptime
    for _ in $(seq "${2:-3}"); do
        serve_and_measure new "$BIN" "${3:-5}"
        if [ -n "${OLD_BIN:-}" ]; then
            sqlite3 "$DB" "DELETE FROM _sqlx_migrations WHERE version = 22"
            serve_and_measure old "$OLD_BIN" "${3:-5}"
            sqlite3 "$DB" "INSERT INTO _sqlx_migrations SELECT * FROM bench_migration_0022"
        fi
    done
    uptime
    ;;
*)
    sed -n '2,24p' "$0"
    exit 2
    ;;
esac
