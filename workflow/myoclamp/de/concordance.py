"""Do two engines agree on a contrast? Genes significant under both, under one only, and the
Spearman correlation of their statistics (the report's concordance view, issue 18)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import spearmanr

CONCORDANCE_COLUMNS = [
    "contrast",
    "engine_a",
    "engine_b",
    "genes_both_tested",
    "sig_a",
    "sig_b",
    "sig_both",
    "sig_a_only",
    "sig_b_only",
    "sig_opposite_sign",
    "jaccard",
    "spearman_stat",
    "spearman_log2fc",
    "alpha",
]


def concordance(
    a: pd.DataFrame,
    b: pd.DataFrame,
    contrast: str,
    names: tuple[str, str] = ("deseq2", "voom"),
    alpha: float = 0.05,
) -> dict:
    """One row: tables ``a`` and ``b`` (``gene_id``, ``stat``, ``log2FoldChange``, ``padj``) of
    ``contrast``. Genes significant (``padj < alpha``) under both, under one only (a gene the
    other engine did not test counts as not significant there), under both with opposite signs,
    the Jaccard index of the two sets; the Spearman correlations on the genes both tested
    (finite statistic in both)."""
    ta = a.set_index("gene_id") if "gene_id" in a.columns else a
    tb = b.set_index("gene_id") if "gene_id" in b.columns else b
    both = ta.index.intersection(tb.index)
    both = both[np.isfinite(ta.loc[both, "stat"]) & np.isfinite(tb.loc[both, "stat"])]
    sig_a = set(ta.index[ta["padj"] < alpha])
    sig_b = set(tb.index[tb["padj"] < alpha])
    common = sorted(sig_a & sig_b)
    opposite = int(
        (
            np.sign(ta.loc[common, "log2FoldChange"]) != np.sign(tb.loc[common, "log2FoldChange"])
        ).sum()
    )
    union = sig_a | sig_b

    def rho(column: str) -> float:
        if len(both) < 3:
            return float("nan")
        return float(spearmanr(ta.loc[both, column], tb.loc[both, column]).statistic)

    return {
        "contrast": contrast,
        "engine_a": names[0],
        "engine_b": names[1],
        "genes_both_tested": int(len(both)),
        "sig_a": len(sig_a),
        "sig_b": len(sig_b),
        "sig_both": len(common),
        "sig_a_only": len(sig_a - sig_b),
        "sig_b_only": len(sig_b - sig_a),
        "sig_opposite_sign": opposite,
        "jaccard": len(common) / len(union) if union else 1.0,
        "spearman_stat": rho("stat"),
        "spearman_log2fc": rho("log2FoldChange"),
        "alpha": alpha,
    }


def concordance_table(rows: list[dict]) -> pd.DataFrame:
    """The concordance rows of all contrasts, in workflow order."""
    return pd.DataFrame(rows, columns=CONCORDANCE_COLUMNS)
