"""Participant-block structure of a design matrix.

A set of 0/1 indicator columns whose supports are pairwise disjoint (one column per participant,
say) makes ``X'WX`` arrow-shaped: a diagonal block for those columns and a small dense block for
the ``k`` others. Rows are permuted so that each block's samples are contiguous; rows in no block
come last.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MIN_BLOCKS = 2


@dataclass(frozen=True)
class Blocks:
    """Block layout of a design ``X`` (n x p).

    ``order`` permutes rows so that block ``j`` occupies rows ``starts[j]:starts[j+1]`` of the
    permuted matrix and rows ``starts[-1]:`` are in no block. ``block_cols`` are the indicator
    columns in block order, ``dense_cols`` the remaining columns; ``a`` is ``X[order][:,
    dense_cols]``. ``row_block[i]`` is the block of permuted row ``i`` (-1 if none).
    """

    order: np.ndarray
    starts: np.ndarray
    block_cols: np.ndarray
    dense_cols: np.ndarray
    a: np.ndarray
    row_block: np.ndarray

    @property
    def m(self) -> int:
        return len(self.block_cols)

    @property
    def k(self) -> int:
        return len(self.dense_cols)

    @property
    def n_in_blocks(self) -> int:
        return int(self.starts[-1])


def indicator_columns(x: np.ndarray) -> np.ndarray:
    """Indices of the 0/1 columns of ``x`` with at least one 1."""
    is01 = np.all((x == 0) | (x == 1), axis=0) & (x.sum(axis=0) > 0)
    return np.flatnonzero(is01)


def detect_blocks(x: np.ndarray, min_blocks: int = MIN_BLOCKS) -> Blocks | None:
    """Greedy maximal set of disjoint indicator columns (smallest supports first).

    Returns ``None`` when fewer than ``min_blocks`` such columns exist (use the dense path).
    """
    x = np.asarray(x, dtype=float)
    n, p = x.shape
    cand = indicator_columns(x)
    sizes = x[:, cand].sum(axis=0)
    taken = np.zeros(n, dtype=bool)
    chosen: list[int] = []
    for j in cand[np.argsort(sizes, kind="stable")]:
        support = x[:, j] == 1
        if support.sum() < n and not np.any(taken & support):
            chosen.append(int(j))
            taken |= support
    if len(chosen) < min_blocks:
        return None
    block_cols = np.array(chosen)
    dense_cols = np.array([j for j in range(p) if j not in set(chosen)], dtype=int)
    row_block = np.full(n, -1)
    for b, j in enumerate(block_cols):
        row_block[x[:, j] == 1] = b
    key = np.where(row_block < 0, len(block_cols), row_block)
    order = np.argsort(key, kind="stable")
    counts = np.bincount(row_block[row_block >= 0], minlength=len(block_cols))
    starts = np.concatenate([[0], np.cumsum(counts)])
    return Blocks(
        order=order,
        starts=starts,
        block_cols=block_cols,
        dense_cols=dense_cols,
        a=np.ascontiguousarray(x[order][:, dense_cols]),
        row_block=row_block[order],
    )
