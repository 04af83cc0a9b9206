"""Gene-set level association with the M-value: per-participant set scores.

Set score of a participant: the mean, over the set's tested genes, of the gene's VST expression
standardised across the analysed people (z). Genes are matched to sets by symbol; where several
tested genes share a symbol, the one with the highest mean VST represents it. The score's
association with the M-value is the partial Spearman correlation given the same covariates as the
per-gene analysis, with BH FDR within each collection. The set tests of the same question that
account for gene correlation at the gene level (camera, M-values permuted between participants)
are :mod:`myoclamp.clinical.settests`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from myoclamp.clinical.samples import Covariates
from myoclamp.clinical.stats import PARTIAL_COLUMNS, bh, partial_spearman
from myoclamp.enrichment.genesets import CURATED, GeneSets

log = logging.getLogger(__name__)

SET_COLUMNS = [
    "set",
    "collection",
    "description",
    "size",
    *[c for c in PARTIAL_COLUMNS if c != "df"],
    "padj",
]


def symbol_keys(vst: pd.DataFrame, symbols: pd.Series) -> pd.Series:
    """Gene column per symbol (the highest mean VST wins among genes sharing a symbol)."""
    sym = symbols.reindex(vst.columns).astype(str)
    frame = pd.DataFrame({"gene": vst.columns, "symbol": sym.to_numpy(), "mean": vst.mean().values})
    frame = frame[(frame["symbol"] != "") & (frame["symbol"] != "nan")]
    frame = frame.sort_values(["symbol", "mean", "gene"], ascending=[True, False, True])
    frame = frame.drop_duplicates("symbol")
    return pd.Series(frame["gene"].to_numpy(), index=frame["symbol"].to_numpy())


def zscores(values: pd.DataFrame) -> pd.DataFrame:
    """Each column standardised across rows (sample SD); constant columns are dropped."""
    sd = values.std(ddof=1)
    keep = sd > 0
    return (values.loc[:, keep] - values.loc[:, keep].mean()) / sd[keep]


def set_scores(
    vst: pd.DataFrame,
    symbols: pd.Series,
    gene_sets: Mapping[str, Sequence[str]],
    min_size: int | Mapping[str, int] = 5,
    max_size: int = 500,
) -> tuple[pd.DataFrame, pd.Series]:
    """Scores (samples x sets) and sizes (tested genes per set) of the sets within the limits.

    ``min_size`` may be a mapping set -> its minimum (curated sets have a smaller one).
    """
    z = zscores(vst)
    keys = symbol_keys(z, symbols)
    col_of = {g: i for i, g in enumerate(z.columns)}
    names, rows, sizes = [], [], []
    for name, genes in gene_sets.items():
        idx = sorted({col_of[keys[g]] for g in genes if g in keys.index})
        low = min_size[name] if isinstance(min_size, Mapping) else min_size
        if low <= len(idx) <= max_size:
            names.append(name)
            rows.append(idx)
            sizes.append(len(idx))
    if not names:
        return pd.DataFrame(index=vst.index), pd.Series(dtype=int)
    indicator = np.zeros((z.shape[1], len(names)))
    for j, idx in enumerate(rows):
        indicator[idx, j] = 1.0 / len(idx)
    scores = pd.DataFrame(z.to_numpy() @ indicator, index=vst.index, columns=names)
    return scores, pd.Series(sizes, index=names, dtype=int)


def score_association(
    scores: pd.DataFrame,
    sizes: pd.Series,
    x: np.ndarray,
    cov: Covariates,
    sets: GeneSets,
) -> pd.DataFrame:
    """Partial Spearman correlation of each set score with ``x``; BH within collection."""
    if scores.shape[1] == 0:
        return empty_set_table()
    res = partial_spearman(
        scores.to_numpy(), x, cov.numeric.to_numpy(), cov.dummies.to_numpy()
    ).drop(columns="df")
    res.insert(0, "size", sizes.reindex(scores.columns).to_numpy())
    res.insert(0, "description", [sets.description.get(s, "") for s in scores.columns])
    res.insert(0, "collection", [sets.collection.get(s, "") for s in scores.columns])
    res.insert(0, "set", scores.columns.to_numpy())
    res["padj"] = np.nan
    for _, idx in res.groupby("collection", sort=False).groups.items():
        res.loc[idx, "padj"] = bh(res.loc[idx, "pvalue"].to_numpy())
    res["_abs"] = -res["estimate"].abs()
    res = res.sort_values(["collection", "pvalue", "_abs", "set"], na_position="last")
    return res[SET_COLUMNS].reset_index(drop=True)


def empty_set_table() -> pd.DataFrame:
    """The set-score table without rows."""
    return pd.DataFrame({c: pd.Series(dtype=object) for c in SET_COLUMNS})


def set_min_sizes(sets: GeneSets, min_size: int, curated_min_size: int) -> dict[str, int]:
    """Minimum size per set: curated collections have their own (they are small by nature)."""
    return {s: curated_min_size if sets.collection[s] in CURATED else min_size for s in sets.genes}
