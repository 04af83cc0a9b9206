"""Least squares of log expression on a design, seen through one contrast.

For a full-rank design ``X`` (n x p) and contrast ``c``, the design space splits into the null
model ``S0 = {X b : c'b = 0}`` (dimension p - 1) and the single direction
``x = X (X'X)^-1 c``, which is orthogonal to ``S0``. Then, for every gene ``y``,
``c'b_hat = x'y``, ``var(c'b_hat) = sigma^2 x'x``, and the residual sum of squares is
``|R0 y|^2 - (x'y)^2 / x'x`` with ``R0`` the projection off ``S0``. The ordinary t statistic is
``x'y / (s |x|)``: the same as R's ``lmFit`` + ``contrasts.fit`` and the ``unscaledt / sigma`` of
limma's ``camera``. Permutation tests only need to change ``x`` (or permute the null-model
residuals ``R0 y``), which is one matrix product per batch of permutations.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from myoclamp.enrichment.moderation import Prior, squeeze_var, zscore_t_hill

RANK_TOL = 1e-9


@dataclass(frozen=True)
class ContrastModel:
    """The geometry of one contrast of a full-rank design (see the module docstring)."""

    x: np.ndarray  # (n,) contrast direction X (X'X)^-1 c
    null_basis: np.ndarray  # (n, p - 1) orthonormal basis of S0
    df_residual: int

    @property
    def n(self) -> int:
        return len(self.x)

    def residualise(self, y: np.ndarray) -> np.ndarray:
        """``R0 y``: ``y`` (n x genes) with its projection on the null model removed."""
        return y - self.null_basis @ (self.null_basis.T @ y)


def contrast_model(matrix: np.ndarray, contrast: np.ndarray) -> ContrastModel:
    """Contrast direction and null-model basis of ``matrix`` (n x p, full rank) and ``contrast``."""
    x_mat = np.asarray(matrix, dtype=float)
    c = np.asarray(contrast, dtype=float).ravel()
    n, p = x_mat.shape
    if c.shape != (p,):
        raise ValueError(f"contrast has {c.size} weights for a design of {p} columns")
    if not np.any(c):
        raise ValueError("contrast is all zero")
    q, r = np.linalg.qr(x_mat)
    diag = np.abs(np.diag(r))
    if diag.min() <= RANK_TOL * max(1.0, diag.max()):
        raise ValueError("design matrix is not of full rank")
    if n - p < 1:
        raise ValueError(f"no residual degrees of freedom ({n} samples, {p} coefficients)")
    x = q @ np.linalg.solve(r.T, c)
    # S0 = X N with N a basis of the null space of c'
    _, _, vt = np.linalg.svd(c[None, :])
    null_c = vt[1:].T  # p x (p - 1)
    if p > 1:
        q0, _ = np.linalg.qr(x_mat @ null_c)
    else:
        q0 = np.zeros((n, 0))
    return ContrastModel(x=x, null_basis=q0, df_residual=n - p)


@dataclass(frozen=True)
class GeneStats:
    """Gene-wise statistics of one contrast (arrays over genes)."""

    estimate: np.ndarray  # c'b_hat
    sigma2: np.ndarray  # residual variance
    t: np.ndarray  # moderated t
    z: np.ndarray  # moderated t as a z-score (limma's zscoreT, Hill)
    prior: Prior  # eBayes prior (scale, df) of the variances
    df_residual: int
    df_total: float


def moderated_z(
    numerator: np.ndarray, x_norm2: float, rss: np.ndarray, df_residual: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, Prior, np.ndarray]:
    """Moderated t and z of rows of genes: ``numerator = x'y``, ``rss`` residual sums of squares.

    Arrays are (..., genes); the eBayes prior is estimated per row, as limma does per data set.
    Returns (sigma2, t, z, prior, df_total per row).
    """
    sigma2 = np.maximum(rss, 0.0) / df_residual
    post, prior = squeeze_var(sigma2, df_residual)
    n_genes = numerator.shape[-1]
    t = numerator / np.sqrt(x_norm2) / np.sqrt(post)
    df_total = np.minimum(df_residual + np.asarray(prior.df), n_genes * df_residual)
    z = zscore_t_hill(t, np.asarray(df_total)[..., None])
    return sigma2, t, z, prior, df_total


def gene_stats(y: np.ndarray, model: ContrastModel) -> tuple[GeneStats, np.ndarray]:
    """Moderated statistics of every gene (columns of ``y``, n x genes) and the residuals."""
    y0 = model.residualise(np.asarray(y, dtype=float))
    xx = float(model.x @ model.x)
    num = model.x @ y0
    resid = y0 - np.outer(model.x, num / xx)
    rss = np.einsum("ij,ij->j", resid, resid)
    sigma2, t, z, prior, df_total = moderated_z(num, xx, rss, model.df_residual)
    stats = GeneStats(
        estimate=num,
        sigma2=sigma2,
        t=t,
        z=z,
        prior=prior,
        df_residual=model.df_residual,
        df_total=float(df_total),
    )
    return stats, resid
