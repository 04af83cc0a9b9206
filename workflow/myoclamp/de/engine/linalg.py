"""Batched normal equations ``X'WX`` for many genes at once: dense and arrow-shaped (blocks).

A *system* holds the design; ``system.factor(w, ridge)`` with per-gene weights ``w`` (genes x
samples) returns a *factor* that solves ``(X'WX + diag(ridge)) b = r``, gives the log-determinant
and the leverages ``q_i = x_i' (X'WX + diag(ridge))^-1 x_i`` of every gene. The block factor uses
the Schur complement of the diagonal participant block and costs O(n k^2) per gene.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np
import scipy.sparse as sp

from myoclamp.de.engine.structure import Blocks, detect_blocks


class Factor(Protocol):
    """A factorised batch of ``X'WX + diag(ridge)`` (one matrix per gene)."""

    def solve(self, rhs: np.ndarray) -> np.ndarray: ...  # (G, p) -> (G, p)

    def logdet(self) -> np.ndarray: ...  # (G,)

    def leverage(self) -> np.ndarray: ...  # (G, n)


def _ridge_vector(ridge: float | np.ndarray, p: int) -> np.ndarray:
    """The ridge as a (p,) vector, or (G, p) when it differs between genes."""
    r = np.asarray(ridge, dtype=float)
    if r.ndim == 0:
        return np.full(p, float(r))
    return r if r.ndim == 2 else r.reshape(p)


class _QR:
    """Cached reduced QR decomposition of the design (the IRLS start)."""

    x: np.ndarray
    _qr_cache: tuple[np.ndarray, np.ndarray] | None = None

    def qr(self) -> tuple[np.ndarray, np.ndarray]:
        if self._qr_cache is None:
            self._qr_cache = np.linalg.qr(self.x)
        return self._qr_cache


class DenseSystem(_QR):
    """Design with dense ``p x p`` algebra per gene (batched over genes)."""

    kind = "dense"

    def __init__(self, x: np.ndarray) -> None:
        self.x = np.ascontiguousarray(x, dtype=float)
        n, p = self.x.shape
        self.n, self.p = n, p
        self._xx = (self.x[:, :, None] * self.x[:, None, :]).reshape(n, p * p)

    def xt(self, v: np.ndarray) -> np.ndarray:
        """``X' v`` for each gene: (G, n) -> (G, p)."""
        return v @ self.x

    def xb(self, beta: np.ndarray) -> np.ndarray:
        """Linear predictor ``X beta`` for each gene: (G, p) -> (G, n)."""
        return beta @ self.x.T

    def factor(self, w: np.ndarray, ridge: float | np.ndarray = 0.0) -> DenseFactor:
        """Factor of ``X'WX + diag(ridge)``; ``ridge`` scalar, (p,) or per gene (G, p)."""
        m = (w @ self._xx).reshape(-1, self.p, self.p)
        idx = np.arange(self.p)
        m[:, idx, idx] += _ridge_vector(ridge, self.p)
        return DenseFactor(self, m)


class DenseFactor:
    def __init__(self, system: DenseSystem, m: np.ndarray) -> None:
        self.s = system
        self.m = m
        self._inv: np.ndarray | None = None

    def solve(self, rhs: np.ndarray) -> np.ndarray:
        return np.linalg.solve(self.m, rhs[..., None])[..., 0]

    def logdet(self) -> np.ndarray:
        return np.linalg.slogdet(self.m)[1]

    def inverse(self) -> np.ndarray:
        if self._inv is None:
            self._inv = np.linalg.inv(self.m)
        return self._inv

    def leverage(self) -> np.ndarray:
        xm = np.einsum("ni,gij->gnj", self.s.x, self.inverse())
        return np.einsum("gnj,nj->gn", xm, self.s.x)


class BlockSystem(_QR):
    """Design whose disjoint indicator columns form a diagonal block of ``X'WX``."""

    kind = "block"

    def __init__(self, x: np.ndarray, blocks: Blocks) -> None:
        self.x = np.asarray(x, dtype=float)
        self.b = blocks
        self.n, self.p = self.x.shape
        k = blocks.k
        rb = np.empty(self.n, dtype=int)
        rb[blocks.order] = blocks.row_block  # block of each row in the original order
        self._in_block = rb >= 0
        self._rb = np.where(self._in_block, rb, 0)
        self.a = np.ascontiguousarray(self.x[:, blocks.dense_cols])
        self._aa = (self.a[:, :, None] * self.a[:, None, :]).reshape(self.n, k * k)
        rows = np.flatnonzero(self._in_block)
        self._zt = sp.csr_matrix((np.ones(len(rows)), (rb[rows], rows)), shape=(blocks.m, self.n))

    def _segsum(self, v: np.ndarray) -> np.ndarray:
        """Per-block sums of the rows of ``v`` (G, n) -> (G, m)."""
        return np.asarray(self._zt @ v.T).T

    def xt(self, v: np.ndarray) -> np.ndarray:
        out = np.empty((v.shape[0], self.p))
        out[:, self.b.block_cols] = self._segsum(v)
        out[:, self.b.dense_cols] = v @ self.a
        return out

    def xb(self, beta: np.ndarray) -> np.ndarray:
        u = beta[:, self.b.block_cols][:, self._rb] * self._in_block
        return u + beta[:, self.b.dense_cols] @ self.a.T

    def factor(self, w: np.ndarray, ridge: float | np.ndarray = 0.0) -> BlockFactor:
        r = _ridge_vector(ridge, self.p)
        b = self.b
        g, k, m = w.shape[0], b.k, b.m
        d = self._segsum(w) + r[..., b.block_cols]
        wa = (w.T[:, :, None] * self.a[:, None, :]).reshape(self.n, g * k)
        e = np.asarray(self._zt @ wa).reshape(m, g, k).transpose(1, 0, 2)
        f = (w @ self._aa).reshape(-1, k, k)
        idx = np.arange(k)
        f[:, idx, idx] += r[..., b.dense_cols]
        ed = e / d[:, :, None]
        s = f - np.einsum("gma,gmb->gab", ed, e, optimize=True)
        return BlockFactor(self, d, e, ed, s)


class BlockFactor:
    def __init__(
        self, system: BlockSystem, d: np.ndarray, e: np.ndarray, ed: np.ndarray, s: np.ndarray
    ) -> None:
        self.sys = system
        self.d, self.e, self.ed, self.s = d, e, ed, s
        self.s_inv = np.linalg.inv(s)

    def solve(self, rhs: np.ndarray) -> np.ndarray:
        b = self.sys.b
        r_u = rhs[:, b.block_cols]
        r_v = rhs[:, b.dense_cols]
        t = r_v - np.einsum("gmk,gm->gk", self.ed, r_u)
        v = np.einsum("gkl,gl->gk", self.s_inv, t)
        u = (r_u - np.einsum("gmk,gk->gm", self.e, v)) / self.d
        out = np.empty_like(rhs, dtype=float)
        out[:, b.block_cols] = u
        out[:, b.dense_cols] = v
        return out

    def logdet(self) -> np.ndarray:
        return np.log(self.d).sum(axis=1) + np.linalg.slogdet(self.s)[1]

    def leverage(self) -> np.ndarray:
        sy = self.sys
        inb = sy._in_block
        k = sy.b.k
        # b_i = a_i - E_j / d_j for row i in block j (a_i for rows in no block)
        cols = [sy.a[None, :, c] - self.ed[:, sy._rb, c] * inb for c in range(k)]
        q = np.where(inb[None, :], 1.0 / self.d[:, sy._rb], 0.0)
        si = self.s_inv
        for c1 in range(k):
            q += si[:, c1, c1][:, None] * cols[c1] ** 2
            for c2 in range(c1 + 1, k):
                q += (si[:, c1, c2] + si[:, c2, c1])[:, None] * cols[c1] * cols[c2]
        return q


def make_system(
    x: np.ndarray, path: str = "auto", min_blocks: int = 2
) -> DenseSystem | BlockSystem:
    """The block system if ``x`` has participant blocks (or ``path='block'``), else dense."""
    if path not in ("auto", "block", "dense"):
        raise ValueError(f"engine path must be auto, block or dense, not {path!r}")
    x = np.asarray(x, dtype=float)
    if path == "dense":
        return DenseSystem(x)
    blocks = detect_blocks(x, min_blocks=1 if path == "block" else min_blocks)
    if blocks is None:
        if path == "block":
            raise ValueError("design has no indicator column for a block path")
        return DenseSystem(x)
    return BlockSystem(x, blocks)
