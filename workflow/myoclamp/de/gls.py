"""Linear models per gene with a within-block correlation and weights (limma's ``lmFit``).

A port of R limma 3.54's ``lmFit(y, design, block = block, correlation = rho, weights = w)``
(``gls.series``) and ``contrasts.fit``. With ``rho`` the correlation of two observations of the
same block (participant) and ``w`` the per-observation weights, observation ``i`` of a gene has
covariance ``sigma^2 V``, ``V_ij = R_ij / sqrt(w_i w_j)``, ``R`` block-diagonal with 1 on the
diagonal and ``rho`` within a block. limma solves a Cholesky factor of ``V`` per gene; here the
inverse of each block of ``R``, ``(I - gamma 1 1') / (1 - rho)`` with
``gamma = rho / (1 + (m - 1) rho)`` for a block of ``m`` observations, gives ``X'V^-1 X``,
``X'V^-1 y`` and the residual sum of squares from sums within blocks: vectorised over genes,
linear in the number of samples. Arrays are genes x samples, as in R; designs full rank.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

#: genes per batch of the vectorised algebra (bounds the genes x samples x columns arrays)
CHUNK = 1024


@dataclass(frozen=True)
class Blocks:
    """Samples grouped by block: the order that makes each block contiguous, and its sizes."""

    codes: np.ndarray  # block index of each sample
    order: np.ndarray  # samples sorted by block
    starts: np.ndarray  # start of each block in ``order``
    sizes: np.ndarray  # samples per block

    @classmethod
    def from_labels(cls, labels) -> Blocks:
        _, codes = np.unique(np.asarray(labels).astype(str), return_inverse=True)
        order = np.argsort(codes, kind="stable")
        sizes = np.bincount(codes)
        starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
        return cls(codes, order, starts, sizes)

    @property
    def n_blocks(self) -> int:
        return len(self.sizes)

    def sums(self, a: np.ndarray) -> np.ndarray:
        """Sums of ``a`` (..., samples) within each block: (..., blocks)."""
        return np.add.reduceat(a[..., self.order], self.starts, axis=-1)

    def sorted_sums(self, a: np.ndarray) -> np.ndarray:
        """:meth:`sums` of ``a`` whose samples are already in :attr:`order`."""
        return np.add.reduceat(a, self.starts, axis=-1)


def weighted_block_sums(sw: np.ndarray, x: np.ndarray, blocks: Blocks) -> np.ndarray:
    """``F[g, b, :]`` = sum over block ``b`` of ``sw[g, i] * x[i, :]`` (samples in block order):
    genes x blocks x columns, one column at a time (no genes x samples x columns array)."""
    out = np.empty((sw.shape[0], blocks.n_blocks, x.shape[1]))
    for j in range(x.shape[1]):
        out[:, :, j] = blocks.sorted_sums(sw * x[:, j])
    return out


def outer_rows(x: np.ndarray) -> np.ndarray:
    """``x_i x_i'`` of each row, flattened: samples x (columns * columns), so that
    ``w @ outer_rows(x)`` is each gene's ``X' diag(w) X``."""
    return (x[:, :, None] * x[:, None, :]).reshape(x.shape[0], -1)


@dataclass
class LinearFit:
    """Per gene: coefficients, unscaled SDs, residual SD and df (limma's ``MArrayLM``)."""

    coefficients: np.ndarray  # genes x coefficients
    stdev_unscaled: np.ndarray  # genes x coefficients
    sigma: np.ndarray  # genes
    df_residual: np.ndarray  # genes
    cov_coefficients: np.ndarray  # coefficients x coefficients, unweighted (as limma)
    amean: np.ndarray  # genes: mean of y over samples
    correlation: float = 0.0
    extra: dict = field(default_factory=dict)


def check_design(design: np.ndarray) -> np.ndarray:
    """The design as a float matrix; raises unless it has full column rank."""
    x = np.asarray(design, dtype=float)
    if x.ndim != 2 or np.linalg.matrix_rank(x) < x.shape[1]:
        raise ValueError("the design matrix must have full column rank")
    if x.shape[0] <= x.shape[1]:
        raise ValueError("the design leaves no residual degrees of freedom")
    return x


def block_gamma(sizes: np.ndarray, rho: float) -> np.ndarray:
    """``rho / (1 + (m - 1) rho)`` per block of ``m`` samples (the rank-one part of R^-1)."""
    denom = 1.0 + (sizes - 1.0) * rho
    if np.any(denom <= 0) or not -1 < rho < 1:
        raise ValueError(f"correlation {rho} makes the block covariance singular")
    return rho / denom


def lm_fit(
    y: np.ndarray,
    design: np.ndarray,
    weights: np.ndarray | None = None,
    block=None,
    correlation: float = 0.0,
) -> LinearFit:
    """limma's ``lmFit(y, design, weights, block, correlation)`` for finite ``y`` (genes x samples).

    Without ``block`` (or with ``correlation`` 0) this is weighted least squares (``lm.series``).
    """
    y = np.asarray(y, dtype=float)
    x = check_design(design)
    n, p = x.shape
    if y.shape[1] != n:
        raise ValueError("y has a column per sample, the design a row per sample")
    if not np.all(np.isfinite(y)):
        raise ValueError("y must be finite")
    blocks = Blocks.from_labels(np.arange(n) if block is None else block)
    rho = float(correlation) if block is not None else 0.0
    gamma = block_gamma(blocks.sizes.astype(float), rho)
    w = None if weights is None else np.asarray(weights, dtype=float)
    if w is not None and (w.shape != y.shape or np.any(~np.isfinite(w)) or np.any(w <= 0)):
        raise ValueError("weights must be positive and finite, one per observation")
    coef = np.empty((y.shape[0], p))
    se = np.empty((y.shape[0], p))
    rss = np.empty(y.shape[0])
    ys, xs = y[:, blocks.order], x[blocks.order]  # samples in block order: contiguous sums
    ws = None if w is None else w[:, blocks.order]
    for lo in range(0, y.shape[0], CHUNK):
        sl = slice(lo, lo + CHUNK)
        coef[sl], se[sl], rss[sl] = _gls_chunk(
            ys[sl], xs, None if ws is None else ws[sl], blocks, gamma, rho
        )
    df = n - p
    xf = blocks.sums(x.T).T  # blocks x p
    info = (x.T @ x - xf.T @ (gamma[:, None] * xf)) / (1.0 - rho)
    return LinearFit(
        coefficients=coef,
        stdev_unscaled=se,
        sigma=np.sqrt(rss / df),
        df_residual=np.full(y.shape[0], float(df)),
        cov_coefficients=np.linalg.inv(info),
        amean=y.mean(axis=1),
        correlation=rho,
    )


def _gls_chunk(
    y: np.ndarray,
    x: np.ndarray,
    w: np.ndarray | None,
    blocks: Blocks,
    gamma: np.ndarray,
    rho: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Coefficients, unscaled SDs and the generalised residual sum of squares of a gene batch
    (samples in block order)."""
    g, p = y.shape[0], x.shape[1]
    blocked = rho != 0.0
    if w is None:
        info = x.T @ x
        rhs = y @ x
        if blocked:
            xf = blocks.sorted_sums(x.T).T  # blocks x p
            yf = blocks.sorted_sums(y)  # genes x blocks
            info = info - xf.T @ (gamma[:, None] * xf)
            rhs = rhs - (yf * gamma) @ xf
        inv = np.linalg.inv(info / (1.0 - rho))
        coef = (rhs / (1.0 - rho)) @ inv
        se = np.broadcast_to(np.sqrt(np.diag(inv)), coef.shape).copy()
        resid = y - coef @ x.T
    else:
        sw = np.sqrt(w)
        info = (w @ outer_rows(x)).reshape(g, p, p)
        rhs = (w * y) @ x
        if blocked:
            xf = weighted_block_sums(sw, x, blocks)  # genes x blocks x p
            yf = blocks.sorted_sums(sw * y)  # genes x blocks
            info -= np.matmul((xf * gamma[None, :, None]).transpose(0, 2, 1), xf)
            rhs -= np.matmul((xf * gamma[None, :, None]).transpose(0, 2, 1), yf[:, :, None])[..., 0]
        inv = np.linalg.inv(info / (1.0 - rho))
        coef = np.matmul(inv, rhs[:, :, None])[..., 0] / (1.0 - rho)
        se = np.sqrt(np.einsum("gpp->gp", inv))
        resid = sw * (y - coef @ x.T)
    rss = np.sum(resid**2, axis=1)
    if blocked:
        rss = (rss - np.sum(gamma * blocks.sorted_sums(resid) ** 2, axis=1)) / (1.0 - rho)
    return coef, se, rss


def contrasts_fit(fit: LinearFit, contrasts: np.ndarray) -> LinearFit:
    """limma's ``contrasts.fit``: estimates and unscaled SDs of ``contrasts`` (p x k).

    As limma, the unscaled SD of a contrast combines each gene's coefficient SDs with the
    correlation of the coefficients of the unweighted design (``cov.coefficients``), exact when
    every observation has the same weight.
    """
    c = np.asarray(contrasts, dtype=float)
    if c.ndim == 1:
        c = c[:, None]
    if c.shape[0] != fit.coefficients.shape[1]:
        raise ValueError("the contrast matrix needs one row per coefficient")
    cov = fit.cov_coefficients
    d = np.sqrt(np.diag(cov))
    cor = cov / np.outer(d, d)
    lower = np.abs(cor[np.tril_indices_from(cor, -1)])
    s = fit.stdev_unscaled
    if lower.size == 0 or np.all(lower < 1e-14):
        se = np.sqrt(s**2 @ c**2)
    else:
        se = np.column_stack(
            [
                np.sqrt(np.einsum("gj,jl,gl->g", s * c[:, k], cor, s * c[:, k]))
                for k in range(c.shape[1])
            ]
        )
    return LinearFit(
        coefficients=fit.coefficients @ c,
        stdev_unscaled=se,
        sigma=fit.sigma,
        df_residual=fit.df_residual,
        cov_coefficients=c.T @ cov @ c,
        amean=fit.amean,
        correlation=fit.correlation,
        extra=dict(fit.extra),
    )
