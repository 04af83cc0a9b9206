"""Samples with an empty library in the QC stage: measured, not normalised.

Ingest refuses an empty library unless the config excludes the sample; an excluded one still
reaches QC, where size factors, the VST, PCA and the pairing check have nothing to work on. QC
runs on the other samples; the empty ones keep their metrics (0 reads, 0 genes, shares NA), NA
layers and scores, and the flag ``not analysed: empty library`` in ``qc_reason``.
"""

from __future__ import annotations

import anndata as ad
import numpy as np
import pandas as pd

from myoclamp.qc import metrics
from myoclamp.qc.settings import QCSettings

REASON = "not analysed: empty library (no reads)"


def empty_libraries(adata: ad.AnnData) -> np.ndarray:
    """Samples (boolean mask) whose counts are all zero."""
    return np.asarray(adata.X.sum(axis=1)).ravel() <= 0


def with_unanalysable(
    full: ad.AnnData, analysed: ad.AnnData, empty: np.ndarray, settings: QCSettings
) -> ad.AnnData:
    """``full`` with the QC of ``analysed`` (its samples without ``empty``): NA rows for the
    empty samples in layers, PCA and distances; their metrics from the counts; flagged."""
    out = full.copy()
    keep = ~empty
    m = metrics.sample_metrics(full, settings)
    for col in analysed.obs.columns:
        if col in out.obs.columns:
            continue
        out.obs[col] = m[col] if col in m.columns else analysed.obs[col].reindex(out.obs_names)
    out.obs.loc[empty, "outlier"] = True
    out.obs["outlier"] = out.obs["outlier"].astype(bool)
    for col in ("outlier_reason", "pairing_reason", "qc_reason"):
        out.obs[col] = out.obs[col].astype(object).where(keep, REASON)
    out.obs["pairing_status"] = out.obs["pairing_status"].astype(object).where(keep, "not_checked")
    out.obs["qc_flag"] = out.obs["qc_flag"].astype(object).where(keep, True).astype(bool)
    for name, layer in analysed.layers.items():
        filled = np.full(out.shape, np.nan, dtype=np.asarray(layer).dtype)
        filled[keep] = np.asarray(layer)
        out.layers[name] = filled
    for name, value in analysed.obsm.items():
        filled = np.full((out.n_obs, *np.shape(value)[1:]), np.nan)
        filled[keep] = np.asarray(value)
        out.obsm[name] = filled
    for name, value in analysed.obsp.items():
        filled = np.full((out.n_obs, out.n_obs), np.nan)
        filled[np.ix_(keep, keep)] = np.asarray(value)
        out.obsp[name] = filled
    for col in analysed.var.columns:
        if col not in out.var.columns:
            out.var[col] = analysed.var[col]
    for name, value in analysed.varm.items():
        out.varm[name] = value
    out.uns.update({k: v for k, v in analysed.uns.items() if k not in out.uns or k == "qc"})
    qc = dict(out.uns["qc"])
    qc["not_analysed"] = pd.Index(out.obs_names[empty]).astype(str).tolist()
    qc["n_flagged"] = int(out.obs["qc_flag"].sum())
    out.uns["qc"] = qc
    return out
