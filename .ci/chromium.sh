#!/usr/bin/env bash
# Installs headless Chromium and chromedriver from Debian's packages when missing (needs root,
# as CI is), for the browser tests and the screenshots. Prints nothing on stdout.
set -euo pipefail
if command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "chromium.sh: chromium and chromedriver are missing; install them: apt-get install chromium chromium-driver" >&2
  exit 1
fi
echo "chromium.sh: installing chromium and chromium-driver from Debian's packages" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2
apt-get install -y -qq chromium chromium-driver fonts-dejavu-core >&2
