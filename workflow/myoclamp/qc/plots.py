"""QC figures: PCA by design factor, variance explained, sample distances, metric panels.

Each figure is written as PNG and as SVG beside it (same name, ``.svg``).
"""

from __future__ import annotations

from pathlib import Path

import anndata as ad
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from scipy.cluster.hierarchy import leaves_list, linkage
from scipy.spatial.distance import squareform

from myoclamp.io import atomic_path

PCA_FACTORS = ["arm", "visit", "clamp", "site", "sex"]
METRICS = [
    ("library_size", "library size (reads)"),
    ("detected_genes", "detected genes"),
    ("mito_rrna_share", "mitochondrial rRNA share"),
    ("mito_mrna_share", "mito mRNA share (mRNA-like)"),
    ("top_gene_share", "top gene share (mRNA-like)"),
    ("top10_share", "top-10 share (mRNA-like)"),
    ("fibre_type_score", "fibre-type score (slow - fast)"),
    ("sex_score", "sex score (XIST - Y, log2)"),
    ("ieg_score", "immediate-early score"),
    ("profile_correlation", "profile correlation (median r)"),
]


def save(fig: plt.Figure, png: str | Path) -> None:
    """Write ``fig`` to ``png`` and to the same name with ``.svg``, atomically; close it."""
    png = Path(png)
    # SVG element ids are hashes salted per process unless the salt is fixed: fixed, so that
    # reruns write the same SVG
    for path in (png, png.with_suffix(".svg")):
        with atomic_path(path) as tmp, plt.rc_context({"svg.hashsalt": "myoclamp"}):
            fig.savefig(
                tmp,
                format=path.suffix[1:],
                dpi=150,
                bbox_inches="tight",
                metadata={"Date": None} if path.suffix == ".svg" else None,
            )
    plt.close(fig)


def _flag_marks(ax: plt.Axes, x: np.ndarray, y: np.ndarray, obs: pd.DataFrame) -> None:
    """Ring and label the flagged samples; cross the excluded ones."""
    flag = obs.get("qc_flag", pd.Series(False, index=obs.index)).to_numpy(dtype=bool)
    excl = obs.get("excluded", pd.Series(False, index=obs.index)).to_numpy(dtype=bool)
    ax.scatter(
        x[flag], y[flag], s=90, facecolors="none", edgecolors="red", linewidths=1.2, label="QC flag"
    )
    ax.scatter(x[excl], y[excl], s=40, marker="x", c="black", label="excluded")
    for i in np.flatnonzero(flag):
        ax.annotate(
            str(obs.index[i]), (x[i], y[i]), fontsize=6, xytext=(3, 3), textcoords="offset points"
        )


def plot_pca(adata: ad.AnnData, factor: str, png: str | Path) -> None:
    """PC1 vs PC2 coloured by ``factor`` (a panel saying so when the factor is absent)."""
    fig, ax = plt.subplots(figsize=(5.5, 4.5))
    scores = adata.obsm["X_pca"]
    ratio = np.asarray(adata.uns["pca"]["variance_ratio"])
    obs = adata.obs
    y = scores[:, 1] if scores.shape[1] > 1 else np.zeros(len(scores))
    if factor in obs and obs[factor].notna().any():
        values = obs[factor].astype(str).where(obs[factor].notna(), "NA")
        for j, level in enumerate(pd.unique(values)):
            sel = (values == level).to_numpy()
            ax.scatter(
                scores[sel, 0], y[sel], s=18, color=f"C{j % 10}", label=str(level), alpha=0.8
            )
    else:
        ax.scatter(scores[:, 0], y, s=18, color="grey")
        ax.set_title(f"no '{factor}' column in the data", fontsize=9)
    _flag_marks(ax, scores[:, 0], y, obs)
    ax.set_xlabel(f"PC1 ({100 * ratio[0]:.1f} %)")
    ax.set_ylabel(f"PC2 ({100 * ratio[1]:.1f} %)" if len(ratio) > 1 else "PC2")
    ax.legend(title=factor, fontsize=7, title_fontsize=8, loc="best", frameon=False)
    save(fig, png)


def plot_variance_explained(table: pd.DataFrame, png: str | Path) -> None:
    """Bar plot: share of the top PCs' variance explained by each design factor."""
    fig, ax = plt.subplots(figsize=(5.5, 3.5))
    if len(table):
        ax.bar(table["factor"], table["variance_explained"], color="C0", label="R²")
        ax.bar(
            table["factor"],
            table["variance_explained_adjusted"],
            color="C1",
            width=0.4,
            label="adjusted R²",
        )
    ax.set_ylabel("share of top-PC variance")
    ax.set_ylim(0, 1)
    ax.legend(frameon=False, fontsize=8)
    save(fig, png)


def plot_distance_heatmap(adata: ad.AnnData, png: str | Path) -> None:
    """Euclidean VST distances between samples, ordered by average-linkage clustering (samples
    not analysed, with NA distances, are left out)."""
    d = np.asarray(adata.obsp["vst_distance"])
    shown = np.isfinite(np.diagonal(d))
    if not shown.all():
        adata, d = adata[shown], d[np.ix_(shown, shown)]
    n = d.shape[0]
    order = leaves_list(linkage(squareform(d, checks=False), "average")) if n > 2 else np.arange(n)
    size = min(16, 3 + n * 0.06)
    fig, ax = plt.subplots(figsize=(size, size))
    im = ax.imshow(d[np.ix_(order, order)], cmap="viridis_r", interpolation="nearest")
    labels = [
        f"{s} {p}"
        for s, p in zip(
            adata.obs_names[order],
            adata.obs["participant"].astype(str).to_numpy()[order],
            strict=True,
        )
    ]
    if n <= 250:
        ax.set_xticks(range(n), labels, rotation=90, fontsize=max(2, 8 - n // 40))
        ax.set_yticks(range(n), labels, fontsize=max(2, 8 - n // 40))
    fig.colorbar(im, ax=ax, shrink=0.6, label="Euclidean distance (VST)")
    save(fig, png)


def plot_metrics(adata: ad.AnnData, png: str | Path) -> None:
    """One panel per QC metric: value per sample by visit, flagged samples in red."""
    obs = adata.obs
    present = [(c, t) for c, t in METRICS if c in obs]
    ncol = 4
    nrow = int(np.ceil(len(present) / ncol))
    fig, axes = plt.subplots(nrow, ncol, figsize=(4 * ncol, 3 * nrow), squeeze=False)
    group = obs["visit"].astype(str) if "visit" in obs else pd.Series("all", index=obs.index)
    if "clamp" in obs:
        group = group + " " + obs["clamp"].astype(str)
    levels = list(pd.unique(group))
    flag = obs.get("qc_flag", pd.Series(False, index=obs.index)).to_numpy(dtype=bool)
    rng = np.random.default_rng(0)
    for ax, (col, title) in zip(axes.flat, present, strict=False):
        vals = obs[col].to_numpy(dtype=float)
        xpos = np.array([levels.index(g) for g in group]) + rng.uniform(-0.2, 0.2, len(group))
        ax.scatter(xpos[~flag], vals[~flag], s=10, color="C0", alpha=0.7)
        ax.scatter(xpos[flag], vals[flag], s=22, color="red")
        ax.set_xticks(range(len(levels)), levels, rotation=30, fontsize=7)
        ax.set_title(title, fontsize=9)
    for ax in list(axes.flat)[len(present) :]:
        ax.axis("off")
    fig.tight_layout()
    save(fig, png)
