"""limma's ``camera``: a competitive gene-set test that accounts for inter-gene correlation.

A port of ``limma::camera.default`` of limma 3.54.1 (Wu & Smyth 2012, Nucleic Acids Res 40:e133)
with ``use.ranks = FALSE``, ``trend.var = FALSE``, no weights, vectorised over all sets:

1. the linear model of the log expression on the design gives each gene's contrast estimate and
   residual variance; the variances are moderated (``squeezeVar``) and the moderated t converted
   to z (``zscoreT``, Hill's approximation, ``df = min(df_residual + d0, G * df_residual)``);
2. per set of ``m`` genes, the inter-gene correlation ``rho`` of the residuals (each gene's
   residuals scaled by its SD) gives the variance inflation factor
   ``VIF = m * mean_k(mean_set(U_k)^2) = 1 + (m - 1) rho`` (``inter_gene_cor=None``, R's
   ``inter.gene.cor = NA``), or ``VIF = 1 + (m - 1) rho`` for a fixed ``rho``;
3. a two-sample t of the set's mean z against the other genes, with the set's variance inflated
   by ``VIF`` (at least 1 unless ``allow_neg_cor``), referred to t on ``min(df_residual, G - 2)``
   df (estimated correlation) or ``G - 2`` df (fixed); two-sided p = 2 x the smaller tail,
   direction = the smaller tail, BH FDR (here within each collection).

Note: limma 3.54's default is ``inter.gene.cor = 0.01``; this module defaults to estimating the
correlation per set, which is what makes the test hold for co-regulated sets.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import stdtr
from threadpoolctl import threadpool_limits

from myoclamp.enrichment.linear import ContrastModel, GeneStats, contrast_model, gene_stats
from myoclamp.enrichment.setindex import SetIndex

VARIANCES = ("limma", "competitive")
CAMERA_COLUMNS = [
    "set",
    "description",
    "collection",
    "size",
    "correlation",
    "direction",
    "pvalue",
    "FDR",
]


def bh(p: np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values (R's ``p.adjust(p, "BH")``); NaN stays NaN."""
    p = np.asarray(p, dtype=float)
    out = np.full(p.shape, np.nan)
    ok = np.isfinite(p)
    if not ok.any():
        return out
    q = p[ok]
    n = q.size
    order = np.argsort(q)[::-1]
    adj = np.minimum.accumulate(q[order] * n / np.arange(n, 0, -1))
    res = np.empty(n)
    res[order] = np.minimum(adj, 1.0)
    out[ok] = res
    return out


def bh_within(p: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """BH adjustment within each group (collection)."""
    out = np.full(len(p), np.nan)
    groups = np.asarray(groups)
    for g in pd.unique(groups):
        idx = groups == g
        out[idx] = bh(np.asarray(p)[idx])
    return out


def set_correlation(resid: np.ndarray, sigma2: np.ndarray, sets: SetIndex, df_residual: int):
    """VIF and inter-gene correlation of each set from the residuals (n x genes).

    ``m * mean_k(mean_set(U_k)^2)`` over an orthonormal basis ``U`` of the residual space equals
    ``|sum_set(r_g / sigma_g)|^2 / (m * df_residual)`` in sample space (an isometry).
    """
    scaled = resid / np.sqrt(np.maximum(sigma2, 1e-8))
    sums = sets.sums(scaled.T)  # sets x n
    m = sets.sizes.astype(float)
    vif = np.einsum("ij,ij->i", sums, sums) / (m * df_residual)
    with np.errstate(invalid="ignore", divide="ignore"):
        correlation = np.where(m > 1, (vif - 1) / (m - 1), np.nan)
    vif = np.where(m > 1, vif, 1.0)
    return vif, correlation


def difference_variance(resid: np.ndarray, sigma2: np.ndarray, sets: SetIndex, df_residual: int):
    """Variance (in units of one gene's) of the set mean minus the mean of the other genes.

    Estimated from the residuals like camera's VIF, but of the difference itself:
    ``|mean_set(u) - mean_rest(u)|^2 / df_residual`` with ``u`` each gene's residuals over its
    SD. With independent genes it is ``1/m + 1/m2``; it keeps camera's ``VIF / m`` for the set
    and adds what camera leaves out, the covariance of the set with the other genes (a
    background correlation shared by all genes cancels in a competitive difference).
    """
    scaled = resid / np.sqrt(np.maximum(sigma2, 1e-8))
    sums = sets.sums(scaled.T)  # sets x n
    total = scaled.sum(axis=1)
    m = sets.sizes.astype(float)[:, None]
    diff = sums / m - (total[None, :] - sums) / (scaled.shape[1] - m)
    return np.maximum(np.einsum("ij,ij->i", diff, diff) / df_residual, 1e-12)


def competitive_t(
    z: np.ndarray,
    sets_sum: np.ndarray,
    sizes: np.ndarray,
    vif: np.ndarray,
    variance: np.ndarray | None = None,
):
    """camera's two-sample t of the set mean of ``z`` vs the other genes, variance x ``vif``.

    ``z``: (..., genes); ``sets_sum``: (..., sets) sums of z over each set; returns (..., sets).
    ``variance``: the variance factor of the difference itself (:func:`difference_variance`),
    used instead of camera's ``vif / m + 1 / m2``.
    """
    n_genes = z.shape[-1]
    mean_all = z.mean(axis=-1, keepdims=True)
    var_all = z.var(axis=-1, ddof=1, keepdims=True)
    m = sizes.astype(float)
    m2 = n_genes - m
    delta = n_genes / m2 * (sets_sum / m - mean_all)
    pooled = ((n_genes - 1) * var_all - delta**2 * m * m2 / n_genes) / (n_genes - 2)
    factor = vif / m + 1.0 / m2 if variance is None else variance
    return delta / np.sqrt(pooled * factor)


def camera_sets(
    stats: GeneStats,
    resid: np.ndarray,
    sets: SetIndex,
    *,
    inter_gene_cor: float | None = None,
    allow_neg_cor: bool = False,
    variance: str = "limma",
) -> pd.DataFrame:
    """camera's table for ``sets`` from the gene statistics and residuals of one contrast.

    ``variance="limma"`` is limma's camera; ``"competitive"`` (estimated correlation only)
    replaces its ``VIF / m + 1 / m2`` by :func:`difference_variance`.
    """
    if variance not in VARIANCES:
        raise ValueError(f"camera variance must be one of {VARIANCES}, not {variance!r}")
    if variance == "competitive" and inter_gene_cor is not None:
        raise ValueError("the competitive variance is estimated; it takes no fixed correlation")
    n_genes = stats.z.size
    if inter_gene_cor is None:
        vif, correlation = set_correlation(resid, stats.sigma2, sets, stats.df_residual)
        df_camera = min(stats.df_residual, n_genes - 2)
    else:
        correlation = np.full(len(sets), float(inter_gene_cor))
        vif = 1 + (sets.sizes - 1) * float(inter_gene_cor)
        df_camera = n_genes - 2
    if not allow_neg_cor:
        vif = np.maximum(vif, 1.0)
    diff_var = None
    if variance == "competitive":
        diff_var = difference_variance(resid, stats.sigma2, sets, stats.df_residual)
    tstat = competitive_t(stats.z, sets.sums(stats.z), sets.sizes, vif, diff_var)
    down = stdtr(df_camera, tstat)  # the t distribution's CDF (scipy.stats.t without its import)
    up = stdtr(df_camera, -tstat)
    table = sets.frame()
    table["correlation"] = correlation
    table["direction"] = np.where(down < up, "Down", "Up")
    table["pvalue"] = np.minimum(2 * np.minimum(down, up), 1.0)
    table["FDR"] = bh_within(table["pvalue"].to_numpy(), table["collection"].to_numpy())
    table["t"] = tstat
    return table


def camera(
    y: np.ndarray,
    design: np.ndarray,
    contrast: np.ndarray,
    sets: SetIndex,
    *,
    inter_gene_cor: float | None = None,
    allow_neg_cor: bool = False,
    variance: str = "limma",
    threads: int = 1,
) -> pd.DataFrame:
    """``limma::camera(y, index, design, contrast, inter.gene.cor)`` for every set.

    ``y``: log expression, samples x genes (the genes of ``sets``' columns, in that order);
    ``design``: n x p full-rank; ``contrast``: p weights. Returns one row per set with
    ``set, description, collection, size, correlation, direction, pvalue, FDR`` and camera's
    t statistic ``t`` (BH within collection).
    """
    model: ContrastModel = contrast_model(design, contrast)
    y = np.asarray(y, dtype=float)
    if y.shape != (model.n, sets.members.shape[1]):
        raise ValueError(f"y is {y.shape}; expected samples x genes {model.n, sets.members.shape}")
    if y.shape[1] < 3:
        raise ValueError("camera needs at least 3 genes")
    with threadpool_limits(limits=max(1, int(threads))):
        stats, resid = gene_stats(y, model)
        return camera_sets(
            stats,
            resid,
            sets,
            inter_gene_cor=inter_gene_cor,
            allow_neg_cor=allow_neg_cor,
            variance=variance,
        )
