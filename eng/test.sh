#!/usr/bin/env bash
# The README's test command: installs and starts what the test suite needs, then runs every test project.
#   bash eng/test.sh [extra dotnet test arguments]
# 1. As root on Debian/Ubuntu, installs what is missing: the PostgreSQL server (postgresql) and Postfix's smtp-sink
#    (postfix, configured "No configuration": nothing listens on port 25). One apt-get update, only when needed.
#    Not root: prints what to install and goes on (the tests then fail naming what is missing; they never skip).
# 2. Starts a throwaway PostgreSQL cluster (eng/postgres.sh) unless CRM_TEST_POSTGRES is set, exports its connection
#    string for the PostgreSQL store tests and stops it on exit. The MailKit tests start smtp-sink themselves.
# 3. Runs dotnet test Crm.Kernel.sln with --blame-hang-timeout, so a test that hangs is named and its test host stopped
#    instead of hanging the run. .ci/run calls this script and adds the closing "N passed, N failed" line.
# Exit status: dotnet test's.
set -uo pipefail
cd "$(dirname "$0")/.."

smtp_sink=/usr/sbin/smtp-sink
have_postgres() { ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1; }

# --- 1. Debian packages the suite needs ---
need=()
have_postgres || need+=(postgresql)
[ -x "$smtp_sink" ] || need+=(postfix)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "test.sh: installing ${need[*]}"
    export DEBIAN_FRONTEND=noninteractive
    # Postfix asks how to configure itself; "No configuration" installs the binaries (smtp-sink) and starts no server.
    echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
    apt-get update -qq || { echo "test.sh: apt-get update failed" >&2; exit 1; }
    apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null \
      || { echo "test.sh: apt-get install ${need[*]} failed" >&2; exit 1; }
  else
    echo "test.sh: missing ${need[*]}; install them (Debian: sudo apt-get install ${need[*]}) or run this script as root." \
      "The tests that need them will fail." >&2
  fi
fi

# --- 2. a throwaway PostgreSQL cluster for the PostgreSQL store tests ---
if [ -z "${CRM_TEST_POSTGRES:-}" ]; then
  if pg_env=$(bash eng/postgres.sh start); then
    eval "$pg_env"
    trap 'bash eng/postgres.sh stop "$CRM_TEST_POSTGRES_DIR" >/dev/null 2>&1' EXIT
    echo "test.sh: PostgreSQL test cluster at $CRM_TEST_POSTGRES"
  else
    echo "test.sh: could not start a PostgreSQL test cluster; the PostgreSQL tests will fail" >&2
  fi
fi

# --- 3. the tests; a test hanging for 20 minutes (CRM_TEST_HANG_TIMEOUT) is named and its test host stopped (no dump) ---
dotnet test Crm.Kernel.sln --blame-hang-timeout "${CRM_TEST_HANG_TIMEOUT:-20m}" --blame-hang-dump-type none "$@"
