#!/usr/bin/env bash
# Make sure PostgreSQL and Redis answer. Start them when they are installed here but down;
# say exactly what to do when they are missing. DATABASE_URL / REDIS_URL point elsewhere.
set -euo pipefail

DATABASE_URL=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/kramar}
REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379/0}
# The server, without the database name: pg_isready only needs to reach it.
PG_SERVER_URL="${DATABASE_URL%/*}/postgres"

pg_up() { pg_isready -q -d "$PG_SERVER_URL" -t 2 2>/dev/null; }
redis_up() { [ "$(redis-cli -u "$REDIS_URL" ping 2>/dev/null)" = "PONG" ]; }

wait_for() {  # wait_for <check-fn> <name>
  for _ in $(seq 1 30); do "$1" && return 0; sleep 0.5; done
  echo "error: $2 did not come up within 15 s" >&2; return 1
}

if ! command -v pg_isready >/dev/null; then
  echo "error: PostgreSQL client tools are missing. Install them: apt-get install -y postgresql postgresql-client" >&2
  exit 1
fi
if ! pg_up; then
  if command -v pg_ctlcluster >/dev/null && [ -d /etc/postgresql ] && [ -n "$(ls /etc/postgresql 2>/dev/null)" ]; then
    echo "PostgreSQL is down; starting it"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start
    wait_for pg_up PostgreSQL
  else
    echo "error: PostgreSQL does not answer at $PG_SERVER_URL and is not installed here." >&2
    echo "  Install it:  apt-get install -y postgresql  (then rerun), or set DATABASE_URL to a server you have." >&2
    exit 1
  fi
fi

if ! command -v redis-cli >/dev/null; then
  echo "error: Redis is missing. Install it: apt-get install -y redis-server" >&2
  exit 1
fi
if ! redis_up; then
  if command -v redis-server >/dev/null; then
    echo "Redis is down; starting it"
    mkdir -p /var/lib/redis /var/log/redis
    redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
      --dir /var/lib/redis --logfile /var/log/redis/ci.log
    wait_for redis_up Redis
  else
    echo "error: Redis does not answer at $REDIS_URL and is not installed here." >&2
    echo "  Install it:  apt-get install -y redis-server  (then rerun), or set REDIS_URL to a server you have." >&2
    exit 1
  fi
fi
echo "PostgreSQL and Redis are up"
