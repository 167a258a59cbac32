#!/usr/bin/env bash
# Starts a throw-away PostgreSQL server for the tests on 127.0.0.1 and prints the line that
# points them at it:   eval "$(.ci/postgres.sh)"
# Installs PostgreSQL from Debian's packages when no server binaries are present (needs root,
# as CI is). PostgreSQL refuses to run as root, so as root the cluster belongs to the
# `postgres` user the Debian package creates. Reuses a server already answering on the port.
# Settings: ONUS_PG_PORT (default 54329), ONUS_PG_DIR (default /tmp/onus-pg-$ONUS_PG_PORT).
set -euo pipefail
port="${ONUS_PG_PORT:-54329}"
dir="${ONUS_PG_DIR:-/tmp/onus-pg-$port}"
url="postgres://postgres@127.0.0.1:$port/postgres"
say() { echo "postgres.sh: $*" >&2; }

bindir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
if [ -z "$bindir" ] || [ ! -x "$bindir/initdb" ]; then
  if [ "$(id -u)" != 0 ]; then
    say "PostgreSQL is not installed and installing it needs root: apt-get install postgresql"
    exit 1
  fi
  say "installing PostgreSQL from Debian's packages"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq postgresql >&2
  bindir="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)"
fi

as_owner() {
  if [ "$(id -u)" = 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

if "$bindir/pg_isready" -q -h 127.0.0.1 -p "$port" 2>/dev/null; then
  say "reusing the server on 127.0.0.1:$port"
  echo "export ONUS_TEST_POSTGRES=$url"
  exit 0
fi

if [ ! -f "$dir/PG_VERSION" ]; then
  mkdir -p "$dir"
  [ "$(id -u)" = 0 ] && chown postgres: "$dir"
  as_owner "$bindir/initdb" -D "$dir" -U postgres -A trust --no-sync >&2
fi
# fsync off: a test database need not survive a power cut, and it makes CI faster.
as_owner "$bindir/pg_ctl" -D "$dir" -l "$dir/server.log" -w start \
  -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c max_connections=400 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" >&2
say "PostgreSQL $("$bindir/postgres" --version | awk '{print $3}') on 127.0.0.1:$port (data in $dir; stop: pg_ctl -D $dir stop)"
echo "export ONUS_TEST_POSTGRES=$url"
