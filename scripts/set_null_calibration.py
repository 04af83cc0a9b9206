"""Calibration of the gene-set tests (camera, permutation, enriched; GSEA prerank beside them) on
exact nulls of real GSE202295 counts: arms permuted between participants (``treatment`` design)
and a synthetic M-value (expression vs M at baseline). See ``myoclamp_tools.setnulls``.

Prints one TSV row per trial, null, collection and test, then the summary per null, collection
and test: the share of trials with any set at FDR < 0.05 and the share of set p-values < 0.05.

    .venv/bin/python scripts/set_null_calibration.py --trials 1-25 --prerank
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

import pandas as pd

from myoclamp.enrichment.genesets import collection_paths, load_collections
from myoclamp_tools.setnulls import aggregate, run

ROOT = Path(__file__).resolve().parents[1]


def parse_trials(text: str) -> list[int]:
    """``1-25`` or ``1,2,5``."""
    out: list[int] = []
    for part in text.split(","):
        lo, _, hi = part.partition("-")
        out += list(range(int(lo), int(hi) + 1)) if hi else [int(lo)]
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=str(ROOT.parent / "shared" / "data" / "gse202295"))
    ap.add_argument("--trials", default="1-25", help="seeds of the null trials, e.g. 1-25")
    ap.add_argument("--nulls", default="treatment,m_value")
    ap.add_argument("--collections", default="muscle,go_bp")
    ap.add_argument("--set-permutations", type=int, default=1000)
    ap.add_argument("--prerank", action="store_true", help="also today's GSEA prerank (slower)")
    ap.add_argument("--prerank-permutations", type=int, default=1000)
    ap.add_argument("--cpus", type=int, default=1)
    ap.add_argument("--out", default=None, help="also write the per-trial rows to this TSV")
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING)
    sets = load_collections(collection_paths(args.collections.split(","), [], ROOT / "resources"))
    header = [True]

    def echo(rows: list[dict]) -> None:
        text = pd.DataFrame(rows).to_csv(
            sep="\t", index=False, header=header[0], float_format="%.4f"
        )
        header[0] = False
        print(text, end="", flush=True)

    options = {
        "set_permutations": args.set_permutations,
        "prerank": args.prerank,
        "prerank_permutations": args.prerank_permutations,
        "cpus": args.cpus,
    }
    rows = run(
        args.data,
        parse_trials(args.trials),
        sets,
        nulls=tuple(args.nulls.split(",")),
        options=options,
        echo=echo,
    )
    if args.out:
        rows.to_csv(args.out, sep="\t", index=False)
    print()
    print(aggregate(rows).to_csv(sep="\t", index=False, float_format="%.4f"), end="")


if __name__ == "__main__":
    main()
