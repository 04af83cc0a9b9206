"""Equivalence per gene: DESeq2's thresholded Wald test ``altHypothesis = "lessAbs"``.

For a contrast with MLE log2 fold change ``b`` and standard error ``s`` (a DE table's
``log2FoldChange`` and ``lfcSE``), margin ``m`` (log2) and reference distribution ``F`` (t with
the fit's ``n - p`` degrees of freedom, or the standard normal: ``de.wald_distribution``), R
DESeq2's ``results(dds, contrast, lfcThreshold = m, altHypothesis = "lessAbs")`` computes

    stat   = min(max((m - b) / s, 0), max((b + m) / s, 0))
    pvalue = max(F.sf((m - b) / s), F.sf((b + m) / s))

the two one-sided tests (TOST) of ``H0: |beta| >= m`` against ``H1: |beta| < m``. ``pvalue <
alpha`` exactly when the ``(1 - 2 alpha)`` interval ``b +/- F.ppf(1 - alpha) s`` lies inside
``(-m, m)``. pydeseq2 0.5.4's ``DeseqStats(lfc_null=m, alt_hypothesis="lessAbs")`` is not used:
it applies the threshold to every coefficient before weighting them by the contrast (wrong for a
contrast of several coefficients, as the treatment contrast is), caps p-values at 0.5 and has no t
reference; the formula above, on the contrast's own estimate and SE, is R's.

Adjusted p-values are computed twice: ``padj`` over all genes with DESeq2's independent filtering
(what R's ``results()`` returns; the mean of normalised counts as filter), and ``padj_interest``,
Benjamini-Hochberg over the genes of interest only (a small pre-specified family, no filter).

Verdict per gene, within a family (all genes, or the genes of interest), at level ``alpha``:

- ``equivalent``: equivalence shown, adjusted equivalence p-value < alpha (the change lies
  within +/- m). A change that also differs from zero (DE padj < alpha) but is shown to be
  smaller than the margin is equivalent: the margin says what matters.
- ``different``: not equivalent, and the DE test of zero change (the table's own Wald p-value,
  adjusted within the same family) is below alpha.
- ``inconclusive``: neither; also every gene without an adjusted p-value (Cook's outlier, or
  removed by independent filtering): these data do not settle whether the arms differ.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy.stats import false_discovery_control, norm
from scipy.stats import t as student_t

VERDICTS = ("equivalent", "different", "inconclusive")

EQUIVALENCE_COLUMNS = [
    "gene_id",
    "symbol",
    "baseMean",
    "log2FoldChange",
    "lfcSE",
    "lfcThreshold",
    "stat",
    "pvalue",
    "padj",
    "tost_ci_low",
    "tost_ci_high",
    "ci_low",
    "ci_high",
    "de_pvalue",
    "de_padj",
    "interest",
    "padj_interest",
    "de_padj_interest",
    "verdict",
    "verdict_interest",
]


def reference(df: int | np.ndarray | None):
    """The Wald reference distribution: t with ``df`` degrees of freedom (a number, or one per
    gene such as limma's moderated df), or normal (None)."""
    if df is None:
        return norm
    d = np.asarray(df, dtype=float)
    if np.any(d[np.isfinite(d)] < 1):
        raise ValueError("the t reference needs at least one residual degree of freedom")
    return student_t(df if d.ndim == 0 else d)


def lessabs_test(
    log2fc: np.ndarray, lfc_se: np.ndarray, margin: float, df: int | np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """DESeq2's ``lessAbs`` statistic and p-value (module docstring), vectorised.

    A gene with log2FC 0 and SE 0 (DESeq2's all-zero after outlier replacement) gets stat 0 and
    p-value 1, as in R; NaN inputs give NaN.
    """
    if not margin > 0:
        raise ValueError("the equivalence margin must be positive (log2 units)")
    b = np.asarray(log2fc, dtype=float)
    s = np.asarray(lfc_se, dtype=float)
    dist = reference(df)
    with np.errstate(divide="ignore", invalid="ignore"):
        above = (margin - b) / s
        below = (b + margin) / s
    stat = np.minimum(np.maximum(above, 0.0), np.maximum(below, 0.0))
    pvalue = np.maximum(dist.sf(above), dist.sf(below))
    zero = (s == 0) & (b == 0)
    stat = np.where(zero, 0.0, stat)
    pvalue = np.where(zero, 1.0, pvalue)
    return stat, pvalue


def tost_interval(
    log2fc: np.ndarray, lfc_se: np.ndarray, alpha: float = 0.05, df: int | np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """The ``(1 - 2 alpha)`` interval whose inclusion in ``(-m, m)`` is the TOST at ``alpha``."""
    q = np.asarray(reference(df).ppf(1.0 - alpha), dtype=float)
    b = np.asarray(log2fc, dtype=float)
    s = np.asarray(lfc_se, dtype=float)
    return b - q * s, b + q * s


def bh(pvalues: np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values; NaN stays NaN and is not counted."""
    p = np.asarray(pvalues, dtype=float)
    out = np.full(p.shape, np.nan)
    ok = np.isfinite(p)
    if ok.any():
        out[ok] = false_discovery_control(p[ok], method="bh")
    return out


def independent_filter_padj(
    base_mean: np.ndarray, pvalues: np.ndarray, alpha: float = 0.05
) -> np.ndarray:
    """BH with DESeq2's independent filtering on the mean of normalised counts.

    As R's ``pvalueAdjustment`` (and pydeseq2's ``_independent_filtering``): 50 quantile cut-offs
    of ``base_mean``; BH above each; a lowess (f = 1/5) of the rejections at ``alpha``; the first
    cut-off whose rejections exceed the fit's maximum minus the residual RMS (the first cut-off
    when at most 10 rejections). Genes below the chosen cut-off get NaN.
    """
    from pydeseq2.utils import lowess  # here: the clinical and report jobs need no pydeseq2

    base = np.asarray(base_mean, dtype=float)
    p = np.asarray(pvalues, dtype=float)
    lower = float(np.mean(base == 0))
    upper = 0.95 if lower < 0.95 else 1.0
    theta = np.linspace(lower, upper, 50)
    cutoffs = np.quantile(base, theta)
    padj = np.full((len(theta), len(p)), np.nan)
    for i, cut in enumerate(cutoffs):
        use = (base >= cut) & np.isfinite(p)
        if use.any():
            padj[i, use] = false_discovery_control(p[use], method="bh")
    num_rej = (padj < alpha).sum(axis=1)
    fit = lowess(theta, num_rej.astype(float), frac=1 / 5)
    j = 0
    if num_rej.max() > 10:
        residual = num_rej[num_rej > 0] - fit[num_rej > 0]
        thresh = fit.max() - np.sqrt(np.mean(residual**2))
        above = np.flatnonzero(num_rej > thresh)
        j = int(above[0]) if len(above) else 0
    return padj[j]


def verdicts(equiv_padj: np.ndarray, de_padj: np.ndarray, alpha: float = 0.05) -> np.ndarray:
    """``equivalent`` / ``different`` / ``inconclusive`` per gene (module docstring)."""
    eq = np.asarray(equiv_padj, dtype=float) < alpha
    diff = np.asarray(de_padj, dtype=float) < alpha
    return np.where(eq, VERDICTS[0], np.where(diff, VERDICTS[1], VERDICTS[2]))


def interest_mask(symbols: pd.Series, genes_of_interest: Sequence[str]) -> np.ndarray:
    """Rows whose symbol is a gene of interest."""
    return symbols.astype(str).isin([str(g) for g in genes_of_interest]).to_numpy()


def equivalence_table(
    table: pd.DataFrame,
    margin: float,
    *,
    df: int | np.ndarray | None,
    alpha: float = 0.05,
    genes_of_interest: Sequence[str] = (),
    independent_filter: bool = True,
) -> pd.DataFrame:
    """Equivalence results of one contrast from its DE table (``results/de/{contrast}.tsv``).

    ``table`` needs ``gene_id``, ``symbol``, ``baseMean``, ``log2FoldChange``, ``lfcSE``,
    ``pvalue``, ``padj``; ``ci_low``/``ci_high`` (95 %) are carried over when present. ``df``: the
    t reference's degrees of freedom (the contrast meta's ``wald_df``; or one per gene, aligned
    with ``table``), None for the normal.
    Genes without a DE p-value (Cook's outliers) get no equivalence p-value, as in R.

    Columns (DESeq2's names for the equivalence test, as R's ``results(..., lfcThreshold = m,
    altHypothesis = "lessAbs")``): ``lfcThreshold`` (the margin), ``stat``, ``pvalue``, ``padj``
    (all genes; independent filtering if ``independent_filter``), ``tost_ci_low/high`` (the
    ``1 - 2 alpha`` interval), ``de_pvalue``, ``de_padj`` (the DE table's test of zero change),
    ``interest``, ``padj_interest`` and ``de_padj_interest`` (BH over the genes of interest),
    ``verdict`` (family: all genes) and ``verdict_interest`` (family: genes of interest; empty for
    the others). Rows keep the input order; a contrast without rows (not estimable) gives the
    columns without rows.
    """
    if table.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in EQUIVALENCE_COLUMNS})
    b = table["log2FoldChange"].to_numpy(float)
    s = table["lfcSE"].to_numpy(float)
    de_p = table["pvalue"].to_numpy(float)
    stat, pvalue = lessabs_test(b, s, margin, df)
    pvalue = np.where(np.isfinite(de_p), pvalue, np.nan)
    base = table["baseMean"].to_numpy(float)
    padj = independent_filter_padj(base, pvalue, alpha) if independent_filter else bh(pvalue)
    low, high = tost_interval(b, s, alpha, df)
    interest = interest_mask(table["symbol"], genes_of_interest)
    padj_i = np.full(len(table), np.nan)
    de_padj_i = np.full(len(table), np.nan)
    padj_i[interest] = bh(pvalue[interest])
    de_padj_i[interest] = bh(de_p[interest])
    de_padj = table["padj"].to_numpy(float)
    out = pd.DataFrame(
        {
            "gene_id": table["gene_id"].astype(str).to_numpy(),
            "symbol": table["symbol"].astype(str).to_numpy(),
            "baseMean": base,
            "log2FoldChange": b,
            "lfcSE": s,
            "lfcThreshold": float(margin),
            "stat": stat,
            "pvalue": pvalue,
            "padj": padj,
            "tost_ci_low": low,
            "tost_ci_high": high,
            "ci_low": table["ci_low"].to_numpy(float) if "ci_low" in table else np.nan,
            "ci_high": table["ci_high"].to_numpy(float) if "ci_high" in table else np.nan,
            "de_pvalue": de_p,
            "de_padj": de_padj,
            "interest": interest,
            "padj_interest": padj_i,
            "de_padj_interest": de_padj_i,
            "verdict": verdicts(padj, de_padj, alpha),
            "verdict_interest": np.where(interest, verdicts(padj_i, de_padj_i, alpha), ""),
        },
        index=table.index,
    )
    return out[EQUIVALENCE_COLUMNS]


def verdict_counts(eq: pd.DataFrame, interest: bool = True) -> dict[str, int]:
    """Genes per verdict among the genes of interest (``interest``) or all genes."""
    col = "verdict_interest" if interest else "verdict"
    rows = eq.loc[eq["interest"].astype(bool)] if interest else eq
    counts = rows[col].value_counts()
    return {v: int(counts.get(v, 0)) for v in VERDICTS}
