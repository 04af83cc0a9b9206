"""Calibration of the voom engine beside the DESeq2 engine on exact nulls of real counts.

GSE202295 (``../shared/data/gse202295``, arm = NGT/T2D, visit = basal/post) with the arm labels
permuted between participants (``myoclamp_tools.nulls.permute_arms``), the ``treatment`` contrast
(the arm difference of the post vs basal change) under both engines per permutation
(``myoclamp_tools.voom_calibration.null_runs``): the DESeq2 engine as configured by default
(block engine, Wald t on n - p df) and limma-voom with the participant as a random effect. Prints
one TSV row per permutation and engine, then per engine the share of permutations with any gene
at FDR 5 % and the mean share of p-values below 0.05, 0.01, 0.001 (``frac_``) and that share
over the level (``rate_``).

    .venv/bin/python scripts/voom_null_calibration.py --permutations 1-25
"""

from __future__ import annotations

import argparse
import warnings
from pathlib import Path

from myoclamp_tools.rcompare import gse202295_adata
from myoclamp_tools.tsvout import RowPrinter
from myoclamp_tools.voom_calibration import null_runs, null_summary

ROOT = Path(__file__).resolve().parents[1]


def seeds(text: str) -> list[int]:
    """``1-25`` or ``1,2,5``."""
    if "-" in text:
        lo, hi = (int(v) for v in text.split("-"))
        return list(range(lo, hi + 1))
    return [int(s) for s in text.split(",")]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=str(ROOT.parent / "shared" / "data" / "gse202295"))
    ap.add_argument("--permutations", default="1-25", help="seeds: 1-25 or 1,2,3")
    ap.add_argument("--cpus", type=int, default=2)
    ap.add_argument("--out", default="", help="also write the per-permutation rows here (TSV)")
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    real = gse202295_adata(args.data)
    show = RowPrinter()

    runs = null_runs(real, seeds(args.permutations), n_cpus=args.cpus, on_row=show)
    if args.out:
        runs.to_csv(args.out, sep="\t", index=False)
    print()
    print(null_summary(runs).to_csv(sep="\t", float_format="%.4f"))


if __name__ == "__main__":
    main()
