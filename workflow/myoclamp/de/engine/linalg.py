"""Batched normal equations ``X'WX`` for many genes at once: dense and arrow-shaped (blocks).

A *system* holds the design; ``system.factor(w, ridge)`` with per-gene weights ``w`` (genes x
samples) returns a *factor* that solves ``(X'WX + diag(ridge)) b = r``, gives the log-determinant
and the leverages ``q_i = x_i' (X'WX + diag(ridge))^-1 x_i`` of every gene. The block factor uses
the Schur complement of the diagonal participant block and costs O(n k^2) per gene.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

from myoclamp.de.engine.structure import Blocks, detect_blocks


class Factor(Protocol):
    """A factorised batch of ``X'WX + diag(ridge)`` (one matrix per gene)."""

    def solve(self, rhs: np.ndarray) -> np.ndarray: ...  # (G, p) -> (G, p)

    def logdet(self) -> np.ndarray: ...  # (G,)

    def leverage(self) -> np.ndarray: ...  # (G, n)


def _ridge_vector(ridge: float | np.ndarray, p: int) -> np.ndarray:
    r = np.asarray(ridge, dtype=float)
    return np.full(p, float(r)) if r.ndim == 0 else r.reshape(p)


class DenseSystem:
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


class BlockSystem:
    """Design whose disjoint indicator columns form a diagonal block of ``X'WX``."""

    kind = "block"

    def __init__(self, x: np.ndarray, blocks: Blocks) -> None:
        self.x = np.asarray(x, dtype=float)
        self.b = blocks
        self.n, self.p = self.x.shape
        a = blocks.a
        k = blocks.k
        self._aa = (a[:, :, None] * a[:, None, :]).reshape(self.n, k * k)
        self._nb = blocks.n_in_blocks
        self._seg = blocks.starts[:-1]
        self._inverse_order = np.argsort(blocks.order)
        in_block = blocks.row_block >= 0
        self._in_block = in_block
        self._rb = np.where(in_block, blocks.row_block, 0)

    def _segsum(self, vp: np.ndarray) -> np.ndarray:
        """Sum over each block's (permuted, contiguous) rows along axis 1."""
        return np.add.reduceat(vp[:, : self._nb], self._seg, axis=1)

    def xt(self, v: np.ndarray) -> np.ndarray:
        vp = v[:, self.b.order]
        out = np.empty((v.shape[0], self.p))
        out[:, self.b.block_cols] = self._segsum(vp)
        out[:, self.b.dense_cols] = vp @ self.b.a
        return out

    def xb(self, beta: np.ndarray) -> np.ndarray:
        u = beta[:, self.b.block_cols][:, self._rb] * self._in_block
        eta_p = u + beta[:, self.b.dense_cols] @ self.b.a.T
        return eta_p[:, self._inverse_order]

    def factor(self, w: np.ndarray, ridge: float | np.ndarray = 0.0) -> BlockFactor:
        r = _ridge_vector(ridge, self.p)
        b = self.b
        k = b.k
        wp = w[:, b.order]
        d = self._segsum(wp) + r[b.block_cols]
        e = np.add.reduceat(wp[:, : self._nb, None] * b.a[None, : self._nb, :], self._seg, axis=1)
        f = (wp @ self._aa).reshape(-1, k, k)
        idx = np.arange(k)
        f[:, idx, idx] += r[b.dense_cols]
        ed = e / d[:, :, None]
        s = f - np.matmul(ed.transpose(0, 2, 1), e)
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
        bmat = sy.b.a[None, :, :] - self.ed[:, sy._rb, :] * inb[None, :, None]
        q = np.einsum("gnk,gnk->gn", np.matmul(bmat, self.s_inv), bmat)
        q += np.where(inb[None, :], 1.0 / self.d[:, sy._rb], 0.0)
        return q[:, sy._inverse_order]


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
