#!/usr/bin/env bash
# The export's memory (docs/benchmarks.md, "Leaving: export in bounded memory"):
#   bench/export.sh [N=100000] [CHECKPOINTS=1,10,100]
# Makes the N-object audit report as bench/run.sh does (bench/gen.py, then `onus audit -o
# json`), uploads it to a fresh portal (SQLite) as many times as the last checkpoint, and at
# each checkpoint measures `onus org export` of the customer (wall time, peak RSS with GNU
# time) against the archive's size. Bounded memory: the peak stays flat while the archive grows.
# Disk: about twice the report's size per upload (the database, then the archive) under
# $TMPDIR/onus-bench. ONUS=path/to/onus uses another build (default: release, built here).
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-100000}
CHECKPOINTS=${2:-1,10,100}
W=${TMPDIR:-/tmp}/onus-bench
mkdir -p "$W"
if [ -z "${ONUS:-}" ]; then
  cargo build --release -q -p onus-cli
  ONUS=$PWD/target/release/onus
fi
[ -f "$W/export-$N.yaml" ] || python3 bench/gen.py "$N" "$W/export-$N.yaml"
[ -f "$W/report-$N.json" ] || "$ONUS" audit "$W/export-$N.yaml" -m ovhcloud-mks -o json \
  --now 2025-06-01T00:00:00Z --fail-on none > "$W/report-$N.json"
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo); load average $(cut -d' ' -f1-3 /proc/loadavg); onus: $ONUS"
rm -f "$W/export-bench.db" "$W/export-bench.db-wal" "$W/export-bench.db-shm" "$W/export-bench.tar"
python3 bench/export.py --onus "$ONUS" --database "$W/export-bench.db" \
  --report "$W/report-$N.json" --model models/ovhcloud-mks.yaml --checkpoints "$CHECKPOINTS" \
  --out "$W/export-bench.tar" --runs "${RUNS:-1}" --log "$W/serve-export.log"
ls -l "$W/export-bench.db" | awk '{printf "database: %.0f MiB\n", $5/1048576}'
rm -f "$W/export-bench.db" "$W/export-bench.db-wal" "$W/export-bench.db-shm" "$W/export-bench.tar"
