"""Calibration and power of the voom engine beside the DESeq2 engine, on the same data.

- :func:`null_runs`: GSE202295 (``rcompare.gse202295_adata``: arm = NGT/T2D, visit =
  basal/post) with the arm labels permuted between participants (``nulls.permute_arms``), the
  ``treatment`` contrast under both engines per permutation: an exact null, so every padj < 0.05
  is false and the p-values should be uniform. The voom engine keeps the participants who lack a
  time point; the DESeq2 engine's fixed blocks drop them.
- :func:`power_runs`: generated demo trials (``demo.generate``, treatment switch on), the
  ``treatment`` and ``insulin`` contrasts under both engines against the planted effects:
  ``recovery`` at padj < 0.05 and the recall at the same observed false discovery proportion
  (:func:`recall_at_fdp`: genes ranked by p-value, the largest recall whose share of unplanted
  genes among those selected is at most ``q``), which compares the rankings whatever each
  engine's calibration.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd

from myoclamp.de.pipeline import contrast_table, fit_from_adata
from myoclamp.de.voom_engine import ENGINE, fit_mixed_design, voom_table
from myoclamp_tools.demo.truth import recovery
from myoclamp_tools.nulls import LEVELS, null_rates, permute_arms
from myoclamp_tools.rcompare import DEMO_CONFIG, GSE202295_CONFIG, demo_adata

DESEQ2 = "deseq2"  # the engine names of the workflow (de.engine)
#: contrast -> (design, truth column of its planted effects)
POWER_CONTRASTS = {
    "treatment": ("treatment", "treatment_log2fc"),
    "insulin": ("insulin", "insulin_log2fc_planted"),
}


def null_figures(table: pd.DataFrame) -> dict:
    """Tested genes, significant genes and the p-value shares under the null."""
    p = table["pvalue"].dropna()
    out = {
        "tested": int(table["padj"].notna().sum()),
        "significant": int((table["padj"] < 0.05).sum()),
    }
    out |= {f"frac_p<{a:g}": float((p < a).mean()) for a in LEVELS}
    return out | null_rates(p)


def engine_tables(
    adata, design: str, contrasts: list[str], config: dict, n_cpus: int = 2
) -> dict[str, dict[str, tuple[pd.DataFrame, dict]]]:
    """engine -> contrast -> (table, metadata) for the DESeq2 engine (``de.engine``,
    ``de.wald_distribution`` of ``config``; no shrinkage) and the voom engine."""
    cfg = {**config, "de": {**config.get("de", {}), "shrink": False}}
    out: dict[str, dict] = {DESEQ2: {}, ENGINE: {}}
    start = time.perf_counter()
    fit = fit_from_adata(adata, design, cfg, n_cpus=n_cpus)
    for name in contrasts:
        out[DESEQ2][name] = contrast_table(fit, name, cfg, n_cpus=n_cpus)
    seconds = {DESEQ2: time.perf_counter() - start}
    start = time.perf_counter()
    mixed, vfit = fit_mixed_design(adata, design, cfg)
    for name in contrasts:
        out[ENGINE][name] = voom_table(mixed, vfit, name, adata.var)
    seconds[ENGINE] = time.perf_counter() - start
    for engine, tables in out.items():
        for _, meta in tables.values():
            meta["seconds"] = round(seconds[engine], 2)
    return out


def null_runs(real, seeds: list[int], n_cpus: int = 2, on_row=None) -> pd.DataFrame:
    """One row per permutation and engine (:func:`null_figures`, samples, participants)."""
    rows = []
    for seed in seeds:
        adata = real.copy()
        adata.obs = permute_arms(real.obs, seed)
        tables = engine_tables(adata, "treatment", ["treatment"], GSE202295_CONFIG, n_cpus)
        for engine, by_contrast in tables.items():
            table, meta = by_contrast["treatment"]
            row = {
                "permutation": seed,
                "engine": engine,
                "samples": meta["samples"],
                "participants": meta["participants"],
                "correlation": meta.get("correlation", np.nan),
                "df": (
                    meta.get("wald_df") if engine == DESEQ2 else float(table["df_total"].median())
                ),
            } | null_figures(table)
            row["seconds"] = meta["seconds"]
            rows.append(row)
            if on_row is not None:
                on_row(row)
    return pd.DataFrame(rows)


def null_summary(runs: pd.DataFrame) -> pd.DataFrame:
    """Per engine: permutations, share with any gene at FDR 5 %, mean p-value shares."""
    figures = [c for c in runs.columns if c.startswith(("frac_", "rate_"))]
    g = runs.groupby("engine")
    out = g[figures].mean()
    out.insert(0, "share_any_fdr05", g["significant"].apply(lambda s: float((s > 0).mean())))
    out.insert(0, "mean_significant", g["significant"].mean())
    out.insert(0, "permutations", g.size())
    return out


def recall_at_fdp(table: pd.DataFrame, planted: pd.Series, q: float, min_abs: float = 0.0):
    """Largest recall of the planted genes (|log2FC| >= ``min_abs``, all of the truth, tested or
    not) over the p-value ranking's cut-offs whose observed false discovery proportion (genes
    without any planted effect among those selected) is at most ``q``; and that cut-off."""
    t = table.set_index("gene_id") if "gene_id" in table.columns else table
    t = t[t["pvalue"].notna()]
    order = t.assign(_abs=-t["stat"].abs()).sort_values(["pvalue", "_abs"], kind="mergesort")
    effect = planted.reindex(order.index).fillna(0.0)
    target = (planted != 0) & (planted.abs() >= min_abs)
    n_target = int(target.sum())
    hit = target.reindex(order.index).fillna(False).to_numpy()
    false = (effect == 0).to_numpy()
    k = np.arange(1, len(order) + 1)
    fdp = np.cumsum(false) / k
    recall = np.cumsum(hit) / max(n_target, 1)
    ok = np.flatnonzero(fdp <= q)
    if len(ok) == 0:
        return 0.0, 0
    best = ok[np.argmax(recall[ok])]
    return float(recall[best]), int(k[best])


def power_runs(
    seeds: list[int], workdir: str | Path, n_cpus: int = 2, on_row=None, n_genes: int | None = None
) -> pd.DataFrame:
    """One row per seed, contrast, engine and size threshold: ``recovery`` at padj < 0.05 and
    :func:`recall_at_fdp` at observed FDP 5 % and 10 %."""
    from myoclamp_tools.demo import generate

    config = {**DEMO_CONFIG, "de": {"designs": ["treatment", "insulin"]}}
    rows = []
    for seed in seeds:
        paths = generate(
            Path(workdir) / f"seed{seed}", seed=seed, treatment_effect=True, n_genes=n_genes
        )
        truth = pd.read_csv(paths["truth_genes"], sep="\t").set_index("gene")
        adata = demo_adata(paths)
        for contrast, (design, column) in POWER_CONTRASTS.items():
            planted = truth[column]
            tables = engine_tables(adata, design, [contrast], config, n_cpus)
            for engine, by_contrast in tables.items():
                table, meta = by_contrast[contrast]
                for min_abs in (0.0, 1.0):
                    row = {
                        "seed": seed,
                        "contrast": contrast,
                        "engine": engine,
                        "min_abs_log2fc": min_abs,
                        "samples": meta["samples"],
                        "participants": meta["participants"],
                    } | recovery(table, planted, min_abs)
                    for q in (0.05, 0.10):
                        r, k = recall_at_fdp(table, planted, q, min_abs)
                        row[f"recall_at_fdp{q:g}"] = r
                        row[f"selected_at_fdp{q:g}"] = k
                    row["seconds"] = meta["seconds"]
                    rows.append(row)
                    if on_row is not None:
                        on_row(row)
    return pd.DataFrame(rows)


def power_summary(runs: pd.DataFrame) -> pd.DataFrame:
    """Means over seeds per contrast, size threshold and engine."""
    figures = ["recall", "observed_fdr", "significant", "recall_at_fdp0.05", "recall_at_fdp0.1"]
    keys = ["contrast", "min_abs_log2fc", "engine"]
    out = runs.groupby(keys)[figures].mean()
    out.insert(0, "trials", runs.groupby(keys).size())
    return out


def gene_correlation_check(seed: int, workdir: str | Path, n_cpus: int = 2) -> dict:
    """Why the consensus correlation costs power on a change contrast: on a generated demo trial
    (treatment switch on), each gene's own within-participant correlation (the per-gene
    estimates behind the consensus) against the ratio of the voom and DESeq2 standard errors of
    ``treatment``, and the gene correlations of each engine's false positives and planted genes.
    """
    from scipy.stats import spearmanr

    from myoclamp.de.dupcor import duplicate_correlation
    from myoclamp_tools.demo import generate

    config = {**DEMO_CONFIG, "de": {"designs": ["treatment"]}}
    paths = generate(Path(workdir) / f"seed{seed}", seed=seed, treatment_effect=True)
    truth = pd.read_csv(paths["truth_genes"], sep="\t").set_index("gene")
    adata = demo_adata(paths)
    tables = engine_tables(adata, "treatment", ["treatment"], config, n_cpus)
    design, fit = fit_mixed_design(adata, "treatment", config)
    dc = duplicate_correlation(
        fit.voom.E, design.matrix.to_numpy(), design.block.to_numpy(), weights=fit.voom.weights
    )
    rho = pd.Series(np.tanh(dc.atanh_correlations), index=fit.genes)
    voom = tables[ENGINE]["treatment"][0].set_index("gene_id")
    deseq2 = tables[DESEQ2]["treatment"][0].set_index("gene_id")
    genes = voom.index.intersection(deseq2.index)
    rho = rho[genes]
    planted = truth["treatment_log2fc"].reindex(genes).fillna(0.0) != 0
    out = {
        "seed": seed,
        "consensus": dc.consensus,
        "gene_rho_p10": float(rho.quantile(0.1)),
        "gene_rho_median": float(rho.median()),
        "gene_rho_p90": float(rho.quantile(0.9)),
        "spearman_rho_vs_se_ratio": float(
            spearmanr(rho, voom.loc[genes, "lfcSE"] / deseq2.loc[genes, "lfcSE"]).statistic
        ),
        "planted_median_rho": float(rho[planted].median()),
    }
    for name, table in ((ENGINE, voom), (DESEQ2, deseq2)):
        false = (table.loc[genes, "padj"] < 0.05) & ~planted
        out[f"{name}_false_positives"] = int(false.sum())
        out[f"{name}_false_positive_median_rho"] = float(rho[false].median())
    return out
