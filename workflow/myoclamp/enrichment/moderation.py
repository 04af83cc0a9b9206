"""limma's empirical-Bayes variance moderation and t-to-z conversion, vectorised over rows.

Faithful ports of limma 3.54.1 (``fitFDist`` without covariate, ``squeezeVar`` with
``robust = FALSE``, ``trigammaInverse``, ``zscoreT(approx = TRUE, method = "hill")``), written so
that one call handles many independent sets of gene variances at once: every function takes the
variances as an array whose last axis is the genes, and returns the prior per row. This is what
:mod:`myoclamp.enrichment.camera` uses for the observed data and
:mod:`myoclamp.enrichment.permutation` for each permutation.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import digamma, polygamma


def trigamma(x: np.ndarray) -> np.ndarray:
    """The trigamma function."""
    return polygamma(1, x)


def trigamma_inverse(x: np.ndarray) -> np.ndarray:
    """Solve ``trigamma(y) = x`` for ``y`` (limma's Newton iteration, elementwise).

    As in limma: very large ``x`` gives ``1 / sqrt(x)``, very small ``x`` gives ``1 / x``.
    """
    x = np.asarray(x, dtype=float)
    out = np.full(x.shape, np.nan)
    large, small = x > 1e7, (x < 1e-6) & (x >= 0)
    out[large] = 1.0 / np.sqrt(x[large])
    out[small] = 1.0 / x[small]
    todo = (x >= 1e-6) & (x <= 1e7)
    if todo.any():
        xt = x[todo]
        y = 0.5 + 1.0 / xt
        for _ in range(50):
            tri = trigamma(y)
            dif = tri * (1.0 - tri / xt) / polygamma(2, y)
            y = y + dif
            if np.max(-dif / y) < 1e-8:
                break
        out[todo] = y
    return out


@dataclass(frozen=True)
class Prior:
    """Prior of the gene variances per row: ``scale`` (s0^2) and ``df`` (d0, may be inf)."""

    scale: np.ndarray
    df: np.ndarray


def fit_f_dist(var: np.ndarray, df1: float) -> Prior:
    """limma's ``fitFDist(x, df1)`` without covariate, for each row of ``var`` (..., genes).

    Moment estimation of a scaled F distribution from the log variances; rows whose excess log
    variance is not positive get ``df = inf`` and ``scale = mean(var)``.
    """
    x = np.asarray(var, dtype=float)
    shape = x.shape[:-1]
    x = x.reshape(-1, x.shape[-1])
    ok = np.isfinite(x) & (x > -1e-15)
    if not ok.all():
        raise ValueError("gene variances must be finite and non-negative")
    n = x.shape[1]
    x = np.maximum(x, 0.0)
    m = np.median(x, axis=1, keepdims=True)
    m = np.where(m == 0, 1.0, m)  # limma warns ("eBayes unreliable") and uses 1
    x = np.maximum(x, 1e-5 * m)
    e = np.log(x) - digamma(df1 / 2) + np.log(df1 / 2)
    emean = e.mean(axis=1)
    evar = ((e - emean[:, None]) ** 2).sum(axis=1) / (n - 1) - trigamma(df1 / 2)
    df2 = np.full(len(emean), np.inf)
    scale = x.mean(axis=1)
    pos = evar > 0
    if pos.any():
        df2[pos] = 2 * trigamma_inverse(evar[pos])
        scale[pos] = np.exp(emean[pos] + digamma(df2[pos] / 2) - np.log(df2[pos] / 2))
    return Prior(scale.reshape(shape), df2.reshape(shape))


def squeeze_var(var: np.ndarray, df: float) -> tuple[np.ndarray, Prior]:
    """limma's ``squeezeVar(var, df)``: posterior variances (same shape) and the prior per row."""
    var = np.asarray(var, dtype=float)
    prior = fit_f_dist(var, df)
    d0 = np.asarray(prior.df)[..., None]
    s0 = np.asarray(prior.scale)[..., None]
    with np.errstate(invalid="ignore"):
        post = np.where(np.isfinite(d0), (df * var + d0 * s0) / (df + d0), s0)
    return post, prior


def zscore_t_hill(t: np.ndarray, df: np.ndarray | float) -> np.ndarray:
    """limma's ``zscoreT(t, df, approx = TRUE, method = "hill")``: z with the same tail area.

    Hill's (1970) approximation; ``df`` broadcasts against ``t`` (e.g. one df per row).
    """
    t = np.asarray(t, dtype=float)
    df = np.minimum(np.asarray(df, dtype=float), 1e100)
    a = df - 0.5
    b = 48 * a * a
    z = a * np.log1p(t / df * t)
    z = (((((-0.4 * z - 3.3) * z - 24) * z - 85.5) / (0.8 * z * z + 100 + b) + z + 3) / b + 1) * (
        np.sqrt(z)
    )
    return z * np.sign(t)
