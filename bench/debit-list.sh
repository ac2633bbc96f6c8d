#!/usr/bin/env bash
# The console's list of every debit at national scale (issue 15, item 7): one fund of
# EMPLOYERS employers after one cycle (seeded, its date run, the simulated bank's reports
# imported: settled, rejected, returned), then `tahsil serve` on it, a finance user signed
# in, and each page timed with curl: the first page, filtered pages, a page deep in the
# list, the CSV export of a filter, a debit's page with its timeline. Also prints the
# query plans (EXPLAIN) of the first page and of filtered pages.
#
#   cargo build --release
#   bench/debit-list.sh prepare            # SQLite: seed, run, answer, import (1M: ~10 min)
#   bench/debit-list.sh measure [N]        # N timings of each page (default 5)
#   bench/debit-list.sh prepare-pg | measure-pg [N]    # the same on PostgreSQL (database bench_debits)
#   bench/debit-list.sh synth | synth-pg   # instead of prepare: the same shape written by SQL (see synth_sql)
#   bench/debit-list.sh compare-pg [N]     # the totals counted over the debits against the kept totals
#
# Environment: TAHSIL_BIN (default target/release/tahsil or $CARGO_TARGET_DIR/release/tahsil),
# BENCH_DIR (default /tmp/tahsil-debits), EMPLOYERS (1000000), WORKSITES (1: the list reads
# no worksite; 5 only lengthens the seeding), PG (postgres://postgres@127.0.0.1:5432), PORT
# (18090). Needs curl, sqlite3, GNU time and, for PostgreSQL, psql.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=$(realpath "${TAHSIL_BIN:-${CARGO_TARGET_DIR:-target}/release/tahsil}")
DIR=${BENCH_DIR:-/tmp/tahsil-debits}
EMPLOYERS=${EMPLOYERS:-1000000}
WORKSITES=${WORKSITES:-1}
PG=${PG:-postgres://postgres@127.0.0.1:5432}
PORT=${PORT:-18090}
BASE="http://127.0.0.1:$PORT"
DATE=2026-12-15
PASSWORD=bench-password-debits-1
[ -x "$BIN" ] || { echo "no $BIN: cargo build --release first" >&2; exit 1; }
mkdir -p "$DIR"
[ -f "$DIR/key" ] || head -c32 /dev/urandom | base64 >"$DIR/key"
export TAHSIL_ENCRYPTION_KEY
TAHSIL_ENCRYPTION_KEY=$(cat "$DIR/key")

# One cycle on URL: seed, run the date, the bank's answers imported.
prepare() { # URL EXCHANGE-DIR
    rm -rf "$2"
    /usr/bin/time -f "seed: %e s %M KB" "$BIN" --database-url "$1" seed --employers "$EMPLOYERS" --worksites "$WORKSITES"
    TAHSIL_MAX_PER_FILE=200000 TAHSIL_EXCHANGE_DIR="$2" /usr/bin/time -f "run: %e s %M KB" \
        "$BIN" --database-url "$1" run --date $DATE
    for institution in bank poste; do
        [ -d "$2/$institution/outbox" ] || continue
        "$BIN" bank-sim --outbox "$2/$institution/outbox" --inbox "$2/$institution/inbox" \
            --reject-per-mille 40 --return-per-mille 15
    done
    TAHSIL_MAX_REPORT_BYTES=2000000000 TAHSIL_EXCHANGE_DIR="$2" /usr/bin/time -f "import: %e s %M KB" \
        "$BIN" --database-url "$1" import --today $DATE "$2"/*/inbox/*
    printf '%s\n' "$PASSWORD" | "$BIN" --database-url "$1" users add --role finance \
        --email bench-finance@fund.dz --name "Bench Finance" >/dev/null
}

# The same shape of fund written by SQL alone, in a minute instead of the cycle's ten (the
# list reads only employers, accounts, mandates, files and collections): EMPLOYERS employers
# (a quarter on CCP), one active mandate each, one debit each on $DATE in 20 files, 4 %
# rejected and 1.5 % returned (reasons in the taxonomy's proportions below; insufficient
# funds re-presented on 2026-12-22), the rest settled. The amounts and statuses are spread
# by multiplicative hashes of the id, so the same EMPLOYERS gives the same database.
synth_sql() { # sqlite|pg
    local seq fmt8 fmt4 least sequences=""
    if [ "$1" = sqlite ]; then
        seq="WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $EMPLOYERS)"
        fmt8="printf('16%08d', i)"; fmt4="printf('%04d', id % 10000)"; least=min
    else
        seq="WITH n(i) AS (SELECT generate_series(1, $EMPLOYERS)::bigint)"
        fmt8="'16' || lpad(i::text, 8, '0')"; fmt4="lpad((id % 10000)::text, 4, '0')"; least=LEAST
        # Rows were written with their ids: each id sequence moves past them.
        for table in employers accounts mandates runs bank_files collections; do
            sequences+="SELECT setval(pg_get_serial_sequence('$table', 'id'), (SELECT MAX(id) FROM $table));"$'\n'
        done
    fi
    cat <<SQL
BEGIN;
$seq
INSERT INTO employers (id, affiliation_number, name, name_ar, email, created_at)
SELECT i, $fmt8,
  (CASE i % 4 WHEN 0 THEN 'SARL' WHEN 1 THEN 'EURL' WHEN 2 THEN 'SPA' ELSE 'ETS' END) || ' ' ||
  (CASE i % 5 WHEN 0 THEN 'Travaux Publics' WHEN 1 THEN 'Bâtiment' WHEN 2 THEN 'Hydraulique'
   WHEN 3 THEN 'Génie Civil' ELSE 'Construction' END) || ' ' ||
  (CASE i % 7 WHEN 0 THEN 'Benali' WHEN 1 THEN 'Haddad' WHEN 2 THEN 'Saidi' WHEN 3 THEN 'Mansouri'
   WHEN 4 THEN 'Belkacem' WHEN 5 THEN 'Ziani' ELSE 'Kaci' END) || ' ' || i,
  'مؤسسة ' || i, 'e' || i || '@example.dz', '2026-10-01T08:00:00Z'
FROM n;
INSERT INTO accounts (id, employer_id, kind, bank_code, number_encrypted, number_index, masked, created_at)
SELECT id, id, CASE WHEN id % 4 = 0 THEN 'postal' ELSE 'bank' END, CASE WHEN id % 4 = 0 THEN '007' ELSE '004' END,
  'x', 'idx' || id, '****************' || $fmt4, created_at FROM employers;
INSERT INTO mandates (id, employer_id, account_id, reference, status, signed_at, created_at, updated_at)
SELECT id, id, id, 'UMR' || id, 'active', created_at, created_at, created_at FROM employers;
INSERT INTO runs (id, collection_date, status, holder, lease_until, started_at, finished_at)
VALUES (1, '$DATE', 'complete', 'bench', '2026-12-08T10:00:00Z', '2026-12-08T09:00:00Z', '2026-12-08T09:05:00Z');
INSERT INTO bank_files (id, run_id, institution, channel, sequence, file_name, format, message_id,
  collection_date, created_at, transactions, control_sum_centimes, sha256, size_bytes)
SELECT k, 1, CASE WHEN k <= 15 THEN 'bank' ELSE 'poste' END, CASE WHEN k <= 15 THEN 'bank' ELSE 'postal' END,
  k, 'file-' || k, CASE WHEN k <= 15 THEN 'pain.008.001.08' ELSE 'ccp-debit' END, 'MSG' || k, '$DATE',
  '2026-12-08T10:00:00', 50000, 0, 'h', 0
FROM (SELECT id AS k FROM employers WHERE id <= 20) f;
INSERT INTO collections (id, employer_id, mandate_id, channel, collection_date, amount_centimes, status,
  attempt, end_to_end_id, noticed_on, reason_code, reason_category, created_at, updated_at,
  bank_file_id, settled_on, announced_centimes, earliest_debit_date)
SELECT id, id, id, kind, '$DATE', amount,
  CASE WHEN h >= 55 THEN 'settled' WHEN r < 60 THEN 'retry_planned' WHEN h < 40 THEN 'rejected' ELSE 'returned' END,
  1, 'T20261215M' || id, '2026-12-01',
  CASE WHEN h >= 55 THEN NULL WHEN r < 60 THEN 'AM04' WHEN r < 75 THEN 'AC04' WHEN r < 85 THEN 'AC06'
    WHEN r < 90 THEN 'MD01' WHEN r < 95 THEN 'FF01' ELSE 'MS03' END,
  CASE WHEN h >= 55 THEN NULL WHEN r < 60 THEN 'insufficient_funds' WHEN r < 75 THEN 'account_closed'
    WHEN r < 85 THEN 'account_blocked' WHEN r < 90 THEN 'no_or_invalid_mandate'
    WHEN r < 95 THEN 'technical_or_format' ELSE 'other' END,
  '2026-12-01T08:00:00Z', '2026-12-16T08:00:00Z',
  CASE WHEN kind = 'bank' THEN 1 + $least(14, (id * 3 / 4) / 50000) ELSE 16 + $least(4, (id / 4) / 50000) END,
  CASE WHEN h >= 55 THEN '$DATE' END, amount, '2026-12-06'
FROM (SELECT a.id, a.kind, ((a.id * 7919) % 49500000) + 500000 AS amount,
        (a.id * 2654435761) % 1000 AS h, (a.id * 40503) % 100 AS r FROM accounts a) x;
$sequences
INSERT INTO collections (employer_id, mandate_id, channel, collection_date, amount_centimes, status, attempt,
  retry_of, end_to_end_id, noticed_on, created_at, updated_at, announced_centimes, earliest_debit_date)
SELECT employer_id, mandate_id, channel, '2026-12-22', amount_centimes, 'planned', 2, id,
  'T20261222M' || mandate_id, '2026-12-16', '2026-12-16T08:00:00Z', '2026-12-16T08:00:00Z',
  amount_centimes, '2026-12-21'
FROM collections WHERE status = 'retry_planned';
-- The kept totals (migration 0022), counted from the debits as the migration does: the
-- list's totals of a filter by dates, channel, state and reason read them.
DELETE FROM collection_totals;
INSERT INTO collection_totals (collection_date, channel, status, reason_category, presented, held,
  debits, amount_centimes)
SELECT collection_date, channel, status, COALESCE(reason_category, ''),
  CASE WHEN bank_file_id IS NULL THEN 0 ELSE 1 END, CASE WHEN held_at IS NULL THEN 0 ELSE 1 END,
  COUNT(*), CAST(SUM(amount_centimes) AS BIGINT)
FROM collections GROUP BY 1, 2, 3, 4, 5, 6;
COMMIT;
SQL
}

# The list's queries as the store writes them (src/store/collections/list.rs), for EXPLAIN.
page_sql() { # WHERE-CLAUSE (may be empty)
    local where=${1:+WHERE $1}
    echo "SELECT c.id, e.affiliation_number, a.masked, f.file_name FROM (SELECT c.* FROM collections c $where \
ORDER BY c.collection_date DESC, c.id DESC LIMIT 51) c JOIN employers e ON e.id = c.employer_id \
JOIN mandates m ON m.id = c.mandate_id JOIN accounts a ON a.id = m.account_id \
LEFT JOIN bank_files f ON f.id = c.bank_file_id ORDER BY c.collection_date DESC, c.id DESC"
}
totals_sql() { # WHERE-CLAUSE
    local where=${1:+WHERE $1}
    echo "SELECT COUNT(*), CAST(COALESCE(SUM(c.amount_centimes), 0) AS BIGINT) FROM collections c $where"
}
# The same from the kept totals (`collection_totals`), as the store asks it for a filter of
# dates, channel, state and reason only.
kept_totals_sql() { # WHERE-CLAUSE
    local where=${1:+WHERE $1}
    echo "SELECT CAST(COALESCE(SUM(c.debits), 0) AS BIGINT), CAST(COALESCE(SUM(c.amount_centimes), 0) AS BIGINT) \
FROM collection_totals c $where"
}
FILTERS=(
    ""
    "c.channel = 'postal'"
    "c.reason_category = 'insufficient_funds'"
    "c.collection_date >= '$DATE' AND c.collection_date <= '$DATE' AND c.amount_centimes >= 1000000 AND c.amount_centimes <= 2000000"
)

# A page after a cursor (2026-12-15, 516500): two seeks of the order (see list_debits).
cursor_sql() {
    local order="ORDER BY c.collection_date DESC, c.id DESC"
    echo "SELECT * FROM (SELECT c.* FROM collections c WHERE c.collection_date = '$DATE' AND c.id < 516500 \
$order LIMIT 51) same_day UNION ALL SELECT * FROM (SELECT c.* FROM collections c \
WHERE c.collection_date < '$DATE' $order LIMIT 51) earlier"
}

explain() { # sqlite|pg URL
    echo "== a page after a cursor"
    if [ "$1" = sqlite ]; then
        sqlite3 "$2" "EXPLAIN QUERY PLAN $(cursor_sql)"
    else
        psql "$2" -q -c "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) $(cursor_sql)"
    fi
    for filter in "${FILTERS[@]}"; do
        echo "== ${filter:-no filter}"
        if [ "$1" = sqlite ]; then
            sqlite3 "$2" "EXPLAIN QUERY PLAN $(page_sql "$filter")" "EXPLAIN QUERY PLAN $(totals_sql "$filter")"
        else
            psql "$2" -q -c "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) $(page_sql "$filter")" \
                -c "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) $(totals_sql "$filter")"
        fi
        case "$filter" in
        *amount_centimes*) ;;
        *)
            if [ "$1" = sqlite ]; then
                sqlite3 "$2" "EXPLAIN QUERY PLAN $(kept_totals_sql "$filter")"
            else
                psql "$2" -q -c "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) $(kept_totals_sql "$filter")"
            fi
            ;;
        esac
    done
}

# The totals of each filter without an amount range, counted over `collections` (the query
# before the kept totals answered it) and read from `collection_totals`, interleaved, N
# rounds: the execution time PostgreSQL reports under EXPLAIN ANALYZE, in ms.
compare_pg() { # URL
    local filter old new
    for _ in $(seq "$REPEAT"); do
        for filter in "${FILTERS[@]}"; do
            case "$filter" in *amount_centimes*) continue ;; esac
            old=$(psql "$1" -qAt -c "EXPLAIN ANALYZE $(totals_sql "$filter")" | sed -n 's/Execution Time: //p')
            new=$(psql "$1" -qAt -c "EXPLAIN ANALYZE $(kept_totals_sql "$filter")" | sed -n 's/Execution Time: //p')
            printf '%-45s counted %12s  kept %10s\n' "${filter:-no filter}" "$old" "$new"
        done
    done
}

measure() { # URL
    TAHSIL_EXCHANGE_DIR="$DIR/serve-exchange" TAHSIL_LOG=warn "$BIN" --database-url "$1" \
        serve --listen "127.0.0.1:$PORT" 2>"$DIR/serve.log" &
    SERVE=$!
    trap 'kill "$SERVE" 2>/dev/null || true' EXIT
    for _ in $(seq 1 300); do
        curl -fs "$BASE/healthz" >/dev/null 2>&1 && break
        sleep 0.2
    done
    JAR="$DIR/cookies.txt"
    rm -f "$JAR"
    CSRF=$(curl -fs -c "$JAR" -b "$JAR" "$BASE/login" | grep -o 'name="csrf" value="[^"]*"' | head -n 1 | sed 's/.*value="//; s/"$//')
    curl -fs -o /dev/null -c "$JAR" -b "$JAR" --data-urlencode "csrf=$CSRF" \
        --data-urlencode "email=bench-finance@fund.dz" --data-urlencode "password=$PASSWORD" "$BASE/login"
    local first affiliation middle debit
    first=$(curl -fs -b "$JAR" "$BASE/console/debits")
    echo "$first" | grep -o '<p id="totals"><strong>[^<]*' | sed 's/.*<strong>/first page totals: /'
    affiliation=$(echo "$first" | grep -o '<td><a href="/console/employers/[0-9]*"><bdi>[^<]*' | head -n 1 | sed 's/.*<bdi>//')
    debit=$(echo "$first" | grep -o 'tr id="debit-[0-9]*"' | head -n 1 | grep -o '[0-9]*')
    middle=$((debit / 2))
    uptime
    local pages=(
        "/console/debits"
        "/console/debits?channel=postal"
        "/console/debits?reason=insufficient_funds"
        "/console/debits?status=returned"
        "/console/debits?status=rejected&channel=postal"
        "/console/debits?employer=$affiliation"
        "/console/debits?from=$DATE&to=$DATE&min=10000&max=20000"
        "/console/debits?after_date=$DATE&after_id=$middle"
        "/console/debits?employer=travaux"
        "/console/debits.csv?reason=insufficient_funds"
        "/console/debits/$debit"
    )
    # Each page: its wall times (s), and the CPU the server process spent on it per request
    # (user + system, from /proc; with SQLite that includes the database's work, with
    # PostgreSQL not), which a busy machine does not inflate the way it does wall times.
    local tick
    tick=$(getconf CLK_TCK)
    for page in "${pages[@]}"; do
        local times=() before after
        before=$(awk '{ print $14 + $15 }' "/proc/$SERVE/stat")
        for _ in $(seq "$REPEAT"); do
            times+=("$(curl -fs -o "$DIR/page.out" -b "$JAR" -w '%{time_total}' "$BASE$page")")
        done
        after=$(awk '{ print $14 + $15 }' "/proc/$SERVE/stat")
        printf '%-62s %8s bytes  %s s  cpu %s ms/request\n' "$page" "$(wc -c <"$DIR/page.out")" \
            "${times[*]}" "$(( (after - before) * 1000 / tick / REPEAT ))"
    done
    uptime
    kill "$SERVE"
    wait "$SERVE" 2>/dev/null || true
    trap - EXIT
}

REPEAT=${2:-5}
case "${1:-}" in
prepare)
    rm -f "$DIR"/debits.db*
    prepare "sqlite://$DIR/debits.db" "$DIR/exchange"
    sqlite3 "$DIR/debits.db" "ANALYZE"
    ;;
measure)
    explain sqlite "$DIR/debits.db"
    measure "sqlite://$DIR/debits.db"
    ;;
synth)
    rm -f "$DIR"/debits.db*
    "$BIN" --database-url "sqlite://$DIR/debits.db" migrate
    synth_sql sqlite | /usr/bin/time -f "synth: %e s" sqlite3 "$DIR/debits.db"
    printf '%s\n' "$PASSWORD" | "$BIN" --database-url "sqlite://$DIR/debits.db" users add --role finance \
        --email bench-finance@fund.dz --name "Bench Finance" >/dev/null
    sqlite3 "$DIR/debits.db" "ANALYZE"
    ;;
synth-pg)
    psql "$PG/postgres" -q -c "DROP DATABASE IF EXISTS bench_debits" -c "CREATE DATABASE bench_debits"
    "$BIN" --database-url "$PG/bench_debits" migrate
    synth_sql pg | /usr/bin/time -f "synth: %e s" psql "$PG/bench_debits" -q -v ON_ERROR_STOP=1
    printf '%s\n' "$PASSWORD" | "$BIN" --database-url "$PG/bench_debits" users add --role finance \
        --email bench-finance@fund.dz --name "Bench Finance" >/dev/null
    psql "$PG/bench_debits" -q -c "VACUUM ANALYZE"
    ;;
prepare-pg)
    psql "$PG/postgres" -q -c "DROP DATABASE IF EXISTS bench_debits" -c "CREATE DATABASE bench_debits"
    prepare "$PG/bench_debits" "$DIR/pg-exchange"
    psql "$PG/bench_debits" -q -c "VACUUM ANALYZE"
    ;;
measure-pg)
    explain pg "$PG/bench_debits"
    measure "$PG/bench_debits"
    ;;
compare-pg)
    uptime
    compare_pg "$PG/bench_debits"
    uptime
    ;;
*)
    sed -n '2,18p' "$0" >&2
    exit 2
    ;;
esac
