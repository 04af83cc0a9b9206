"""Simulation checks of the equivalence test and detectable effects on generated demo trials.

Modes (``myoclamp_tools.equivalence_sim``): ``null`` (nothing planted: genes of interest declared
equivalent), ``margin`` (genes of interest and ``--random-genes`` others planted at exactly +/-
the margin: share declared equivalent must not exceed alpha), ``mde`` (the same genes at 0.6-1.4
times their predicted detectable effect: simulated 80 %-power effect vs the prediction from the
bundled demo's fit). Trials use seeds ``--first-seed`` ... ``--first-seed + --trials - 1``. Rows
are appended to ``OUT/{mode}.rows.tsv`` after each trial (a rerun skips the seeds already there);
the summary goes to ``OUT/{mode}.summary.tsv`` and stdout.

    nice -n 10 .venv/bin/python scripts/equivalence_simulation.py --mode margin --trials 40
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd

from myoclamp.de.settings import de_settings
from myoclamp_tools import equivalence_sim as sim
from myoclamp_tools.equivalence_demo import MARGIN


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mode", choices=sim.MODES, required=True)
    ap.add_argument("--trials", type=int, default=20)
    ap.add_argument("--first-seed", type=int, default=1)
    ap.add_argument("--margin", type=float, default=MARGIN, help="log2 margin")
    ap.add_argument("--random-genes", type=int, default=200, help="planted besides the GOIs")
    ap.add_argument("--out", default="results/equivalence_simulation")
    ap.add_argument("--cpus", type=int, default=1)
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    config = sim.default_config()
    de = de_settings(config)
    goi = list(de["genes_of_interest"])
    ref_path = out / "reference.tsv"
    if ref_path.exists():
        reference = pd.read_csv(ref_path, sep="\t", dtype={"gene_id": str, "symbol": str})
        df = int((out / "reference_df.txt").read_text())
    else:
        reference, df = sim.reference_table(config, args.cpus)
        reference.to_csv(ref_path, sep="\t", index=False)
        (out / "reference_df.txt").write_text(f"{df}\n")
    mde = sim.predicted(reference, df, config)
    genes = sim.planted_genes(reference, goi, args.random_genes, seed=20)
    rows_path = out / f"{args.mode}.rows.tsv"
    done = set()
    if rows_path.exists():
        done = set(pd.read_csv(rows_path, sep="\t", usecols=["seed"])["seed"])
    for seed in range(args.first_seed, args.first_seed + args.trials):
        if seed in done:
            continue
        start = time.perf_counter()
        rows = sim.run_trial(
            args.mode,
            seed,
            genes=genes,
            genes_of_interest=goi,
            predicted_mde=mde,
            margin=args.margin,
            config=config,
            n_cpus=args.cpus,
        )
        rows.to_csv(rows_path, sep="\t", index=False, mode="a", header=not rows_path.exists())
        print(
            f"seed {seed}: {rows.attrs['equivalent_genome']} of {rows.attrs['tested']} genes "
            f"equivalent genome-wide; {time.perf_counter() - start:.0f} s",
            flush=True,
        )
    rows = pd.read_csv(rows_path, sep="\t", dtype={"gene_id": str, "verdict_interest": str})
    rows["verdict_interest"] = rows["verdict_interest"].fillna("")
    alpha = float(de["alpha"])
    summary = {
        "null": lambda r: sim.summarise_null(r, alpha),
        "margin": lambda r: sim.summarise_margin(r, alpha),
        "mde": lambda r: sim.summarise_mde(r, alpha, df),
    }[args.mode](rows)
    summary.to_csv(out / f"{args.mode}.summary.tsv", sep="\t", float_format="%.4g")
    with pd.option_context("display.width", 200, "display.max_rows", 300):
        print(summary.to_string(float_format=lambda v: f"{v:.3f}"))
    if args.mode == "mde":
        goi_rows = summary[summary["interest"]]
        print(
            f"genes of interest within 20 %: {int(goi_rows['within_20pct'].sum())} of "
            f"{len(goi_rows)}; median ratio predicted/simulated "
            f"{np.nanmedian(goi_rows['ratio']):.3f}; each trial's own prediction (median) within "
            f"20 %: {int(((goi_rows['ratio_median_trial'] - 1).abs() <= 0.2).sum())} of "
            f"{len(goi_rows)}; other planted genes within 20 %: "
            f"{int(summary.loc[~summary['interest'], 'within_20pct'].sum())} of "
            f"{int((~summary['interest']).sum())}"
        )


if __name__ == "__main__":
    main()
