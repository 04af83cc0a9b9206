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

from myoclamp.de.gls import lm_fit


@dataclass
class Voom:
    """log-CPM (``E``), precision weights, library sizes and the mean-variance trend."""

    E: np.ndarray  # genes x samples
    weights: np.ndarray  # genes x samples
    lib_size: np.ndarray  # samples
    trend_x: np.ndarray  # the lowess curve's knots: sorted mean log2 counts where it was fitted
    trend_y: np.ndarray  # lowess fit of sqrt(residual SD) there (linear in between)


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


def r_lowess(
    x: np.ndarray, y: np.ndarray, span: float, iterations: int = 3, knots: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """R's ``lowess(x, y, f = span)`` (3 robustness iterations, delta 1 % of the range of x):
    sorted x and the fitted values. With ``knots``, only the points where a local fit was made:
    the curve is linear between them (R interpolates the others), so it is the same curve."""
    order = np.argsort(x, kind="stable")
    xs, ys = np.asarray(x, dtype=float)[order], np.asarray(y, dtype=float)[order]
    delta = 0.01 * float(xs[-1] - xs[0])
    fitted, points = clowess(xs, ys, span, iterations, delta)
    return (xs[points], fitted[points]) if knots else (xs, fitted)


def _lowess_points(x: np.ndarray, ns: int, delta: float) -> tuple[np.ndarray, ...]:
    """The points where R's ``clowess`` fits (the others are interpolated or copied from a tie),
    with each one's window ``[left, right]`` of ``ns`` neighbours and the last tie it is copied
    to. They depend on ``x`` alone, so every robustness iteration reuses them."""
    n = len(x)
    points, lefts, rights, lasts = [], [], [], []
    i, left, right = 0, 0, ns - 1
    while True:
        while right < n - 1 and x[i] - x[left] > x[right + 1] - x[i]:
            left, right = left + 1, right + 1  # the window moves while its radius shrinks
        last = int(np.searchsorted(x, x[i], side="right")) - 1  # ties of x[i] take its value
        points.append(i), lefts.append(left), rights.append(right), lasts.append(last)
        if last >= n - 1:
            break
        i = max(last + 1, int(np.searchsorted(x, x[i] + delta, side="right")) - 1)
    return np.array(points), np.array(lefts), np.array(rights), np.array(lasts)


def _local_fit(
    x: np.ndarray, y: np.ndarray, i: int, left: int, right: int, rw: np.ndarray | None
) -> float:
    """R's ``lowest``: the tricube-weighted local linear fit at ``x[i]`` over its window (plus
    ties on the right); ``y[i]`` when every weight is zero."""
    xi = x[i]
    h = max(xi - x[left], x[right] - xi)
    h9, h1 = 0.999 * h, 0.001 * h
    stop = min(len(x), int(np.searchsorted(x, xi + h, side="right")) + 1)
    xw = x[left:stop]
    r = np.abs(xw - xi)
    beyond = np.flatnonzero((r > h9) & (xw > xi))
    end = int(beyond[0]) if len(beyond) else len(xw)
    xw, r = xw[:end], r[:end]
    t = r / h if h > 0 else np.zeros_like(r)
    u = 1.0 - t * t * t
    w = np.where(r <= h9, np.where(r <= h1, 1.0, u * u * u), 0.0)
    if rw is not None:
        w = w * rw[left : left + end]
    a = w.sum()
    if a <= 0.0:
        return float(y[i])
    w = w / a
    if h > 0.0:
        centre = np.sum(w * xw)
        d = xw - centre
        c = np.sum(w * d * d)
        if np.sqrt(c) > 0.001 * (x[-1] - x[0]):
            w = w * ((xi - centre) / c * d + 1.0)
    return float(np.sum(w * y[left : left + end]))


def clowess(
    x: np.ndarray, y: np.ndarray, f: float, iterations: int, delta: float
) -> tuple[np.ndarray, np.ndarray]:
    """R's ``clowess`` (``src/library/stats/src/lowess.c``) on sorted ``x``: local linear fits
    at points at least ``delta`` apart, linear interpolation between them, ``iterations``
    robustness rounds with bisquare weights of the residuals over 6 median absolute residuals.
    Returns the fitted values and the indices of the points fitted (increasing x)."""
    n = len(x)
    if n < 2:
        return np.asarray(y, dtype=float).copy(), np.arange(n)
    ns = max(2, min(n, int(f * n + 1e-7)))
    points, lefts, rights, lasts = _lowess_points(x, ns, delta)
    # each point not fitted lies between the last tie of one fitted point and the next fitted one
    prev = np.concatenate([[-1], lasts[:-1]])
    gap = [np.arange(p + 1, i) for p, i in zip(prev, points, strict=True)]
    between = np.concatenate(gap) if gap else np.array([], dtype=int)
    owner = np.repeat(np.arange(len(points)), [len(g) for g in gap])
    ties = [np.arange(i + 1, last + 1) for i, last in zip(points, lasts, strict=True)]
    tied = np.concatenate(ties)
    tie_owner = np.repeat(np.arange(len(points)), [len(g) for g in ties])
    rw = None
    fitted = np.empty(n)
    for iteration in range(iterations + 1):
        at = np.array([_local_fit(x, y, *p, rw) for p in zip(points, lefts, rights, strict=True)])
        fitted[points] = at
        fitted[tied] = at[tie_owner]
        if len(between):
            lo = prev[owner]
            hi = points[owner]
            alpha = (x[between] - x[lo]) / (x[hi] - x[lo])
            fitted[between] = alpha * fitted[hi] + (1.0 - alpha) * fitted[lo]
        if iteration == iterations:
            break
        res = np.abs(y - fitted)
        sc = res.sum() / n
        m1 = n // 2
        part = np.partition(res, [n - m1 - 1, m1] if n % 2 == 0 else [m1])
        cmad = 3.0 * (part[m1] + part[n - m1 - 1]) if n % 2 == 0 else 6.0 * part[m1]
        if cmad < 1e-7 * sc:
            break
        q = res / cmad
        v = 1.0 - q * q
        rw = np.where(res <= 0.001 * cmad, 1.0, np.where(res <= 0.999 * cmad, v * v, 0.0))
    return fitted, points


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
    tx, ty = r_lowess(sx[nonzero], sy[nonzero], span, knots=True)
    fitted = fit.coefficients @ np.asarray(design, dtype=float).T
    # log2(1e-6 * 2^fitted * (lib.size + 1)), without the round trip through 2^x
    fitted_logcount = fitted + (np.log2(lib_size + 1.0) - np.log2(1e6))
    weights = 1.0 / interpolate_trend(tx, ty, fitted_logcount) ** 4
    return Voom(E=y, weights=weights, lib_size=lib_size, trend_x=tx, trend_y=ty)
