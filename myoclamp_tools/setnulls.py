"""Calibration of the gene-set tests on exact nulls of real counts (GSE202295).

Two nulls, each trial seeded:

- ``treatment``: GSE202295 as a trial (:func:`myoclamp_tools.rcompare.gse202295_adata`, arm =
  NGT/T2D, visit = basal/post), the arm labels permuted between participants
  (:func:`myoclamp_tools.nulls.permute_arms`), the ``treatment`` design: no set differs between the
  (random) arms in its within-person change.
- ``m_value``: the 38 basal biopsies of GSE202295 with a synthetic M-value drawn per trial
  (normal, mean 4, SD 1.7 mg/kg/min, as the demo's T2D cohort) independently of the expression,
  i.e. M permuted between participants; covariate: group (NGT/T2D). Real counts have no M-value,
  so this null is synthetic in M only.

Per trial and collection, for camera, the permutation test, the ``enriched`` call and (optionally)
today's GSEA prerank with gene-set permutation on the DESeq2 Wald statistic: whether any set has
FDR < 0.05, how many, and the share of set p-values below 0.05.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from myoclamp.adata import counts_frame
from myoclamp.clinical.association import default_min_samples
from myoclamp.clinical.samples import build_covariates
from myoclamp.clinical.settests import association_design, association_set_tests
from myoclamp.config import section
from myoclamp.de.design import build_design
from myoclamp.enrichment.camera import camera
from myoclamp.enrichment.genesets import GeneSets, ranking_table
from myoclamp.enrichment.logexpr import log_expression
from myoclamp.enrichment.permutation import ASSOCIATION
from myoclamp.enrichment.pipeline import gsea_table
from myoclamp.enrichment.setindex import collection_index
from myoclamp.enrichment.settests import set_tests
from myoclamp_tools.nulls import permute_arms
from myoclamp_tools.rcompare import GSE202295_CONFIG, gse202295_adata

log = logging.getLogger(__name__)

ALPHA = 0.05
M_MEAN, M_SD = 4.0, 1.7


def summarise(table: pd.DataFrame, test: str, pcol: str, fcol: str | None) -> list[dict]:
    """Per collection: sets, any / number at FDR < ALPHA, share of p < ALPHA."""
    rows = []
    for coll, sub in table.groupby("collection", sort=True):
        called = sub[fcol] < ALPHA if fcol else sub["enriched"].astype(bool)
        p = sub[pcol].dropna() if pcol else pd.Series(dtype=float)
        rows.append(
            {
                "collection": coll,
                "test": test,
                "sets": len(sub),
                "any_fdr05": bool(called.any()),
                "n_fdr05": int(called.sum()),
                "share_p05": float((p < ALPHA).mean()) if len(p) else np.nan,
            }
        )
    return rows


def set_test_rows(table: pd.DataFrame, meta: Mapping) -> list[dict]:
    """camera, permutation and enriched figures of one set-test table."""
    return [
        *summarise(table, f"camera_{meta['camera_variance']}", "camera_pvalue", "camera_FDR"),
        *summarise(table, "permutation", "permutation_pvalue", "permutation_FDR"),
        *summarise(table, "enriched", "", None),  # no p-value of its own
    ]


def other_camera_rows(counts, design, contrast, sets, symbols, meta, min_samples) -> list[dict]:
    """camera with the other variance (limma's or the competitive one) on the same data, and
    with the run's variance but the other ``allow_neg_cor``."""
    other = "limma" if meta["camera_variance"] == "competitive" else "competitive"
    expr = log_expression(
        counts.loc[design.matrix.index], min_count=10, min_samples=min_samples, symbols=symbols
    )
    index = collection_index(
        expr.values.columns, sets, min_size=15, max_size=500, curated_min_size=5
    )
    y = expr.values.loc[design.matrix.index].to_numpy(float)
    x, w, allow = (
        design.matrix.to_numpy(float),
        design.contrasts[contrast],
        bool(meta["camera_allow_neg_cor"]),
    )
    table = camera(y, x, w, index, variance=other, allow_neg_cor=allow)
    # limma's own default beside the run's: correlations clipped at zero, or allowed below it
    flipped = camera(y, x, w, index, variance=meta["camera_variance"], allow_neg_cor=not allow)
    label = f"camera_{meta['camera_variance']}_" + ("clipped" if allow else "neg_cor")
    return [
        *summarise(table, f"camera_{other}", "pvalue", "FDR"),
        *summarise(flipped, label, "pvalue", "FDR"),
    ]


def prerank_rows(de: pd.DataFrame, sets: GeneSets, seed: int, permutations: int) -> list[dict]:
    """Today's GSEA prerank (gene-set permutation) of a DE table, summarised."""
    cfg = {**section(None, "enrichment"), "permutations": permutations, "seed": seed}
    gsea = gsea_table(ranking_table(de), sets, cfg)
    return summarise(gsea, "prerank", "pvalue", "FDR")


def treatment_trial(
    real,
    seed: int,
    sets: GeneSets,
    *,
    set_permutations: int = 1000,
    prerank: bool = False,
    prerank_permutations: int = 1000,
    cpus: int = 1,
) -> list[dict]:
    """One arm-permuted null trial of the ``treatment`` design: rows per collection and test."""
    obs = permute_arms(real.obs, seed)
    design = build_design(obs, "treatment", GSE202295_CONFIG)
    counts = counts_frame(real)
    table, meta = set_tests(
        counts,
        design,
        "treatment",
        sets,
        {"set_permutations": set_permutations},
        symbols=real.var["symbol"],
        seed=seed,
    )
    rows = set_test_rows(table, meta)
    rows += other_camera_rows(
        counts, design, "treatment", sets, real.var["symbol"], meta, design.min_group
    )
    if prerank:
        from myoclamp.de.pipeline import contrast_table, fit_from_adata

        adata = real.copy()
        adata.obs = obs
        config = {**GSE202295_CONFIG, "de": {**GSE202295_CONFIG["de"], "shrink": False}}
        fit = fit_from_adata(adata, "treatment", config, n_cpus=cpus)
        de, _ = contrast_table(fit, "treatment", config, n_cpus=cpus)
        rows += prerank_rows(de, sets, seed, prerank_permutations)
        rows.append(
            {
                "collection": "genes",
                "test": "deseq2",
                "sets": int(de["padj"].notna().sum()),
                "any_fdr05": bool((de["padj"] < ALPHA).any()),
                "n_fdr05": int((de["padj"] < ALPHA).sum()),
                "share_p05": float((de["pvalue"].dropna() < ALPHA).mean()),
            }
        )
    exact = meta.get("permutation_exact")
    return [{"null": "treatment", "trial": seed, "exact": exact, **r} for r in rows]


def basal_baseline(real):
    """The basal biopsies of GSE202295 (one per participant), as a baseline cohort."""
    sub = real[real.obs["visit"].astype(str) == "basal"].copy()
    sub.obs["group"] = sub.obs["arm"].astype(str)
    return sub


def m_value_trial(
    basal,
    seed: int,
    sets: GeneSets,
    *,
    set_permutations: int = 1000,
    prerank: bool = False,
    prerank_permutations: int = 1000,
    cpus: int = 1,
) -> list[dict]:
    """One synthetic-M null trial of expression vs M-value (covariate: group)."""
    rng = np.random.default_rng(seed)
    m_value = rng.normal(M_MEAN, M_SD, basal.n_obs)
    cov = build_covariates(basal.obs, ["group"])
    counts = counts_frame(basal)
    table, meta = association_set_tests(
        counts,
        basal.obs,
        m_value,
        cov,
        sets,
        {"set_permutations": set_permutations},
        symbols=basal.var["symbol"],
        seed=seed,
    )
    rows = set_test_rows(table, meta)
    design = association_design(basal.obs, m_value, cov)
    rows += other_camera_rows(
        counts,
        design,
        ASSOCIATION,
        sets,
        basal.var["symbol"],
        meta,
        default_min_samples(basal.n_obs),
    )
    if prerank:
        from myoclamp.clinical.association import deseq2_association, tested_genes
        from myoclamp.de.settings import de_settings

        de_cfg = de_settings({"de": {"shrink": False}})
        genes = tested_genes(counts, de_cfg)
        assoc = deseq2_association(
            counts[genes], m_value, cov, basal.var["symbol"], de_cfg, n_cpus=cpus
        )
        de = assoc.rename(columns={"estimate": "log2FoldChange"})
        rows += prerank_rows(de, sets, seed, prerank_permutations)
    exact = meta.get("permutation_exact")
    return [{"null": "m_value", "trial": seed, "exact": exact, **r} for r in rows]


def aggregate(rows: pd.DataFrame) -> pd.DataFrame:
    """Per null, collection and test: trials, share of trials with any set at FDR < 0.05, mean
    number of such sets, and the share of set p-values below 0.05 over all trials."""
    grouped = rows.groupby(["null", "collection", "test"], sort=True)
    out = grouped.agg(
        trials=("trial", "nunique"),
        sets=("sets", "mean"),
        share_any_fdr05=("any_fdr05", "mean"),
        mean_n_fdr05=("n_fdr05", "mean"),
        max_n_fdr05=("n_fdr05", "max"),
    )
    # pooled share of p < 0.05: weight each trial by its number of sets
    rows = rows.assign(_hits=rows["share_p05"] * rows["sets"])
    pooled = rows.groupby(["null", "collection", "test"], sort=True)[["_hits", "sets"]].sum()
    out["share_p05"] = pooled["_hits"] / pooled["sets"]
    return out.reset_index()


def load_real(data_dir: str | Path):
    """GSE202295 as a trial (both visits basal and post)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return gse202295_adata(data_dir)


def run(
    data_dir: str | Path,
    trials: list[int],
    sets: GeneSets,
    *,
    nulls: tuple[str, ...] = ("treatment", "m_value"),
    options: Mapping | None = None,
    echo=None,
) -> pd.DataFrame:
    """All trials of the chosen nulls; ``echo(rows)`` is called after each trial."""
    options = dict(options or {})
    real = load_real(data_dir)
    basal = basal_baseline(real) if "m_value" in nulls else None
    rows: list[dict] = []
    for seed in trials:
        for null in nulls:
            if null == "treatment":
                new = treatment_trial(real, seed, sets, **options)
            else:
                new = m_value_trial(basal, seed, sets, **options)
            rows += new
            if echo is not None:
                echo(new)
    return pd.DataFrame(rows)
