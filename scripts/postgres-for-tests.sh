#!/usr/bin/env bash
# A throwaway PostgreSQL 15 server for the web app's database tests.
#
#   eval "$(scripts/postgres-for-tests.sh start)"   # starts it; exports TOTALPLACE_TEST_PG_URL and TOTALPLACE_TEST_PG_DIR
#   scripts/postgres-for-tests.sh stop "$TOTALPLACE_TEST_PG_DIR"
#
# The server lives in a new temporary folder, listens on a Unix socket there only
# (no TCP port), trusts local connections, and is run by a non-root user (PostgreSQL
# refuses to run as root: as root it uses the `postgres` account Debian's package made).
set -euo pipefail
PGBIN="${PGBIN:-/usr/lib/postgresql/15/bin}"
action="${1:-start}"

as_owner() {
  if [ "$(id -u)" = "0" ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "$action" in
  start)
    [ -x "$PGBIN/initdb" ] || { echo "no PostgreSQL at $PGBIN (apt-get install postgresql-15)" >&2; exit 1; }
    dir="$(mktemp -d /tmp/totalplace-pg-XXXXXX)"
    chmod 755 "$dir"
    [ "$(id -u)" = "0" ] && chown postgres "$dir"
    as_owner "$PGBIN/initdb" -D "$dir/data" -U totalplace -A trust --no-sync >"$dir/initdb.log" 2>&1
    port=54329
    as_owner "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 \
      -o "-k $dir -p $port -c listen_addresses= -c fsync=off" start >/dev/null
    as_owner "$PGBIN/createdb" -h "$dir" -p "$port" -U totalplace totalplace_test
    echo "export TOTALPLACE_TEST_PG_URL='postgresql+psycopg://totalplace@/totalplace_test?host=$dir&port=$port'"
    echo "export TOTALPLACE_TEST_PG_DIR='$dir'"
    ;;
  stop)
    dir="${2:?give the folder printed by start}"
    case "$dir" in /tmp/totalplace-pg-*) ;; *) echo "refusing to remove $dir" >&2; exit 1;; esac
    as_owner "$PGBIN/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$dir"
    ;;
  *)
    echo "usage: $0 start | stop DIR" >&2
    exit 2
    ;;
esac
