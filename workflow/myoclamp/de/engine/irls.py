"""Batched IRLS for the negative-binomial GLM, step for step as pydeseq2's ``irls_solver``.

Each gene iterates until ``|dev - dev_old| / (|dev| + 0.1) <= beta_tol`` (deviance ``-2 nll``),
with the ridge ``1e-6`` on ``X'WX``. Genes whose coefficients leave ``[-max_beta, max_beta]`` or
that reach ``maxiter`` (a few per thousand: typically a participant whose counts are all zero)
are handed whole to pydeseq2's own ``irls_solver``, which takes them to L-BFGS-B from its start
(then a grid search if that fails and p <= 2). Its answer for them is pydeseq2's to the last digit:
their likelihood is flat along the diverging coefficient, where L-BFGS-B stops early at a point
that depends on every rounding, so a re-implementation lands elsewhere on the ridge (once with a
better likelihood but a contrast 0.4 log2 units away) and would differ from DESeq2 for no reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from pydeseq2.utils import irls_solver
from scipy.special import gammaln

from myoclamp.de.engine.linalg import BlockSystem, DenseSystem

RIDGE = 1e-6


@dataclass
class IrlsResult:
    """Per gene (rows): coefficients, unthresholded means, hat diagonals, convergence flags."""

    beta: np.ndarray  # (G, p)
    mu: np.ndarray  # (G, n)
    hat: np.ndarray  # (G, n)
    converged: np.ndarray  # (G,)
    fallback: np.ndarray  # (G,) genes solved by pydeseq2's own irls_solver


def initial_beta(
    system: DenseSystem | BlockSystem, y: np.ndarray, size_factors: np.ndarray
) -> np.ndarray:
    """pydeseq2's start: least squares of ``log(y / s + 0.1)`` on ``X`` (via QR)."""
    q, r = system.qr()
    z = np.log(y / size_factors + 0.1)
    return np.linalg.solve(r, q.T @ z.T).T


def irls_batch(
    system: DenseSystem | BlockSystem,
    y: np.ndarray,
    size_factors: np.ndarray,
    disp: np.ndarray,
    *,
    min_mu: float = 0.5,
    beta_tol: float = 1e-8,
    min_beta: float = -30,
    max_beta: float = 30,
    optimizer: Literal["BFGS", "L-BFGS-B"] = "L-BFGS-B",
    maxiter: int = 250,
) -> IrlsResult:
    """Fit genes ``y`` (G x n counts) with dispersions ``disp`` (G,)."""
    y = np.asarray(y, dtype=float)
    g_count = y.shape[0]
    sf = np.asarray(size_factors, dtype=float)[None, :]
    log_sf = np.log(sf)
    inv = 1.0 / disp
    # the alpha-only part of pydeseq2's nb_nll is constant while the means move
    const = y.shape[1] * inv * np.log(disp) - (
        gammaln(y + inv[:, None]) - gammaln(y + 1) - gammaln(inv)[:, None]
    ).sum(axis=1)
    beta = initial_beta(system, y, sf[0])
    mu = np.maximum(sf * np.exp(system.xb(beta)), min_mu)
    dev = np.full(g_count, 1000.0)
    fallback = np.zeros(g_count, dtype=bool)
    active = np.arange(g_count)
    it = 0
    while active.size:
        it += 1
        ya, mua, da = y[active], mu[active], disp[active]
        w = mua / (1.0 + mua * da[:, None])
        z = np.log(mua) - log_sf + (ya - mua) / mua
        fac = system.factor(w, RIDGE)
        beta_hat = fac.solve(system.xt(w * z))
        bad = (np.abs(beta_hat) > max_beta).any(axis=1) | (it >= maxiter)
        fallback[active[bad]] = True
        keep = ~bad
        idx = active[keep]
        beta[idx] = beta_hat[keep]
        mu_new = np.maximum(sf * np.exp(system.xb(beta_hat[keep])), min_mu)
        mu[idx] = mu_new
        old = dev[idx]
        yi, ii = y[idx], inv[idx][:, None]
        nll = const[idx] + ((yi + ii) * np.log(ii + mu_new) - yi * np.log(mu_new)).sum(axis=1)
        new = -2.0 * nll
        dev[idx] = new
        ratio = np.abs(new - old) / (np.abs(new) + 0.1)
        active = idx[ratio > beta_tol]
    w = mu / (1.0 + mu * disp[:, None])
    hat = w * system.factor(w, RIDGE).leverage()
    converged = np.ones(g_count, dtype=bool)
    for g in np.flatnonzero(fallback):
        beta[g], _, hat[g], converged[g] = irls_solver(
            y[g],
            sf[0],
            system.x,
            float(disp[g]),
            min_mu=min_mu,
            beta_tol=beta_tol,
            min_beta=min_beta,
            max_beta=max_beta,
            optimizer=optimizer,
            maxiter=maxiter,
        )
    mu_out = sf * np.exp(system.xb(beta))
    return IrlsResult(beta, mu_out, hat, converged, fallback)
