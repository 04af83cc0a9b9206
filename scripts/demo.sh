#!/usr/bin/env bash
# Install what is needed and run the whole workflow on the bundled demo trial.
# Extra arguments go to snakemake (e.g. --cores 4, -n, --forcerun rule).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
cores=$(nproc)
exec .venv/bin/snakemake --cores "$cores" "$@"
