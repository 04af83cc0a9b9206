"""voom precision weights (Law et al. 2014, Genome Biol 15:R29) and edgeR's TMM library sizes.

A port of R limma 3.54's ``voom`` and edgeR 3.40's ``calcNormFactors(method = "TMM")``, tested
against them (``tests/test_voom_rlimma.py``). Arrays are genes x samples, as in R.

- Library sizes: the column sums times TMM normalisation factors (edgeR's ``DGEList`` +
  ``calcNormFactors``, what ``voom`` uses when given a ``DGEList``).
- ``log-CPM = log2((count + 0.5) / (lib.size + 1) * 1e6)``; limma's ``normalize.method = "none"``.
- The trend: a lowess curve (``f = span``, R's ``lowess`` defaults: 3 robustness iterations,
  ``delta`` 1 % of the range) of sqrt(residual SD) against the mean log-count of each gene, from a
  linear fit of the log-CPM on the design (with the participant block correlation when given, as
  ``lmFit`` does); each observation's weight is the trend at its fitted log-count to the power -4.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from statsmodels.nonparametric.smoothers_lowess import lowess

from myoclamp.de.gls import lm_fit


@dataclass
class Voom:
    """log-CPM (``E``), precision weights, library sizes and the mean-variance trend."""

    E: np.ndarray  # genes x samples
    weights: np.ndarray  # genes x samples
    lib_size: np.ndarray  # samples
    trend_x: np.ndarray  # sorted mean log2 count of each gene
    trend_y: np.ndarray  # lowess fit of sqrt(residual SD) there


def tmm_factors(
    counts: np.ndarray,
    lib_size: np.ndarray | None = None,
    logratio_trim: float = 0.3,
    sum_trim: float = 0.05,
) -> np.ndarray:
    """edgeR's TMM normalisation factors (``calcNormFactors(method = "TMM")``), one per sample.

    ``counts``: genes x samples. The reference sample is the one whose upper-quartile CPM is
    closest to their mean; each sample's factor is the precision-weighted mean log ratio to it
    after trimming 30 % of log ratios and 5 % of abundances at each end; the factors are scaled
    to a geometric mean of 1.
    """
    x = np.asarray(counts, dtype=float)
    lib = x.sum(axis=0) if lib_size is None else np.asarray(lib_size, dtype=float)
    x = x[(x > 0).any(axis=1)]
    n = x.shape[1]
    if x.shape[0] == 0 or n == 1:
        return np.ones(n)
    f75 = np.quantile(x, 0.75, axis=0) / lib
    if np.median(f75) < 1e-20:
        ref = int(np.argmax(np.sqrt(x).sum(axis=0)))
    else:
        ref = int(np.argmin(np.abs(f75 - f75.mean())))
    factors = _tmm(x, x[:, ref], lib, lib[ref], logratio_trim, sum_trim)
    return factors / np.exp(np.mean(np.log(factors)))


def _tmm(
    obs: np.ndarray,
    ref: np.ndarray,
    n_obs: np.ndarray,
    n_ref: float,
    lr_trim: float,
    sum_trim: float,
) -> np.ndarray:
    """edgeR's ``.calcFactorTMM`` (``doWeighting = TRUE``, no A cutoff) of every sample (column
    of ``obs``) against the reference column ``ref``."""
    ref = ref[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        log_r = np.log2((obs / n_obs) / (ref / n_ref))
        abs_e = (np.log2(obs / n_obs) + np.log2(ref / n_ref)) / 2
        v = (n_obs - obs) / n_obs / obs + (n_ref - ref) / n_ref / ref
    fin = np.isfinite(log_r) & np.isfinite(abs_e)
    n = fin.sum(axis=0)
    lo_l = np.floor(n * lr_trim) + 1
    hi_l = n + 1 - lo_l
    lo_s = np.floor(n * sum_trim) + 1
    hi_s = n + 1 - lo_s
    keep = _within_ranks(log_r, fin, lo_l, hi_l) & _within_ranks(abs_e, fin, lo_s, hi_s)
    with np.errstate(divide="ignore", invalid="ignore"):
        f = np.nansum(np.where(keep, log_r / v, 0.0), axis=0) / np.nansum(
            np.where(keep, 1 / v, 0.0), axis=0
        )
    f = np.where(np.isnan(f), 0.0, f)
    same = np.max(np.abs(np.where(fin, log_r, 0.0)), axis=0) < 1e-6
    return np.where(same, 1.0, 2.0**f)


def _within_ranks(a: np.ndarray, fin: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Entries of each column (finite per ``fin``) whose average rank among the column's finite
    values (R's ``rank``, ties averaged) lies in ``[lo, hi]`` (per column, 1-based).

    The average rank grows with the value, so the kept values form an interval; its ends are the
    values at positions ``lo`` and ``hi`` of the sorted column, or the next distinct value inwards
    when their tie group's average rank falls outside. One sort per column instead of ranks.
    """
    vals = np.where(fin, a, np.inf).T  # samples x genes: contiguous rows to sort
    s = np.sort(vals, axis=1)
    n = fin.sum(axis=0)
    rows = np.arange(vals.shape[0])
    last_col = s.shape[1] - 1

    def tie_group(pos: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        v = s[rows, np.clip(pos - 1, 0, last_col).astype(int)]
        return v, (vals < v[:, None]).sum(axis=1) + 1, (vals <= v[:, None]).sum(axis=1)

    v, first, last = tie_group(lo)
    above = s[rows, np.minimum(last, last_col).astype(int)]
    low = np.where((first + last) / 2 >= lo, v, np.where(last < n, above, np.inf))
    v, first, last = tie_group(hi)
    below = s[rows, np.maximum(first - 2, 0).astype(int)]
    high = np.where((first + last) / 2 <= hi, v, np.where(first >= 2, below, -np.inf))
    return fin & (a >= low[None, :]) & (a <= high[None, :])


def log_cpm(counts: np.ndarray, lib_size: np.ndarray) -> np.ndarray:
    """voom's log2 counts per million: ``log2((count + 0.5) / (lib.size + 1) * 1e6)``."""
    return np.log2((np.asarray(counts, dtype=float) + 0.5) / (lib_size + 1.0) * 1e6)


def r_lowess(x: np.ndarray, y: np.ndarray, span: float) -> tuple[np.ndarray, np.ndarray]:
    """R's ``lowess(x, y, f = span)`` (3 robustness iterations, delta 1 % of the range of x):
    sorted x and the fitted values (statsmodels' lowess is the same algorithm)."""
    order = np.argsort(x, kind="stable")
    xs, ys = x[order], y[order]
    delta = 0.01 * float(xs[-1] - xs[0])
    fitted = lowess(ys, xs, frac=span, it=3, delta=delta, is_sorted=True, return_sorted=False)
    return xs, fitted


def interpolate_trend(tx: np.ndarray, ty: np.ndarray, at: np.ndarray) -> np.ndarray:
    """``approxfun(lowess, rule = 2, ties = list("ordered", mean))``: linear, constant outside."""
    ux, start = np.unique(tx, return_index=True)
    if len(ux) < len(tx):
        sums = np.add.reduceat(ty, start)
        ty = sums / np.diff(np.append(start, len(tx)))
    return np.interp(at, ux, ty)


def voom(
    counts: np.ndarray,
    design: np.ndarray,
    lib_size: np.ndarray,
    block: np.ndarray | None = None,
    correlation: float = 0.0,
    span: float = 0.5,
) -> Voom:
    """limma's ``voom(counts, design, lib.size, block = block, correlation = correlation)``.

    ``counts``: genes x samples; ``design``: samples x columns, full rank; ``lib_size``: effective
    library sizes (e.g. column sums times :func:`tmm_factors`).
    """
    counts = np.asarray(counts, dtype=float)
    if counts.shape[0] < 2:
        raise ValueError("voom needs at least two genes to fit a mean-variance trend")
    lib_size = np.asarray(lib_size, dtype=float)
    y = log_cpm(counts, lib_size)
    fit = lm_fit(y, design, block=block, correlation=correlation if block is not None else 0.0)
    sx = y.mean(axis=1) + np.mean(np.log2(lib_size + 1.0)) - np.log2(1e6)
    sy = np.sqrt(fit.sigma)
    nonzero = counts.sum(axis=1) > 0
    tx, ty = r_lowess(sx[nonzero], sy[nonzero], span)
    fitted = fit.coefficients @ np.asarray(design, dtype=float).T
    # log2(1e-6 * 2^fitted * (lib.size + 1)), without the round trip through 2^x
    fitted_logcount = fitted + (np.log2(lib_size + 1.0) - np.log2(1e6))
    weights = 1.0 / interpolate_trend(tx, ty, fitted_logcount) ** 4
    return Voom(E=y, weights=weights, lib_size=lib_size, trend_x=tx, trend_y=ty)
