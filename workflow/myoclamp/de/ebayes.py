"""Empirical-Bayes moderated t statistics (Smyth 2004, SAGMB 3:3): limma's ``eBayes``.

A port of R limma 3.54's ``eBayes`` (``squeezeVar``, ``fitFDist``, ``fitFDistRobustly`` without a
covariate, ``tmixture.vector``, ``trigammaInverse``). The residual variances are squeezed towards
a common prior (a scaled F distribution fitted to them by moments of log-variances), the moderated
t uses the posterior variance and refers to t on ``df_residual + df_prior`` degrees of freedom
(capped at the pooled residual df); ``lods`` (B) is the log-odds of differential expression.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats
from scipy.optimize import brentq
from scipy.special import digamma, polygamma

from myoclamp.de.gls import LinearFit


@dataclass
class EBayes:
    """Moderated statistics of a (contrasts) fit; arrays genes x contrasts, priors per fit."""

    t: np.ndarray
    p_value: np.ndarray
    lods: np.ndarray
    s2_post: np.ndarray  # genes
    df_total: np.ndarray  # genes
    df_prior: float | np.ndarray
    s2_prior: float
    var_prior: np.ndarray  # contrasts


def trigamma(x):
    return polygamma(1, x)


def trigamma_inverse(x: float) -> float:
    """limma's ``trigammaInverse``: the y with trigamma(y) = x (Newton's method)."""
    if x < 0:
        return float("nan")
    if x > 1e7:
        return 1.0 / np.sqrt(x)
    if x < 1e-6:
        return 1.0 / x
    y = 0.5 + 1.0 / x
    for _ in range(51):
        tri = trigamma(y)
        dif = tri * (1.0 - tri / x) / polygamma(2, y)
        y += dif
        if -dif / y < 1e-8:
            break
    return float(y)


def trimmed_mean(x: np.ndarray, trim: float) -> float:
    """R's ``mean(x, trim = trim)``: ``floor(n * trim)`` values dropped at each end."""
    x = np.sort(np.asarray(x, dtype=float))
    n = len(x)
    if trim >= 0.5:
        return float(np.median(x))
    lo = int(np.floor(n * trim))
    return float(np.mean(x[lo : n - lo]))


def fit_f_dist(x: np.ndarray, df1: np.ndarray) -> tuple[float, float]:
    """limma's ``fitFDist`` without a covariate: scale ``s2`` and ``df2`` of the prior."""
    x = np.asarray(x, dtype=float)
    df1 = np.broadcast_to(np.asarray(df1, dtype=float), x.shape)
    ok = np.isfinite(df1) & (df1 > 1e-15) & np.isfinite(x) & (x > -1e-15)
    if ok.sum() == 1:
        return float(x[ok][0]), 0.0
    x, df1 = np.maximum(x[ok], 0.0), df1[ok]
    m = np.median(x)
    if m == 0:
        m = 1.0
    x = np.maximum(x, 1e-5 * m)
    e = np.log(x) - digamma(df1 / 2) + np.log(df1 / 2)
    emean = e.mean()
    evar = np.sum((e - emean) ** 2) / (len(e) - 1) - np.mean(trigamma(df1 / 2))
    if evar > 0:
        df2 = 2 * trigamma_inverse(evar)
        s20 = float(np.exp(emean + digamma(df2 / 2) - np.log(df2 / 2)))
    else:
        df2, s20 = float("inf"), float(np.mean(x))
    return s20, float(df2)


def _gauss_uniform(n: int = 128) -> tuple[np.ndarray, np.ndarray]:
    """statmod's ``gauss.quad.prob(n, dist = "uniform")`` on [0, 1]."""
    nodes, weights = np.polynomial.legendre.leggauss(n)
    return (nodes + 1) / 2, weights / 2


def _winsorized_moments(df1: float, df2: float, tail: np.ndarray) -> tuple[float, float]:
    nodes_u, w = _gauss_uniform()
    fq = (
        stats.f.ppf([tail[0], 1 - tail[1]], df1, df2)
        if np.isfinite(df2)
        else (stats.chi2.ppf([tail[0], 1 - tail[1]], df1) / df1)
    )
    zq = np.log(fq)
    q = fq / (1 + fq)
    nodes = q[0] + (q[1] - q[0]) * nodes_u
    fnodes = nodes / (1 - nodes)
    znodes = np.log(fnodes)
    dens = (
        stats.f.pdf(fnodes, df1, df2)
        if np.isfinite(df2)
        else df1 * stats.chi2.pdf(fnodes * df1, df1)
    )
    f = dens / (1 - nodes) ** 2
    q21 = q[1] - q[0]
    m = q21 * np.sum(w * f * znodes) + np.sum(zq * tail)
    v = q21 * np.sum(w * f * (znodes - m) ** 2) + np.sum((zq - m) ** 2 * tail)
    return float(m), float(v)


def fit_f_dist_robustly(
    x: np.ndarray, df1: float, winsor_tail_p: tuple[float, float] = (0.05, 0.1)
) -> tuple[float, float, np.ndarray]:
    """limma's ``fitFDistRobustly`` without a covariate, for one residual df: the scale, ``df2``
    and the per-gene shrunk ``df2`` (outlier variances get less prior weight)."""
    x = np.asarray(x, dtype=float).copy()
    n = len(x)
    m = np.median(x)
    if m <= 0:
        raise ValueError("variances are mostly <= 0")
    x[x < m * 1e-12] = m * 1e-12
    s2_nr, df2_nr = fit_f_dist(x, np.full(n, df1))
    tail = np.asarray(winsor_tail_p, dtype=float)
    if np.all(tail < 1 / n):
        return s2_nr, df2_nr, np.full(n, df2_nr)
    z = np.log(x)
    ztrend = trimmed_mean(z, tail[1])
    zresid = z - ztrend
    zrq = np.quantile(zresid, [tail[0], 1 - tail[1]])
    zwins = np.clip(zresid, zrq[0], zrq[1])
    zwmean = zwins.mean()
    zwvar = np.mean((zwins - zwmean) ** 2) * n / (n - 1)

    def link(v):
        return v / (1 + v)

    def linkinv(v):
        return v / (1 - v)

    mom_inf = _winsorized_moments(df1, float("inf"), tail)
    funval_inf = np.log(zwvar / mom_inf[1])
    if funval_inf <= 0:
        s20 = float(np.exp(ztrend + zwmean - mom_inf[0]))
        fstat = np.exp(z - (ztrend + zwmean - mom_inf[0]))
        tail_p = stats.chi2.sf(fstat * df1, df1)
        r = stats.rankdata(fstat)
        not_outlier = np.minimum(tail_p / ((n - r + 0.5) / n), 1)
        shrunk = np.full(n, np.inf)
        out = not_outlier < 1
        if out.any():
            shrunk[out] = not_outlier[out] * n * df1
            o = np.argsort(tail_p, kind="stable")
            shrunk[o] = np.maximum.accumulate(shrunk[o])
        return s20, float("inf"), shrunk
    if not np.isfinite(df2_nr):
        return s2_nr, df2_nr, np.full(n, df2_nr)

    def fun(v):
        return np.log(zwvar / _winsorized_moments(df1, linkinv(v), tail)[1])

    rbx = link(df2_nr)
    # R: uniroot on (rbx, 1), its upper end the df2 = Inf limit
    df2 = df2_nr if fun(rbx) >= 0 else linkinv(brentq(fun, rbx, 1 - 1e-12, xtol=1e-8))
    mom = _winsorized_moments(df1, df2, tail)
    corrected = ztrend + zwmean - mom[0]
    s20 = float(np.exp(corrected))
    fstat = np.exp(z - corrected)
    log_tail = stats.f.logsf(fstat, df1, df2)
    r = stats.rankdata(fstat)
    log_not = np.minimum(log_tail - (np.log(n - r + 0.5) - np.log(n)), 0)
    p_not = np.exp(log_not)
    p_out = -np.expm1(log_not)
    if np.any(log_not < 0):
        min_log = log_tail.min()
        if min_log == -np.inf:
            shrunk = p_not * df2
        else:
            df2_out = np.log(0.5) / min_log * df2
            new_log = stats.f.logsf(fstat.max(), df1, df2_out)
            df2_out = np.log(0.5) / new_log * df2_out
            shrunk = p_not * df2 + p_out * df2_out
        o = np.argsort(log_tail, kind="stable")
        ordered = shrunk[o]
        means = np.cumsum(ordered) / np.arange(1, n + 1)
        imin = int(np.argmin(means))
        ordered[: imin + 1] = means[imin]
        shrunk[o] = np.maximum.accumulate(ordered)
    else:
        shrunk = np.full(n, df2)
    return s20, float(df2), shrunk


def squeeze_var(
    var: np.ndarray, df: np.ndarray, robust: bool = False
) -> tuple[float, float | np.ndarray, np.ndarray]:
    """limma's ``squeezeVar``: prior variance, prior df and posterior variances."""
    var = np.asarray(var, dtype=float)
    df = np.asarray(df, dtype=float)
    if robust:
        if np.ptp(df) > 0:
            raise NotImplementedError("robust eBayes with unequal residual df")
        s20, _, df_prior = fit_f_dist_robustly(var, float(df[0]))
    else:
        s20, df_prior = fit_f_dist(var, df)
    df_prior_arr = np.broadcast_to(np.asarray(df_prior, dtype=float), var.shape)
    post = np.where(
        np.isfinite(df_prior_arr),
        (df * var + df_prior_arr * s20)
        / (df + np.where(np.isfinite(df_prior_arr), df_prior_arr, 0)),
        s20,
    )
    return s20, df_prior, post


def tmixture_vector(
    tstat: np.ndarray,
    stdev_unscaled: np.ndarray,
    df: np.ndarray,
    proportion: float,
    v0_lim: tuple[float, float] | None,
) -> float:
    """limma's ``tmixture.vector``: prior variance of the true log-fold changes."""
    ok = ~np.isnan(tstat)
    tstat, su, df = np.abs(tstat[ok]), stdev_unscaled[ok], np.asarray(df, dtype=float)[ok]
    ngenes = len(tstat)
    ntarget = int(np.ceil(proportion / 2 * ngenes))
    if ntarget < 1:
        return float("nan")
    p = max(ntarget / ngenes, proportion)
    max_df = df.max()
    low = df < max_df
    if low.any():
        tstat = tstat.copy()
        tstat[low] = stats.t.isf(stats.t.sf(tstat[low], df[low]), max_df)
    o = np.argsort(-tstat, kind="stable")[:ntarget]
    tstat = tstat[o]
    v1 = su[o] ** 2
    r = np.arange(1, ntarget + 1)
    p0 = 2 * stats.t.sf(tstat, max_df)
    ptarget = ((r - 0.5) / ngenes - (1 - p) * p0) / p
    v0 = np.zeros(ntarget)
    pos = ptarget > p0
    if pos.any():
        qtarget = stats.t.isf(ptarget[pos] / 2, max_df)
        v0[pos] = v1[pos] * ((tstat[pos] / qtarget) ** 2 - 1)
    if v0_lim is not None:
        v0 = np.clip(v0, v0_lim[0], v0_lim[1])
    return float(np.mean(v0))


def ebayes(
    fit: LinearFit,
    proportion: float = 0.01,
    stdev_coef_lim: tuple[float, float] = (0.1, 4.0),
    robust: bool = False,
) -> EBayes:
    """limma's ``eBayes(fit, proportion, stdev.coef.lim, trend = FALSE, robust)``."""
    coef = fit.coefficients
    su = fit.stdev_unscaled
    df_res = np.asarray(fit.df_residual, dtype=float)
    if np.max(df_res) == 0:
        raise ValueError("no residual degrees of freedom")
    var = np.where(df_res == 0, 0.0, fit.sigma**2)
    s2_prior, df_prior, s2_post = squeeze_var(var, df_res, robust=robust)
    t = coef / su / np.sqrt(s2_post)[:, None]
    df_total = np.minimum(df_res + df_prior, np.nansum(df_res))
    p_value = 2 * stats.t.sf(np.abs(t), df_total[:, None])
    lim = np.asarray(stdev_coef_lim) ** 2 / np.median(np.atleast_1d(s2_prior))
    var_prior = np.array(
        [tmixture_vector(t[:, j], su[:, j], df_total, proportion, lim) for j in range(t.shape[1])]
    )
    var_prior = np.where(np.isnan(var_prior), 1 / s2_prior, var_prior)
    r = (su**2 + var_prior[None, :]) / su**2
    t2 = t**2
    dft = df_total[:, None]
    infdf = np.broadcast_to(np.asarray(df_prior) > 1e6, df_total.shape)[:, None]
    with np.errstate(invalid="ignore", divide="ignore"):
        kernel = np.where(
            infdf,
            t2 * (1 - 1 / r) / 2,
            (1 + dft) / 2 * np.log((t2 + dft) / (t2 / r + dft)),
        )
    lods = np.log(proportion / (1 - proportion)) - np.log(r) / 2 + kernel
    return EBayes(
        t=t,
        p_value=p_value,
        lods=lods,
        s2_post=s2_post,
        df_total=df_total,
        df_prior=df_prior,
        s2_prior=s2_prior,
        var_prior=var_prior,
    )
