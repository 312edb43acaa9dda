#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the tests: initdb in a temp dir, pg_ctl on a free port on 127.0.0.1.
#   eval "$(eng/postgres.sh start)"   # starts it and exports CRM_TEST_POSTGRES (and CRM_TEST_POSTGRES_DIR)
#   eng/postgres.sh stop [dir]        # stops it and removes the dir (default: $CRM_TEST_POSTGRES_DIR)
# As root the cluster runs as the 'postgres' user (postgres refuses to run as root).
# Prints only the export lines on stdout; progress goes to stderr.
set -euo pipefail

bindir=${PG_BINDIR:-}
if [ -z "$bindir" ]; then
  for d in /usr/lib/postgresql/*/bin; do [ -x "$d/initdb" ] && bindir=$d; done
fi
if [ -z "$bindir" ] && command -v initdb >/dev/null 2>&1; then bindir=$(dirname "$(command -v initdb)"); fi
if [ -z "$bindir" ] || [ ! -x "$bindir/initdb" ]; then
  echo "postgres.sh: initdb not found; install the PostgreSQL server (Debian: apt-get install postgresql) or set PG_BINDIR" >&2
  exit 2
fi

as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

free_port() {
  if python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()' 2>/dev/null; then
    return
  fi
  # No python: try random ports until one refuses a connection.
  local port
  for _ in $(seq 1 50); do
    port=$((20000 + RANDOM % 20000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then echo "$port"; return; fi
  done
  echo "postgres.sh: no free port found" >&2; exit 1
}

case "${1:-}" in
  start)
    dir=$(mktemp -d /tmp/crm-pg.XXXXXX)
    chmod 755 "$dir"
    [ "$(id -u)" = 0 ] && chown postgres:postgres "$dir"
    port=$(free_port)
    as_owner "$bindir/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --no-locale >"$dir/initdb.log" 2>&1 \
      || { cat "$dir/initdb.log" >&2; exit 1; }
    # Throwaway test cluster: durability off for speed, enough connections for 4 hosts plus the tests.
    as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
      -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=300 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" start >&2 \
      || { cat "$dir/server.log" >&2; exit 1; }
    echo "postgres.sh: cluster in $dir on 127.0.0.1:$port" >&2
    echo "export CRM_TEST_POSTGRES='Host=127.0.0.1;Port=$port;Username=postgres;Database=postgres'"
    echo "export CRM_TEST_POSTGRES_DIR='$dir'"
    ;;
  stop)
    dir=${2:-${CRM_TEST_POSTGRES_DIR:-}}
    if [ -z "$dir" ] || [ ! -d "$dir/data" ]; then echo "postgres.sh: no cluster dir given" >&2; exit 1; fi
    as_owner "$bindir/pg_ctl" -D "$dir/data" -m immediate -w stop >&2 || true
    rm -rf "$dir"
    ;;
  *)
    echo "usage: eng/postgres.sh start|stop [dir]" >&2
    exit 64
    ;;
esac
