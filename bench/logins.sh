#!/usr/bin/env bash
# Anonymous sign-ins in parallel against a release `serve` on loopback (issue 17): the
# server's peak memory (VmHWM) and the slowest answer.
#
#   cargo build --release
#   bench/logins.sh [N] [MODE]      # N parallel sign-ins (150); MODE:
#     distinct  (default) each from its own address: the server trusts 127.0.0.1 as a proxy
#               and every request carries its own X-Forwarded-For, so no address throttle
#               stops them — every sign-in asks for a password check (the worst case);
#     same      all from 127.0.0.1 (the address throttle answers most of them 429).
#
# Environment: TAHSIL_BIN (default $CARGO_TARGET_DIR/release/tahsil or target/release/tahsil),
# PORT (18089). Needs curl. Prints the answers by status, the slowest answer and the
# server's RSS before and its peak after.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${TAHSIL_BIN:-${CARGO_TARGET_DIR:-target}/release/tahsil}
N=${1:-150}
MODE=${2:-distinct}
PORT=${PORT:-18089}
BASE="http://127.0.0.1:$PORT"
[ -x "$BIN" ] || { echo "no $BIN: cargo build --release first" >&2; exit 1; }

DIR=$(mktemp -d)
export TAHSIL_DATABASE_URL="sqlite://$DIR/tahsil.db" TAHSIL_LISTEN="127.0.0.1:$PORT" \
  TAHSIL_EXCHANGE_DIR="$DIR/exchange" TAHSIL_MAIL_DIR="$DIR/mail" TAHSIL_LOG=warn \
  TAHSIL_ADMIN_TOKEN=bench-admin-token
[ "$MODE" = distinct ] && export TAHSIL_TRUSTED_PROXIES=127.0.0.1
"$BIN" migrate >/dev/null
"$BIN" serve >"$DIR/serve.out" 2>"$DIR/serve.log" &
PID=$!
trap 'kill $PID 2>/dev/null || true; wait $PID 2>/dev/null || true; rm -rf "$DIR"' EXIT
for _ in $(seq 100); do curl -fs "$BASE/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
curl -fs "$BASE/healthz" >/dev/null || { echo "serve did not start:" >&2; cat "$DIR/serve.log" >&2; exit 1; }

# One anonymous CSRF pair (cookie and form token) for every sign-in.
CSRF=$(curl -fs -c "$DIR/jar" "$BASE/login" | grep -o 'name="csrf" value="[^"]*"' | head -1 \
  | sed 's/.*value="//; s/"$//')
[ -n "$CSRF" ] || { echo "no CSRF token on /login" >&2; exit 1; }
RSS_BEFORE=$(awk '/VmRSS/ { print $2 }' "/proc/$PID/status")

for i in $(seq "$N"); do
  headers=()
  [ "$MODE" = distinct ] && headers=(-H "X-Forwarded-For: 10.$((i / 250)).$((i % 250)).1")
  curl -s -o /dev/null -w '%{http_code} %{time_total}\n' -b "$DIR/jar" "${headers[@]}" \
    --data-urlencode "csrf=$CSRF" --data-urlencode "email=anon$i@nowhere.example" \
    --data-urlencode "password=wrong password $i" "$BASE/login" >>"$DIR/answers" &
done
wait $(jobs -p | grep -v "^$PID$") 2>/dev/null || true
sleep 0.5
RSS_PEAK=$(awk '/VmHWM/ { print $2 }' "/proc/$PID/status")
RSS_AFTER=$(awk '/VmRSS/ { print $2 }' "/proc/$PID/status")

echo "$N parallel anonymous sign-ins ($MODE addresses) against $BIN"
echo "answers by status:"
awk '{ print "  " $1 }' "$DIR/answers" | sort | uniq -c
for status in $(awk '{ print $1 }' "$DIR/answers" | sort -u); do
  awk -v s="$status" '$1 == s { print $2 }' "$DIR/answers" | sort -n | awk -v s="$status" \
    '{ t[NR] = $1 } END { printf "  %s: median %.3f s, p95 %.3f s, slowest %.3f s\n", s, t[int((NR + 1) / 2)], t[int(NR * 0.95 + 0.5)], t[NR] }'
done
echo "slowest answer: $(awk '{ print $2 }' "$DIR/answers" | sort -n | tail -1) s"
echo "server RSS: $((RSS_BEFORE / 1024)) MB before, peak $((RSS_PEAK / 1024)) MB, $((RSS_AFTER / 1024)) MB after"
