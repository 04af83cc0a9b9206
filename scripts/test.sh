#!/usr/bin/env bash
# Install what is needed, check style (ruff, snakefmt) and run the default test suite.
# Long, marked runs are left out; run them on purpose, e.g. `bash scripts/test.sh -m slow`
# (markers: slow, rdeseq2, slurm, browser, benchmark).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/snakefmt --check Snakefile workflow/rules
# pytest's addopts (pyproject.toml) leave out the marked long runs; `-m slow` etc. selects them.
# --dist loadfile: a test module runs in one worker, so its module-scoped workflow run happens once.
exec .venv/bin/python -m pytest -n 2 --dist loadfile "$@"
