#!/usr/bin/env bash
# Runs the whole test suite on PostgreSQL and Redis at 127.0.0.1, installing what it needs.
# Usage: bash tests/run.sh [pytest arguments]
set -euo pipefail
cd "$(dirname "$0")/.."

# Chromium (browser tests) and a CJK font (Chinese pages), from Debian's packages.
if ! command -v chromium >/dev/null || ! fc-list 2>/dev/null | grep -qi "noto sans cjk"; then
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium fonts-noto-cjk >/dev/null
fi

[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/pip install -q --disable-pip-version-check -r requirements-dev.txt

export DATABASE_URL="${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/vocsite}"
export REDIS_URL="${TEST_REDIS_URL:-redis://127.0.0.1:6379/0}"
export SECRET_KEY="${SECRET_KEY:-test-secret-key-not-for-production}"
export SITE_URL="${SITE_URL:-http://testserver.example}"
export CHROMIUM_PATH="${CHROMIUM_PATH:-$(command -v chromium)}"

# Fail loudly, never skip, when a service the suite needs is missing. The fault tests also start
# a Redis and a PostgreSQL of their own (tests/realparts.py), so they need the server programs.
command -v redis-server >/dev/null || { echo "redis-server is not installed" >&2; exit 1; }
command -v initdb >/dev/null || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 \
    || { echo "PostgreSQL's initdb is not installed (Debian: postgresql)" >&2; exit 1; }
.venv/bin/python - <<'PY'
import os, sys
import psycopg2, redis
try:
    psycopg2.connect(os.environ["DATABASE_URL"].rsplit("/", 1)[0] + "/postgres", connect_timeout=5).close()
except Exception as error:
    sys.exit(f"PostgreSQL is unreachable at {os.environ['DATABASE_URL']}: {error}")
try:
    redis.Redis.from_url(os.environ["REDIS_URL"], socket_connect_timeout=5).ping()
except Exception as error:
    sys.exit(f"Redis is unreachable at {os.environ['REDIS_URL']}: {error}")
PY

exec .venv/bin/python -m pytest "$@"
