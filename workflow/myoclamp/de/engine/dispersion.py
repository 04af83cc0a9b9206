"""Batched dispersion fits: Cox-Reid adjusted profile likelihood, optionally with the log-normal
prior of DESeq2's MAP step, on ``log(alpha)`` within ``[log min_disp, log max_disp]``.

pydeseq2 minimises each gene with L-BFGS-B from a start value. Here every gene's gradient is
evaluated in batches, and L-BFGS-B's first iteration is reproduced: a start whose projected
gradient is below its tolerance (``1e-5``) is kept; otherwise its first step goes to
``x0 - g(x0)`` (projected on the bounds; for a bounded variable the first step length is 1 and
cannot exceed 1) and it stops there if the decrease, ``g(x0)^2``, is below ``ftol * |f|``
(relative reduction). Near ``alpha = 1e-8`` the objective's rounding noise (~1e-5) exceeds that
decrease; pydeseq2 then stops after its first step too, or, rarely, fails and grid-searches.
All other genes walk downhill with doubling steps until the gradient changes sign (or a bound is
reached) and the root is found by the Illinois method: the local optimum L-BFGS-B reaches, to
~1e-8 in ``log(alpha)`` rather than to its looser stopping rule.

Boundary behaviour (``boundary``): with ``"deseq2"`` (default) a gene whose start sits at the lower
bound stays there (or one tiny first step away), as in pydeseq2 and R DESeq2 (the objective is
flat in ``log alpha`` near ``1e-8``), even when an interior optimum with a better objective exists.
``"optimum"`` searches a grid over the whole range for the genes that end within 1e-3 (in log) of
the lower bound and takes the interior optimum if its objective is better.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import gammaln

from myoclamp.de.engine.linalg import BlockSystem, DenseSystem
from myoclamp.de.engine.nb import dnb_nll, nb_nll

PGTOL = 1e-5  # scipy L-BFGS-B defaults: projected-gradient and relative-reduction tolerances
FTOL = 2.220446049250313e-09
XTOL = 1e-8
STEPS = (0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0)
GRID = 64


@dataclass
class DispersionProblem:
    """Counts and means of a batch of genes (G x n) and the objective's settings."""

    system: DenseSystem | BlockSystem
    y: np.ndarray
    mu: np.ndarray
    log_alpha_hat: np.ndarray
    prior_disp_var: float | None
    cr_reg: bool
    prior_reg: bool

    def __post_init__(self) -> None:
        self.lgy1 = gammaln(self.y + 1)

    def grad(self, x: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """d objective / d log(alpha) for genes ``rows`` at ``x``."""
        a = np.exp(x)
        y, mu = self.y[rows], self.mu[rows]
        g = a * dnb_nll(y, mu, a)
        if self.cr_reg:
            w = mu / (1.0 + mu * a[:, None])
            q = self.system.factor(w).leverage()
            g += 0.5 * a * (-(w**2) * q).sum(axis=1)
        if self.prior_reg:
            g += (x - self.log_alpha_hat[rows]) / self.prior_disp_var
        return g

    def value(self, x: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Objective (negative log-likelihood plus penalties) for genes ``rows`` at ``x``."""
        a = np.exp(x)
        y, mu = self.y[rows], self.mu[rows]
        f = nb_nll(y, mu, a, self.lgy1[rows])
        if self.cr_reg:
            w = mu / (1.0 + mu * a[:, None])
            f += 0.5 * self.system.factor(w).logdet()
        if self.prior_reg:
            f += (x - self.log_alpha_hat[rows]) ** 2 / (2 * self.prior_disp_var)
        return f

    def r_log_posterior(self, x: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """R DESeq2's ``log_posterior`` (C++ ``fitDisp``) for genes ``rows`` at ``x``: minus
        :meth:`value` without the terms that do not depend on alpha, which R leaves out
        (``sum(lgamma(y + 1) - y log mu)``); its magnitude sets R's ``noIncrease`` tolerance."""
        y, mu = self.y[rows], self.mu[rows]
        return -self.value(x, rows) + (self.lgy1[rows] - y * np.log(mu)).sum(axis=1)


def _illinois(
    prob: DispersionProblem,
    rows: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
    glo: np.ndarray,
    ghi: np.ndarray,
    max_iter: int = 100,
) -> np.ndarray:
    """Root of the gradient in ``[lo, hi]`` with ``glo < 0 < ghi`` (Illinois false position)."""
    lo, hi, glo, ghi = lo.copy(), hi.copy(), glo.copy(), ghi.copy()
    out = 0.5 * (lo + hi)
    side = np.zeros(len(rows), dtype=int)
    act = np.arange(len(rows))
    for _ in range(max_iter):
        if act.size == 0:
            break
        den = ghi[act] - glo[act]
        x = np.where(den > 0, lo[act] - glo[act] * (hi[act] - lo[act]) / den, 0.5 * (lo + hi)[act])
        x = np.clip(x, lo[act], hi[act])
        gx = prob.grad(x, rows[act])
        out[act] = x
        neg = gx < 0
        i_neg, i_pos = act[neg], act[~neg]
        lo[i_neg], glo[i_neg] = x[neg], gx[neg]
        ghi[i_neg] = np.where(side[i_neg] == -1, ghi[i_neg] / 2, ghi[i_neg])
        side[i_neg] = -1
        hi[i_pos], ghi[i_pos] = x[~neg], gx[~neg]
        glo[i_pos] = np.where(side[i_pos] == 1, glo[i_pos] / 2, glo[i_pos])
        side[i_pos] = 1
        done = (hi[act] - lo[act] < XTOL) | (np.abs(gx) < 1e-10)
        act = act[~done]
    return out


def fit_dispersions(
    prob: DispersionProblem,
    log_start: np.ndarray,
    lower: float,
    upper: float,
    boundary: str = "deseq2",
    no_increase: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """Optimal ``log(alpha)`` per gene and whether the gene's start was kept at a bound.

    ``no_increase``: R DESeq2's rule of ``estimateDispersionsGeneEst`` (gene-wise step only):
    keep the start where the fit raises R's log posterior by less than ``|initial| / 1e6``.
    """
    if boundary not in ("deseq2", "optimum"):
        raise ValueError(f"boundary must be 'deseq2' or 'optimum', not {boundary!r}")
    n_genes = len(log_start)
    rows = np.arange(n_genes)
    x0 = np.clip(log_start, lower, upper)
    g0 = prob.grad(x0, rows)
    pg = np.where((x0 <= lower) & (g0 > 0), 0.0, g0)
    pg = np.where((x0 >= upper) & (g0 < 0), 0.0, pg)
    result = x0.copy()
    stay = np.abs(pg) <= PGTOL
    todo = rows[~stay]
    if todo.size:  # L-BFGS-B's first step and its relative-reduction stop
        f0 = prob.value(x0[todo], todo)
        first = g0[todo] ** 2 <= FTOL * np.maximum(np.abs(f0), 1.0)
        result[todo[first]] = np.clip(x0[todo] - g0[todo], lower, upper)[first]
        todo = todo[~first]
    # walk downhill: direction -sign(g0), doubling steps, until the gradient changes sign
    direction = -np.sign(g0)
    prev_x, prev_g = x0.copy(), g0.copy()
    bracket_lo = np.full(n_genes, np.nan)
    bracket_hi = np.full(n_genes, np.nan)
    g_lo = np.full(n_genes, np.nan)
    g_hi = np.full(n_genes, np.nan)
    for step in STEPS:
        if todo.size == 0:
            break
        x = np.clip(x0[todo] + direction[todo] * step, lower, upper)
        gx = prob.grad(x, todo)
        turned = np.sign(gx) != np.sign(g0[todo])
        at_bound = ~turned & ((x <= lower) | (x >= upper))
        t = todo[turned]
        right = direction[t] > 0
        bracket_lo[t] = np.where(right, prev_x[t], x[turned])
        bracket_hi[t] = np.where(right, x[turned], prev_x[t])
        g_lo[t] = np.where(right, prev_g[t], gx[turned])
        g_hi[t] = np.where(right, gx[turned], prev_g[t])
        result[todo[at_bound]] = x[at_bound]
        prev_x[todo], prev_g[todo] = x, gx
        todo = todo[~turned & ~at_bound]
    result[todo] = prev_x[todo]  # never turned within the steps: as far as we walked
    br = np.flatnonzero(~np.isnan(bracket_lo))
    if br.size:
        result[br] = _illinois(prob, br, bracket_lo[br], bracket_hi[br], g_lo[br], g_hi[br])
    kept_at_lower = result <= lower + 1e-3
    if boundary == "optimum" and kept_at_lower.any():
        result = _escape_lower(prob, result, np.flatnonzero(kept_at_lower), lower, upper)
    if no_increase:
        result = keep_start_without_increase(prob, x0, result)
    return result, kept_at_lower


def keep_start_without_increase(
    prob: DispersionProblem, x0: np.ndarray, result: np.ndarray
) -> np.ndarray:
    """R's ``noIncrease``: ``last_lp < initial_lp + abs(initial_lp) / 1e6`` keeps the start
    (R's ``dispGeneEst[noIncrease] <- alpha_init``). R's log posterior omits terms constant in
    alpha, so for highly expressed genes ``|initial_lp|`` is large and gains of a few units of
    log-likelihood count as none."""
    rows = np.arange(len(x0))
    moved = rows[result != x0]
    if moved.size == 0:
        return result
    lp0 = prob.r_log_posterior(x0[moved], moved)
    lp1 = prob.r_log_posterior(result[moved], moved)
    out = result.copy()
    keep = lp1 < lp0 + np.abs(lp0) / 1e6
    out[moved[keep]] = x0[moved[keep]]
    return out


def _escape_lower(
    prob: DispersionProblem, result: np.ndarray, rows: np.ndarray, lower: float, upper: float
) -> np.ndarray:
    """For genes kept at the lower bound, the grid's best interior optimum if it is better."""
    grid = np.linspace(lower, upper, GRID)
    vals = np.stack([prob.value(np.full(len(rows), v), rows) for v in grid], axis=1)
    best = vals.argmin(axis=1)
    better = (best > 0) & (vals[np.arange(len(rows)), best] < vals[:, 0] - 1e-8)
    sel = rows[better]
    if sel.size == 0:
        return result
    b = best[better]
    lo = grid[np.maximum(b - 1, 0)]
    hi = grid[np.minimum(b + 1, GRID - 1)]
    glo, ghi = prob.grad(lo, sel), prob.grad(hi, sel)
    ok = (glo < 0) & (ghi > 0)
    out = result.copy()
    out[sel] = grid[b]
    if ok.any():
        out[sel[ok]] = _illinois(prob, sel[ok], lo[ok], hi[ok], glo[ok], ghi[ok])
    return out
