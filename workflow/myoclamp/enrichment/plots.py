"""Figures of the gene-set results: dot plot of the set tests, prerank running-sum plots."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from myoclamp.enrichment.genesets import set_label
from myoclamp.enrichment.prerank import rank_genes, running_sum
from myoclamp.figures import save_png


def top_sets(table: pd.DataFrame, n: int = 20) -> pd.DataFrame:
    """The ``n`` sets of a set-test table with the smallest camera p-values (then name)."""
    if table.empty:
        return table
    order = table.assign(_p=pd.to_numeric(table["camera_pvalue"], errors="coerce"))
    return order.sort_values(["_p", "set"], kind="mergesort").head(n).drop(columns="_p")


def _label(row: pd.Series, width: int = 52) -> str:
    text = set_label(str(row["set"]), row.get("description"))
    return text if len(text) <= width else text[: width - 1] + "…"


def _enriched(values: pd.Series) -> np.ndarray:
    return values.astype(str).str.lower().isin(["true", "1"]).to_numpy()


def dot_plot(
    table: pd.DataFrame,
    path: str | Path,
    *,
    title: str,
    alpha: float = 0.05,
    n: int = 20,
    empty: str = "no gene set tested",
) -> None:
    """The set tests' top sets (smallest camera p): x = mean log2 fold change of the set's genes,
    size = set size, colour = -log10 camera FDR; enriched sets (camera FDR and permutation p
    below ``alpha``) drawn with a black edge and a star. Sets named by GO term name."""
    top = top_sets(table, n).iloc[::-1]
    fig, ax = plt.subplots(figsize=(8, 0.32 * max(len(top), 4) + 1.8))
    if top.empty:
        ax.text(0.5, 0.5, empty, ha="center", va="center")
        ax.set_axis_off()
    else:
        fdr = pd.to_numeric(top["camera_FDR"], errors="coerce").clip(lower=1e-300)
        called = _enriched(top["enriched"])
        pts = ax.scatter(
            top["mean_log2FC"], np.arange(len(top)), s=15 + 1.5 * np.sqrt(top["size"]) * 6,
            c=-np.log10(fdr), cmap="viridis", vmin=0, edgecolors=np.where(called, "k", "0.75"),
            linewidths=np.where(called, 1.2, 0.4),
        )  # fmt: skip
        labels = [_label(r) + (" *" if c else "") for (_, r), c in zip(top.iterrows(), called,
                                                                      strict=True)]  # fmt: skip
        ax.set_yticks(np.arange(len(top)), labels, fontsize=7)
        ax.axvline(0, color="grey", lw=0.6)
        ax.set_xlabel(
            "mean log2 fold change of the set's genes (log2-CPM)\n* enriched: camera FDR and "
            f"permutation p < {alpha:g}",
            fontsize=8,
        )
        fig.colorbar(pts, ax=ax, label="-log10 camera FDR", shrink=0.6)
    ax.set_title(title, fontsize=9)
    fig.tight_layout()
    save_png(fig, path, dpi=110)


def _call_text(tests: pd.DataFrame, name: str) -> str:
    if tests is None or tests.empty or name not in set(tests["set"]):
        return "not in the set tests"
    r = tests.set_index("set").loc[name]
    called = "enriched" if _enriched(pd.Series([r["enriched"]]))[0] else "not enriched"
    fdr, perm = float(r["camera_FDR"]), float(r["permutation_pvalue"])
    return f"camera FDR {fdr:.2g}, perm. p {perm:.2g}: {called}"


def running_sum_plot(
    ranking: pd.Series,
    gene_sets: Mapping[str, Sequence[str]],
    names: Sequence[str],
    prerank: pd.DataFrame,
    tests: pd.DataFrame | None,
    path: str | Path,
    *,
    title: str,
    weight: float = 1.0,
) -> None:
    """One panel per set: prerank's running enrichment score over the ranked genes, with hit
    ticks; the panel title gives the set tests' call and prerank's NES (no prerank FDR)."""
    ranked = rank_genes(ranking, weight)
    rank_of = dict(zip(ranked.genes.tolist(), range(ranked.n), strict=True))
    res = prerank.set_index("set") if len(prerank) else pd.DataFrame()
    desc = tests.set_index("set")["description"] if tests is not None and len(tests) else {}
    names = [s for s in names if s in gene_sets]
    ncol = 2
    nrow = max(1, int(np.ceil(len(names) / ncol)))
    fig, axes = plt.subplots(nrow, ncol, figsize=(9, 2.5 * nrow + 0.3), squeeze=False)
    for ax in axes.flat[len(names) :]:
        ax.set_axis_off()
    if not names:
        axes.flat[0].text(0.5, 0.5, "no gene set to show", ha="center", va="center")
    for ax, name in zip(axes.flat, names, strict=False):
        label = set_label(name, desc.get(name) if len(desc) else None)
        pos = np.array(sorted({rank_of[g] for g in gene_sets[name] if g in rank_of}), dtype=int)
        if pos.size == 0:
            ax.text(0.5, 0.5, f"{label}: no gene tested", ha="center", va="center", fontsize=8)
            ax.set_axis_off()
            continue
        res_es = running_sum(ranked, pos)
        ax.plot(np.arange(ranked.n), res_es, color="tab:green", lw=1)
        ax.axhline(0, color="grey", lw=0.5)
        low = min(res_es.min(), 0)
        ax.vlines(pos, low - 0.08, low - 0.02, color="k", lw=0.3)
        nes = f"prerank NES {res.loc[name, 'NES']:.2f}, " if name in res.index else ""
        short = label if len(label) <= 60 else label[:59] + "…"
        ax.set_title(f"{short}\n{_call_text(tests, name)}; {nes}n={pos.size}", fontsize=7)
        ax.set_xlim(0, ranked.n)
        ax.tick_params(labelsize=7)
        ax.set_ylabel("running ES", fontsize=7)
    axes.flat[min(len(names), len(axes.flat)) - 1 if names else 0].set_xlabel(
        "gene rank (Wald statistic, decreasing)", fontsize=7
    )
    fig.suptitle(title, fontsize=8)
    fig.tight_layout()
    save_png(fig, path, dpi=110)
