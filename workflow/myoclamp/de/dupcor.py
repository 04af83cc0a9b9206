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
from myoclamp.de.gls import CHUNK, Blocks, check_design, outer_rows, weighted_block_sums

RHO_MAX = 0.99
TRIM = 0.15
#: eigenvalues below this share of the largest block size count as zero (limma: rounding noise)
ZERO_EIGEN = 1e-9
#: eigenvalues of a Gram matrix below this share of its largest are rank deficiency
RANK_TOL = 1e-10


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
    ys, xs = y[:, blocks.order], x[blocks.order]  # samples in block order
    ws = np.ones_like(ys) if w is None else w[:, blocks.order]
    sw = np.sqrt(ws)
    info = (ws @ outer_rows(xs)).reshape(g, p, p)  # X_w'X_w
    beta = np.linalg.solve(info, ((ws * ys) @ xs)[:, :, None])[..., 0]
    resid = sw * (ys - beta @ xs.T)  # y_w - X_w beta
    rss = np.sum(resid**2, axis=1)
    f = weighted_block_sums(sw, xs, blocks)  # Z'X_w: genes x blocks x p
    t = blocks.sorted_sums(resid)  # Z'r
    chol = np.linalg.cholesky(info)
    # Z'PZ = diag(sizes) - C C' with C = F L^-T. Per block size s, the blocks of that size span
    # col(C_s) (where Z'PZ mixes them with the rest) and its complement (eigenvalue s). An
    # orthonormal basis of col(C_s) is C_s U L^-1/2 from the eigenvectors of G_s = C_s'C_s;
    # directions of G_s's null space are kept as placeholder rows with eigenvalue -1.
    sizes = blocks.sizes
    diag_parts, b_parts, tq_parts = [], [], []
    pool_d, pool_n, pool_sum = [], [], []
    for s in np.unique(sizes):
        idx = np.flatnonzero(sizes == s)
        fc, tc = f[:, idx, :], t[:, idx]
        gram = np.linalg.solve(
            chol, np.linalg.solve(chol, np.matmul(fc.transpose(0, 2, 1), fc)).transpose(0, 2, 1)
        )
        h = np.linalg.solve(chol, np.matmul(fc.transpose(0, 2, 1), tc[:, :, None]))[..., 0]
        lam, u = np.linalg.eigh(gram)
        keep = lam > RANK_TOL * np.maximum(lam[:, -1:], np.finfo(float).tiny)
        root = np.sqrt(np.where(keep, lam, 1.0))
        b_parts.append(np.where(keep[:, :, None], root[:, :, None] * u.transpose(0, 2, 1), 0.0))
        tq = np.where(keep, np.einsum("gpk,gp->gk", u, h) / root, 0.0)
        tq_parts.append(tq)
        diag_parts.append(np.where(keep, float(s), -1.0))
        pool_d.append(float(s))
        pool_n.append(len(idx) - keep.sum(axis=1))
        pool_sum.append((np.sum(tc**2, axis=1) - np.sum(tq**2, axis=1)) / s)
    b = np.concatenate(b_parts, axis=1)
    tq = np.concatenate(tq_parts, axis=1)
    diag = np.concatenate(diag_parts, axis=1)
    h = np.einsum("gw,wv->gwv", diag, np.eye(diag.shape[1])) - np.matmul(b, b.transpose(0, 2, 1))
    d, vec = np.linalg.eigh(h)
    proj = np.einsum("gwk,gw->gk", vec, tq)
    nonzero = d > ZERO_EIGEN * sizes.max()
    dy = np.where(nonzero, proj**2 / np.where(nonzero, d, 1.0), 0.0)
    mq = n - p
    n_pool = np.column_stack(pool_n).astype(float)
    pooled = np.column_stack(pool_sum)
    zero_n = mq - nonzero.sum(axis=1) - n_pool.sum(axis=1)
    zero_sum = np.maximum(rss - dy.sum(axis=1) - pooled.sum(axis=1), 0.0)
    # rows: the small problem's eigenvalues, the pooled block-size eigenvalues, zero
    rows_d = np.concatenate(
        [np.where(nonzero, d, 0.0), np.broadcast_to(pool_d, (g, len(pool_d))), np.zeros((g, 1))],
        axis=1,
    )
    rows_n = np.concatenate([nonzero.astype(float), n_pool, zero_n[:, None]], axis=1)
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
