"""How reproducible is pydeseq2 itself: the floor under issue 10's agreement targets.

For each design saved by ``scripts/benchmark_engine.py`` (``<workdir>/<design>/design.pkl``), fit
the same seeded gene sample three times and compare the first contrast's tables
(``myoclamp_tools.bench.engine_report.agreement``): pydeseq2 against pydeseq2 with the samples
in another
order (same data, sums in another order), and the block engine against pydeseq2. Then, for the
genes that differ most, the difference in each comparison.

    .venv/bin/python scripts/engine_reproducibility.py /var/tmp/engbench/work/demo_treatment
"""

from __future__ import annotations

import argparse
import warnings
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]

from myoclamp.de.fit import fit_design, make_inference  # noqa: E402
from myoclamp_tools.bench.engine import first_contrast_table  # noqa: E402
from myoclamp_tools.bench.engine_designs import (  # noqa: E402
    BenchDesign,
    load_design,
    reorder_samples,
    subsample_genes,
)
from myoclamp_tools.bench.engine_report import agreement  # noqa: E402


def first_contrast(bench: BenchDesign, engine: str, cpus: int) -> pd.DataFrame:
    """The first contrast's MLE table of ``bench`` fitted by ``engine``."""
    inference = make_inference(engine, cpus)
    fit = fit_design(bench.design, bench.counts, settings=bench.settings, inference=inference)
    return first_contrast_table(fit.dds, bench, shrink=False, n_cpus=cpus)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("design_dirs", nargs="+", help="<workdir>/<design> of benchmark_engine.py")
    ap.add_argument("--sample", type=int, default=3000, help="genes fitted (0: all)")
    ap.add_argument("--seed", type=int, default=1, help="seed of the sample order")
    ap.add_argument("--cpus", type=int, default=2)
    ap.add_argument("--top", type=int, default=3, help="genes listed per comparison")
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    rows = []
    for folder in args.design_dirs:
        bench = subsample_genes(load_design(Path(folder) / "design.pkl"), args.sample or None)
        ref = first_contrast(bench, "pydeseq2", args.cpus)
        others = {
            "pydeseq2 vs pydeseq2 (samples reordered)": first_contrast(
                reorder_samples(bench, args.seed), "pydeseq2", args.cpus
            ),
            "blocks vs pydeseq2": first_contrast(bench, "blocks", args.cpus),
        }
        for label, table in others.items():
            got = agreement(table, ref)
            rows.append({"design": bench.name, "comparison": label, **got})
            diff = (table["log2FoldChange"] - ref["log2FoldChange"]).abs().dropna()
            top = diff.sort_values(ascending=False).head(args.top)
            listed = ", ".join(f"{g} {d:.3g}" for g, d in top.items())
            print(f"{bench.name} | {label}: largest |log2FC difference| {listed}", flush=True)
    out = pd.DataFrame(rows)
    for col in ("spearman_log2fc", "spearman_stat"):
        out[col] = out[col].map(lambda v: f"{v:.7f}")
    print(out.to_markdown(index=False, disable_numparse=True))


if __name__ == "__main__":
    main()
