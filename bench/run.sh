#!/usr/bin/env bash
# Reproduces docs/benchmarks.md: bench/run.sh [N=100000] [CHECKOV_N=4000]
# Needs: cargo, python3, GNU time (/usr/bin/time). Checkov is installed into a private venv
# (bench/.venv) only by this script, and run offline.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-100000}
CN=${2:-4000}
W=${TMPDIR:-/tmp}/onus-bench
mkdir -p "$W"
cargo build --release -q -p onus-cli
ONUS=target/release/onus
python3 bench/gen.py "$N" "$W/export-$N.yaml"
python3 bench/gen.py "$CN" "$W/export-$CN.yaml"
echo "input: $N objects, $(du -m "$W/export-$N.yaml" | cut -f1) MiB"
measure() { /usr/bin/time -f "%e s wall, %M KiB peak RSS" "$@" >/dev/null 2>"$W/time.txt" || true; tail -1 "$W/time.txt"; }
echo "parse only : $(measure $ONUS audit "$W/export-$N.yaml" -m ovhcloud-mks --parse-only)"
echo "full audit : $(measure $ONUS audit "$W/export-$N.yaml" -m ovhcloud-mks -o json --now 2025-06-01T00:00:00Z)"
echo "onus on $CN objects: $(measure $ONUS audit "$W/export-$CN.yaml" -m ovhcloud-mks -o json --now 2025-06-01T00:00:00Z)"
if [ "${SKIP_CHECKOV:-}" = "" ]; then
  [ -x bench/.venv/bin/checkov ] || { python3 -m venv bench/.venv && bench/.venv/bin/pip install -q checkov; }
  mkdir -p "$W/checkov-$CN" && cp "$W/export-$CN.yaml" "$W/checkov-$CN/"
  echo "checkov on $CN objects: $(BC_SKIP_MAPPING=TRUE CKV_SKIP_PACKAGE_UPDATE_CHECK=TRUE measure bench/.venv/bin/checkov -d "$W/checkov-$CN" --framework kubernetes --quiet --compact)"
fi
