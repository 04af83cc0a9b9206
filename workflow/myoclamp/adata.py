"""Helpers on the AnnData objects that several stages share: analysed samples, raw counts, the
count filter."""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp


def analysed(obs: pd.DataFrame) -> pd.DataFrame:
    """Samples that enter analyses: ``excluded`` ones dropped."""
    if "excluded" in obs.columns:
        return obs[~obs["excluded"].astype(bool)]
    return obs


def expression_filter(counts: pd.DataFrame, min_count: int, min_samples: int) -> pd.Series:
    """Genes (columns of ``counts``) with at least ``min_count`` reads in at least
    ``min_samples`` samples: the count filter of both DE engines and the clinical stage."""
    return (counts >= min_count).sum(axis=0) >= max(int(min_samples), 1)


def counts_frame(adata, samples: pd.Index | None = None) -> pd.DataFrame:
    """Raw counts (samples x genes, int64) of ``samples`` as a dense DataFrame."""
    sub = adata if samples is None else adata[samples]
    x = sub.X.toarray() if sp.issparse(sub.X) else np.asarray(sub.X)
    if not np.allclose(x, np.round(x)):
        raise ValueError("results/adata/counts.h5ad: X holds non-integer counts; rerun ingest")
    return pd.DataFrame(x.astype(np.int64), index=sub.obs_names, columns=sub.var_names)
