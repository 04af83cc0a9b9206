#!/usr/bin/env bash
# Install what is needed and run the default test suite (long, marked runs are left out;
# run them on purpose with e.g. `scripts/test.sh -m slow`).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/snakefmt --check Snakefile workflow/rules
if [ "$#" -eq 0 ]; then
  set -- -m "not slow and not rdeseq2 and not slurm and not browser and not benchmark"
fi
exec .venv/bin/python -m pytest -n 2 "$@"
