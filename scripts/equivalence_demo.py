"""Equivalence, detectable effects, sets and the M-value on the bundled demo (or a generated one).

Writes the tables, ``statement.txt`` and ``equivalence.png`` into ``--out`` and prints the
statement and the genes of interest (``myoclamp_tools.equivalence_demo``).

    nice -n 10 .venv/bin/python scripts/equivalence_demo.py --out results/equivalence_demo
"""

from __future__ import annotations

import argparse
import tempfile
import warnings
from pathlib import Path

from myoclamp.clinical.equivalence import DEFAULT_M_VALUE_MARGIN
from myoclamp.de.equivalence import DEFAULT_MARGIN
from myoclamp_tools.equivalence_demo import (
    bundled_paths,
    demo_config,
    demo_sheets,
    run_equivalence,
    write_run,
)
from myoclamp_tools.rcompare import demo_adata


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="results/equivalence_demo")
    ap.add_argument("--seed", type=int, default=None, help="generate a demo (default: bundled)")
    ap.add_argument("--treatment-effect", action="store_true", help="with --seed")
    ap.add_argument("--margin", type=float, default=DEFAULT_MARGIN, help="log2")
    ap.add_argument("--m-value-margin", type=float, default=DEFAULT_M_VALUE_MARGIN)
    ap.add_argument("--fold-change", type=float, default=DEFAULT_MARGIN, help="log2, sample size")
    ap.add_argument("--cpus", type=int, default=1)
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    with tempfile.TemporaryDirectory() as tmp:
        if args.seed is None:
            paths = bundled_paths()
        else:
            from myoclamp_tools.demo import generate

            paths = generate(Path(tmp) / "demo", seed=args.seed,
                             treatment_effect=args.treatment_effect)  # fmt: skip
        samples, clinical = demo_sheets(paths)
        run = run_equivalence(
            demo_adata(paths),
            samples,
            clinical,
            demo_config(),
            margin=args.margin,
            m_value_margin=args.m_value_margin,
            fold_change=args.fold_change,
            n_cpus=args.cpus,
        )
    written = write_run(run, args.out)
    print(run.statement)
    goi = run.genes[run.genes["interest"]]
    cols = ["symbol", "baseMean", "log2FoldChange", "lfcSE", "pvalue", "padj_interest"]
    print(goi[cols + ["verdict_interest"]].to_string(index=False, float_format="%.3g"))
    print(run.detectable.to_string(index=False, float_format="%.3g"))
    print(run.distribution.to_string(index=False, float_format="%.3g"))
    print(run.sets.drop(columns="description").to_string(index=False, float_format="%.3g"))
    print(run.settings)
    print("written:", ", ".join(str(p) for p in written.values()))


if __name__ == "__main__":
    main()
