"""Detectable effects: the smallest |log2FC| a fitted design detects, and next-trial sizes.

**Power of the Wald test of one gene.** The contrast's estimate ``b`` is approximately normal
around the true log2FC ``delta`` with standard error ``s`` (the fit's ``lfcSE``, from the fitted
dispersion, the size factors and the design), so the statistic ``b / s`` is ``N(delta / s, 1)``.
The two-sided test at ``alpha`` rejects when ``|b / s| > q``, ``q`` the ``1 - alpha / 2`` quantile
of the run's reference (t with ``n - p`` df, or the normal: ``de.wald_distribution``):

    power(delta) = Phi(delta / s - q) + Phi(-delta / s - q)

The **minimal detectable effect** at power ``pi`` is ``k s``, with ``k`` the solution of
``power = pi`` in ``delta / s`` (``k ~ q + z_pi``; 2.85 for t(64) at alpha 0.05 and 80 %).

*Which alpha.* ``alpha`` is the per-gene level: nominal for a pre-specified gene (a gene of
interest read on its own). A genome-wide search at FDR ``alpha`` (BH) finds a lone change among
``m`` tested genes exactly when its p-value is below ``alpha / m``; :func:`detectable_table` also
gives that figure (``mde_genomewide``), an upper bound of what BH needs when many genes change.

**Participants per arm for a next trial.** The treatment contrast is a difference between arms of
within-person changes; its variance is ``sigma_g^2 (1/n_ref + 1/n_test)``, ``sigma_g^2`` the
variance of one participant's change (with the same depth, dispersion and biopsies per person the
GLM's weights repeat per participant). So with ``n`` per arm
``s_new = s sqrt((2 / n) / (1/n_ref + 1/n_test))``, and the t reference gains one residual degree
of freedom per participant (two biopsies and one block column each). The smallest ``n`` with
``power >= pi`` for a configured log2FC, and the smallest ``n`` whose TOST at the margin has power
``pi`` when the true change is 0 (``s_new <= m / (q1 + z_((1 + pi) / 2))``, ``q1`` the ``1 - alpha``
quantile), are found by integer bisection. They inherit the uncertainty of ``s`` (one trial's
estimate) and assume the next trial's depth, filtering and dispersion are the same.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
from scipy.stats import norm
from scipy.stats import t as student_t

from myoclamp.de.equivalence import interest_mask

DEFAULT_POWER = 0.8
#: quantiles of the genome-wide distribution of detectable effects
QUANTILES = (0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95)

DETECTABLE_COLUMNS = [
    "gene_id",
    "symbol",
    "baseMean",
    "lfcSE",
    "mde",
    "mde_fold",
    "mde_genomewide",
    "power_at_margin",
    "equivalence_power",
    "n_per_arm",
    "n_per_arm_equivalence",
]


def quantile(p: float, df: int | np.ndarray | None = None) -> float | np.ndarray:
    """Quantile ``p`` of the reference: t with ``df`` (scalar or per gene) or normal (None)."""
    if df is None:
        return float(norm.ppf(p))
    return student_t.ppf(p, df)


def power(
    effect: float | np.ndarray,
    lfc_se: np.ndarray,
    alpha: float = 0.05,
    df: int | np.ndarray | None = None,
) -> np.ndarray:
    """Power of the two-sided Wald test at ``alpha`` for a true log2FC ``effect`` (module doc)."""
    q = quantile(1.0 - alpha / 2, df)
    with np.errstate(divide="ignore", invalid="ignore"):
        k = np.abs(np.asarray(effect, dtype=float)) / np.asarray(lfc_se, dtype=float)
    return norm.cdf(k - q) + norm.cdf(-k - q)


def multiplier(
    alpha: float = 0.05, target: float = DEFAULT_POWER, df: int | np.ndarray | None = None
) -> float | np.ndarray:
    """``k`` with ``power(k s, s) = target``: the detectable effect in units of the SE (an array
    when ``df`` is one per gene, e.g. limma's moderated df)."""
    if not 0 < target < 1 or not 0 < alpha < 1:
        raise ValueError("power and alpha must lie strictly between 0 and 1")
    q = np.asarray(quantile(1.0 - alpha / 2, df), dtype=float)
    lo, hi = np.zeros(q.shape), q + 10.0
    for _ in range(100):  # bisection: power is increasing in k
        mid = (lo + hi) / 2
        low = norm.cdf(mid - q) + norm.cdf(-mid - q) < target
        lo, hi = np.where(low, mid, lo), np.where(low, hi, mid)
    return float(hi) if hi.ndim == 0 else hi


def detectable_effect(
    lfc_se: np.ndarray,
    alpha: float = 0.05,
    target: float = DEFAULT_POWER,
    df: int | np.ndarray | None = None,
) -> np.ndarray:
    """Smallest |log2FC| detected with probability ``target`` at level ``alpha`` per gene."""
    return multiplier(alpha, target, df) * np.asarray(lfc_se, dtype=float)


def equivalence_power(
    margin: float,
    lfc_se: np.ndarray,
    alpha: float = 0.05,
    df: int | np.ndarray | None = None,
    effect: float = 0.0,
) -> np.ndarray:
    """Power of the TOST (``lessAbs``) at ``alpha`` when the true log2FC is ``effect``.

    ``P(|effect + s Z| < m - q1 s)`` with ``q1`` the ``1 - alpha`` quantile of the reference.
    """
    s = np.asarray(lfc_se, dtype=float)
    q1 = quantile(1.0 - alpha, df)
    with np.errstate(divide="ignore", invalid="ignore"):
        upper = (margin - q1 * s - effect) / s
        lower = (-margin + q1 * s - effect) / s
    return np.where(upper > lower, norm.cdf(upper) - norm.cdf(lower), 0.0)


def se_scale(n_ref: int, n_test: int, n_per_arm: np.ndarray) -> np.ndarray:
    """Factor on the treatment contrast's SE with ``n_per_arm`` participants in each arm."""
    n = np.asarray(n_per_arm, dtype=float)
    return np.sqrt((2.0 / n) / (1.0 / n_ref + 1.0 / n_test))


def _smallest_n(
    lfc_se: np.ndarray,
    ok: Callable[[np.ndarray, np.ndarray], np.ndarray],
    max_n: int,
) -> np.ndarray:
    """Smallest n in [2, max_n] per gene with ``ok(se_at_n, n)`` (monotone in n); NaN if none."""
    s = np.asarray(lfc_se, dtype=float)
    lo = np.full(s.shape, 1.0)  # fails (or is below the range)
    hi = np.full(s.shape, float(max_n))
    feasible = ok(s, hi) & np.isfinite(s)
    while True:
        mid = np.floor((lo + hi) / 2)
        open_ = hi - lo > 1
        if not open_.any():
            break
        good = ok(s, mid)
        hi = np.where(open_ & good, mid, hi)
        lo = np.where(open_ & ~good, mid, lo)
    return np.where(feasible, np.maximum(hi, 2.0), np.nan)


def participants_per_arm(
    lfc_se: np.ndarray,
    n_ref: int,
    n_test: int,
    effect: float,
    *,
    alpha: float = 0.05,
    target: float = DEFAULT_POWER,
    df: int | np.ndarray | None = None,
    max_n: int = 100_000,
) -> np.ndarray:
    """Participants per arm for power ``target`` against a true log2FC ``effect`` (module doc).

    ``lfc_se`` and ``df`` are those of the current trial with ``n_ref`` and ``n_test``
    participants; the next trial's df is ``df + 2 n - n_ref - n_test``.
    """

    def ok(s, n):
        new_df = None if df is None else np.maximum(df + 2 * n - n_ref - n_test, 1)
        se = s * se_scale(n_ref, n_test, n)
        return power(effect, se, alpha, new_df) >= target

    return _smallest_n(lfc_se, ok, max_n)


def participants_for_equivalence(
    lfc_se: np.ndarray,
    n_ref: int,
    n_test: int,
    margin: float,
    *,
    alpha: float = 0.05,
    target: float = DEFAULT_POWER,
    df: int | np.ndarray | None = None,
    max_n: int = 100_000,
) -> np.ndarray:
    """Participants per arm for the TOST at ``margin`` to have power ``target`` at no change."""

    def ok(s, n):
        new_df = None if df is None else np.maximum(df + 2 * n - n_ref - n_test, 1)
        se = s * se_scale(n_ref, n_test, n)
        return equivalence_power(margin, se, alpha, new_df) >= target

    return _smallest_n(lfc_se, ok, max_n)


def per_gene(df: int | np.ndarray | None, *masks: np.ndarray) -> int | np.ndarray | None:
    """``df`` for the rows kept by ``masks`` in turn (a scalar or None passes through)."""
    if df is None or np.ndim(df) == 0:
        return df
    out = np.asarray(df, dtype=float)
    for mask in masks:
        out = out[mask]
    return out


def detectable_table(
    table: pd.DataFrame,
    *,
    n_ref: int | None,
    n_test: int | None,
    df: int | np.ndarray | None,
    margin: float,
    fold_change: float,
    alpha: float = 0.05,
    target: float = DEFAULT_POWER,
    genes_of_interest: Sequence[str] = (),
) -> pd.DataFrame:
    """Detectable effects of the genes of interest, from a DE table (``lfcSE`` per gene).

    Columns: ``mde`` (log2, nominal ``alpha``), ``mde_fold`` (``2**mde``), ``mde_genomewide``
    (level ``alpha / m``, ``m`` genes with a p-value), ``power_at_margin`` (power of the DE test
    if the true change were the margin), ``equivalence_power`` (power of the TOST at the margin if
    the true change were 0), ``n_per_arm`` (participants per arm for power ``target`` against
    ``fold_change``, log2) and ``n_per_arm_equivalence`` (for the TOST at no change); these two
    are NaN when ``n_ref`` or ``n_test`` is None (a contrast that does not compare arms).
    """
    keep = (table["pvalue"].notna() & table["lfcSE"].notna()).to_numpy()
    tested = table[keep]
    pick = interest_mask(tested["symbol"], genes_of_interest)
    rows = tested[pick]
    s = rows["lfcSE"].to_numpy(float)
    m = max(len(tested), 1)
    df = per_gene(df, keep, pick)
    out = pd.DataFrame(
        {
            "gene_id": rows["gene_id"].astype(str).to_numpy(),
            "symbol": rows["symbol"].astype(str).to_numpy(),
            "baseMean": rows["baseMean"].to_numpy(float),
            "lfcSE": s,
            "mde": detectable_effect(s, alpha, target, df),
            "mde_genomewide": detectable_effect(s, alpha / m, target, df),
            "power_at_margin": power(margin, s, alpha, df),
            "equivalence_power": equivalence_power(margin, s, alpha, df),
        }
    )
    arms = n_ref is not None and n_test is not None and n_ref > 0 and n_test > 0
    out["n_per_arm"] = (
        participants_per_arm(s, n_ref, n_test, fold_change, alpha=alpha, target=target, df=df)
        if arms
        else np.nan
    )
    out["n_per_arm_equivalence"] = (
        participants_for_equivalence(s, n_ref, n_test, margin, alpha=alpha, target=target, df=df)
        if arms
        else np.nan
    )
    out["mde_fold"] = np.exp2(out["mde"])
    order = {g: i for i, g in enumerate(genes_of_interest)}
    out = out.assign(_o=out["symbol"].map(order)).sort_values(["_o", "gene_id"])
    return out[DETECTABLE_COLUMNS].reset_index(drop=True)


def detectable_distribution(
    table: pd.DataFrame,
    *,
    df: int | np.ndarray | None,
    margin: float,
    alpha: float = 0.05,
    target: float = DEFAULT_POWER,
    quantiles: Sequence[float] = QUANTILES,
) -> pd.DataFrame:
    """Genome-wide distribution of the detectable effect over the genes with a p-value.

    One row per level (``nominal``: ``alpha``; ``genomewide``: ``alpha / m``): genes, the
    quantiles of the detectable |log2FC| (``q05`` ...), the share of genes whose detectable effect
    is at most the margin (``share_le_margin``) and at most 1 (2-fold, ``share_le_1``).
    """
    keep = (table["pvalue"].notna() & table["lfcSE"].notna()).to_numpy()
    s = table.loc[keep, "lfcSE"].to_numpy(float)
    df = per_gene(df, keep)
    m = max(len(s), 1)
    rows = []
    for level, a in (("nominal", alpha), ("genomewide", alpha / m)):
        mde = detectable_effect(s, a, target, df)
        row = {"level": level, "alpha": a, "power": target, "genes": len(s)}
        for q in quantiles:
            row[f"q{round(100 * q):02d}"] = float(np.quantile(mde, q)) if len(s) else np.nan
        row["share_le_margin"] = float(np.mean(mde <= margin)) if len(s) else np.nan
        row["share_le_1"] = float(np.mean(mde <= 1.0)) if len(s) else np.nan
        rows.append(row)
    return pd.DataFrame(rows)
