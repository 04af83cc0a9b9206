"""Recall and observed FDR of the DE stage on independently generated demo trials.

For each seed: generate the 70-participant demo (``myoclamp_tools.demo.generate``; the bundled
demo is
seed 20070510), leave out the planted defective samples (as QC would), fit the ``insulin`` and
``treatment`` designs with the configured engine and shrinkage, test each contrast with the Wald
statistic referred to the normal and to t(n - p) (``de.wald_distribution``; one fit serves both),
and compare the padj < 0.05 genes with the planted truth. ``--unwanted-factors 0,1`` fits each
design once per number of residual factors of the control genes (``de.unwanted``);
``false_control`` counts the false discoveries among the control genes. Prints one TSV row per
seed, factors, contrast, reference distribution and size threshold, then the means.

    .venv/bin/python scripts/de_calibration.py --seeds 20070510,1,2,3,4,5 --unwanted-factors 0,1
"""

from __future__ import annotations

import argparse
import tempfile
import warnings
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]

from myoclamp.de.pipeline import contrast_table, fit_from_adata  # noqa: E402
from myoclamp.de.settings import de_settings  # noqa: E402
from myoclamp.de.stats import WALD_DISTRIBUTIONS  # noqa: E402
from myoclamp_tools.demo import generate  # noqa: E402
from myoclamp_tools.demo.truth import recovery  # noqa: E402
from myoclamp_tools.rcompare import DEMO_CONFIG, demo_adata  # noqa: E402

CONFIG = {**DEMO_CONFIG, "de": {"designs": ["treatment", "insulin"], "shrink": True}}
#: contrast -> truth column of its planted effects (treatment: all zero unless switched on)
TRUTH = {"insulin": "insulin_log2fc_planted", "treatment": "treatment_log2fc"}


def calibrate(
    seed: int,
    workdir: Path,
    treatment_effect: bool = False,
    cpus: int = 2,
    unwanted_factors: tuple[int, ...] = (0,),
) -> list[dict]:
    paths = generate(workdir / f"seed{seed}", seed=seed, treatment_effect=treatment_effect)
    truth = pd.read_csv(paths["truth_genes"], sep="\t").set_index("gene")
    adata = demo_adata(paths)
    rows = []
    for k in unwanted_factors:
        base = {**CONFIG, "de": {**CONFIG["de"], "unwanted": {"factors": k}}}
        control = set(de_settings(base)["unwanted"]["genes"])
        for contrast, column in TRUTH.items():
            fit = fit_from_adata(adata, contrast, base, n_cpus=cpus)
            planted = truth[column]
            for dist in WALD_DISTRIBUTIONS:
                config = {**base, "de": {**base["de"], "wald_distribution": dist}}
                table, _ = contrast_table(fit, contrast, config, n_cpus=cpus)
                sig = set(table.loc[table["padj"] < 0.05, "gene_id"])
                false_control = len((sig & control) - set(planted.index[planted != 0]))
                for min_abs in (0.0, 1.0):
                    rows.append(
                        {"seed": seed, "unwanted_factors": k, "contrast": contrast, "wald": dist}
                        | {"min_abs_log2fc": min_abs}
                        | recovery(table, planted, min_abs)
                        | {"false_control": false_control}
                    )
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", default="20070510,1,2,3,4,5")
    ap.add_argument("--treatment-effect", action="store_true", help="plant the treatment set")
    ap.add_argument("--cpus", type=int, default=2)
    ap.add_argument("--unwanted-factors", default="0", help="e.g. 0,1: one fit per number")
    args = ap.parse_args()
    factors = tuple(int(k) for k in args.unwanted_factors.split(","))
    warnings.simplefilter("ignore")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for seed in (int(s) for s in args.seeds.split(",")):
            new = calibrate(seed, Path(tmp), args.treatment_effect, args.cpus, factors)
            rows += new
            print(pd.DataFrame(new).to_csv(sep="\t", index=False), flush=True)
    table = pd.DataFrame(rows)
    print(table.to_csv(sep="\t", index=False, float_format="%.3f"))
    keys = ["unwanted_factors", "contrast", "wald", "min_abs_log2fc"]
    figures = ["recall", "observed_fdr", "significant", "false_control"]
    means = table.groupby(keys)[figures].mean()
    print(means.to_csv(sep="\t", float_format="%.3f"))


if __name__ == "__main__":
    main()
