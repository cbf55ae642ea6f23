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
status=0
.venv/bin/pytest -p no:cacheprovider -m "not daemon_restart" "$@" || status=$?
[ "$status" = 5 ] && status=0
[ "$status" = 0 ] || exit "$status"
.venv/bin/pytest -p no:cacheprovider -m daemon_restart "$@" || status=$?
[ "$status" = 5 ] && status=0
exit "$status"
