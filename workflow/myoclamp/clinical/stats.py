"""Vectorised partial correlations (Pearson and Spearman) with their tests, and BH FDR.

The partial correlation of ``y`` and ``x`` given covariates ``Z`` is the Pearson correlation of
the residuals of ``y`` and ``x`` after least squares on ``[1, Z]``. Its test is the t-test of
``x``'s coefficient in the regression of ``y`` on ``[1, Z, x]``:
``t = r * sqrt(df / (1 - r^2))`` with ``df = n - 2 - k`` (``k`` covariate columns), as in
ppcor's ``pcor.test``. The partial Spearman correlation is the same on ranks: ``y`` and ``x``
and the numeric covariates are rank-transformed (average ranks for ties), dummy-coded
categorical covariates are used as they are.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

Z95 = float(stats.norm.ppf(0.975))

PARTIAL_COLUMNS = ["n", "estimate", "ci_low", "ci_high", "stat", "pvalue", "df"]


def rank_columns(values: np.ndarray) -> np.ndarray:
    """Average ranks of each column (1-based), as Spearman's correlation uses them."""
    return stats.rankdata(np.asarray(values, dtype=float), axis=0, method="average")


def residualise(y: np.ndarray, basis: np.ndarray) -> np.ndarray:
    """Residuals of each column of ``y`` after least squares on ``basis`` (n x p)."""
    coef, *_ = np.linalg.lstsq(basis, y, rcond=None)
    return y - basis @ coef


def with_intercept(covariates: np.ndarray | None, n: int) -> np.ndarray:
    """``[1, Z]`` as an n x (1 + k) float matrix."""
    ones = np.ones((n, 1))
    if covariates is None or np.size(covariates) == 0:
        return ones
    return np.column_stack([ones, np.asarray(covariates, dtype=float).reshape(n, -1)])


def partial_correlation(
    y: np.ndarray, x: np.ndarray, covariates: np.ndarray | None = None
) -> pd.DataFrame:
    """Partial Pearson correlation of every column of ``y`` (n x g) with ``x`` (n) given Z.

    Returns one row per column of ``y``: n, estimate (r), ci_low/ci_high (Fisher z, 95 %,
    standard error ``1 / sqrt(n - 3 - k)``), stat (t), pvalue (two-sided, t with ``df``), df.
    Constant columns (after adjustment) give NaN.
    """
    y = np.asarray(y, dtype=float)
    if y.ndim == 1:
        y = y[:, None]
    x = np.asarray(x, dtype=float)
    n = y.shape[0]
    basis = with_intercept(covariates, n)
    k = np.linalg.matrix_rank(basis) - 1
    df = n - 2 - k
    if df < 1:
        raise ValueError(
            f"partial correlation needs more people than covariates: n={n}, {k} covariate "
            "column(s); drop covariates from clinical.covariates"
        )
    ry = residualise(y, basis)
    rx = residualise(x, basis)
    scale_y = np.sqrt((ry**2).sum(axis=0))
    scale_x = float(np.sqrt((rx**2).sum()))
    tiny = 1e-10 * max(1.0, float(np.abs(y).max(initial=0.0)))
    with np.errstate(divide="ignore", invalid="ignore"):
        r = (rx @ ry) / (scale_x * scale_y)
    r = np.where((scale_y > tiny * np.sqrt(n)) & (scale_x > 0), np.clip(r, -1.0, 1.0), np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = r * np.sqrt(df / (1.0 - r**2))
        z = np.arctanh(r)
    p = 2.0 * stats.t.sf(np.abs(t), df)
    half = Z95 / np.sqrt(n - 3 - k) if n - 3 - k > 0 else np.nan
    return pd.DataFrame(
        {
            "n": n,
            "estimate": r,
            "ci_low": np.tanh(z - half),
            "ci_high": np.tanh(z + half),
            "stat": t,
            "pvalue": p,
            "df": df,
        }
    )


def partial_spearman(
    y: np.ndarray,
    x: np.ndarray,
    numeric: np.ndarray | None = None,
    categorical: np.ndarray | None = None,
) -> pd.DataFrame:
    """Partial Spearman correlation: ranks of ``y`` columns, ``x`` and numeric covariates.

    ``categorical`` holds dummy columns (0/1) that are not ranked. See
    :func:`partial_correlation` for the columns returned.
    """
    y = np.asarray(y, dtype=float)
    n = y.shape[0]
    parts = []
    if numeric is not None and np.size(numeric):
        parts.append(rank_columns(np.asarray(numeric, dtype=float).reshape(n, -1)))
    if categorical is not None and np.size(categorical):
        parts.append(np.asarray(categorical, dtype=float).reshape(n, -1))
    z = np.column_stack(parts) if parts else None
    return partial_correlation(rank_columns(y), rank_columns(np.asarray(x)[:, None])[:, 0], z)


def bh(pvalues: np.ndarray | pd.Series) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values; NaN stays NaN and is not counted."""
    p = np.asarray(pvalues, dtype=float)
    out = np.full(p.shape, np.nan)
    ok = np.isfinite(p)
    if ok.any():
        out[ok] = stats.false_discovery_control(p[ok], method="bh")
    return out
