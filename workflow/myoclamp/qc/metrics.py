"""Per-sample QC metrics computed from raw counts (see docs/qc.md for every definition).

Shares are fractions (0-1). The *mRNA-like library* is the library minus mitochondrial rRNA
(``var["mito_rrna"]``), so that the rRNA share, which varies with library preparation, does not
move the other metrics. Scores are means of log2(CPM + 1) on the mRNA-like library.
"""

from __future__ import annotations

import logging

import anndata as ad
import numpy as np
import pandas as pd
import scipy.sparse as sp

from myoclamp.qc.settings import QCSettings

log = logging.getLogger(__name__)


def dense_counts(adata: ad.AnnData) -> np.ndarray:
    """Raw counts as a dense float array (samples x genes)."""
    x = adata.X
    x = x.toarray() if sp.issparse(x) else np.asarray(x)
    return x.astype(float)


def gene_symbols(adata: ad.AnnData) -> pd.Index:
    """Gene symbols (``var["symbol"]``, falling back to the var index where empty)."""
    if "symbol" not in adata.var:
        return pd.Index(adata.var_names.astype(str))
    sym = adata.var["symbol"].astype(str).replace({"": np.nan, "nan": np.nan})
    return pd.Index(sym.fillna(pd.Series(adata.var_names, index=adata.var_names)).to_numpy())


def var_flag(adata: ad.AnnData, name: str) -> np.ndarray:
    """A boolean var column of the contract (``mito``, ``mito_rrna``); an error if missing."""
    if name not in adata.var:
        raise KeyError(
            f"counts object: var has no column {name!r}; fix: build it with the ingest stage "
            "(docs/architecture.md, the AnnData contract)"
        )
    return adata.var[name].fillna(False).to_numpy(dtype=bool)


def log_cpm_mrna(counts: np.ndarray, mrna_mask: np.ndarray) -> np.ndarray:
    """log2(CPM + 1) with the mRNA-like library (genes in ``mrna_mask``) as denominator."""
    lib = counts[:, mrna_mask].sum(axis=1, keepdims=True)
    lib[lib == 0] = np.nan
    return np.log2(counts / lib * 1e6 + 1.0)


def gene_set_columns(symbols: pd.Index, genes: tuple[str, ...] | list[str]) -> np.ndarray:
    """Column positions of the genes of a list that are present (case-insensitive symbols)."""
    wanted = {g.upper() for g in genes}
    return np.flatnonzero(symbols.str.upper().isin(wanted))


def set_score(logcpm: np.ndarray, cols: np.ndarray, label: str) -> np.ndarray:
    """Mean log2(CPM + 1) over ``cols``; NaN (with a warning) when none of the genes is present."""
    if len(cols) == 0:
        log.warning("QC %s score: none of its genes is in the counts; the score is NA", label)
        return np.full(logcpm.shape[0], np.nan)
    return logcpm[:, cols].mean(axis=1)


def top_shares(counts: np.ndarray, n: int) -> np.ndarray:
    """Share of the library taken by the ``n`` most abundant genes of each sample."""
    lib = counts.sum(axis=1)
    k = min(n, counts.shape[1])
    top = -np.partition(-counts, k - 1, axis=1)[:, :k]
    with np.errstate(invalid="ignore", divide="ignore"):
        return top.sum(axis=1) / lib


def infer_sex(score: np.ndarray, margin: float, levels: dict[str, str]) -> pd.Series:
    """Code of the inferred sex: female code above ``+margin``, male code below ``-margin``,
    NA in between (ambiguous) or where the score is NA."""
    out = pd.Series(pd.NA, index=range(len(score)), dtype="object")
    out[score > margin] = levels["female"]
    out[score < -margin] = levels["male"]
    return out


def sex_agreement(inferred: pd.Series, clinical: pd.Series | None) -> pd.Series:
    """True/False where both the inferred and the recorded sex are known, else NA."""
    agree = pd.Series(pd.NA, index=inferred.index, dtype="boolean")
    if clinical is None:
        return agree
    clinical = clinical.reset_index(drop=True).astype("object")
    known = inferred.notna() & clinical.notna() & (clinical.astype(str) != "")
    agree[known] = (inferred[known].astype(str) == clinical[known].astype(str)).to_numpy()
    return agree


def sample_metrics(adata: ad.AnnData, settings: QCSettings | None = None) -> pd.DataFrame:
    """One row per sample: library size, detected genes, mito shares, top-gene shares, scores,
    inferred sex and its agreement with ``obs["sex"]``."""
    settings = settings or QCSettings.from_config()
    counts = dense_counts(adata)
    symbols = gene_symbols(adata)
    mito = var_flag(adata, "mito")
    rrna = var_flag(adata, "mito_rrna")
    mrna = ~rrna

    library = counts.sum(axis=1)
    mrna_counts = counts[:, mrna]
    mrna_lib = mrna_counts.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        rrna_share = counts[:, rrna].sum(axis=1) / library
        mito_mrna_share = counts[:, mito & ~rrna].sum(axis=1) / mrna_lib
        top_idx = mrna_counts.argmax(axis=1)
        top_share = mrna_counts[np.arange(len(top_idx)), top_idx] / mrna_lib
    top_gene = np.asarray(symbols[mrna])[top_idx]
    top_gene = np.where(mrna_lib > 0, top_gene, "")

    logcpm = log_cpm_mrna(counts, mrna)
    slow = set_score(logcpm, gene_set_columns(symbols, settings.slow_genes), "slow-fibre")
    fast = set_score(logcpm, gene_set_columns(symbols, settings.fast_genes), "fast-fibre")
    ieg = set_score(logcpm, gene_set_columns(symbols, settings.ieg_genes), "immediate-early")
    sex_score = _sex_score(counts, mrna_lib, symbols, settings)

    levels = dict(adata.uns.get("levels", {}).get("sex", {}) or {})
    levels = {"female": levels.get("female", "F"), "male": levels.get("male", "M")}
    inferred = infer_sex(sex_score, settings.sex_margin, levels)
    clinical = adata.obs.get("sex", None)
    agree = sex_agreement(inferred, clinical)

    df = pd.DataFrame(
        {
            "library_size": library,
            "detected_genes": (counts > 0).sum(axis=1),
            "mito_rrna_share": rrna_share,
            "mito_mrna_share": mito_mrna_share,
            "top_gene": top_gene,
            "top_gene_share": top_share,
            "top10_share": top_shares(mrna_counts, 10),
            "fibre_type_score": slow - fast,
            "ieg_score": ieg,
            "sex_score": sex_score,
            "sex_inferred": inferred.to_numpy(),
            "sex_agrees": agree.to_numpy(),
        },
        index=adata.obs_names.copy(),
    )
    df["sex_agrees"] = df["sex_agrees"].astype("boolean")
    return df


def _sex_score(
    counts: np.ndarray, mrna_lib: np.ndarray, symbols: pd.Index, settings: QCSettings
) -> np.ndarray:
    """log2(CPM_female + 1) - log2(CPM_male + 1), CPMs summed over each list (mRNA-like library).

    Positive means female, negative male; NA when either list is absent from the counts.
    """
    fem = gene_set_columns(symbols, settings.female_genes)
    mal = gene_set_columns(symbols, settings.male_genes)
    if len(fem) == 0 or len(mal) == 0:
        log.warning("QC sex score: XIST or every Y-linked gene is missing; the score is NA")
        return np.full(counts.shape[0], np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        f = counts[:, fem].sum(axis=1) / mrna_lib * 1e6
        m = counts[:, mal].sum(axis=1) / mrna_lib * 1e6
    return np.log2(f + 1.0) - np.log2(m + 1.0)
