#!/usr/bin/env bash
# Set up and run the whole test suite (what .ci/run calls). Extra args go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --test
.venv/bin/ruff check platform tests bench
.venv/bin/mypy
.venv/bin/spacehost prepare
exec .venv/bin/pytest -p no:cacheprovider "$@"
