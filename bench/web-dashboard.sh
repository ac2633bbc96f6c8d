#!/usr/bin/env bash
# Load test of the employer dashboard (issue 6): a demo fund, `tahsil serve` on it, an
# employer user signed in, then wrk on that user's dashboard with the session cookie.
#
#   cargo build --release
#   bench/web-dashboard.sh [DIR]          # DIR: a fresh folder for the demo (default: mktemp)
#
# Environment: TAHSIL_BIN (default target/release/tahsil, or $CARGO_TARGET_DIR/release/tahsil),
# PORT (18080), THREADS (2), CONNECTIONS (32), DURATION (20s), EMPLOYERS (demo's default when
# unset), EMPLOYER (upcoming | demo, see below), WRK_EXTRA (more wrk arguments). Needs curl,
# wrk (apt-get install -y wrk) and sqlite3.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${TAHSIL_BIN:-${CARGO_TARGET_DIR:-target}/release/tahsil}
DIR=${1:-$(mktemp -d)}
PORT=${PORT:-18080}
THREADS=${THREADS:-2}
CONNECTIONS=${CONNECTIONS:-32}
DURATION=${DURATION:-20s}
BASE="http://127.0.0.1:$PORT"
EMAIL=employeur1@demo.tahsil.dz

command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk" >&2; exit 1; }
[ -x "$BIN" ] || { echo "no $BIN: cargo build --release first" >&2; exit 1; }

demo_args=(demo --dir "$DIR")
[ -n "${EMPLOYERS:-}" ] && demo_args+=(--employers "$EMPLOYERS")
"$BIN" "${demo_args[@]}" >"$DIR/summary.txt" 2>"$DIR/demo.log"
grep -q "$EMAIL" "$DIR/summary.txt" || { echo "no $EMAIL in the demo summary" >&2; exit 1; }
# "… — password XYZ for every demo login:"
PASSWORD=$(grep -o 'password [^ ]* for every demo login' "$DIR/summary.txt" | awk '{ print $2 }')
[ -n "$PASSWORD" ] || { echo "no demo password in the summary" >&2; exit 1; }

# The page measured: by default the dashboard of an employer with a planned debit (the
# fullest page: date, amount, per-worksite breakdown, mandate), for a user made for it;
# EMPLOYER=demo measures the demo's first employer user instead (its debit is settled:
# "nothing owed").
if [ "${EMPLOYER:-upcoming}" = upcoming ]; then
  command -v sqlite3 >/dev/null || { echo "sqlite3 is missing (or set EMPLOYER=demo)" >&2; exit 1; }
  AFFILIATION=$(sqlite3 "$DIR/tahsil.db" "SELECT e.affiliation_number FROM collections c \
      JOIN employers e ON e.id = c.employer_id WHERE c.status = 'planned' \
      ORDER BY (SELECT COUNT(*) FROM collection_lines l WHERE l.collection_id = c.id AND l.live = 1) DESC, c.id LIMIT 1")
  [ -n "$AFFILIATION" ] || { echo "no planned debit in the demo" >&2; exit 1; }
  EMAIL=bench@demo.tahsil.dz
  printf '%s\n' "$PASSWORD" | "$BIN" --database-url "sqlite://$DIR/tahsil.db" users add \
      --role employer --email "$EMAIL" --employer "$AFFILIATION" >/dev/null
fi

TAHSIL_EXCHANGE_DIR="$DIR/exchange" "$BIN" --database-url "sqlite://$DIR/tahsil.db" \
    serve --listen "127.0.0.1:$PORT" 2>"$DIR/serve.log" &
SERVE=$!
trap 'kill "$SERVE" 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  curl -fs "$BASE/healthz" >/dev/null 2>&1 && break
  sleep 0.1
done

# Sign in as a person does: the form's CSRF token (double-submit cookie), then the form.
JAR="$DIR/cookies.txt"
CSRF=$(curl -fs -c "$JAR" -b "$JAR" "$BASE/login" | grep -o 'name="csrf" value="[^"]*"' | head -n 1 | sed 's/.*value="//; s/"$//')
curl -fs -o /dev/null -c "$JAR" -b "$JAR" --data-urlencode "csrf=$CSRF" \
    --data-urlencode "email=$EMAIL" --data-urlencode "password=$PASSWORD" "$BASE/login"
TOKEN=$(awk '$6 == "tahsil_session" { print $7 }' "$JAR")
[ -n "$TOKEN" ] || { echo "sign-in failed (see $DIR/serve.log)" >&2; exit 1; }
# /portal sends a user with one employer to that employer's dashboard.
DASHBOARD=$(curl -fs -o /dev/null -w '%{redirect_url}' -H "Cookie: tahsil_session=$TOKEN" "$BASE/portal")
[ -n "$DASHBOARD" ] || { echo "no dashboard redirect from /portal" >&2; exit 1; }
BYTES=$(curl -fs -H "Cookie: tahsil_session=$TOKEN" "$DASHBOARD" | wc -c)
PAGE=$(curl -fs -H "Cookie: tahsil_session=$TOKEN" "$DASHBOARD")
ROWS=$(printf '%s' "$PAGE" | sed -n '/id="breakdown"/,/<\/table>/p' | grep -c '<tr><td>' || true)
echo "dashboard of $EMAIL: $DASHBOARD ($BYTES bytes, $ROWS breakdown rows); demo in $DIR"
uptime

# Warm-up, then the measured run.
wrk -t"$THREADS" -c"$CONNECTIONS" -d3s -H "Cookie: tahsil_session=$TOKEN" "$DASHBOARD" >/dev/null
# shellcheck disable=SC2086
wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency ${WRK_EXTRA:-} \
    -H "Cookie: tahsil_session=$TOKEN" "$DASHBOARD"
uptime
