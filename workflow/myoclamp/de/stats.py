"""Wald test of one contrast on a fitted design, with LFC shrinkage and 95 % intervals.

The Wald statistic is referred to the standard normal (DESeq2's default) or, with
``wald_distribution="t"``, to a t distribution with ``n - p`` degrees of freedom (samples minus
design columns), as R DESeq2 does with ``useT=TRUE``; the 95 % intervals use the same reference.
Cook's filtering, independent filtering and BH then run on those p-values, as in DESeq2.

pydeseq2's ``lfc_shrink`` shrinks a coefficient, not a contrast. To shrink a contrast ``c`` we
reparametrise without refitting: with ``T`` the identity whose row ``k`` is replaced by ``c``
(``c[k] != 0``), ``beta' = T beta`` and ``X' = X T^-1`` describe the same fit, and ``beta'[k]`` is
the contrast. The shrinkage then runs on ``X'`` with coefficient ``k``.
"""

from __future__ import annotations

import logging
import warnings

import numpy as np
import pandas as pd
from pydeseq2.dds import DeseqDataSet
from pydeseq2.default_inference import DefaultInference
from pydeseq2.ds import DeseqStats
from scipy.stats import norm
from scipy.stats import t as student_t
from threadpoolctl import threadpool_limits

from myoclamp.de.engine import BlockInference

log = logging.getLogger(__name__)

Z95 = float(norm.ppf(0.975))
CONTRAST_COLUMN = "tested_contrast"
WALD_DISTRIBUTIONS = ("normal", "t")

RESULT_COLUMNS = [
    "baseMean",
    "log2FoldChange",
    "lfcSE",
    "stat",
    "pvalue",
    "padj",
    "log2FoldChange_shrunk",
    "lfcSE_shrunk",
    "ci_low",
    "ci_high",
    "filtered",
    "outlier",
]


def reparametrise(
    matrix: pd.DataFrame, lfc: pd.DataFrame, contrast: np.ndarray, name: str = CONTRAST_COLUMN
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Design matrix and coefficients in which ``contrast`` is the coefficient ``name``.

    Row ``k`` of the identity becomes ``contrast``, for the ``k`` with the largest ``|c_k|``
    (the last one on ties, which avoids the intercept); the fitted means are unchanged.
    """
    c = np.asarray(contrast, dtype=float)
    if c.shape != (matrix.shape[1],) or not np.any(c):
        raise ValueError("contrast must be a non-zero vector with one weight per design column")
    k = int(np.flatnonzero(np.abs(c) == np.abs(c).max())[-1])
    t = np.eye(len(c))
    t[k] = c
    columns = list(matrix.columns)
    columns[k] = name
    new_matrix = pd.DataFrame(matrix.to_numpy() @ np.linalg.inv(t), matrix.index, columns)
    new_lfc = pd.DataFrame(lfc.to_numpy() @ t.T, lfc.index, columns)
    return new_matrix, new_lfc


def contrast_results(
    dds: DeseqDataSet,
    contrast: np.ndarray,
    *,
    alpha: float = 0.05,
    cooks_filter: bool = True,
    independent_filter: bool = True,
    shrink: bool = True,
    wald_distribution: str = "normal",
    n_cpus: int = 1,
) -> pd.DataFrame:
    """DESeq2 results of ``contrast`` (one row per fitted gene, DESeq2's column names).

    Adds the shrunk log2FC (apeGLM-type prior of pydeseq2) and its SE, the 95 % Wald interval of
    the MLE log2FC, and flags: ``outlier`` (Cook's distance, p-value removed) and ``filtered``
    (removed by independent filtering). ``wald_distribution``: ``normal`` or ``t`` (module doc).
    """
    if wald_distribution not in WALD_DISTRIBUTIONS:
        raise ValueError(f"wald_distribution must be one of {WALD_DISTRIBUTIONS}")
    df = wald_df(dds) if wald_distribution == "t" else None
    # the fit's own inference (the block engine's batched Wald test when it made the fit)
    inference = dds.inference if dds.inference is not None else DefaultInference(n_cpus=n_cpus)
    with warnings.catch_warnings(), threadpool_limits(limits=1):
        warnings.simplefilter("ignore", UserWarning)
        stats = DeseqStats(
            dds,
            contrast=np.asarray(contrast, dtype=float),
            alpha=alpha,
            cooks_filter=cooks_filter,
            independent_filter=independent_filter,
            inference=inference,
            quiet=True,
        )
        if df is not None:  # summary() keeps these p-values, then filters and adjusts them
            stats.run_wald_test()
            stats.p_values = pd.Series(
                2.0 * student_t.sf(np.abs(stats.statistics.to_numpy()), df),
                index=stats.p_values.index,
            )
        stats.summary()
    res = stats.results_df.copy()
    outlier = dds.cooks_outlier() if cooks_filter else pd.Series(False, index=dds.var_names)
    res["outlier"] = outlier.reindex(res.index).fillna(False).astype(bool)
    res["filtered"] = res["pvalue"].notna() & res["padj"].isna()
    q95 = Z95 if df is None else float(student_t.ppf(0.975, df))
    res["ci_low"] = res["log2FoldChange"] - q95 * res["lfcSE"]
    res["ci_high"] = res["log2FoldChange"] + q95 * res["lfcSE"]
    res["log2FoldChange_shrunk"] = np.nan
    res["lfcSE_shrunk"] = np.nan
    if shrink:
        with threadpool_limits(limits=1):
            shrunk, se = shrink_contrast(stats, contrast)
        res["log2FoldChange_shrunk"] = shrunk
        res["lfcSE_shrunk"] = se
    return res[RESULT_COLUMNS]


def wald_df(dds: DeseqDataSet) -> int:
    """Degrees of freedom of the t reference: samples minus design columns (DESeq2's ``useT``)."""
    df = int(dds.n_obs - dds.obsm["design_matrix"].shape[1])
    if df < 1:
        raise ValueError("the t reference needs more samples than design columns")
    return df


def shrink_contrast(stats: DeseqStats, contrast: np.ndarray) -> tuple[pd.Series, pd.Series]:
    """Shrunk log2FC and SE of ``contrast`` via reparametrisation (see module docstring).

    With the block engine the MAP fit runs batched (:meth:`BlockInference.shrink_lfc`), otherwise
    through pydeseq2's per-gene ``lfc_shrink``.
    """
    matrix, lfc = reparametrise(stats.design_matrix, stats.LFC, contrast)
    stats.design_matrix = matrix
    stats.LFC = lfc
    if isinstance(stats.inference, BlockInference):
        return _shrink_batched(stats)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        stats.lfc_shrink(coeff=CONTRAST_COLUMN)
    return stats.LFC[CONTRAST_COLUMN] / np.log(2), stats.SE / np.log(2)


def _shrink_batched(stats: DeseqStats) -> tuple[pd.Series, pd.Series]:
    """``lfc_shrink(coeff=CONTRAST_COLUMN)`` as pydeseq2 does it, the MAP fit by the engine."""
    k = stats.LFC.columns.get_loc(CONTRAST_COLUMN)
    prior_scale = float(np.minimum(np.sqrt(stats._fit_prior_var(coeff_idx=k)), 1.0))
    dds = stats.dds
    nz = dds.non_zero_idx
    shrunk, se, _ = stats.inference.shrink_lfc(
        design_matrix=stats.design_matrix.to_numpy(dtype=float),
        counts=np.asarray(dds.X[:, nz], dtype=float),
        size=1.0 / dds.var["dispersions"].to_numpy()[nz],
        offset=np.log(dds.obs["size_factors"].to_numpy()),
        beta_init=np.nan_to_num(stats.LFC.to_numpy()[nz]),
        shrink_index=k,
        prior_scale=prior_scale,
    )
    lfc = stats.LFC[CONTRAST_COLUMN].copy()
    out_se = stats.SE.copy()
    valid = np.isfinite(shrunk) & np.isfinite(se)
    if (~valid).any():  # as pydeseq2: such genes keep their MLE and its SE
        log.warning("%d gene(s) had non-finite shrunk LFC or SE; kept their MLE", (~valid).sum())
    genes = dds.var_names[nz][valid]
    lfc.loc[genes] = shrunk[valid]
    out_se.loc[genes] = se[valid]
    return lfc / np.log(2), out_se / np.log(2)
