#!/bin/bash
# Receivables and journal at 100,000 employers x 3 worksites on a scratch SQLite database
# (BENCHMARKS.md): TAHSIL_BIN=path/to/tahsil bench/receivables.sh
set -e
BIN=${TAHSIL_BIN:-target/debug/tahsil}
D=$(mktemp -d /tmp/st-scale.XXXX)
export TAHSIL_DATABASE_URL="sqlite://$D/t.db?mode=rwc"
export TAHSIL_ENCRYPTION_KEY=$(head -c32 /dev/urandom | base64)
export TAHSIL_CLOCK="2026-12-01T10:00:00+01:00"
/usr/bin/time -f "seed %e s %M KB" $BIN seed --employers 100000 --worksites 3 --period 2026-10 >/dev/null
for i in 1 2 3; do
/usr/bin/time -f "receivables --csv: %e s wall, %U s user, %M KB" $BIN receivables --csv > $D/r.csv
done
wc -l $D/r.csv; tail -1 $D/r.csv
for i in 1 2 3; do
/usr/bin/time -f "journal: %e s wall, %U s user, %M KB" $BIN journal --from 2026-11-01 --to 2026-11-30 --out $D/j.csv
/usr/bin/time -f "journal --totals: %e s wall, %M KB" $BIN journal --from 2026-11-01 --to 2026-11-30 --totals > $D/t.csv
done
cat $D/t.csv
rm -rf $D
