"""Simulation checks of the equivalence test and the detectable effects on generated demo trials.

Each trial is ``myoclamp_tools.demo.generate(seed=s)`` (the demo design: 70 participants, all
genes), with treatment effects planted exactly (``treatment_sizes``), the defective samples left
out, the ``treatment`` design fitted by the DE stage's code (block engine, t reference), then the
equivalence table. Three modes:

- ``null``: nothing planted. How many genes of interest are declared equivalent (BH over them).
- ``margin``: every gene of interest and ``n_random`` other expressed genes planted at exactly
  ``+/- margin`` (alternating signs). The equivalence null holds with equality for each of
  them: the share declared equivalent (p < alpha) must not exceed alpha.
- ``mde``: the same genes planted at ``u * MDE_g`` (``u ~ U(0.6, 1.4)``, random sign), ``MDE_g``
  the detectable effect predicted from the reference fit (the bundled demo). Per gene, the
  simulated 80 %-power effect is read off the power curve fitted to "DE p < alpha" against the
  planted |log2FC|: a one-parameter fit (the curve's shape, ``Phi(delta / s - q)``, with its scale
  ``s`` estimated by maximum likelihood; precise because all trials inform the one parameter)
  and, as a check of the shape, a two-parameter probit regression.
"""

from __future__ import annotations

import shutil
import tempfile
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy.stats import norm

from myoclamp.de.equivalence import equivalence_table
from myoclamp.de.power import DEFAULT_POWER, detectable_effect, multiplier, power
from myoclamp.de.settings import de_settings
from myoclamp.de.stats import wald_df
from myoclamp_tools.equivalence_demo import bundled_paths, demo_config
from myoclamp_tools.rcompare import demo_adata

MODES = ("null", "margin", "mde")
ROW_COLUMNS = [
    "mode",
    "seed",
    "gene_id",
    "interest",
    "planted",
    "baseMean",
    "log2FoldChange",
    "lfcSE",
    "de_pvalue",
    "pvalue",
    "padj",
    "padj_interest",
    "verdict_interest",
    "predicted_mde",
]


def fit_table(paths: dict[str, Path], config: dict, n_cpus: int = 1) -> tuple[pd.DataFrame, int]:
    """The treatment contrast's DE table of a demo directory, and the t reference's df."""
    from myoclamp.de.pipeline import contrast_table, fit_from_adata

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = fit_from_adata(demo_adata(paths), "treatment", config, n_cpus=n_cpus)
        table, _ = contrast_table(fit, "treatment", config, n_cpus=n_cpus)
    return table, wald_df(fit.dds)


def reference_table(config: dict, n_cpus: int = 1) -> tuple[pd.DataFrame, int]:
    """The bundled demo's treatment table (null): the run whose detectable effects are checked."""
    return fit_table(bundled_paths(), config, n_cpus)


def planted_genes(
    reference: pd.DataFrame,
    genes_of_interest: Sequence[str],
    n_random: int,
    seed: int,
    min_base_mean: float = 50.0,
) -> list[str]:
    """Genes of interest present in ``reference``, then ``n_random`` other tested genes with a
    mean count of at least ``min_base_mean``, drawn with ``seed``."""
    tested = reference[reference["pvalue"].notna()]
    goi = [g for g in genes_of_interest if g in set(tested["gene_id"])]
    pool = tested.loc[
        (tested["baseMean"] >= min_base_mean) & ~tested["gene_id"].isin(goi), "gene_id"
    ].to_numpy()
    rng = np.random.default_rng(seed)
    extra = rng.choice(np.sort(pool), size=min(n_random, len(pool)), replace=False)
    return goi + sorted(str(g) for g in extra)


def boundary_sizes(genes: Sequence[str], margin: float) -> dict[str, float]:
    """Every gene at exactly the margin, signs alternating (+, -, +, ...)."""
    return {g: (margin if i % 2 == 0 else -margin) for i, g in enumerate(genes)}


def mde_sizes(
    mde: pd.Series, rng: np.random.Generator, low: float = 0.6, high: float = 1.4
) -> dict[str, float]:
    """Each gene at ``u * mde`` with ``u ~ U(low, high)`` and a random sign."""
    u = rng.uniform(low, high, len(mde))
    sign = rng.choice([-1.0, 1.0], len(mde))
    return {str(g): float(s * f * m) for g, s, f, m in zip(mde.index, sign, u, mde, strict=True)}


def run_trial(
    mode: str,
    seed: int,
    *,
    genes: Sequence[str],
    genes_of_interest: Sequence[str],
    predicted_mde: pd.Series,
    margin: float,
    config: dict,
    workdir: str | Path | None = None,
    n_cpus: int = 1,
) -> pd.DataFrame:
    """One generated trial in ``mode``: one row per planted gene (and per gene of interest)."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}")
    de = de_settings(config)
    if mode == "null":
        sizes = None
    elif mode == "margin":
        sizes = boundary_sizes(genes, margin)
    else:
        sizes = mde_sizes(predicted_mde.reindex(genes), np.random.default_rng([seed, 20]))
    tmp = Path(tempfile.mkdtemp(dir=workdir))
    try:
        from myoclamp_tools.demo import generate

        paths = generate(tmp / "demo", seed=seed, treatment_sizes=sizes)
        table, df = fit_table(paths, config, n_cpus)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    eq = equivalence_table(
        table,
        margin,
        df=df if de["wald_distribution"] == "t" else None,
        alpha=float(de["alpha"]),
        genes_of_interest=genes_of_interest,
        independent_filter=bool(de["independent_filter"]),
    ).set_index("gene_id")
    keep = list(dict.fromkeys([*genes, *eq.index[eq["interest"]]]))
    keep = [g for g in keep if g in eq.index]
    rows = eq.loc[keep]
    out = pd.DataFrame(
        {
            "mode": mode,
            "seed": seed,
            "gene_id": keep,
            "interest": rows["interest"].to_numpy(),
            "planted": [0.0 if sizes is None else sizes.get(g, 0.0) for g in keep],
            "baseMean": rows["baseMean"].to_numpy(),
            "log2FoldChange": rows["log2FoldChange"].to_numpy(),
            "lfcSE": rows["lfcSE"].to_numpy(),
            "de_pvalue": rows["de_pvalue"].to_numpy(),
            "pvalue": rows["pvalue"].to_numpy(),
            "padj": rows["padj"].to_numpy(),
            "padj_interest": rows["padj_interest"].to_numpy(),
            "verdict_interest": rows["verdict_interest"].to_numpy(),
            "predicted_mde": predicted_mde.reindex(keep).to_numpy(),
        }
    )
    out.attrs["equivalent_genome"] = int((eq["verdict"] == "equivalent").sum())
    out.attrs["tested"] = int(eq["padj"].notna().sum())
    return out[ROW_COLUMNS]


def predicted(reference: pd.DataFrame, df: int | None, config: dict) -> pd.Series:
    """Detectable effect (80 % power, nominal alpha) per gene of the reference table."""
    de = de_settings(config)
    mde = detectable_effect(reference["lfcSE"].to_numpy(float), float(de["alpha"]), 0.8, df)
    return pd.Series(mde, index=reference["gene_id"].astype(str).to_numpy())


# --------------------------------------------------------------------------------- summaries


def summarise_null(rows: pd.DataFrame, alpha: float = 0.05, well: float = 100.0) -> pd.DataFrame:
    """Per gene of interest: trials, mean count, share declared equivalent (BH over the genes of
    interest) and share with equivalence p < alpha; the last row pools the well-expressed ones
    (mean count >= ``well``)."""
    goi = rows[rows["interest"]]
    per = goi.groupby("gene_id").agg(
        trials=("seed", "nunique"),
        baseMean=("baseMean", "median"),
        lfcSE=("lfcSE", "median"),
        equivalent_bh=("verdict_interest", lambda v: float(np.mean(v == "equivalent"))),
        equivalent_nominal=("pvalue", lambda p: float(np.mean(p < alpha))),
    )
    per = per.sort_values("baseMean", ascending=False)
    well_rows = goi[goi["baseMean"] >= well]
    per_trial = well_rows.groupby("seed").agg(
        well=("gene_id", "size"), eq=("verdict_interest", lambda v: int((v == "equivalent").sum()))
    )
    per.loc["well-expressed (per trial)"] = {
        "trials": len(per_trial),
        "baseMean": float(per_trial["well"].mean()) if len(per_trial) else np.nan,
        "lfcSE": np.nan,
        "equivalent_bh": float(per_trial["eq"].mean()) if len(per_trial) else np.nan,
        "equivalent_nominal": np.nan,
    }
    return per


def summarise_margin(rows: pd.DataFrame, alpha: float = 0.05) -> pd.DataFrame:
    """Share of genes planted at the margin declared equivalent: per gene p < alpha (genes of
    interest, others, all, with a binomial 95 % upper bound), genome-wide BH, and the share of
    trials with any gene of interest declared equivalent (BH over them)."""
    planted = rows[rows["planted"] != 0]
    out = []
    for name, sub in (
        ("genes of interest", planted[planted["interest"]]),
        ("other planted genes", planted[~planted["interest"]]),
        ("all planted genes", planted),
    ):
        p = sub["pvalue"].dropna()
        k, n = int((p < alpha).sum()), len(p)
        out.append(
            {
                "genes": name,
                "tests": n,
                "p_below_alpha": k,
                "rate": k / n if n else np.nan,
                "rate_upper95": _upper(k, n),
                "rate_padj_below_alpha": float((sub["padj"].dropna() < alpha).mean())
                if n
                else np.nan,
            }
        )
    goi = planted[planted["interest"]]
    any_eq = goi.groupby("seed")["padj_interest"].apply(lambda p: bool((p < alpha).any()))
    out.append(
        {
            "genes": "trials with any gene of interest equivalent (BH)",
            "tests": len(any_eq),
            "p_below_alpha": int(any_eq.sum()),
            "rate": float(any_eq.mean()) if len(any_eq) else np.nan,
            "rate_upper95": _upper(int(any_eq.sum()), len(any_eq)),
            "rate_padj_below_alpha": np.nan,
        }
    )
    return pd.DataFrame(out)


def _upper(k: int, n: int) -> float:
    """Clopper-Pearson 95 % upper bound of a binomial proportion."""
    from scipy.stats import beta

    return float(beta.ppf(0.975, k + 1, n - k)) if n and k < n else 1.0


def probit_effect(effect: np.ndarray, reject: np.ndarray, target: float = DEFAULT_POWER) -> float:
    """|log2FC| at which a probit fit of ``reject`` on |``effect``| reaches ``target``."""
    x = np.abs(np.asarray(effect, dtype=float))
    y = np.asarray(reject, dtype=float)
    if y.min() == y.max():
        return float("nan")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = sm.GLM(y, sm.add_constant(x), family=sm.families.Binomial(sm.families.links.Probit()))
        a, b = fit.fit().params
    return float((norm.ppf(target) - a) / b) if b > 0 else float("nan")


def scale_fit_effect(
    effect: np.ndarray,
    reject: np.ndarray,
    alpha: float = 0.05,
    df: int | None = None,
    target: float = DEFAULT_POWER,
) -> float:
    """|log2FC| with power ``target`` on the curve ``power(delta; s)`` (:func:`power`) whose
    scale ``s`` is the maximum-likelihood fit to ``reject`` at the planted ``effect``."""
    from scipy.optimize import minimize_scalar

    x = np.abs(np.asarray(effect, dtype=float))
    y = np.asarray(reject, dtype=bool)

    def nll(log_s: float) -> float:
        p = np.clip(power(x, np.exp(log_s), alpha, df), 1e-12, 1 - 1e-12)
        return -float(np.sum(np.where(y, np.log(p), np.log1p(-p))))

    centre = np.log(np.median(x) / 3)
    fit = minimize_scalar(nll, bounds=(centre - 3, centre + 3), method="bounded")
    return float(multiplier(alpha, target, df) * np.exp(fit.x))


def summarise_mde(rows: pd.DataFrame, alpha: float = 0.05, df: int | None = None) -> pd.DataFrame:
    """Per planted gene: predicted detectable effect (reference fit), the simulated 80 %-power
    effect (one-parameter fit; probit as a check), their ratio, the observed power of the trials
    planted within 10 % of the prediction, and the median over the trials of each trial's own
    predicted detectable effect (the formula without the reference trial's estimation error)."""
    planted = rows[rows["planted"] != 0].copy()
    planted["reject"] = planted["de_pvalue"] < alpha
    out = []
    for gene, sub in planted.groupby("gene_id"):
        sim = scale_fit_effect(sub["planted"], sub["reject"], alpha, df)
        pred = float(sub["predicted_mde"].iloc[0])
        near = (sub["planted"].abs() / pred - 1).abs() <= 0.1
        own = float(np.median(detectable_effect(sub["lfcSE"].to_numpy(float), alpha, 0.8, df)))
        out.append(
            {
                "gene_id": gene,
                "interest": bool(sub["interest"].iloc[0]),
                "trials": len(sub),
                "baseMean": float(sub["baseMean"].median()),
                "predicted_mde": pred,
                "simulated_mde": sim,
                "ratio": pred / sim if sim > 0 else np.nan,
                "within_20pct": bool(abs(pred / sim - 1) <= 0.2) if sim > 0 else False,
                "simulated_mde_probit": probit_effect(sub["planted"], sub["reject"]),
                "median_trial_mde": own,
                "ratio_median_trial": own / sim if sim > 0 else np.nan,
                "power_near_prediction": float(sub.loc[near, "reject"].mean())
                if near.any()
                else np.nan,
                "trials_near_prediction": int(near.sum()),
            }
        )
    return pd.DataFrame(out).sort_values(["interest", "gene_id"], ascending=[False, True])


def default_config() -> dict:
    """The bundled demo's config for the treatment design (block engine, t reference)."""
    return demo_config()
