"""The equivalence tests at the boundary of their null on real counts (GSE202295, arms permuted,
exactly the margin planted by binomial thinning: ``myoclamp_tools.equivalence_null``).

Prints one TSV row per permutation, then the means; writes the set rows to ``--sets-out``.

    nice -n 10 .venv/bin/python scripts/equivalence_null_calibration.py --permutations 1,2,3
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import pandas as pd

from myoclamp_tools.equivalence_demo import MARGIN
from myoclamp_tools.equivalence_null import run_permutation
from myoclamp_tools.rcompare import gse202295_adata

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=str(ROOT.parent / "shared" / "data" / "gse202295"))
    ap.add_argument("--permutations", default="1,2,3", help="seeds of the permutations")
    ap.add_argument("--margin", type=float, default=MARGIN)
    ap.add_argument("--sets-out", default=None, help="TSV of the set rows of every permutation")
    ap.add_argument("--cpus", type=int, default=1)
    args = ap.parse_args()
    real = gse202295_adata(args.data)
    rows, sets = [], []
    for seed in (int(s) for s in args.permutations.split(",")):
        start = time.perf_counter()
        figures, set_table = run_permutation(real, seed, args.margin, args.cpus)
        figures["seconds"] = round(time.perf_counter() - start)
        rows.append(figures)
        sets.append(set_table)
        line = pd.DataFrame(rows[-1:]).to_csv(
            sep="\t", index=False, header=len(rows) == 1, float_format="%.4f"
        )
        print(line, end="", flush=True)
    table = pd.DataFrame(rows)
    print("mean\n" + table.drop(columns="permutation").mean().to_frame().T.to_csv(
        sep="\t", index=False, float_format="%.4f"), end="")  # fmt: skip
    all_sets = pd.concat(sets, ignore_index=True)
    planted = all_sets[all_sets["planted"]]
    print(
        f"sets at the margin: {int((planted['tost_pvalue'] < 0.05).sum())} of {len(planted)} "
        "TOST p < 0.05; per set:\n"
        + planted.groupby("set")["tost_pvalue"].apply(lambda p: (p < 0.05).mean()).to_string()
    )
    if args.sets_out:
        all_sets.to_csv(args.sets_out, sep="\t", index=False)


if __name__ == "__main__":
    main()
