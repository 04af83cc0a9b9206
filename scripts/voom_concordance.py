"""Both engines on every contrast of a demo trial: who enters, what each finds, how they agree.

The demo (``myoclamp_tools.demo.generate``, seed ``--seed``, ``--participants``; planted defective
samples left out as QC would, treatment switch with ``--treatment-effect``), every built-in
design under the DESeq2 engine (default settings, no shrinkage) and the voom engine; per
contrast the samples and participants each engine used and ``myoclamp.de.concordance``'s row
(genes significant under both, one only, Spearman of the statistics): the report's proposed
concordance view.

    .venv/bin/python scripts/voom_concordance.py --treatment-effect
"""

from __future__ import annotations

import argparse
import tempfile
import warnings
from pathlib import Path

import pandas as pd

from myoclamp.de.concordance import concordance
from myoclamp.de.specs import contrast_designs
from myoclamp.de.voom_engine import ENGINE
from myoclamp_tools.demo import generate
from myoclamp_tools.rcompare import DEMO_CONFIG, demo_adata
from myoclamp_tools.voom_calibration import DESEQ2, engine_tables


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=20070510)
    ap.add_argument("--participants", type=int, default=70)
    ap.add_argument("--genes", type=int, default=0, help="try-outs: demo genes (default all)")
    ap.add_argument("--treatment-effect", action="store_true")
    ap.add_argument("--cpus", type=int, default=2)
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    config = {**DEMO_CONFIG, "de": {"designs": ["treatment", "insulin", "insulin_groups"]}}
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        paths = generate(
            Path(tmp) / "demo",
            seed=args.seed,
            n_participants=args.participants,
            n_genes=args.genes or None,
            treatment_effect=args.treatment_effect,
        )
        adata = demo_adata(paths)
        by_design: dict[str, list[str]] = {}
        for contrast, design in contrast_designs(config, adata.obs).items():
            by_design.setdefault(design, []).append(contrast)
        for design, contrasts in by_design.items():
            tables = engine_tables(adata, design, contrasts, config, args.cpus)
            for name in contrasts:
                (a, ma), (b, mb) = tables[DESEQ2][name], tables[ENGINE][name]
                rows.append(
                    {
                        "samples_deseq2": ma["samples"],
                        "participants_deseq2": ma["participants"],
                        "samples_voom": mb["samples"],
                        "participants_voom": mb["participants"],
                        "one_biopsy_voom": mb["participants_one_biopsy"],
                        "correlation": mb.get("correlation"),
                    }
                    | concordance(a, b, name)
                )
    table = pd.DataFrame(rows)
    front = ["contrast", "samples_deseq2", "samples_voom", "participants_deseq2"]
    table = table[front + [c for c in table.columns if c not in front]]
    print(
        table.drop(columns=["engine_a", "engine_b"]).to_csv(
            sep="\t", index=False, float_format="%.4g"
        )
    )


if __name__ == "__main__":
    main()
