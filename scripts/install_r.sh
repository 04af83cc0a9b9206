#!/usr/bin/env bash
# Install the R references of the marked tests from Debian: DESeq2 (r-bioc-deseq2, pytest -m
# rdeseq2), limma and edgeR (r-bioc-limma, r-bioc-edger: voom, duplicateCorrelation, eBayes,
# camera; pytest -m rlimma) and statmod (r-cran-statmod: duplicateCorrelation's mixed-model fit,
# a limma Suggests that Debian does not pull in). Idempotent: does nothing when all of them load.
# Debian has no apeglm, so the DESeq2 comparison uses the MLE log2 fold changes.
set -euo pipefail

probe='suppressPackageStartupMessages({library(DESeq2); library(limma); library(edgeR); library(statmod)})'
if command -v Rscript >/dev/null 2>&1 && Rscript -e "$probe" >/dev/null 2>&1; then
    Rscript -e 'for (p in c("DESeq2", "limma", "edgeR", "statmod")) cat("R", p, as.character(packageVersion(p)), "\n")'
    exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
# wait for another apt/dpkg run to finish instead of failing on its lock
LOCK=(-o DPkg::Lock::Timeout=900)
$SUDO apt-get "${LOCK[@]}" update -qq
$SUDO apt-get "${LOCK[@]}" install -y -qq --no-install-recommends \
    r-base-core r-bioc-deseq2 r-bioc-limma r-bioc-edger r-cran-statmod
Rscript -e "$probe"
Rscript -e 'for (p in c("DESeq2", "limma", "edgeR", "statmod")) cat("R", p, as.character(packageVersion(p)), "\n")'
