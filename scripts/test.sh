#!/usr/bin/env bash
# Set up and run the whole test suite (what .ci/run calls). Extra args go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --test
.venv/bin/ruff check platform tests bench
.venv/bin/ruff format --check platform tests bench
.venv/bin/mypy
.venv/bin/spacehost prepare
# Twice: everything else, then the tests that restart the Docker daemon (which stops every
# container on the engine), last and alone. "No tests collected" (5) is fine for either half.
# Many servers, engines and browsers run in one pytest process: take every file descriptor the
# machine allows (a soft limit of 1,024 is common; the hard one is higher).
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
# A failed half ends with scripts/failure_report.py: its first failures and the machine's state
# (CI keeps only the tail of the output).
junit=$(mktemp -d)
half() {
  local status=0
  .venv/bin/pytest -p no:cacheprovider --junitxml="$junit/$1.xml" -m "$2" "${@:3}" || status=$?
  [ "$status" = 5 ] && status=0
  if [ "$status" != 0 ]; then
    .venv/bin/python scripts/failure_report.py "$junit/$1.xml" || true
    echo "open file limit: $(ulimit -n)"
  fi
  return "$status"
}
half first "not daemon_restart" "$@" || exit $?
half restart daemon_restart "$@"
