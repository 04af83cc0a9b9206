"""DE figures: volcano, MA, p-value histogram, genes-of-interest forest plot and trajectories."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from pydeseq2.preprocessing import deseq2_norm

from myoclamp.de.settings import CONTRAST_FIGURES
from myoclamp.figures import placeholder, save_png

SIG_COLOUR = "#c0392b"
GREY = "#9aa0a6"
ARM_COLOURS = ("#2c7fb8", "#d95f0e")


def _goi_rows(table: pd.DataFrame, genes: list[str]) -> pd.DataFrame:
    order = {g: i for i, g in enumerate(genes)}
    rows = table[table["symbol"].isin(order)].copy()
    rows["_order"] = rows["symbol"].map(order)
    return rows.sort_values("_order")


def _label(ax: plt.Axes, rows: pd.DataFrame, x: str, y: str) -> None:
    for _, r in rows.iterrows():
        if np.isfinite(r[x]) and np.isfinite(r[y]):
            ax.annotate(
                r["symbol"], (r[x], r[y]), fontsize=7, xytext=(3, 3), textcoords="offset points"
            )


def volcano(
    table: pd.DataFrame, path: str | Path, *, title: str, alpha: float, genes: list[str]
) -> None:
    """log2FC vs -log10 p; significant genes (padj < alpha) in red, genes of interest labelled."""
    fig, ax = plt.subplots(figsize=(6, 5))
    t = table.dropna(subset=["pvalue"])
    y = -np.log10(t["pvalue"].clip(lower=1e-300))
    sig = t["padj"] < alpha
    ax.scatter(t.loc[~sig, "log2FoldChange"], y[~sig], s=4, c=GREY, alpha=0.5, lw=0)
    ax.scatter(
        t.loc[sig, "log2FoldChange"],
        y[sig],
        s=6,
        c=SIG_COLOUR,
        lw=0,
        label=f"padj < {alpha:g} ({int(sig.sum())})",
    )
    rows = _goi_rows(t, genes).assign(_y=lambda d: -np.log10(d["pvalue"].clip(lower=1e-300)))
    ax.scatter(rows["log2FoldChange"], rows["_y"], s=14, facecolors="none", edgecolors="k", lw=0.6)
    _label(ax, rows, "log2FoldChange", "_y")
    ax.axvline(0, c="k", lw=0.5)
    ax.set(xlabel="log2 fold change (MLE)", ylabel="-log10 p-value", title=title)
    ax.legend(loc="upper left", fontsize=8, frameon=False)
    save_png(fig, path)


def ma_plot(
    table: pd.DataFrame, path: str | Path, *, title: str, alpha: float, genes: list[str]
) -> None:
    """Mean of normalised counts vs shrunk log2FC (MLE if not shrunk)."""
    column = "log2FoldChange_shrunk"
    if table[column].isna().all():
        column = "log2FoldChange"
    fig, ax = plt.subplots(figsize=(6, 4.5))
    t = table.dropna(subset=[column])
    sig = t["padj"] < alpha
    ax.scatter(t.loc[~sig, "baseMean"], t.loc[~sig, column], s=4, c=GREY, alpha=0.5, lw=0)
    ax.scatter(
        t.loc[sig, "baseMean"],
        t.loc[sig, column],
        s=6,
        c=SIG_COLOUR,
        lw=0,
        label=f"padj < {alpha:g}",
    )
    rows = _goi_rows(t, genes)
    _label(ax, rows, "baseMean", column)
    ax.set_xscale("log")
    ax.axhline(0, c="k", lw=0.5)
    which = "shrunk" if column.endswith("shrunk") else "MLE"
    ax.set(xlabel="mean of normalised counts", ylabel=f"log2 fold change ({which})", title=title)
    ax.legend(loc="upper right", fontsize=8, frameon=False)
    save_png(fig, path)


def pvalue_histogram(table: pd.DataFrame, path: str | Path, *, title: str) -> None:
    """Histogram of p-values of tested genes: flat under the null, a spike at 0 with signal."""
    fig, ax = plt.subplots(figsize=(5, 3.5))
    p = table["pvalue"].dropna()
    ax.hist(p, bins=np.linspace(0, 1, 41), color="#5b8db8", edgecolor="white", lw=0.3)
    if len(p):
        ax.axhline(len(p) / 40, c="k", lw=0.7, ls="--", label="uniform (no signal)")
        ax.legend(fontsize=8, frameon=False)
    ax.set(xlabel="p-value", ylabel="genes", title=f"{title} ({len(p)} genes)")
    save_png(fig, path)


def forest(table: pd.DataFrame, path: str | Path, *, title: str, genes: list[str]) -> None:
    """Genes of interest: MLE log2FC with 95 % CI; a bounded estimate even when not significant."""
    rows = _goi_rows(table.dropna(subset=["log2FoldChange"]), genes)
    if rows.empty:
        placeholder(path, title, "none of the genes of interest was tested")
        return
    fig, ax = plt.subplots(figsize=(5.5, 0.3 * len(rows) + 1.2))
    y = np.arange(len(rows))[::-1]
    sig = (rows["padj"] < 0.05).to_numpy()
    colours = np.where(sig, SIG_COLOUR, "k")
    ax.hlines(y, rows["ci_low"], rows["ci_high"], colors=colours, lw=1.2)
    ax.scatter(rows["log2FoldChange"], y, c=colours, s=16, zorder=3)
    ax.axvline(0, c=GREY, lw=0.8)
    ax.set_yticks(y, rows["symbol"])
    ax.set(xlabel="log2 fold change, 95 % CI (red: padj < 0.05)", title=title)
    save_png(fig, path)


def contrast_figures(
    table: pd.DataFrame, meta: dict, paths: dict[str, str], *, alpha: float, genes: list[str]
) -> None:
    """The figures of :data:`CONTRAST_FIGURES` of one contrast's table (placeholders saying why
    when the contrast was not estimable); ``paths`` maps each figure to its file."""
    title = str(meta["contrast"])
    if not meta["estimable"]:
        for name in CONTRAST_FIGURES:
            placeholder(paths[name], title, f"not estimable: {meta['reason']}")
        return
    volcano(table, paths["volcano"], title=title, alpha=alpha, genes=genes)
    ma_plot(table, paths["ma"], title=title, alpha=alpha, genes=genes)
    pvalue_histogram(table, paths["pvalues"], title=title)
    forest(table, paths["forest"], title=title, genes=genes)


def normalised_log_counts(counts: pd.DataFrame) -> pd.DataFrame:
    """log2(median-of-ratios normalised counts + 1), samples x genes."""
    normed, _ = deseq2_norm(counts.to_numpy(dtype=float))
    return pd.DataFrame(np.log2(normed + 1), index=counts.index, columns=counts.columns)


def genes_of_interest_panel(
    logcounts: pd.DataFrame,
    obs: pd.DataFrame,
    symbols: pd.Series,
    genes: list[str],
    path: str | Path,
    *,
    arm_levels: list[str],
) -> None:
    """Each participant's trajectory (thin) and arm means (thick) by visit and clamp state."""
    present = [g for g in genes if g in set(symbols)]
    if not present:
        placeholder(path, "genes of interest", "none of the genes of interest is in the counts")
        return
    state = obs["visit"].astype(str)
    if "clamp" in obs.columns:
        state = state + "\n" + obs["clamp"].astype(str)
    order = [s for s in _state_order(obs) if s in set(state)]
    xpos = state.map({s: i for i, s in enumerate(order)})
    ncol = 4
    nrow = int(np.ceil(len(present) / ncol))
    fig, axes = plt.subplots(nrow, ncol, figsize=(3.2 * ncol, 2.6 * nrow), squeeze=False)
    key = {s: k for k, s in symbols.items()}
    for ax, gene in zip(axes.flat, present, strict=False):
        y = logcounts[key[gene]]
        for a, arm in enumerate(arm_levels):
            in_arm = obs["arm"].astype(str) == arm
            for _, idx in obs[in_arm].groupby("participant", observed=True).groups.items():
                pts = pd.DataFrame({"x": xpos[idx], "y": y[idx]}).sort_values("x")
                ax.plot(pts["x"], pts["y"], c=ARM_COLOURS[a % 2], lw=0.4, alpha=0.35)
            means = y[in_arm].groupby(xpos[in_arm]).mean()
            ax.plot(
                means.index,
                means.to_numpy(),
                c=ARM_COLOURS[a % 2],
                lw=2.2,
                marker="o",
                ms=3,
                label=arm,
            )
        ax.set_title(gene, fontsize=9)
        ax.set_xticks(range(len(order)), order, fontsize=6)
        ax.tick_params(axis="y", labelsize=7)
    for ax in axes.flat[len(present) :]:
        ax.axis("off")
    axes.flat[0].set_ylabel("log2(normalised count + 1)", fontsize=7)
    axes.flat[0].legend(fontsize=7, frameon=False)
    save_png(fig, path)


def _state_order(obs: pd.DataFrame) -> list[str]:
    visits = (
        list(obs["visit"].cat.categories)
        if hasattr(obs["visit"], "cat")
        else sorted(obs["visit"].astype(str).unique())
    )
    if "clamp" not in obs.columns:
        return [str(v) for v in visits]
    clamps = (
        list(obs["clamp"].cat.categories)
        if hasattr(obs["clamp"], "cat")
        else sorted(obs["clamp"].astype(str).unique())
    )
    return [f"{v}\n{c}" for v in visits for c in clamps]
