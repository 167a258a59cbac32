#!/usr/bin/env bash
# Reproduces docs/benchmarks.md: bench/run.sh [N=100000] [CHECKOV_N=4000]
# Needs: cargo, python3, GNU time (/usr/bin/time). Checkov is installed into a private venv
# (bench/.venv) only by this script, and run offline. RUNS=3 by default: each measurement is
# repeated and every run printed (compare medians: shared machines are noisy).
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-100000}
CN=${2:-4000}
RUNS=${RUNS:-3}
W=${TMPDIR:-/tmp}/onus-bench
mkdir -p "$W"
cargo build --release -q -p onus-cli
ONUS=target/release/onus
[ -f "$W/export-$N.yaml" ] || python3 bench/gen.py "$N" "$W/export-$N.yaml"
[ -f "$W/export-$CN.yaml" ] || python3 bench/gen.py "$CN" "$W/export-$CN.yaml"
BYTES=$(stat -c %s "$W/export-$N.yaml")
echo "input: $N objects, $BYTES bytes ($(( BYTES / 1048576 )) MiB)"
# Prints "wall_s user_s peak_kib" of one run of the command.
measure() { /usr/bin/time -f "%e %U %M" "$@" >/dev/null 2>"$W/time.txt" || true; tail -1 "$W/time.txt"; }
report() {
  local label=$1; shift
  for _ in $(seq "$RUNS"); do
    read -r wall user kib < <(measure "$@")
    awk -v l="$label" -v w="$wall" -v u="$user" -v k="$kib" -v b="$BYTES" \
      'BEGIN { printf "%-11s %6.2f s wall  %6.2f s user  %7.1f MB peak RSS (%.2fx input)\n", l, w, u, k*1024/1e6, k*1024/b }'
  done
}
report "parse only" $ONUS audit "$W/export-$N.yaml" -m ovhcloud-mks --parse-only
report "full audit" $ONUS audit "$W/export-$N.yaml" -m ovhcloud-mks -o json --now 2025-06-01T00:00:00Z
RUNS=1 report "$CN objects" $ONUS audit "$W/export-$CN.yaml" -m ovhcloud-mks -o json --now 2025-06-01T00:00:00Z
if [ "${SKIP_CHECKOV:-}" = "" ]; then
  [ -x bench/.venv/bin/checkov ] || { python3 -m venv bench/.venv && bench/.venv/bin/pip install -q checkov; }
  mkdir -p "$W/checkov-$CN" && cp "$W/export-$CN.yaml" "$W/checkov-$CN/"
  BC_SKIP_MAPPING=TRUE CKV_SKIP_PACKAGE_UPDATE_CHECK=TRUE RUNS=1 report "checkov $CN" \
    bench/.venv/bin/checkov -d "$W/checkov-$CN" --framework kubernetes --quiet --compact
fi
