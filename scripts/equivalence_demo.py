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

from myoclamp.config import section
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
    de, clinical = section(None, "de"), section({}, "clinical")
    ap.add_argument("--margin", type=float, default=de["equivalence_margin"], help="log2")
    ap.add_argument("--m-value-margin", type=float, default=clinical["m_value_margin"])
    ap.add_argument("--fold-change", type=float, default=de["power"]["fold_change"],
                    help="log2, next-trial size")  # fmt: skip
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
            demo_config(
                clinical={"m_value_margin": args.m_value_margin},
                equivalence_margin=args.margin,
                power={**de["power"], "fold_change": args.fold_change},
            ),
            n_cpus=args.cpus,
        )
    written = write_run(run, args.out)
    print(run.statement)
    goi = run.de[run.de["interest"]]
    cols = ["symbol", "baseMean", "log2FoldChange", "lfcSE", "eq_pvalue", "eq_padj_interest"]
    print(goi[cols + ["verdict_interest"]].to_string(index=False, float_format="%.3g"))
    print(run.detectable.to_string(index=False, float_format="%.3g"))
    print(run.distribution.to_string(index=False, float_format="%.3g"))
    print(run.sets.drop(columns="description").to_string(index=False, float_format="%.3g"))
    print(run.settings)
    print("written:", ", ".join(str(p) for p in written.values()))


if __name__ == "__main__":
    main()
