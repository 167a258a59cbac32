#!/usr/bin/env bash
# The portal's speed benchmark (docs/benchmarks.md, "The portal"): bench/portal.sh [N=100000]
# Builds onus in release mode, makes the N-object audit report the way bench/run.sh does
# (bench/gen.py, then `onus audit -o json`), and runs bench/portal.py against a fresh SQLite
# file, then against PostgreSQL (.ci/postgres.sh starts a throw-away server; SKIP_POSTGRES=1
# skips it). Load generator: wrk from Debian's packages (installed when missing and root), else
# oha built from crates.io into target/bench-tools (LOAD=oha forces it).
# Settings: SECONDS_PER_LOAD (10), CONNECTIONS (64), RUNS (3).
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-100000}
W=${TMPDIR:-/tmp}/onus-bench
mkdir -p "$W"
cargo build --release -q -p onus-cli
ONUS=$PWD/target/release/onus

# The load generator.
LOAD=${LOAD:-}
if [ -z "$LOAD" ]; then
  if command -v wrk >/dev/null; then LOAD=wrk
  elif [ -x target/bench-tools/bin/oha ] || command -v oha >/dev/null; then LOAD=oha
  elif [ "$(id -u)" = 0 ]; then
    echo "portal.sh: installing wrk from Debian's packages" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; LOAD=wrk
  else LOAD=oha
  fi
fi
if [ "$LOAD" = oha ]; then
  if command -v oha >/dev/null; then LOAD_BIN=$(command -v oha)
  else
    [ -x target/bench-tools/bin/oha ] || cargo install -q --locked oha --root target/bench-tools
    LOAD_BIN=$PWD/target/bench-tools/bin/oha
  fi
else
  LOAD_BIN=$(command -v wrk)
fi

# The reports: the N-object export's, and the example cluster's.
[ -f "$W/export-$N.yaml" ] || python3 bench/gen.py "$N" "$W/export-$N.yaml"
[ -f "$W/report-$N.json" ] || "$ONUS" audit "$W/export-$N.yaml" -m ovhcloud-mks -o json \
  --now 2025-06-01T00:00:00Z --fail-on none > "$W/report-$N.json"
"$ONUS" audit examples/shop-cluster -m ovhcloud-mks -o json --now 2025-06-01T00:00:00Z \
  --fail-on none > "$W/report-shop.json"

run() {
  python3 bench/portal.py --onus "$ONUS" --database "$1" --report "$W/report-$N.json" \
    --small "$W/report-shop.json" --load "$LOAD" --load-bin "$LOAD_BIN" \
    --seconds "${SECONDS_PER_LOAD:-10}" --connections "${CONNECTIONS:-64}" --runs "${RUNS:-3}" \
    --log "$W/serve-$2.log"
}

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); load average $(cut -d' ' -f1-3 /proc/loadavg)"
rm -f "$W/portal-bench.db" "$W/portal-bench.db-wal" "$W/portal-bench.db-shm"
run "$W/portal-bench.db" sqlite
if [ "${SKIP_POSTGRES:-}" = "" ]; then
  eval "$(.ci/postgres.sh)"
  psql -q "$ONUS_TEST_POSTGRES" -c "DROP DATABASE IF EXISTS onus_bench" -c "CREATE DATABASE onus_bench"
  run "${ONUS_TEST_POSTGRES%/*}/onus_bench" postgres
fi
