#!/usr/bin/env bash
# Run the whole shop on this machine: database, migrations, demo data, then web (gunicorn),
# Celery worker and Celery Beat, with logs in var/log/. Ctrl-C stops all three; if one of them
# dies, the others are stopped too and the tail of its log is shown.
#
# Called by `make run`, which has already created .venv and made sure PostgreSQL and Redis
# answer. Environment: HOST (127.0.0.1), PORT (8000), WEB_WORKERS (3), DEMO_PASSWORD
# (kramar-demo), and everything config/settings.py reads (DATABASE_URL, REDIS_URL, ...).
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=.venv/bin
PY=$BIN/python
HOST=${HOST:-127.0.0.1}
PORT=${PORT:-8000}
WEB_WORKERS=${WEB_WORKERS:-3}
export DEMO_PASSWORD=${DEMO_PASSWORD:-kramar-demo}
LOG_DIR=var/log

if [ "$HOST" = "0.0.0.0" ]; then URL="http://127.0.0.1:$PORT"; else URL="http://$HOST:$PORT"; fi
# Links in e-mails should point at this server, unless the operator said otherwise.
if [ -z "${SITE_URL:-}" ] && ! grep -qs '^SITE_URL=' .env; then export SITE_URL=$URL; fi

if [ ! -x "$PY" ]; then
  echo "error: $PY is missing; run 'make run' (it creates the virtualenv)" >&2
  exit 1
fi
mkdir -p "$LOG_DIR"

step() { printf '\n==> %s\n' "$*"; }

step "Database"
$PY scripts/ensure_database.py
step "Migrations"
$PY manage.py migrate --noinput
step "Static files"
$PY manage.py collectstatic --noinput --verbosity 0
step "Demo data"
$PY manage.py seed_demo

# --- processes -------------------------------------------------------------------------------

PIDS=()
NAMES=()

start() {  # start <name> <command...>: run it in the background, output to var/log/<name>.log
  local name=$1
  shift
  if [ -f "$LOG_DIR/$name.log" ]; then mv -f "$LOG_DIR/$name.log" "$LOG_DIR/$name.log.1"; fi
  "$@" >"$LOG_DIR/$name.log" 2>&1 &
  PIDS+=("$!")
  NAMES+=("$name")
}

alive() { kill -0 "$1" 2>/dev/null; }

stop_all() {  # TERM everything still running, wait for a graceful exit, then KILL stragglers
  local pid _ any
  for pid in "${PIDS[@]}"; do alive "$pid" && kill -TERM "$pid" 2>/dev/null || true; done
  for _ in $(seq 1 60); do
    any=
    for pid in "${PIDS[@]}"; do alive "$pid" && any=1; done
    [ -z "$any" ] && break
    sleep 0.5
  done
  for pid in "${PIDS[@]}"; do
    if alive "$pid"; then
      echo "warning: process $pid did not stop within 30 s; killing it" >&2
      kill -KILL "$pid" 2>/dev/null || true
    fi
  done
  wait 2>/dev/null || true
}

on_signal() {
  trap - INT TERM EXIT
  printf '\nStopping web, worker and beat...\n'
  stop_all
  echo "Stopped."
  exit 0
}

on_exit() {  # the script failed (set -e) or a process died: leave nothing running behind
  local rc=$?
  trap - INT TERM EXIT
  if [ ${#PIDS[@]} -gt 0 ]; then stop_all; fi
  exit "$rc"
}

check_all_alive() {  # if one process died: stop the others, say which died, show its log
  local i rc name how
  for i in "${!PIDS[@]}"; do
    if ! alive "${PIDS[$i]}"; then
      rc=0
      wait "${PIDS[$i]}" || rc=$?
      name=${NAMES[$i]}
      if [ "$rc" -gt 128 ]; then how="was killed by signal $((rc - 128))"; else how="exited with code $rc"; fi
      echo >&2
      echo "error: $name $how; stopping the others. Last lines of $LOG_DIR/$name.log:" >&2
      echo "----------------------------------------------------------------------" >&2
      tail -n 40 "$LOG_DIR/$name.log" >&2 || true
      echo "----------------------------------------------------------------------" >&2
      exit 1
    fi
  done
}

trap on_signal INT TERM
trap on_exit EXIT

step "Starting web, worker and beat"
# gunicorn, as production serves; whitenoise serves the collected static files. gunicorn.conf.py
# (read from this directory) sets the request timeout from WEB_TIMEOUT, as config/settings.py does.
start web $BIN/gunicorn config.wsgi:application \
  --bind "$HOST:$PORT" --workers "$WEB_WORKERS" --graceful-timeout 10 \
  --access-logfile - --error-logfile -
start worker $BIN/celery -A config worker -l info --concurrency 2
start beat $BIN/celery -A config beat -l info --scheduler django_celery_beat.schedulers:DatabaseScheduler

for _ in $(seq 1 60); do
  check_all_alive
  if curl -fsS -o /dev/null --max-time 2 "$URL/health/live/" 2>/dev/null; then break; fi
  sleep 0.5
done
if ! curl -fsS -o /dev/null --max-time 2 "$URL/health/live/" 2>/dev/null; then
  echo "error: the web server did not answer $URL/health/live/ within 30 s; see $LOG_DIR/web.log" >&2
  tail -n 40 "$LOG_DIR/web.log" >&2 || true
  exit 1
fi

cat <<EOF

======================================================================
  kramar is running

  Shop         $URL/
  Back office  $URL/admin/
  API docs     $URL/api/docs/
  Health       $URL/health/   (Beat turns OK once it has run a job, within a few minutes)

  Demo logins, password "$DEMO_PASSWORD" (set when the users were first created):
    admin@kramar.local       superuser
    manager@kramar.local     Manager
    support@kramar.local     Support
    warehouse@kramar.local   Warehouse
    finance@kramar.local     Finance
    customer@kramar.local    shopper

  Logs         $LOG_DIR/web.log  $LOG_DIR/worker.log  $LOG_DIR/beat.log
               (tail -f $LOG_DIR/*.log)

  Ctrl-C stops everything.
======================================================================
EOF

while :; do
  check_all_alive
  sleep 1
done
