#!/usr/bin/env bash
# Install R DESeq2 from Debian (r-bioc-deseq2) for the reference comparison tests
# (pytest -m rdeseq2). Idempotent: does nothing when DESeq2 already loads in R.
# Debian has no apeglm, so the comparison uses the MLE log2 fold changes.
set -euo pipefail

if command -v Rscript >/dev/null 2>&1 \
    && Rscript -e 'suppressPackageStartupMessages(library(DESeq2))' >/dev/null 2>&1; then
    echo "R DESeq2 already installed: $(Rscript -e 'cat(as.character(packageVersion("DESeq2")))')"
    exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends r-base-core r-bioc-deseq2
Rscript -e 'suppressPackageStartupMessages(library(DESeq2)); cat("R DESeq2", as.character(packageVersion("DESeq2")), "\n")'
