"""Calibration of the DE tests on real counts under an exact null (arm labels permuted).

GSE202295 (``../shared/data/gse202295``) as a trial (``myoclamp_tools.rcompare.gse202295_adata``:
arm = NGT/T2D, visit = basal/post), the ``treatment`` design (difference between arms in the
within-person change, participants as blocks), with the arm labels permuted between participants
(``myoclamp_tools.nulls.permute_arms``): no gene differs, so every padj < 0.05 is false and null
p-values should be uniform. For each permutation, one fit, then the Wald statistic referred to the
normal and to t(n - p) (``de.wald_distribution``). Prints per permutation and distribution the
significant genes and the share of p-values below 0.05, 0.01 and 0.001 over the nominal level.
``--unwanted-factors K`` adds K residual factors of the control genes (``de.unwanted``) to the
design; ``factor_share`` is the first one's share of the control genes' residual variance,
``significant_control`` and ``control_rate_p<0.05`` the same figures on the control genes alone.

    .venv/bin/python scripts/de_null_calibration.py --permutations 1,2,3,4,5
"""

from __future__ import annotations

import argparse
import warnings
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]

from myoclamp.de.pipeline import contrast_table, fit_from_adata  # noqa: E402
from myoclamp.de.settings import de_settings  # noqa: E402
from myoclamp.de.stats import WALD_DISTRIBUTIONS  # noqa: E402
from myoclamp_tools.nulls import null_rates, permute_arms  # noqa: E402
from myoclamp_tools.rcompare import GSE202295_CONFIG, gse202295_adata  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=str(ROOT.parent / "shared" / "data" / "gse202295"))
    ap.add_argument("--permutations", default="1,2,3,4,5", help="seeds of the permutations")
    ap.add_argument("--cpus", type=int, default=2)
    ap.add_argument(
        "--unwanted-factors", type=int, default=0, help="residual factors of de.unwanted.genes"
    )
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    real = gse202295_adata(args.data)
    unwanted = {"factors": args.unwanted_factors}
    config = {**GSE202295_CONFIG, "de": {**GSE202295_CONFIG["de"], "shrink": False}}
    config["de"]["unwanted"] = unwanted
    control = set(de_settings(config)["unwanted"]["genes"])
    rows = []
    for seed in (int(s) for s in args.permutations.split(",")):
        adata = real.copy()
        adata.obs = permute_arms(real.obs, seed)
        fit = fit_from_adata(adata, "treatment", config, n_cpus=args.cpus)
        for dist in WALD_DISTRIBUTIONS:
            cfg = {**config, "de": {**config["de"], "wald_distribution": dist}}
            table, meta = contrast_table(fit, "treatment", cfg, n_cpus=args.cpus)
            rows.append(
                {
                    "permutation": seed,
                    "wald": dist,
                    "df": meta["wald_df"],
                    "unwanted_factors": meta["unwanted"].get("factors", 0),
                    "factor_share": (meta["unwanted"].get("variance_share") or [None])[0],
                    "tested": int(table["padj"].notna().sum()),
                    "significant": int((table["padj"] < 0.05).sum()),
                    "significant_control": int(
                        table.loc[table["padj"] < 0.05, "symbol"].isin(control).sum()
                    ),
                }
                | null_rates(table["pvalue"])
                | {
                    f"control_{k}": v
                    for k, v in null_rates(
                        table.loc[table["symbol"].isin(control), "pvalue"], (0.05,)
                    ).items()
                }
            )
            line = pd.DataFrame(rows[-1:]).to_csv(
                sep="\t", index=False, header=len(rows) == 1, float_format="%.3f"
            )
            print(line, end="", flush=True)
    table = pd.DataFrame(rows)
    figures = [c for c in table.columns if c.startswith(("rate", "sig", "control"))]
    means = table.groupby("wald")[figures]
    print(means.mean().to_csv(sep="\t", float_format="%.3f"))


if __name__ == "__main__":
    main()
