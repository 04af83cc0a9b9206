"""The QC stage end to end: metrics, layers, PCA, pairing and outliers into one AnnData."""

from __future__ import annotations

import logging

import anndata as ad
import numpy as np
import pandas as pd

from myoclamp.qc import metrics, normalise, outliers, pairing, pca, unanalysable
from myoclamp.qc.settings import QCSettings

log = logging.getLogger(__name__)

#: obs columns of the canonical roles, in table order
ROLES = ["participant", "arm", "visit", "clamp", "site", "sex"]


def qc_flags(obs: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """Overall QC flag and its reason: outlier, possible swap, or sex disagreeing with records."""
    flag, reason = [], []
    for _, row in obs.iterrows():
        why = []
        if bool(row.get("outlier", False)):
            why.append(f"outlier: {row['outlier_reason']}")
        if row.get("pairing_status") == "possible_swap":
            why.append(row["pairing_reason"])
        agrees = row.get("sex_agrees", pd.NA)
        if agrees is not pd.NA and agrees is not None and not bool(agrees):
            why.append(
                f"sex mismatch: expression says {row['sex_inferred']} (score "
                f"{row['sex_score']:.1f}), records say {row['sex']}"
            )
        flag.append(bool(why))
        reason.append("; ".join(why))
    return pd.Series(flag, index=obs.index), pd.Series(reason, index=obs.index)


def run_qc(adata: ad.AnnData, settings: QCSettings | None = None, n_cpus: int = 1) -> ad.AnnData:
    """Return a copy of ``adata`` with QC metrics and flags in obs, size factors, layers
    ``normalized``, ``vst``, ``logcpm``, PCA (obsm ``X_pca``, varm ``PCs``, uns ``pca``),
    sample distances (obsp) and the variance explained by design factors (uns ``qc``)."""
    settings = settings or QCSettings.from_config()
    empty = unanalysable.empty_libraries(adata)
    if empty.any():  # excluded empty libraries: QC of the others, these flagged (not analysed)
        analysed = run_qc(adata[~empty].copy(), settings, n_cpus)
        return unanalysable.with_unanalysable(adata, analysed, empty, settings)
    out = adata.copy()
    counts = metrics.dense_counts(out)
    log.info("QC of %d samples x %d genes", *counts.shape)

    m = metrics.sample_metrics(out, settings)
    for col in m.columns:
        out.obs[col] = m[col]

    sf = normalise.size_factors(counts)
    out.obs["size_factor"] = sf
    normed = normalise.normalised_counts(counts, sf)
    vst = normalise.vst(counts, sf, nsub=settings.vst_nsub, seed=settings.seed, n_cpus=n_cpus)
    out.layers["normalized"] = normed.astype(np.float32)
    out.layers["vst"] = vst.astype(np.float32)
    out.layers["logcpm"] = normalise.log_cpm(counts).astype(np.float32)

    top = pca.top_variable_genes(vst, settings.n_top_genes)
    hv = np.zeros(out.n_vars, dtype=bool)
    hv[top] = True
    out.var["qc_highly_variable"] = hv
    res = pca.run_pca(vst[:, top], settings.n_pcs, settings.seed)
    out.obsm["X_pca"] = res["scores"]
    loadings = np.zeros((out.n_vars, res["loadings"].shape[1]))
    loadings[top] = res["loadings"]
    out.varm["PCs"] = loadings
    out.uns["pca"] = {
        "variance": res["variance"],
        "variance_ratio": res["variance_ratio"],
        "params": {"n_top_genes": len(top), "layer": "vst", "zero_center": True},
    }
    out.obsp["vst_distance"] = pca.sample_distances(vst[:, top])
    factors = [f for f in settings.factors if f in out.obs]
    r2 = pca.variance_by_factor(res["scores"], res["variance_ratio"], out.obs, factors)

    corr = outliers.profile_correlation(vst[:, top])
    flags = outliers.flag_outliers(
        m["library_size"].to_numpy(),
        m["detected_genes"].to_numpy(),
        corr,
        out.obs_names,
        settings.outlier_z,
        settings.min_library_size,
    )
    for col in flags.columns:
        out.obs[col] = flags[col]

    # pairing among samples that are not outliers: a sample that is not muscle-like carries no
    # personal muscle profile, and would make its participant's other samples look unpaired
    ok = ~flags["outlier"].to_numpy()
    expressed = normed.mean(axis=0) >= 10
    dist, pair_cols = pairing.pairing_distances(
        vst[ok], out.obs[ok], list(settings.pairing_adjust), settings.n_top_genes, expressed
    )
    pv = np.zeros(out.n_vars, dtype=bool)
    pv[pair_cols] = True
    out.var["qc_pairing_gene"] = pv
    pairs = pairing.pairing_check(
        dist,
        out.obs_names[ok],
        out.obs["participant"][ok],
        settings.pairing_neighbours,
        settings.pairing_rank_share,
    )
    pairs = pairs.reindex(out.obs_names)
    pairs.loc[~ok, "pairing_status"] = "not_checked"
    pairs.loc[~ok, "pairing_reason"] = "outlier: pairing not checked"
    for col in pairs.columns:
        out.obs[col] = pairs[col].fillna("") if pairs[col].dtype == object else pairs[col]
    out.obs["qc_flag"], out.obs["qc_reason"] = qc_flags(out.obs)

    out.uns["qc"] = {
        "settings": settings.as_dict(),
        "variance_by_pc": r2,
        "variance_explained": pca.variance_summary(r2),
        "n_flagged": int(out.obs["qc_flag"].sum()),
    }
    log.info(
        "QC: %d outlier(s), %d possible swap(s), %d sex mismatch(es), %d single-sample "
        "participant(s)",
        int(out.obs["outlier"].sum()),
        int((out.obs["pairing_status"] == "possible_swap").sum()),
        int((out.obs["sex_agrees"] == False).sum()),  # noqa: E712 (nullable boolean)
        int((out.obs["pairing_status"] == "single_sample").sum()),
    )
    return out


def samples_table(adata: ad.AnnData) -> pd.DataFrame:
    """The tidy per-sample QC table (one row per sample) of a QC'd AnnData."""
    obs = adata.obs
    cols = ["participant", "arm", "visit", "clamp", "site", "sex", "excluded", "exclusion_reason"]
    cols = [c for c in cols if c in obs]
    qc_cols = [
        "library_size",
        "detected_genes",
        "mito_rrna_share",
        "mito_mrna_share",
        "top_gene",
        "top_gene_share",
        "top10_share",
        "fibre_type_score",
        "ieg_score",
        "sex_score",
        "sex_inferred",
        "sex_agrees",
        "size_factor",
        "profile_correlation",
        "z_library_size",
        "z_detected_genes",
        "z_profile_correlation",
        "outlier",
        "outlier_reason",
        "pairing_status",
        "pairing_own_rank",
        "pairing_nearest",
        "pairing_nearest_participant",
        "pairing_reason",
        "qc_flag",
        "qc_reason",
    ]
    table = obs[cols + qc_cols].copy()
    scores = adata.obsm["X_pca"]
    for i in range(min(2, scores.shape[1])):
        table[f"PC{i + 1}"] = scores[:, i]
    table.insert(0, "sample", obs.index.astype(str))
    for c in table.columns:
        if isinstance(table[c].dtype, pd.CategoricalDtype):
            table[c] = table[c].astype(str).replace("nan", pd.NA)
    return table.reset_index(drop=True)
