#!/usr/bin/env bash
# Start-up and printing time of `onus show` on the built-in models, whole process.
# Usage: bench/show.sh   (installs hyperfine from Debian if it is missing)
set -euo pipefail
cd "$(dirname "$0")/.."
command -v hyperfine >/dev/null || { apt-get update -qq && apt-get install -y -qq hyperfine; }
cargo build --release -q
hyperfine -N --warmup 3 --runs 50 \
  './target/release/onus show ovhcloud-mks' \
  './target/release/onus show ovhcloud-mks -o json' \
  './target/release/onus show h8lio -o html' \
  './target/release/onus validate'
