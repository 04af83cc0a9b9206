"""Per-gene expression against the M-value across people at baseline.

Two methods, on the same genes (count filter of the DE stage on the analysed biopsies):

- ``deseq2``: a pydeseq2 fit ``~ covariates + m_value_z`` on the raw counts, with the M-value
  standardised (mean 0, SD 1), so ``estimate`` is the log2 fold change per SD of M; Wald test,
  Cook's filtering, independent filtering and BH as in the DE stage (its helpers are reused).
  Numeric covariates are standardised too.
- ``spearman``: partial Spearman correlation of the VST expression with the M-value given the
  covariates (see :mod:`myoclamp.clinical.stats`); ``estimate`` is rho, BH over the genes.
"""

from __future__ import annotations

import logging
import math

import numpy as np
import pandas as pd

from myoclamp.clinical.samples import Covariates
from myoclamp.clinical.stats import bh, partial_spearman
from myoclamp.de.design import Design
from myoclamp.de.fit import expression_filter, fit_design
from myoclamp.de.stats import contrast_results

log = logging.getLogger(__name__)

M_COLUMN = "m_value_z"
METHODS = ("deseq2", "spearman")
GENE_COLUMNS = [
    "gene_id",
    "symbol",
    "method",
    "n",
    "baseMean",
    "estimate",
    "se",
    "ci_low",
    "ci_high",
    "stat",
    "pvalue",
    "padj",
    "filtered",
    "outlier",
]


def default_min_samples(n: int) -> int:
    """Samples a gene must be expressed in when no group defines it: a third of the people."""
    return max(2, math.ceil(n / 3))


def tested_genes(counts: pd.DataFrame, de_cfg: dict) -> pd.Index:
    """Genes passing the DE count filter (``de.min_count`` in ``de.min_samples`` samples)."""
    min_samples = de_cfg.get("min_samples") or default_min_samples(len(counts))
    keep = expression_filter(counts, int(de_cfg["min_count"]), int(min_samples))
    log.info(
        "%d of %d genes with >= %d reads in >= %d samples",
        int(keep.sum()),
        counts.shape[1],
        de_cfg["min_count"],
        min_samples,
    )
    return counts.columns[keep.to_numpy()]


def standardise(values: np.ndarray) -> np.ndarray:
    """(x - mean) / SD (sample SD); a constant vector is an error."""
    values = np.asarray(values, dtype=float)
    sd = values.std(ddof=1)
    if not sd > 0:
        raise ValueError("cannot standardise a constant vector (every M-value is the same)")
    return (values - values.mean()) / sd


def design_matrix(m_value: np.ndarray, cov: Covariates, index: pd.Index) -> pd.DataFrame:
    """``[Intercept, numeric covariates (standardised), dummies, m_value_z]``."""
    cols = {"Intercept": np.ones(len(index))}
    for col in cov.numeric.columns:
        cols[col] = standardise(cov.numeric[col].to_numpy())
    for col in cov.dummies.columns:
        cols[col] = cov.dummies[col].to_numpy(float)
    cols[M_COLUMN] = standardise(m_value)
    return pd.DataFrame(cols, index=index)


def deseq2_association(
    counts: pd.DataFrame,
    m_value: np.ndarray,
    cov: Covariates,
    symbols: pd.Series,
    de_cfg: dict,
    n_cpus: int = 1,
) -> pd.DataFrame:
    """pydeseq2 Wald test of ``m_value_z`` on ``counts`` (samples x tested genes)."""
    matrix = design_matrix(m_value, cov, counts.index)
    meta = pd.DataFrame({"participant": counts.index.astype(str)}, index=counts.index)
    design = Design(
        name="m_value",
        formula="~ " + " + ".join(matrix.columns[1:]),
        metadata=meta,
        matrix=matrix,
        min_group=1,
    )
    # genes were filtered already; de.unwanted (RUVg) belongs to the DE designs, not this one
    settings = {**de_cfg, "min_count": 0, "min_samples": 1, "unwanted": {"factors": 0}}
    fit = fit_design(design, counts, settings=settings, n_cpus=n_cpus)
    vec = np.zeros(matrix.shape[1])
    vec[list(matrix.columns).index(M_COLUMN)] = 1.0
    res = contrast_results(
        fit.dds,
        vec,
        alpha=float(de_cfg["alpha"]),
        cooks_filter=bool(de_cfg["cooks_filter"]),
        independent_filter=bool(de_cfg["independent_filter"]),
        shrink=False,
        wald_distribution=str(de_cfg["wald_distribution"]),
        n_cpus=n_cpus,
    )
    res = res.reindex(counts.columns)
    return pd.DataFrame(
        {
            "gene_id": counts.columns.astype(str),
            "symbol": symbols.reindex(counts.columns).astype(str).to_numpy(),
            "method": "deseq2",
            "n": len(counts),
            "baseMean": res["baseMean"].to_numpy(),
            "estimate": res["log2FoldChange"].to_numpy(),
            "se": res["lfcSE"].to_numpy(),
            "ci_low": res["ci_low"].to_numpy(),
            "ci_high": res["ci_high"].to_numpy(),
            "stat": res["stat"].to_numpy(),
            "pvalue": res["pvalue"].to_numpy(),
            "padj": res["padj"].to_numpy(),
            "filtered": res["filtered"].fillna(False).astype(bool).to_numpy(),
            "outlier": res["outlier"].fillna(False).astype(bool).to_numpy(),
        }
    )


def spearman_association(
    vst: pd.DataFrame,
    m_value: np.ndarray,
    cov: Covariates,
    symbols: pd.Series,
    base_mean: pd.Series | None = None,
) -> pd.DataFrame:
    """Partial Spearman correlation of each gene's VST (samples x genes) with the M-value."""
    res = partial_spearman(
        vst.to_numpy(dtype=float), m_value, cov.numeric.to_numpy(), cov.dummies.to_numpy()
    )
    return pd.DataFrame(
        {
            "gene_id": vst.columns.astype(str),
            "symbol": symbols.reindex(vst.columns).astype(str).to_numpy(),
            "method": "spearman",
            "n": res["n"].to_numpy(),
            "baseMean": (
                np.nan if base_mean is None else base_mean.reindex(vst.columns).to_numpy()
            ),
            "estimate": res["estimate"].to_numpy(),
            "se": np.nan,
            "ci_low": res["ci_low"].to_numpy(),
            "ci_high": res["ci_high"].to_numpy(),
            "stat": res["stat"].to_numpy(),
            "pvalue": res["pvalue"].to_numpy(),
            "padj": bh(res["pvalue"].to_numpy()),
            "filtered": False,
            "outlier": False,
        }
    )


def gene_table(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """The tidy genes table: one row per gene and method, by method then p-value."""
    frames = [f for f in frames if not f.empty]
    if not frames:
        return empty_gene_table()
    out = pd.concat(frames, ignore_index=True)
    out["_m"] = out["method"].map({m: i for i, m in enumerate(METHODS)})
    out = out.sort_values(["_m", "pvalue", "gene_id"], na_position="last", kind="mergesort")
    return out[GENE_COLUMNS].reset_index(drop=True)


def empty_gene_table() -> pd.DataFrame:
    """The genes table without rows (no M-value or no people to analyse)."""
    return pd.DataFrame({c: pd.Series(dtype=object) for c in GENE_COLUMNS})
