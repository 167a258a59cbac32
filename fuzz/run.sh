#!/usr/bin/env bash
# Fuzzes onus's input readers with libFuzzer, on the stable toolchain (docs/robustness.md).
#
#   fuzz/run.sh [TARGETS|all] [SECONDS]    default: all targets, 60 seconds each
#
# TARGETS is one target or several, comma-separated (`model,check`).
#
# Builds crates/onus-fuzz's libFuzzer driver (its `libfuzzer` example) with coverage instrumentation (rustc's
# stable `-C passes=sancov-module`; libfuzzer-sys compiles libFuzzer with the C++ compiler),
# writes the seeds (the repository's examples and what onus exports from them, plus the
# hostile inputs of issue 15) under target/fuzz/seeds/, then runs each target in turn for
# SECONDS with the limits the robustness promise is stated in: 5 s per input, 1 GiB of
# memory. The growing corpus stays in target/fuzz/corpus/<target>/; what breaks a target is
# saved as target/fuzz/artifacts/<target>/crash-* (or timeout-*, oom-*), to be replayed with
#   ONUS_FUZZ_TARGET=<target> target/fuzz/bin/onus-fuzz-libfuzzer <file>
# and kept, once fixed, in fuzz/regressions/<target>/ (which `cargo test` runs).
# A line per target goes to target/fuzz/summary/<target>.txt; exits 1 if any target broke.
set -euo pipefail
cd "$(dirname "$0")/.."

which=${1:-all}
seconds=${2:-60}
targets=(model import-markdown import-asciidoc import-html import-csv import-xlsx oscal export export-gzip attestations check)
if [[ "$which" != all ]]; then
  IFS=, read -r -a targets <<< "$which"
fi

host=$(rustc -vV | sed -n 's/^host: //p')
out=target/fuzz
# Instrumented for libFuzzer (edge counters, the PC table and comparison tracing, as cargo
# fuzz does); `--target` keeps build scripts and proc macros uninstrumented.
RUSTFLAGS="-Cpasses=sancov-module -Cllvm-args=-sanitizer-coverage-level=4 \
-Cllvm-args=-sanitizer-coverage-inline-8bit-counters -Cllvm-args=-sanitizer-coverage-pc-table \
-Cllvm-args=-sanitizer-coverage-trace-compares --cfg fuzzing" \
  cargo build --locked --profile fuzz -p onus-fuzz --features libfuzzer \
  --example libfuzzer --target "$host" --target-dir "$out/build"
mkdir -p "$out/bin"
# Copied then renamed: another run may be using the binary it replaces.
cp "$out/build/$host/fuzz/examples/libfuzzer" "$out/bin/onus-fuzz-libfuzzer.$$"
mv "$out/bin/onus-fuzz-libfuzzer.$$" "$out/bin/onus-fuzz-libfuzzer"
bin="$out/bin/onus-fuzz-libfuzzer"

# Seeds of this run (another run may go on at the same time).
seeds="$out/seeds.$$"
trap 'rm -rf "$seeds"' EXIT
ONUS_FUZZ_SEEDS="$seeds" "$bin"

mkdir -p "$out/summary"
failed=0
for t in "${targets[@]}"; do
  mkdir -p "$out/corpus/$t" "$out/artifacts/$t" "$out/logs" "fuzz/regressions/$t"
  log="$out/logs/$t.log"
  status=ok
  ONUS_FUZZ_TARGET="$t" "$bin" "$out/corpus/$t" "$seeds/$t" "fuzz/regressions/$t" \
    -max_total_time="$seconds" -timeout=5 -rss_limit_mb=1024 -malloc_limit_mb=1024 \
    -max_len=131072 -print_final_stats=1 -close_fd_mask=3 \
    -artifact_prefix="$out/artifacts/$t/" > "$log" 2>&1 || status=FAILED
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rss=$(sed -n 's/^stat::peak_rss_mb: *//p' "$log" | tail -1)
  cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -1 | cut -d' ' -f2)
  line="$t: $status, ${seconds}s, ${execs:-0} inputs, coverage ${cov:-?} edges, peak RSS ${rss:-?} MB"
  echo "$line" | tee "$out/summary/$t.txt"
  if [[ $status != ok ]]; then
    failed=1
    grep -E "^(==|SUMMARY|.*panicked at)" "$log" | head -5 || true
    ls "$out/artifacts/$t"
  fi
done
exit $failed
