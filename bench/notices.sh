#!/usr/bin/env bash
# Notices to a loopback SMTP server (issue 19; figures in BENCHMARKS.md): tahsil's
# `notices --send` against Python's `smtplib` sending the same messages on one connection,
# to the same server, side by side, interleaved, N rounds. The server (SERVER): aiosmtpd
# with its sink handler (one Python process; it parses every message and drops it), or
# Postfix's `smtp-sink` (C, one process, event-driven; it drops every message; Debian's
# `postfix` package: stop its daemon with `postfix stop` if it started).
#
#   cargo build --release
#   bench/notices.sh prepare            # 10,000 advance notices in a SQLite database, and
#                                       # their .eml files (the folder transport) for smtplib
#   bench/notices.sh compare [N]        # N rounds: tahsil, smtplib (and OLD_BIN when set)
#
# Each line: who, messages, seconds, messages per second. Environment: TAHSIL_BIN (default
# target/release/tahsil), OLD_BIN (a build of other code, run in each round too),
# BENCH_DIR (default /tmp/tahsil-notices), PORT (2599), CONNECTIONS (tahsil's
# TAHSIL_MAIL_CONNECTIONS, default 8), PYTHON (default /usr/bin/python3, with aiosmtpd:
# Debian's python3-aiosmtpd), SERVER (`aiosmtpd`, the default, or `smtp-sink`), SMTP_SINK
# (default /usr/sbin/smtp-sink; run as `nobody` when started by root).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=$(realpath "${TAHSIL_BIN:-${CARGO_TARGET_DIR:-target}/release/tahsil}")
DIR=${BENCH_DIR:-/tmp/tahsil-notices}
PORT=${PORT:-2599}
CONNECTIONS=${CONNECTIONS:-8}
PYTHON=${PYTHON:-/usr/bin/python3}
SERVER=${SERVER:-aiosmtpd}
SMTP_SINK=${SMTP_SINK:-/usr/sbin/smtp-sink}
[ -x "$BIN" ] || { echo "no $BIN: cargo build --release first" >&2; exit 1; }
mkdir -p "$DIR"
[ -f "$DIR/key" ] || head -c32 /dev/urandom | base64 >"$DIR/key"
export TAHSIL_ENCRYPTION_KEY
TAHSIL_ENCRYPTION_KEY=$(cat "$DIR/key")
export TAHSIL_LOG=warn

fresh_copy() {
    rm -f "$DIR"/copy.db "$DIR"/copy.db-wal "$DIR"/copy.db-shm
    cp "$DIR/notices.db" "$DIR/copy.db"
    sync
}

# tahsil sends every pending notice of a fresh copy; prints "<who> <sent> <s> <per s>".
tahsil_send() { # WHO BINARY
    fresh_copy
    local out
    out=$(TAHSIL_MAIL_CONNECTIONS=$CONNECTIONS TAHSIL_SMTP_URL=smtp://127.0.0.1:$PORT \
        "$2" --database-url "sqlite://$DIR/copy.db" notices --send | sed -n 1p)
    # "sent 10000 notices to smtp://127.0.0.1:2599 in 4.21s (2375 per second); …"
    echo "$out" | sed -E "s/^sent ([0-9]+) notices to [^ ]+ in ([0-9.]+)(m?s) \(([0-9]+) per second\).*$/$1 \1 \2\3 \4\/s/"
}

# smtplib sends the same .eml files on one connection.
smtplib_send() {
    "$PYTHON" - "$DIR/eml" "$PORT" <<'EOF'
import email, os, smtplib, sys, time
folder, port = sys.argv[1], int(sys.argv[2])
messages = []
for name in sorted(os.listdir(folder)):
    with open(os.path.join(folder, name), 'rb') as f:
        raw = f.read()
    parsed = email.message_from_bytes(raw)
    messages.append((email.utils.parseaddr(parsed['From'])[1],
                     [email.utils.parseaddr(parsed['To'])[1]], raw))
started = time.perf_counter()
with smtplib.SMTP('127.0.0.1', port) as s:
    for sender, to, raw in messages:
        s.sendmail(sender, to, raw)
took = time.perf_counter() - started
print('smtplib %d %.2fs %d/s' % (len(messages), took, len(messages) / took))
EOF
}

case "${1:-}" in
prepare)
    rm -rf "$DIR/notices.db"* "$DIR/eml" "$DIR/mail"
    "$BIN" --database-url "sqlite://$DIR/notices.db" seed --employers 10000 --worksites 2 >/dev/null
    TAHSIL_EXCHANGE_DIR="$DIR/ex" "$BIN" --database-url "sqlite://$DIR/notices.db" run --date 2026-12-15 >/dev/null
    fresh_copy
    TAHSIL_MAIL_DIR="$DIR/eml" "$BIN" --database-url "sqlite://$DIR/copy.db" notices --send | sed -n 1p
    ls "$DIR/eml" | wc -l
    ;;
compare)
    case "$SERVER" in
    aiosmtpd) "$PYTHON" -m aiosmtpd -n -l "127.0.0.1:$PORT" -c aiosmtpd.handlers.Sink & ;;
    # A backlog of 1,000; up to 256 sessions at once (its default).
    smtp-sink) "$SMTP_SINK" $([ "$(id -u)" = 0 ] && echo -u nobody) "127.0.0.1:$PORT" 1000 & ;;
    *) echo "SERVER is aiosmtpd or smtp-sink, not $SERVER" >&2; exit 2 ;;
    esac
    SERVER_PID=$!
    trap 'kill $SERVER_PID' EXIT
    sleep 1
    echo "server: $SERVER"
    uptime
    for _ in $(seq "${2:-3}"); do
        tahsil_send tahsil "$BIN"
        smtplib_send
        if [ -n "${OLD_BIN:-}" ]; then tahsil_send old "$OLD_BIN"; fi
    done
    uptime
    ;;
*)
    sed -n '2,22p' "$0"
    exit 2
    ;;
esac
