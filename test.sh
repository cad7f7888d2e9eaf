#!/usr/bin/env bash
# Set up (once) and run the default test suite: CPU only, slow tests excluded.
#   bash test.sh                 # creates .venv if absent, installs pinned deps, runs pytest
#   bash test.sh -m slow         # extra pytest arguments are passed through
set -euo pipefail
cd "$(dirname "$0")"
source scripts/venv.sh
ensure_venv requirements.txt requirements-beam.txt requirements-hf.txt requirements-test.txt
# -n 2: two pytest workers, one per core of the CI machine (2 cores).
exec python -m pytest -n "${PYTEST_WORKERS:-2}" "$@"
