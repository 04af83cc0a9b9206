"""``BlockInference``: pydeseq2's inference interface served by the batched engine.

pydeseq2's ``DeseqDataSet`` and ``DeseqStats`` call their expensive per-gene routines through an
``Inference`` object. This one answers ``lin_reg_mu``, ``irls``, ``alpha_mle`` and ``wald_test``
(and, through :meth:`BlockInference.shrink_lfc`, the apeGLM-type shrinkage) for batches of genes
with the block (Schur complement) or dense algebra of :mod:`myoclamp.de.engine.linalg`; everything
else (size factors, rough and moment dispersions, trend, prior, Cook's distances, outlier
replacement and refit, the shrinkage prior's scale) stays pydeseq2's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Literal

import numpy as np
from pydeseq2.default_inference import DefaultInference
from scipy.stats import norm
from threadpoolctl import threadpool_limits

from myoclamp.de.engine.dispersion import DispersionProblem, fit_dispersions
from myoclamp.de.engine.irls import RIDGE, irls_batch
from myoclamp.de.engine.linalg import BlockSystem, DenseSystem, make_system
from myoclamp.de.engine.shrink import shrink_batch

DEFAULT_BATCH = 512


class BlockInference(DefaultInference):
    """Batched DESeq2 inference; ``path`` is ``auto`` (blocks when found), ``block`` or ``dense``.

    ``batch_size`` genes are processed together (memory grows with batch_size x samples x k);
    ``n_cpus`` batches run in parallel threads. ``boundary`` is the lower-bound rule of the
    dispersion fits (see :mod:`myoclamp.de.engine.dispersion`); ``no_increase`` applies R
    DESeq2's rule of the gene-wise step (keep the start when the fit gains less than 1e-6 of R's
    log posterior; pydeseq2 has no such rule).
    """

    def __init__(
        self,
        n_cpus: int | None = 1,
        batch_size: int = DEFAULT_BATCH,
        path: str = "auto",
        boundary: str = "deseq2",
        no_increase: bool = True,
    ) -> None:
        super().__init__(n_cpus=n_cpus or 1)
        self.gene_batch = int(batch_size)
        self.path = path
        self.boundary = boundary
        self.no_increase = no_increase
        self._systems: dict[tuple, DenseSystem | BlockSystem] = {}
        self.stats: dict[str, int] = {"irls_fallback": 0, "disp_kept_at_lower": 0}

    # ------------------------------------------------------------------ helpers
    def system(self, design_matrix: np.ndarray) -> DenseSystem | BlockSystem:
        """The (cached) system of a design matrix."""
        x = np.ascontiguousarray(design_matrix, dtype=float)
        key = (x.shape, hash(x.tobytes()), self.path)
        if key not in self._systems:
            self._systems[key] = make_system(x, self.path)
        return self._systems[key]

    def _batches(self, n_genes: int) -> Iterator[slice]:
        for start in range(0, n_genes, self.gene_batch):
            yield slice(start, min(start + self.gene_batch, n_genes))

    def _map(self, fn: Callable[[slice], object], n_genes: int) -> list:
        batches = list(self._batches(n_genes))
        with threadpool_limits(limits=1):
            if self.n_cpus <= 1 or len(batches) <= 1:
                return [fn(b) for b in batches]
            with ThreadPoolExecutor(max_workers=self.n_cpus) as pool:
                return list(pool.map(fn, batches))

    # ------------------------------------------------------------------ pydeseq2 interface
    def fit_rough_dispersions(
        self, normed_counts: np.ndarray, design_matrix: np.ndarray
    ) -> np.ndarray:
        """pydeseq2's rough dispersions, with the least-squares fit through one QR."""
        x = np.asarray(design_matrix, dtype=float)
        n, p = x.shape
        if n == p:
            raise ValueError(
                "The number of samples equals the number of design columns: no replicates to "
                "estimate the dispersion; use a design with fewer columns"
            )
        y = np.asarray(normed_counts, dtype=float)
        q, _ = self.system(x).qr()
        y_hat = np.maximum(q @ (q.T @ y), 1.0)
        alpha = (((y - y_hat) ** 2 - y_hat) / ((n - p) * y_hat**2)).sum(axis=0)
        return np.maximum(alpha, 0.0)

    def lin_reg_mu(
        self,
        counts: np.ndarray,
        size_factors: np.ndarray,
        design_matrix: np.ndarray,
        min_mu: float,
    ) -> np.ndarray:
        coef = np.linalg.lstsq(design_matrix, counts / size_factors[:, None], rcond=None)[0]
        return np.maximum(size_factors[:, None] * (design_matrix @ coef), min_mu)

    def irls(
        self,
        counts: np.ndarray,
        size_factors: np.ndarray,
        design_matrix: np.ndarray,
        disp: np.ndarray,
        min_mu: float,
        beta_tol: float,
        min_beta: float = -30,
        max_beta: float = 30,
        optimizer: Literal["BFGS", "L-BFGS-B"] = "L-BFGS-B",
        maxiter: int = 250,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        system = self.system(design_matrix)
        y = np.asarray(counts, dtype=float).T
        disp = np.asarray(disp, dtype=float)

        def run(b: slice):
            return irls_batch(
                system,
                y[b],
                size_factors,
                disp[b],
                min_mu=min_mu,
                beta_tol=beta_tol,
                min_beta=min_beta,
                max_beta=max_beta,
                optimizer=optimizer,
                maxiter=maxiter,
            )

        res = self._map(run, y.shape[0])
        self.stats["irls_fallback"] += int(sum(r.fallback.sum() for r in res))
        beta = np.concatenate([r.beta for r in res])
        mu = np.concatenate([r.mu for r in res]).T
        hat = np.concatenate([r.hat for r in res]).T
        conv = np.concatenate([r.converged for r in res])
        return beta, mu, hat, conv

    def alpha_mle(
        self,
        counts: np.ndarray,
        design_matrix: np.ndarray,
        mu: np.ndarray,
        alpha_hat: np.ndarray,
        min_disp: float,
        max_disp: float,
        prior_disp_var: float | None = None,
        cr_reg: bool = True,
        prior_reg: bool = False,
        optimizer: Literal["BFGS", "L-BFGS-B"] = "L-BFGS-B",
    ) -> tuple[np.ndarray, np.ndarray]:
        if prior_reg and prior_disp_var is None:
            raise ValueError("prior_disp_var is required for the MAP dispersion fit")
        system = self.system(design_matrix)
        y = np.asarray(counts, dtype=float).T
        mu_t = np.asarray(mu, dtype=float).T
        log_hat = np.log(np.asarray(alpha_hat, dtype=float))
        lower, upper = float(np.log(min_disp)), float(np.log(max_disp))

        def run(b: slice):
            prob = DispersionProblem(
                system, y[b], mu_t[b], log_hat[b], prior_disp_var, cr_reg, prior_reg
            )
            return fit_dispersions(
                prob, log_hat[b], lower, upper, self.boundary, self.no_increase and not prior_reg
            )

        res = self._map(run, y.shape[0])
        x = np.concatenate([r[0] for r in res])
        self.stats["disp_kept_at_lower"] += int(sum(r[1].sum() for r in res))
        return np.exp(x), np.ones(len(x), dtype=bool)

    def wald_test(
        self,
        design_matrix: np.ndarray,
        disp: np.ndarray,
        lfc: np.ndarray,
        mu: np.ndarray,
        ridge_factor: np.ndarray,
        contrast: np.ndarray,
        lfc_null: np.ndarray,
        alt_hypothesis: Literal["greaterAbs", "lessAbs", "greater", "less"] | None = None,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if alt_hypothesis is not None:
            return super().wald_test(
                design_matrix, disp, lfc, mu, ridge_factor, contrast, lfc_null, alt_hypothesis
            )
        system = self.system(design_matrix)
        ridge = np.diag(np.asarray(ridge_factor, dtype=float))
        c = np.asarray(contrast, dtype=float)
        mu_t = np.asarray(mu, dtype=float).T
        lfc = np.asarray(lfc, dtype=float)
        disp = np.asarray(disp, dtype=float)

        def run(b: slice):
            m = mu_t[b]
            w = m / (1.0 + m * disp[b][:, None])
            ok = np.isfinite(w).all(axis=1)
            se = np.full(m.shape[0], np.nan)
            if ok.any():
                rhs = np.broadcast_to(c, (int(ok.sum()), len(c))).copy()
                h = system.factor(w[ok], ridge).solve(rhs)
                # se^2 = h' M h with M = (X'WX + R) - R and (X'WX + R) h = c
                se[ok] = np.sqrt(np.maximum(h @ c - (h**2 * ridge).sum(axis=1), 0.0))
            return se

        se = np.concatenate(self._map(run, mu_t.shape[0]))
        stat = ((lfc - lfc_null) @ c) / se
        pval = 2 * norm.sf(np.abs(stat))
        return pval, stat, se

    def shrink_lfc(
        self,
        design_matrix: np.ndarray,
        counts: np.ndarray,
        size: np.ndarray,
        offset: np.ndarray,
        beta_init: np.ndarray,
        shrink_index: int,
        prior_scale: float,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """MAP coefficient ``shrink_index`` of pydeseq2's ``nbinomGLM`` for every gene.

        ``counts`` is samples x genes, ``beta_init`` genes x p (the MLE; natural log). Returns the
        shrunk coefficient, its SE (both natural log) and convergence flags, per gene; pydeseq2
        returns every coefficient and a p x p inverse Hessian per gene, which is not needed here.
        """
        system = self.system(design_matrix)
        y = np.asarray(counts, dtype=float).T
        size = np.asarray(size, dtype=float)
        start = np.asarray(beta_init, dtype=float)

        def run(b: slice):
            return shrink_batch(system, y[b], size[b], offset, start[b], shrink_index, prior_scale)

        res = self._map(run, y.shape[0])
        beta = np.concatenate([r.beta[:, shrink_index] for r in res])
        se = np.concatenate([r.se for r in res])
        conv = np.concatenate([r.converged for r in res])
        return beta, se, conv


__all__ = ["RIDGE", "BlockInference"]
