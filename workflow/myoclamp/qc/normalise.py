"""Normalisation layers: DESeq2 size factors, normalised counts, VST (pydeseq2) and log-CPM.

The VST follows DESeq2's ``vst(blind=TRUE)``: design ~1, a parametric dispersion trend fitted on
a seeded random subset of ``nsub`` genes with mean normalised count > 5 (DESeq2's ``nsub=1000``;
fitting all 37,000 genes takes minutes and gives the same curve), then applied to every gene
with pydeseq2's own transform.
"""

from __future__ import annotations

import logging
import warnings

import numpy as np
import pandas as pd
from pydeseq2.dds import DeseqDataSet

log = logging.getLogger(__name__)


def _dds(counts: np.ndarray, n_cpus: int = 1) -> DeseqDataSet:
    """An intercept-only pydeseq2 data set of integer counts (samples x genes)."""
    n, g = counts.shape
    df = pd.DataFrame(
        np.rint(counts).astype(np.int64),
        index=[f"s{i}" for i in range(n)],
        columns=[f"g{j}" for j in range(g)],
    )
    meta = pd.DataFrame({"intercept": np.ones(n)}, index=df.index)
    return DeseqDataSet(counts=df, metadata=meta, design="~1", quiet=True, n_cpus=n_cpus)


def size_factors(counts: np.ndarray) -> np.ndarray:
    """DESeq2 median-of-ratios size factors (pydeseq2); ``poscounts`` when every gene has a zero."""
    dds = _dds(counts)
    if (dds.X == 0).any(axis=0).all():
        log.warning("every gene has a zero count in some sample: using poscounts size factors")
        dds.fit_size_factors(fit_type="poscounts")
    else:
        dds.fit_size_factors(fit_type="ratio")
    return dds.obs["size_factors"].to_numpy(dtype=float)


def normalised_counts(counts: np.ndarray, sf: np.ndarray) -> np.ndarray:
    """Counts divided by the size factors."""
    return counts / sf[:, None]


def vst(
    counts: np.ndarray, sf: np.ndarray, nsub: int = 1000, seed: int = 0, n_cpus: int = 1
) -> np.ndarray:
    """Blind variance-stabilising transformation of ``counts`` given size factors ``sf``."""
    normed = normalised_counts(counts, sf)
    means = normed.mean(axis=0)
    candidates = np.flatnonzero(means > 5)
    if len(candidates) < 50:  # tiny data: use every expressed gene
        candidates = np.flatnonzero(means > 0)
    rng = np.random.default_rng(seed)
    sub = np.sort(rng.choice(candidates, size=min(nsub, len(candidates)), replace=False))

    fit = _dds(counts[:, sub], n_cpus=n_cpus)
    fit.obs["size_factors"] = sf
    fit.layers["normed_counts"] = normalised_counts(fit.X, sf)
    fit.var["_normed_means"] = fit.layers["normed_counts"].mean(axis=0)
    fit.vst_fit_type = "parametric"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit.fit_genewise_dispersions(vst=True)
        fit._fit_parametric_dispersion_trend(vst=True)  # pydeseq2 0.5.4: public vst() refits sf
    for w in caught:
        log.info("pydeseq2 VST fit: %s", w.message)

    full = _dds(counts, n_cpus=n_cpus)
    full.obs["size_factors"] = sf
    full.layers["normed_counts"] = normed
    if "vst_trend_coeffs" in fit.uns:
        full.vst_fit_type = "parametric"
        full.uns["vst_trend_coeffs"] = fit.uns["vst_trend_coeffs"]
        log.info(
            "VST parametric trend a0=%.4g a1=%.4g (%d genes)",
            *fit.uns["vst_trend_coeffs"],
            len(sub),
        )
    else:  # pydeseq2 fell back to the mean dispersion
        full.vst_fit_type = "mean"
        disp = np.full(full.n_vars, np.nan)
        disp[sub] = fit.var["vst_genewise_dispersions"].to_numpy()
        full.var["vst_genewise_dispersions"] = disp
        log.info("VST with the mean dispersion (the parametric trend did not converge)")
    return np.asarray(full.vst_transform(), dtype=float)


def log_cpm(counts: np.ndarray, prior: float = 1.0) -> np.ndarray:
    """log2(CPM + prior) on the whole library."""
    lib = counts.sum(axis=1, keepdims=True)
    lib[lib == 0] = np.nan
    return np.log2(counts / lib * 1e6 + prior)
