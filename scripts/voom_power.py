"""Power of the voom engine beside the DESeq2 engine on generated demo trials with planted truth.

For each seed: the 70-participant demo with the treatment switch on (``myoclamp_tools.demo``;
planted defective samples left out, as QC would), the ``treatment`` and ``insulin`` contrasts
under the DESeq2 engine (default settings, no shrinkage) and the voom engine
(``myoclamp_tools.voom_calibration.power_runs``): recall and observed FDR at padj < 0.05, and the
recall at the same observed false discovery proportion (5 %, 10 %) along each engine's p-value
ranking. Prints one TSV row per seed, contrast, engine and size threshold, then the means.

    .venv/bin/python scripts/voom_power.py --seeds 20070510,1,2,3,4
"""

from __future__ import annotations

import argparse
import tempfile
import warnings
from pathlib import Path

from myoclamp_tools.tsvout import RowPrinter
from myoclamp_tools.voom_calibration import power_runs, power_summary


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", default="20070510,1,2,3,4")
    ap.add_argument("--cpus", type=int, default=2)
    ap.add_argument("--genes", type=int, default=0, help="try-outs: demo genes (default all)")
    ap.add_argument("--out", default="", help="also write the rows here (TSV)")
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    show = RowPrinter()

    with tempfile.TemporaryDirectory() as tmp:
        runs = power_runs(
            [int(s) for s in args.seeds.split(",")],
            Path(tmp),
            n_cpus=args.cpus,
            on_row=show,
            n_genes=args.genes or None,
        )
    if args.out:
        runs.to_csv(args.out, sep="\t", index=False)
    print()
    print(power_summary(runs).to_csv(sep="\t", float_format="%.4f"))


if __name__ == "__main__":
    main()
