"""Log-scale expression for the gene-set tests: log2-CPM from raw counts, genes keyed by symbol.

``log2 CPM = log2((count + prior_j) / (L_j + 2 prior_j) * 1e6)`` with ``prior_j = 2 L_j / mean(L)``:
edgeR's ``cpm(y, lib.size = L, log = TRUE, prior.count = 2)``. The effective library sizes
``L_j`` are DESeq2's median-of-ratios size factors (computed on the genes that pass the count
filter, as the DE fit does) times the geometric mean of the samples' library sizes, so the values
are on the familiar CPM scale and normalised exactly as the DE stage's gene table: the set tests
and the gene table agree on what "no change" means (also when a few abundant transcripts, such as
the mitochondrial rRNA that takes half of a muscle library, shift composition). TMM would be
edgeR's choice; median-of-ratios is as robust to composition and keeps one normalisation in the
workflow. The prior count damps the log-ratio noise of low counts; the count filter
(``de.min_count`` reads in ``de.min_samples`` samples, default the smallest design group) keeps
the genes the DE fit tests. No precision weights (voom): see docs/enrichment.md.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd

log = logging.getLogger(__name__)

PRIOR_COUNT = 2.0


def median_ratio_size_factors(counts: np.ndarray) -> np.ndarray:
    """DESeq2 ``estimateSizeFactors``: median of ratios to the geometric mean (samples x genes).

    Uses the genes with no zero count; when every gene has a zero, DESeq2's ``poscounts``
    (geometric means of the positive counts, size factors scaled to geometric mean 1).
    """
    counts = np.asarray(counts, dtype=float)
    positive = (counts > 0).all(axis=0)
    if positive.any():
        logc = np.log(counts[:, positive])
        log_geo = logc.mean(axis=0)
        return np.exp(np.median(logc - log_geo, axis=1))
    log.warning("every gene has a zero count in some sample: using poscounts size factors")
    with np.errstate(divide="ignore"):
        logc = np.log(counts)
    pos = np.isfinite(logc)
    log_geo = np.where(pos, logc, 0.0).sum(axis=0) / counts.shape[0]
    use = np.isfinite(log_geo) & pos.any(axis=0)
    sf = np.array(
        [np.exp(np.median((logc[j] - log_geo)[use & pos[j]])) for j in range(counts.shape[0])]
    )
    return sf / np.exp(np.mean(np.log(sf)))


def log_cpm(counts: np.ndarray, lib_size: np.ndarray, prior_count: float = PRIOR_COUNT):
    """edgeR's ``cpm(counts, lib.size, log = TRUE, prior.count)`` (samples x genes)."""
    counts = np.asarray(counts, dtype=float)
    lib = np.asarray(lib_size, dtype=float)
    prior = prior_count * lib / lib.mean()
    out = counts + prior[:, None]  # one samples x genes array, updated in place
    out /= (lib + 2 * prior)[:, None]
    out *= 1e6
    return np.log2(out, out=out)


@dataclass
class LogExpression:
    """Log2-CPM (samples x genes, columns = gene keys) and how it was made."""

    values: pd.DataFrame
    gene_id: pd.Series  # key -> original gene column
    lib_size: pd.Series  # effective library size per sample
    size_factors: pd.Series
    genes_before_filter: int


def gene_keys(genes: pd.Index, symbols: pd.Series | None, abundance: np.ndarray) -> np.ndarray:
    """Set-matching key per gene: its symbol, unless missing or shared with a more abundant gene.

    As ``genesets.ranking_table``: the most abundant gene keeps a shared symbol, the others (and
    genes without symbol) keep their gene id, and stay in the tests as genes outside every set.
    """
    genes = pd.Index(genes.astype(str))
    if symbols is None:
        return genes.to_numpy(dtype=object)
    sym = symbols.reindex(genes).astype(object)
    sym = sym.where(sym.notna(), "").astype(str).str.strip()
    sym = sym.where(~sym.isin(["nan", "None"]), "")
    frame = pd.DataFrame(
        {"gene": genes, "symbol": sym.to_numpy(), "abundance": abundance, "pos": range(len(genes))}
    )
    order = frame.assign(_e=frame["symbol"] == "").sort_values(
        ["_e", "abundance", "gene"], ascending=[True, False, True]
    )
    keep = (order["symbol"] != "") & ~order["symbol"].duplicated()
    key = order["gene"].where(~keep, order["symbol"])
    keys = key.sort_index().to_numpy(dtype=object)
    if len(set(keys)) != len(keys):
        raise ValueError("gene ids collide with symbols of other genes; cannot key genes uniquely")
    return keys


def log_expression(
    counts: pd.DataFrame,
    *,
    min_count: int,
    min_samples: int,
    symbols: pd.Series | None = None,
    prior_count: float = PRIOR_COUNT,
) -> LogExpression:
    """Filter genes as the DE fit does and return their log2-CPM keyed for gene-set matching.

    ``counts``: raw integer counts, samples x genes (the samples of one design); a gene is kept
    with at least ``min_count`` reads in at least ``min_samples`` samples. ``symbols``: gene
    column -> symbol (the AnnData's ``var["symbol"]``).
    """
    raw = counts.to_numpy()
    keep = (raw >= min_count).sum(axis=0) >= max(int(min_samples), 1)
    genes = counts.columns[keep]
    if len(genes) < 3:
        raise ValueError(f"only {len(genes)} genes pass the count filter; set tests need 3")
    x = raw[:, keep].astype(float)
    del raw
    sf = median_ratio_size_factors(x)
    lib = sf * np.exp(np.mean(np.log(x.sum(axis=1))))
    values = log_cpm(x, lib, prior_count)
    del x
    keys = gene_keys(genes, symbols, values.mean(axis=0))
    log.info(
        "log2-CPM: %d of %d genes with >= %d reads in >= %d samples, %d samples",
        len(genes),
        counts.shape[1],
        min_count,
        min_samples,
        counts.shape[0],
    )
    return LogExpression(
        values=pd.DataFrame(values, index=counts.index, columns=pd.Index(keys, dtype=object)),
        gene_id=pd.Series(genes.astype(str), index=keys),
        lib_size=pd.Series(lib, index=counts.index),
        size_factors=pd.Series(sf, index=counts.index),
        genes_before_filter=counts.shape[1],
    )
