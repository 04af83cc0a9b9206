"""Gene-set tests of one contrast or of the M-value association: camera + permutation, one table.

:func:`set_tests` takes the raw counts, a built design (``myoclamp.de.design.build_design``, or
the fitted design with its unwanted-variation columns) and a contrast name;
:func:`association_set_tests` takes the baseline basal samples, their M-values and covariates
(``myoclamp.clinical.samples.baseline_samples``). Both filter genes as the corresponding
gene-level analysis does, compute log2-CPM (:mod:`myoclamp.enrichment.logexpr`), run camera
(:mod:`myoclamp.enrichment.camera`) and the design-based permutation test
(:mod:`myoclamp.enrichment.permutation`) on the same data and sets, and return one tidy table
(:data:`SET_TEST_COLUMNS`) and a metadata dict.

``enriched`` = camera FDR < ``alpha`` and permutation p < ``alpha``. camera carries the
multiplicity control (BH within the collection); the permutation test confirms, from the design's
own exchangeable units and with the correlation taken from the data rather than estimated, that
the set's statistic is extreme (the two statistics share their sign, so the direction agrees by
construction). The permutation FDR is reported too, but with ``B`` permutations no p-value is
below ``1 / (B + 1)``, so with ``S`` sets in a collection its BH FDR cannot fall below
``S / (k (B + 1))`` when ``k`` sets reach that floor: for GO BP (about 4,500 sets) and 1,000
permutations a set needs some 90 others at the floor to reach FDR 5 %; requiring it would make
GO BP calls depend on how many other sets are strong, not on the set.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from myoclamp.clinical.association import M_COLUMN, default_min_samples, design_matrix
from myoclamp.clinical.samples import Covariates
from myoclamp.de.design import Design
from myoclamp.enrichment.camera import camera_sets
from myoclamp.enrichment.genesets import GeneSets
from myoclamp.enrichment.linear import contrast_model, gene_stats
from myoclamp.enrichment.logexpr import PRIOR_COUNT, LogExpression, log_expression
from myoclamp.enrichment.permutation import ASSOCIATION, permutation_scheme, permutation_test
from myoclamp.enrichment.setindex import collection_index

log = logging.getLogger(__name__)

SET_TEST_COLUMNS = [
    "set",
    "description",
    "collection",
    "size",
    "direction",
    "camera_correlation",
    "camera_pvalue",
    "camera_FDR",
    "permutation_statistic",
    "permutation_pvalue",
    "permutation_FDR",
    "enriched",
]

DEFAULTS = {
    "min_size": 15,
    "max_size": 500,
    "curated_min_size": 5,
    "set_permutations": 1000,
    "camera_correlation": None,  # None: estimated per set (R's inter.gene.cor = NA)
    "camera_variance": "competitive",  # or "limma" (camera.default as in R)
    "alpha": 0.05,
    "prior_count": PRIOR_COUNT,
    "threads": 1,
}


def empty_table() -> pd.DataFrame:
    """The set-test table without rows."""
    return pd.DataFrame({c: pd.Series(dtype=object) for c in SET_TEST_COLUMNS})


def run_set_tests(
    expr: LogExpression,
    matrix: pd.DataFrame,
    contrast: np.ndarray,
    design: Design,
    contrast_name: str,
    sets: GeneSets,
    cfg: Mapping,
    seed: int,
) -> tuple[pd.DataFrame, dict]:
    """camera and the permutation test on log expression ``expr`` (rows = ``matrix`` rows)."""
    cfg = {**DEFAULTS, **cfg}
    y = expr.values.loc[matrix.index].to_numpy(float)
    index = collection_index(
        expr.values.columns,
        sets,
        min_size=int(cfg["min_size"]),
        max_size=int(cfg["max_size"]),
        curated_min_size=int(cfg["curated_min_size"]),
    )
    scheme = permutation_scheme(design, contrast_name)
    meta = {
        "contrast": contrast_name,
        "design": design.name,
        "samples": int(matrix.shape[0]),
        "coefficients": int(matrix.shape[1]),
        "genes": int(y.shape[1]),
        "genes_before_filter": int(expr.genes_before_filter),
        "sets_tested": len(index),
        "camera_correlation": cfg["camera_correlation"],
        "camera_variance": cfg["camera_variance"] if cfg["camera_correlation"] is None else "limma",
        "permutation_scheme": scheme.kind,
        "permutation_description": scheme.description or scheme.reason,
        "permutations": int(cfg["set_permutations"]),
        "seed": int(seed),
        "alpha": float(cfg["alpha"]),
    }
    if len(index) == 0:
        return empty_table(), {**meta, "reason": "no gene set within the size limits"}
    x = matrix.to_numpy(float)
    threads = int(cfg.get("threads", 1))
    model = contrast_model(x, contrast)
    cor = cfg["camera_correlation"]
    with threadpool_limits(limits=max(1, threads)):
        stats, resid = gene_stats(y, model)
        cam = camera_sets(
            stats,
            resid,
            index,
            inter_gene_cor=None if cor is None else float(cor),
            variance=str(cfg["camera_variance"]) if cor is None else "limma",
        )
    table = index.frame()
    table["direction"] = cam["direction"].to_numpy()
    table["camera_correlation"] = cam["correlation"].to_numpy()
    table["camera_pvalue"] = cam["pvalue"].to_numpy()
    table["camera_FDR"] = cam["FDR"].to_numpy()
    alpha = float(cfg["alpha"])
    if scheme.kind == "none":
        log.warning("%s: no permutation test: %s", contrast_name, scheme.reason)
        table["permutation_statistic"] = np.nan
        table["permutation_pvalue"] = np.nan
        table["permutation_FDR"] = np.nan
        table["enriched"] = table["camera_FDR"] < alpha
        meta["permutation_exact"] = None
    else:
        perm = permutation_test(
            y,
            x,
            contrast,
            index,
            scheme,
            permutations=int(cfg["set_permutations"]),
            seed=int(seed),
            threads=threads,
        )
        table["permutation_statistic"] = perm.statistic
        table["permutation_pvalue"] = perm.pvalue
        table["permutation_FDR"] = perm.fdr
        table["enriched"] = (table["camera_FDR"] < alpha) & (table["permutation_pvalue"] < alpha)
        meta["permutation_exact"] = bool(perm.exact)
    meta["eb_prior_df"] = float(stats.prior.df)
    for coll, sub in table.groupby("collection", sort=False):
        meta[f"{coll}_sets"] = len(sub)
        meta[f"{coll}_camera_fdr05"] = int((sub["camera_FDR"] < alpha).sum())
        meta[f"{coll}_permutation_fdr05"] = int((sub["permutation_FDR"] < alpha).sum())
        meta[f"{coll}_enriched"] = int(sub["enriched"].sum())
    table = table.sort_values(["collection", "camera_pvalue", "set"], kind="mergesort")
    log.info(
        "%s: %d sets; enriched %s",
        contrast_name,
        len(table),
        {c: meta[f"{c}_enriched"] for c in table["collection"].unique()},
    )
    return table[SET_TEST_COLUMNS].reset_index(drop=True), meta


def set_tests(
    counts: pd.DataFrame,
    design: Design,
    contrast: str,
    sets: GeneSets,
    *,
    symbols: pd.Series | None = None,
    min_count: int = 10,
    min_samples: int | None = None,
    seed: int = 20070510,
    **cfg,
) -> tuple[pd.DataFrame, dict]:
    """Set tests of ``contrast`` of ``design`` on raw ``counts`` (samples x genes, any samples).

    Genes pass the DE stage's filter (``min_count`` reads in ``min_samples`` samples of the
    design, default the smallest design group). ``symbols`` maps gene columns to symbols.
    Other settings (:data:`DEFAULTS`): ``min_size``, ``max_size``, ``curated_min_size``,
    ``set_permutations``, ``camera_correlation``, ``alpha``, ``prior_count``.
    """
    if design.matrix is None or contrast not in design.contrasts:
        reason = design.not_estimable.get(contrast) or design.reason or "not estimable"
        return empty_table(), {"contrast": contrast, "design": design.name, "reason": reason}
    matrix = design.matrix
    expr = log_expression(
        counts.loc[matrix.index],
        min_count=min_count,
        min_samples=int(min_samples or design.min_group or 1),
        symbols=symbols,
        prior_count=float(cfg.get("prior_count", PRIOR_COUNT)),
    )
    return run_set_tests(
        expr, matrix, design.contrasts[contrast], design, contrast, sets, cfg, seed
    )


def association_design(obs: pd.DataFrame, m_value: np.ndarray, cov: Covariates) -> Design:
    """``~ covariates + m_value_z`` on the baseline samples, as a Design with contrast m_value."""
    matrix = design_matrix(np.asarray(m_value, float), cov, obs.index)
    vec = np.zeros(matrix.shape[1])
    vec[list(matrix.columns).index(M_COLUMN)] = 1.0
    meta = pd.DataFrame({"participant": obs["participant"].astype(str).to_numpy()}, index=obs.index)
    return Design(
        name=ASSOCIATION,
        formula="~ " + " + ".join(matrix.columns[1:]),
        metadata=meta,
        matrix=matrix,
        min_group=1,
        contrasts={ASSOCIATION: vec},
    )


def association_set_tests(
    counts: pd.DataFrame,
    obs: pd.DataFrame,
    m_value: np.ndarray,
    cov: Covariates,
    sets: GeneSets,
    *,
    symbols: pd.Series | None = None,
    min_count: int = 10,
    min_samples: int | None = None,
    seed: int = 20070510,
    **cfg,
) -> tuple[pd.DataFrame, dict]:
    """Set tests of expression vs M-value (``~ covariates + m_value_z``) at baseline.

    ``obs``: one row per participant (the baseline basal biopsies), with ``participant``;
    ``m_value`` and ``cov`` as from ``clinical.samples.baseline_samples``. Genes pass the
    clinical stage's filter (``min_count`` reads in ``min_samples`` samples, default a third of
    the people). The permutation test permutes the M-values between participants
    (Freedman-Lane on the covariates).
    """
    design = association_design(obs, m_value, cov)
    n = len(obs)
    expr = log_expression(
        counts.loc[obs.index],
        min_count=min_count,
        min_samples=int(min_samples or default_min_samples(n)),
        symbols=symbols,
        prior_count=float(cfg.get("prior_count", PRIOR_COUNT)),
    )
    return run_set_tests(
        expr, design.matrix, design.contrasts[ASSOCIATION], design, ASSOCIATION, sets, cfg, seed
    )
