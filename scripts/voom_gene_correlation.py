"""Per-gene within-participant correlations behind the voom engine's consensus, on demo trials.

For each seed (``myoclamp_tools.voom_calibration.gene_correlation_check``): the spread of the
per-gene correlations, the Spearman correlation of a gene's correlation with the ratio of its
voom and DESeq2 standard errors of ``treatment``, and the median gene correlation of the planted
genes and of each engine's false positives.

    .venv/bin/python scripts/voom_gene_correlation.py --seeds 4,20070510
"""

from __future__ import annotations

import argparse
import tempfile
import warnings

import pandas as pd

from myoclamp_tools.voom_calibration import gene_correlation_check


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", default="4,20070510")
    ap.add_argument("--cpus", type=int, default=2)
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    with tempfile.TemporaryDirectory() as tmp:
        rows = [gene_correlation_check(int(s), tmp, args.cpus) for s in args.seeds.split(",")]
    print(pd.DataFrame(rows).T.to_csv(sep="\t", header=False, float_format="%.3f"))


if __name__ == "__main__":
    main()
