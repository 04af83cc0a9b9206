"""Gene-set tests of one contrast: camera + the design's permutation test, one table.

:func:`set_tests` takes the raw counts, a built design (``myoclamp.de.design.build_design``, or
the design a DE fit used, with its unwanted-variation columns: ``myoclamp.de.designfile``) and a
contrast name; :func:`run_set_tests` takes log expression and any :class:`Design` (the clinical
stage's expression-vs-M-value association uses it: ``myoclamp.clinical.settests``). Genes are
filtered as the DE fit filters them, log2-CPM computed (:mod:`myoclamp.enrichment.logexpr`),
camera (:mod:`myoclamp.enrichment.camera`) and the design-based permutation test
(:mod:`myoclamp.enrichment.permutation`) run on the same data and sets; the result is one tidy
table (:data:`SET_TEST_COLUMNS`) and a metadata dict.

``enriched`` = camera FDR < ``alpha`` and permutation p < ``alpha``. camera carries the
multiplicity control (BH within the collection); the permutation test confirms, from the design's
own exchangeable units and with the correlation taken from the data rather than estimated, that
the set's statistic is extreme (the two statistics share their sign, so the direction agrees by
construction). The permutation FDR is reported too, but with ``B`` permutations no p-value is
below ``1 / (B + 1)``, so with ``S`` sets in a collection its BH FDR cannot fall below
``S / (k (B + 1))`` when ``k`` sets reach that floor: for GO BP (about 4,500 sets) and 1,000
permutations a set needs some 90 others at the floor to reach FDR 5 %; requiring it would make
GO BP calls depend on how many other sets are strong, not on the set.

Settings (the ``enrichment`` config section; defaults from the schema): ``min_size``,
``max_size``, ``curated_min_size``, ``set_permutations``, ``camera_correlation``,
``camera_variance``, ``camera_allow_neg_cor``, ``alpha``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from myoclamp.config import section
from myoclamp.de.design import Design
from myoclamp.enrichment.camera import camera_sets
from myoclamp.enrichment.genesets import GeneSets
from myoclamp.enrichment.linear import contrast_model, gene_stats
from myoclamp.enrichment.logexpr import LogExpression, log_expression
from myoclamp.enrichment.permutation import permutation_scheme, permutation_test
from myoclamp.enrichment.setindex import collection_index

log = logging.getLogger(__name__)

SET_TEST_COLUMNS = [
    "set",
    "description",
    "collection",
    "size",
    "direction",
    "mean_log2FC",
    "camera_correlation",
    "camera_pvalue",
    "camera_FDR",
    "permutation_statistic",
    "permutation_pvalue",
    "permutation_FDR",
    "enriched",
]
#: the settings of the ``enrichment`` section the set tests read
SETTINGS = (
    "min_size",
    "max_size",
    "curated_min_size",
    "set_permutations",
    "camera_correlation",
    "camera_variance",
    "camera_allow_neg_cor",
    "alpha",
)


def set_settings(cfg: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The set tests' settings: ``cfg`` over the schema's defaults of the ``enrichment`` section."""
    defaults = section(None, "enrichment")
    return {k: (cfg or {}).get(k, defaults[k]) for k in SETTINGS}


def empty_table() -> pd.DataFrame:
    """The set-test table without rows."""
    return pd.DataFrame({c: pd.Series(dtype=object) for c in SET_TEST_COLUMNS})


def run_set_tests(
    expr: LogExpression,
    design: Design,
    contrast: str,
    sets: GeneSets,
    cfg: Mapping[str, Any] | None = None,
    *,
    seed: int,
    threads: int = 1,
) -> tuple[pd.DataFrame, dict]:
    """camera and the permutation test of ``contrast`` of ``design`` on log expression ``expr``.

    ``expr`` holds (at least) the design's samples; ``cfg``: :data:`SETTINGS` (schema defaults
    for those not given). Returns the table (:data:`SET_TEST_COLUMNS`, sorted by collection in
    the order of ``sets``, then camera p-value) and its metadata.
    """
    cfg = set_settings(cfg)
    matrix = design.matrix
    vector = design.contrasts[contrast]
    values = expr.values
    if not values.index.equals(matrix.index):
        values = values.loc[matrix.index]
    y = values.to_numpy(float)  # a view when the samples are already in the design's order
    index = collection_index(
        expr.values.columns,
        sets,
        min_size=int(cfg["min_size"]),
        max_size=int(cfg["max_size"]),
        curated_min_size=int(cfg["curated_min_size"]),
    )
    scheme = permutation_scheme(design, contrast)
    cor = cfg["camera_correlation"]
    alpha = float(cfg["alpha"])
    meta = {
        "contrast": contrast,
        "design": design.name,
        "samples": int(matrix.shape[0]),
        "coefficients": int(matrix.shape[1]),
        "genes": int(y.shape[1]),
        "genes_before_filter": int(expr.genes_before_filter),
        "sets_tested": len(index),
        "camera_correlation": cor,
        "camera_variance": str(cfg["camera_variance"]) if cor is None else "limma",
        "camera_allow_neg_cor": bool(cfg["camera_allow_neg_cor"]),
        "permutation_scheme": scheme.kind,
        "permutation_description": scheme.description or scheme.reason,
        "permutations": int(cfg["set_permutations"]),
        "seed": int(seed),
        "alpha": alpha,
    }
    if len(index) == 0:
        return empty_table(), {**meta, "reason": "no gene set within the size limits"}
    x = matrix.to_numpy(float)
    model = contrast_model(x, vector)
    with threadpool_limits(limits=max(1, int(threads))):
        stats, resid = gene_stats(y, model)
        cam = camera_sets(
            stats,
            resid,
            index,
            inter_gene_cor=None if cor is None else float(cor),
            allow_neg_cor=meta["camera_allow_neg_cor"],
            variance=meta["camera_variance"],
        )
    del resid  # samples x genes: not needed by the permutation test
    table = index.frame()
    table["direction"] = cam["direction"].to_numpy()
    table["mean_log2FC"] = index.sums(stats.estimate) / index.sizes
    table["camera_correlation"] = cam["correlation"].to_numpy()
    table["camera_pvalue"] = cam["pvalue"].to_numpy()
    table["camera_FDR"] = cam["FDR"].to_numpy()
    if scheme.kind == "none":
        log.warning("%s: no permutation test: %s", contrast, scheme.reason)
        table["permutation_statistic"] = np.nan
        table["permutation_pvalue"] = np.nan
        table["permutation_FDR"] = np.nan
        table["enriched"] = table["camera_FDR"] < alpha
        meta["permutation_exact"] = None
    else:
        perm = permutation_test(
            y,
            x,
            vector,
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
    meta["collections"] = collection_counts(table, alpha)
    order = {c: i for i, c in enumerate(pd.unique(table["collection"]))}  # as configured
    table = table.assign(_c=table["collection"].map(order))
    table = table.sort_values(["_c", "camera_pvalue", "set"], kind="mergesort")
    log.info(
        "%s: %d sets; enriched %s",
        contrast,
        len(table),
        {c: n["enriched"] for c, n in meta["collections"].items()},
    )
    return table[SET_TEST_COLUMNS].reset_index(drop=True), meta


def collection_counts(table: pd.DataFrame, alpha: float) -> dict[str, dict[str, int]]:
    """Per collection: sets tested, at camera FDR < alpha, at permutation FDR < alpha, enriched."""
    out = {}
    for coll, sub in table.groupby("collection", sort=False):
        out[str(coll)] = {
            "sets": len(sub),
            "camera_fdr": int((sub["camera_FDR"] < alpha).sum()),
            "permutation_fdr": int((sub["permutation_FDR"] < alpha).sum()),
            "enriched": int(sub["enriched"].sum()),
        }
    return out


def set_tests(
    counts: pd.DataFrame,
    design: Design,
    contrast: str,
    sets: GeneSets,
    cfg: Mapping[str, Any] | None = None,
    *,
    symbols: pd.Series | None = None,
    min_count: int = 10,
    min_samples: int | None = None,
    seed: int,
    threads: int = 1,
) -> tuple[pd.DataFrame, dict]:
    """Set tests of ``contrast`` of ``design`` on raw ``counts`` (samples x genes, any samples).

    Genes pass the DE stage's filter (``min_count`` reads in ``min_samples`` samples of the
    design, default the smallest design group). ``symbols`` maps gene columns to symbols;
    ``cfg``: :data:`SETTINGS` of the ``enrichment`` section.
    """
    if design.matrix is None or contrast not in design.contrasts:
        reason = design.not_estimable.get(contrast) or design.reason or "not estimable"
        return empty_table(), {"contrast": contrast, "design": design.name, "reason": reason}
    expr = log_expression(
        counts.loc[design.matrix.index],
        min_count=min_count,
        min_samples=int(min_samples or design.min_group or 1),
        symbols=symbols,
    )
    return run_set_tests(expr, design, contrast, sets, cfg, seed=seed, threads=threads)
