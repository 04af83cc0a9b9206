"""Figures of the enrichment results: dot plot of top sets, running-sum plots."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from myoclamp.enrichment.prerank import rank_genes, running_sum
from myoclamp.figures import save_png


def top_sets(table: pd.DataFrame, n: int = 20) -> pd.DataFrame:
    """The ``n`` sets with the smallest FDR (then p-value, then largest |NES|)."""
    order = table.assign(_abs=-table["NES"].abs())
    return order.sort_values(["FDR", "pvalue", "_abs", "set"]).head(n).drop(columns="_abs")


def _label(row: pd.Series, width: int = 48) -> str:
    text = f"{row['set']} {row['description']}".strip() if row["description"] else row["set"]
    return text if len(text) <= width else text[: width - 1] + "…"


def dot_plot(
    table: pd.DataFrame, path: str | Path, *, title: str, floor: float, n: int = 20
) -> None:
    """NES of the top sets; dot size = set size, colour = -log10 FDR (FDR 0 shown at ``floor``)."""
    top = top_sets(table, n).iloc[::-1]
    fig, ax = plt.subplots(figsize=(8, 0.32 * max(len(top), 4) + 1.5))
    if top.empty:
        ax.text(0.5, 0.5, "no gene set tested", ha="center", va="center")
        ax.set_axis_off()
    else:
        colour = -np.log10(top["FDR"].clip(lower=floor))
        pts = ax.scatter(
            top["NES"], np.arange(len(top)), s=15 + 1.5 * np.sqrt(top["size"]) * 6,
            c=colour, cmap="viridis", vmin=0, edgecolors="k", linewidths=0.3,
        )  # fmt: skip
        ax.set_yticks(np.arange(len(top)), [_label(r) for _, r in top.iterrows()], fontsize=7)
        ax.axvline(0, color="grey", lw=0.6)
        ax.set_xlabel("normalised enrichment score (NES)")
        fig.colorbar(pts, ax=ax, label="-log10 FDR", shrink=0.6)
    ax.set_title(title, fontsize=9)
    fig.tight_layout()
    save_png(fig, path, dpi=110)


def running_sum_plot(
    ranking: pd.Series,
    gene_sets: Mapping[str, Sequence[str]],
    names: Sequence[str],
    results: pd.DataFrame,
    path: str | Path,
    *,
    title: str,
    weight: float = 1.0,
) -> None:
    """One panel per set: running enrichment score over the ranked genes, with hit ticks."""
    ranked = rank_genes(ranking, weight)
    rank_of = dict(zip(ranked.genes.tolist(), range(ranked.n), strict=True))
    res = results.set_index("set")
    names = [s for s in names if s in gene_sets]
    ncol = 2
    nrow = max(1, int(np.ceil(len(names) / ncol)))
    fig, axes = plt.subplots(nrow, ncol, figsize=(9, 2.4 * nrow), squeeze=False)
    for ax in axes.flat[len(names) :]:
        ax.set_axis_off()
    if not names:
        axes.flat[0].text(0.5, 0.5, "no gene set to show", ha="center", va="center")
    for ax, name in zip(axes.flat, names, strict=False):
        pos = np.array(sorted({rank_of[g] for g in gene_sets[name] if g in rank_of}), dtype=int)
        if pos.size == 0:
            ax.text(0.5, 0.5, f"{name}: no gene tested", ha="center", va="center", fontsize=8)
            ax.set_axis_off()
            continue
        res_es = running_sum(ranked, pos)
        ax.plot(np.arange(ranked.n), res_es, color="tab:green", lw=1)
        ax.axhline(0, color="grey", lw=0.5)
        low = min(res_es.min(), 0)
        ax.vlines(pos, low - 0.08, low - 0.02, color="k", lw=0.3)
        stats = ""
        if name in res.index:
            r = res.loc[name]
            stats = f"\nNES {r['NES']:.2f}, FDR {r['FDR']:.3g}, n={int(r['size'])}"
        ax.set_title(f"{name}{stats}", fontsize=8)
        ax.set_xlim(0, ranked.n)
        ax.tick_params(labelsize=7)
        ax.set_ylabel("running ES", fontsize=7)
    axes.flat[min(len(names), len(axes.flat)) - 1 if names else 0].set_xlabel(
        "gene rank (Wald statistic, decreasing)", fontsize=7
    )
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    save_png(fig, path, dpi=110)
