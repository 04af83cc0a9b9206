"""PCA of the VST, variance explained by each design factor, sample distances."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.spatial.distance import pdist, squareform


def top_variable_genes(values: np.ndarray, n: int) -> np.ndarray:
    """Sorted column positions of the ``n`` columns with the largest variance (ties: first)."""
    var = np.nan_to_num(values.var(axis=0), nan=-1.0)
    n = min(n, values.shape[1])
    order = np.argsort(-var, kind="stable")[:n]
    return np.sort(order)


def run_pca(values: np.ndarray, n_pcs: int, seed: int) -> dict[str, np.ndarray]:
    """PCA of ``values`` (samples x genes, centred): scikit-learn's ARPACK PCA with a seeded
    RandomState, exactly what ``scanpy.pp.pca(svd_solver="arpack")`` runs on a dense matrix
    (scores as float32, as scanpy stores them), without importing scanpy.

    Returns ``scores`` (samples x PCs), ``loadings`` (genes x PCs), ``variance`` and
    ``variance_ratio`` (share of the total variance of ``values`` per PC).
    """
    n_comps = int(min(n_pcs, values.shape[0] - 1, values.shape[1] - 1))
    if n_comps < 1:
        raise ValueError(f"PCA needs at least 2 samples and 2 genes, got {values.shape}")
    from sklearn.decomposition import PCA
    from sklearn.utils import check_random_state

    pca = PCA(n_components=n_comps, svd_solver="arpack", random_state=check_random_state(seed))
    scores = pca.fit_transform(np.asarray(values, dtype=np.float64)).astype(np.float32)
    loadings = pca.components_.T.copy()
    # the sign of a PC is arbitrary: make the largest loading of each PC positive (reproducible)
    flip = np.sign(loadings[np.abs(loadings).argmax(axis=0), np.arange(n_comps)])
    flip[flip == 0] = 1
    return {
        "scores": scores * flip,
        "loadings": loadings * flip,
        "variance": pca.explained_variance_.copy(),
        "variance_ratio": pca.explained_variance_ratio_.copy(),
    }


def factor_r2(y: np.ndarray, factor: pd.Series) -> tuple[float, float, int]:
    """R^2 (and adjusted R^2, n) of ``y`` on one factor: categorical -> one-way ANOVA,
    numeric -> simple linear regression. Samples where the factor is NA are left out."""
    f = pd.Series(factor).reset_index(drop=True)
    keep = f.notna().to_numpy() & np.isfinite(y)
    y, f = y[keep], f[keep]
    n = len(y)
    if n < 3:
        return np.nan, np.nan, n
    ss_tot = float(((y - y.mean()) ** 2).sum())
    if ss_tot == 0:
        return np.nan, np.nan, n
    if pd.api.types.is_numeric_dtype(f) and not isinstance(f.dtype, pd.CategoricalDtype):
        x = f.to_numpy(dtype=float)
        if x.std() == 0:
            return np.nan, np.nan, n
        r2 = float(np.corrcoef(x, y)[0, 1] ** 2)
        k = 1
    else:
        codes = pd.factorize(f.astype(str))[0]
        k = int(codes.max()) + 1 - 1
        if k < 1:
            return np.nan, np.nan, n
        means = np.bincount(codes, weights=y) / np.bincount(codes)
        r2 = float(((means[codes] - y.mean()) ** 2).sum() / ss_tot)
    adj = 1 - (1 - r2) * (n - 1) / (n - k - 1) if n - k - 1 > 0 else np.nan
    return r2, float(adj), n


def variance_by_factor(
    scores: np.ndarray, variance_ratio: np.ndarray, obs: pd.DataFrame, factors: list[str]
) -> pd.DataFrame:
    """Tidy table: factor, pc, r2, r2_adjusted, n, pc_variance_ratio (one row per factor x PC).

    Factors missing from ``obs`` or with fewer than two observed levels are left out.
    """
    rows = []
    for name in factors:
        if name not in obs or obs[name].nunique(dropna=True) < 2:
            continue
        for i in range(scores.shape[1]):
            r2, adj, n = factor_r2(scores[:, i], obs[name])
            rows.append((name, f"PC{i + 1}", r2, adj, n, float(variance_ratio[i])))
    cols = ["factor", "pc", "r2", "r2_adjusted", "n", "pc_variance_ratio"]
    return pd.DataFrame(rows, columns=cols)


def variance_summary(table: pd.DataFrame) -> pd.DataFrame:
    """Per factor: share of the variance of the top PCs that it explains,
    sum_k(R^2_k * var_k) / sum_k(var_k), and the same with adjusted R^2 (floored at 0)."""
    if table.empty:
        return pd.DataFrame(columns=["factor", "variance_explained", "variance_explained_adjusted"])
    t = table.assign(
        w=table["r2"] * table["pc_variance_ratio"],
        wa=table["r2_adjusted"].clip(lower=0) * table["pc_variance_ratio"],
    )
    g = t.groupby("factor", sort=False)
    total = g["pc_variance_ratio"].sum()
    out = pd.DataFrame(
        {
            "variance_explained": g["w"].sum() / total,
            "variance_explained_adjusted": g["wa"].sum() / total,
        }
    )
    return out.reset_index()


def sample_distances(values: np.ndarray) -> np.ndarray:
    """Euclidean distances between samples (rows), as in DESeq2's vignette on the VST."""
    return squareform(pdist(values, metric="euclidean"))


def correlation_distances(values: np.ndarray) -> np.ndarray:
    """1 - Pearson correlation between samples (rows), genes centred across samples first."""
    centred = values - values.mean(axis=0)
    r = np.corrcoef(centred)
    return 1.0 - r
