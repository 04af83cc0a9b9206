"""The consensus within-block correlation of limma's ``duplicateCorrelation(y, design, block)``.

limma fits, per gene, a linear mixed model with a random block (participant) intercept by
``statmod::mixedModel2Fit`` and takes ``rho = sigma2_block / (sigma2_block + sigma2_resid)``; the
consensus is ``tanh`` of the 15 % trimmed mean of ``atanh(rho)`` over genes (each ``rho`` first
clipped to ``[1 / (1 - max block size) + 0.01, 0.99]``).

``mixedModel2Fit`` with weights ``w``: ``y`` and ``X`` are multiplied by ``sqrt(w)`` (``Z``, the
block indicators, is not), the responses are rotated into the residual space of ``X`` and then
onto the left singular vectors of the rotated ``Z``; with ``d`` the squared singular values (zero
for the remaining directions) and ``dy`` the squared rotated responses, ``E(dy) = s2_resid +
d * s2_block``: a least-squares fit of ``dy`` on ``(1, d)``, refined by a gamma GLM with identity
link (``statmod::glmgam.fit``, Levenberg-damped Fisher scoring, at most 20 iterations), gives the
two variance components.

limma runs an SVD of an (n - p) x blocks matrix per gene. Here the same quantities come from a
small problem per gene: ``Z'PZ`` (``P`` the residual projector of the weighted design) is the
diagonal of block sizes minus a rank-p matrix, so the blocks of each size split into a subspace
where every eigenvalue is that block size and one of at most p dimensions; the eigenvalues of
``Z'PZ`` there are those of a (sizes x p)-square matrix. Directions that share an eigenvalue
enter the GLM only through the sum of their ``dy`` (its score, information and deviance
differences depend on nothing else), so they are pooled into one row with a count. The result is
limma's to rounding, vectorised over genes and linear in the number of samples.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from myoclamp.de.ebayes import trimmed_mean
from myoclamp.de.gls import CHUNK, Blocks, check_design

RHO_MAX = 0.99
TRIM = 0.15
#: eigenvalues below this share of the largest block size count as zero (limma: rounding noise)
ZERO_EIGEN = 1e-9


@dataclass
class Correlation:
    """The consensus correlation and each gene's ``atanh(rho)`` (NaN where not estimable)."""

    consensus: float
    atanh_correlations: np.ndarray


def duplicate_correlation(
    y: np.ndarray,
    design: np.ndarray,
    block,
    weights: np.ndarray | None = None,
    trim: float = TRIM,
) -> Correlation:
    """limma's ``duplicateCorrelation(y, design, block = block, weights = weights)$consensus``.

    ``y``: finite, genes x samples; ``design``: samples x columns, full rank; ``block``: one label
    per sample (the participant).
    """
    y = np.asarray(y, dtype=float)
    x = check_design(design)
    blocks = Blocks.from_labels(block)
    n, p = x.shape
    max_size = int(blocks.sizes.max())
    if max_size == 1:
        return Correlation(0.0, np.zeros(y.shape[0]))
    if _block_in_design(x, blocks):
        return Correlation(0.0, np.zeros(y.shape[0]))
    rho = np.full(y.shape[0], np.nan)
    if n > p + 2 and 1 < blocks.n_blocks < n - 1:
        w = None if weights is None else np.asarray(weights, dtype=float)
        for lo in range(0, y.shape[0], CHUNK):
            sl = slice(lo, lo + CHUNK)
            s_resid, s_block = variance_components(y[sl], x, blocks, None if w is None else w[sl])
            with np.errstate(invalid="ignore", divide="ignore"):
                rho[sl] = s_block / (s_resid + s_block)
    rho_min = 1.0 / (1.0 - max_size) + 0.01
    rho = np.clip(rho, rho_min, RHO_MAX)
    arho = np.arctanh(rho)
    finite = arho[np.isfinite(arho)]
    consensus = float(np.tanh(trimmed_mean(finite, trim))) if len(finite) else float("nan")
    return Correlation(consensus, arho)


def _block_in_design(x: np.ndarray, blocks: Blocks) -> bool:
    """Whether the block indicators (but the first) lie in the column space of the design."""
    z = np.zeros((x.shape[0], blocks.n_blocks))
    z[np.arange(x.shape[0]), blocks.codes] = 1.0
    z = z[:, 1:]
    q, _ = np.linalg.qr(x)
    return bool(np.max(np.abs(z - q @ (q.T @ z))) < 1e-8)


def variance_components(
    y: np.ndarray, x: np.ndarray, blocks: Blocks, w: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray]:
    """Residual and block variance of each gene (``mixedModel2Fit(y, X, Z, w)$varcomp``)."""
    g, n = y.shape
    p = x.shape[1]
    sw = np.ones_like(y) if w is None else np.sqrt(w)
    xw = sw[:, :, None] * x[None]  # genes x samples x p
    yw = sw * y
    info = np.matmul(xw.transpose(0, 2, 1), xw)
    chol = np.linalg.cholesky(info)
    beta = np.linalg.solve(info, np.matmul(xw.transpose(0, 2, 1), yw[:, :, None]))[..., 0]
    resid = yw - np.einsum("gip,gp->gi", xw, beta)
    rss = np.sum(resid**2, axis=1)
    f = blocks.sums(xw.transpose(0, 2, 1)).transpose(0, 2, 1)  # genes x blocks x p
    t = blocks.sums(resid)  # genes x blocks: Z' r
    # Z'PZ = diag(sizes) - C C' with C = F L^-T
    c = np.linalg.solve(chol, f.transpose(0, 2, 1)).transpose(0, 2, 1)
    sizes = blocks.sizes
    diag_parts, b_parts, tq_parts = [], [], []
    pool_d, pool_n, pool_sum = [], [], []
    for s in np.unique(sizes):
        idx = np.flatnonzero(sizes == s)
        cc, tc = c[:, idx, :], t[:, idx]
        if len(idx) > p:
            q, _ = np.linalg.qr(cc)  # genes x m x p: a basis holding the columns of C here
            b_parts.append(np.matmul(q.transpose(0, 2, 1), cc))
            tq = np.einsum("gmk,gm->gk", q, tc)
            pool_d.append(float(s))
            pool_n.append(len(idx) - p)
            pool_sum.append((np.sum(tc**2, axis=1) - np.sum(tq**2, axis=1)) / s)
        else:
            b_parts.append(cc)
            tq = tc
        tq_parts.append(tq)
        diag_parts.append(np.full(tq.shape[1], float(s)))
    b = np.concatenate(b_parts, axis=1)
    tq = np.concatenate(tq_parts, axis=1)
    h = np.diag(np.concatenate(diag_parts))[None] - np.matmul(b, b.transpose(0, 2, 1))
    d, vec = np.linalg.eigh(h)
    proj = np.einsum("gwk,gw->gk", vec, tq)
    nonzero = d > ZERO_EIGEN * sizes.max()
    with np.errstate(divide="ignore", invalid="ignore"):
        dy = np.where(nonzero, proj**2 / np.where(nonzero, d, 1.0), 0.0)
    mq = n - p
    n_pool = np.array(pool_n, dtype=float)
    pooled = np.column_stack(pool_sum) if pool_sum else np.zeros((g, 0))
    zero_n = mq - nonzero.sum(axis=1) - n_pool.sum()
    zero_sum = np.maximum(rss - dy.sum(axis=1) - pooled.sum(axis=1), 0.0)
    # rows: the small problem's eigenvalues, the pooled block-size eigenvalues, zero
    rows_d = np.concatenate(
        [np.where(nonzero, d, 0.0), np.broadcast_to(pool_d, (g, len(pool_d))), np.zeros((g, 1))],
        axis=1,
    )
    rows_n = np.concatenate(
        [nonzero.astype(float), np.broadcast_to(n_pool, (g, len(pool_n))), zero_n[:, None]],
        axis=1,
    )
    rows_sum = np.concatenate([dy, pooled, zero_sum[:, None]], axis=1)
    return _fit_components(rows_d, rows_n, rows_sum, mq)


def _fit_components(
    d: np.ndarray, m: np.ndarray, sums: np.ndarray, mq: int
) -> tuple[np.ndarray, np.ndarray]:
    """``mixedModel2Fit``'s regression of ``dy`` on ``(1, d)``: least squares, then the gamma GLM
    when ``mq > 2`` and ``d`` varies. Rows carry a count ``m`` and the sum of their ``dy``."""
    g = d.shape[0]
    dx = np.stack([np.ones_like(d), d], axis=2)  # genes x rows x 2
    xtx = np.einsum("gr,gri,grj->gij", m, dx, dx)
    xty = np.einsum("gri,gr->gi", dx, sums)
    ols = np.linalg.solve(xtx, xty[..., None])[..., 0]
    fitted = np.einsum("gri,gi->gr", dx, ols)
    n_nonzero = np.sum(m * (d > 1e-15), axis=1)
    mean_d = np.sum(m * d, axis=1) / mq
    var_d = (np.sum(m * d**2, axis=1) - mq * mean_d**2) / (mq - 1)
    use_glm = (mq > 2) & (n_nonzero > 1) & (var_d > 1e-15)
    ok_start = np.all((fitted >= 0) | (m == 0), axis=1)
    start = np.where(ok_start[:, None], ols, np.column_stack([sums.sum(axis=1) / mq, np.zeros(g)]))
    varcomp = ols.copy()
    if use_glm.any():
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            ybar = np.where(m > 0, sums / np.where(m > 0, m, 1.0), 0.0)
            varcomp[use_glm] = glmgam_fit(dx[use_glm], ybar[use_glm], m[use_glm], start[use_glm])
    return varcomp[:, 0], varcomp[:, 1]


def _deviance(ybar: np.ndarray, mu: np.ndarray, m: np.ndarray) -> np.ndarray:
    """Gamma deviance up to a constant per gene (the -2 sum(log y) term), Inf if a mean is < 0."""
    used = m > 0
    bad = np.any(used & (mu < 0), axis=1)
    term = np.where(used, m * ((ybar - mu) / mu + np.log(np.where(used, mu, 1.0))), 0.0)
    dev = 2 * np.sum(term, axis=1)
    dev[bad | ~np.isfinite(dev)] = np.inf
    return dev


def glmgam_fit(
    x: np.ndarray,
    ybar: np.ndarray,
    m: np.ndarray,
    start: np.ndarray,
    tol: float = 1e-6,
    maxit: int = 20,
) -> np.ndarray:
    """``statmod::glmgam.fit(X, y, coef.start, tol, maxit)`` for many genes at once (genes x rows
    x coefficients), rows with counts ``m`` and mean responses ``ybar``: the coefficients."""
    g, _, k = x.shape
    used = m > 0
    beta = start.copy()
    mu = np.einsum("grk,gk->gr", x, beta)
    dev = _deviance(ybar, mu, m)
    lam = np.zeros(g)
    eye = np.eye(k)
    active = np.ones(g, dtype=bool)
    it = 0
    while active.any():
        it += 1
        v = mu**2
        vmax = np.max(np.where(used, v, -np.inf), axis=1, keepdims=True)
        v = np.maximum(v, vmax / 1e3)
        wv = np.where(used, m / v, 0.0)
        xvx = np.einsum("gr,gri,grj->gij", wv, x, x)
        diag = np.einsum("gii->gi", xvx)
        maxinfo = diag.max(axis=1)
        if it == 1:
            lam = np.abs(diag.mean(axis=1)) / k
        dl = np.einsum("gri,gr->gi", x, np.where(used, m * (ybar - mu) / v, 0.0))
        beta_old, dev_old = beta.copy(), dev.copy()
        dbeta = np.zeros_like(beta)
        lev = np.zeros(g, dtype=int)
        damped_out = np.zeros(g, dtype=bool)
        inner = active.copy()
        while inner.any():
            lev[inner] += 1
            step = np.linalg.solve(xvx[inner] + lam[inner, None, None] * eye, dl[inner][..., None])
            dbeta[inner] = step[..., 0]
            beta[inner] = beta_old[inner] + dbeta[inner]
            mu[inner] = np.einsum("grk,gk->gr", x[inner], beta[inner])
            dev[inner] = _deviance(ybar[inner], mu[inner], m[inner])
            accept = inner & (dev <= dev_old)
            too_damped = inner & ~accept & (lam / maxinfo > 1e15)
            beta[too_damped] = beta_old[too_damped]
            damped_out |= too_damped
            inner &= ~accept & ~too_damped
            lam[inner] *= 2
        damped_out |= lam / maxinfo > 1e15
        lam[active & ~damped_out & (lev == 1)] /= 10
        converged = np.einsum("gk,gk->g", dl, dbeta) < tol
        active &= ~(damped_out | converged | (it > maxit))
    return beta
