"""The treatment section's equivalence statement and figure, from the run's own tables.

Inputs are the tables of :func:`myoclamp.de.equivalence.equivalence_table` (genes),
:func:`myoclamp.clinical.set_equivalence.set_equivalence` (curated sets) and
:func:`myoclamp.clinical.equivalence.endpoint_equivalence` (M-value). Every number and name in the
text comes from them. A null result is stated as what the margin and intervals allow, never as
an absence of effect.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from myoclamp.de.equivalence import VERDICTS
from myoclamp.figures import placeholder, save_png

VERDICT_COLOURS = {"equivalent": "#1b7837", "different": "#c0392b", "inconclusive": "#7f7f7f"}
#: names listed in the statement at most (the rest are counted)
MAX_NAMES = 8


def _counts(verdict: pd.Series) -> dict[str, int]:
    counts = verdict.astype(str).value_counts()
    return {v: int(counts.get(v, 0)) for v in VERDICTS}


def _names(rows: pd.DataFrame, col: str, verdict: str, verdict_col: str) -> list[str]:
    return rows.loc[rows[verdict_col] == verdict, col].astype(str).tolist()


def equivalence_summary(
    genes: pd.DataFrame,
    sets: pd.DataFrame | None = None,
    endpoint: pd.DataFrame | None = None,
    alpha: float = 0.05,
) -> dict:
    """Counts and names per verdict: genes of interest, all genes, sets; the endpoint row."""
    goi = genes[genes["interest"].astype(bool)]
    margins = genes["lfcThreshold"].dropna().unique()
    out: dict = {
        "alpha": alpha,
        "margin": float(margins[0]) if len(margins) else float("nan"),
        "goi": _counts(goi["verdict_interest"]),
        "goi_names": {v: _names(goi, "symbol", v, "verdict_interest") for v in VERDICTS},
        "genes": _counts(genes["verdict"]),
        "genes_tested": int(genes["padj"].notna().sum()),
        "genes_total": len(genes),
    }
    if sets is not None and len(sets):
        out["sets"] = _counts(sets["verdict"])
        out["set_names"] = {v: _names(sets, "set", v, "verdict") for v in VERDICTS}
    if endpoint is not None and len(endpoint):
        out["endpoint"] = endpoint.iloc[0].to_dict()
    return out


def _list(names: list[str]) -> str:
    if len(names) <= MAX_NAMES:
        return ", ".join(names)
    return ", ".join(names[:MAX_NAMES]) + f" and {len(names) - MAX_NAMES} more"


def _verdict_clause(counts: dict[str, int], names: dict[str, list[str]] | None) -> str:
    parts = []
    for verdict, words in (
        ("equivalent", "equivalent within the margin"),
        ("inconclusive", "inconclusive"),
        ("different", "different between arms"),
    ):
        n = counts[verdict]
        text = f"{n} {'is' if n == 1 else 'are'} {words}"
        if names and n and verdict != "equivalent":
            text += f" ({_list(names[verdict])})"
        parts.append(text)
    return f"{parts[0]}, {parts[1]} and {parts[2]}"


def equivalence_sentence(s: dict, unit_name: str = "log2") -> str:
    """Plain-language statement of :func:`equivalence_summary` (no 'no effect' wording)."""
    pct = round(100 * (1 - 2 * s["alpha"]))
    margin = s["margin"]
    if not s["genes_total"]:
        return "No gene could be tested for equivalence (the contrast was not estimated)."
    lines = [
        f"Equivalence margin ±{margin:.2f} {unit_name} units ({2**margin:.2f}-fold): a gene or set "
        f"is called equivalent when its {pct} % interval of the arm difference lies within the "
        f"margin (two one-sided tests, BH-adjusted at {s['alpha']:g}), different when the arms "
        "differ at that level without equivalence being shown, and inconclusive otherwise: "
        "the interval is too wide to say either."
    ]
    n_goi = sum(s["goi"].values())
    if n_goi:
        lines.append(
            f"Of the {n_goi} genes of interest tested, {_verdict_clause(s['goi'], s['goi_names'])}."
        )
    else:
        lines.append("None of the genes of interest was tested.")
    if "sets" in s:
        n_sets = sum(s["sets"].values())
        lines.append(
            f"Of the {n_sets} curated muscle sets (change of the mean log2 expression within each "
            f"participant), {_verdict_clause(s['sets'], s['set_names'])}."
        )
    g = s["genes"]
    lines.append(
        f"Genome-wide, {g['equivalent']:,} of {s['genes_total']:,} genes are equivalent within "
        f"the margin, {g['different']:,} differ and {g['inconclusive']:,} are inconclusive "
        "(including those without an adjusted p-value: low counts or outliers)."
    )
    e = s.get("endpoint")
    if e is not None:
        if np.isfinite(e.get("estimate", np.nan)):
            lines.append(
                f"{e['variable']}: arm difference at follow-up {e['estimate']:.2f} "
                f"(95 % CI {e['ci_low']:.2f} to {e['ci_high']:.2f}; {pct} % CI "
                f"{e['tost_ci_low']:.2f} to {e['tost_ci_high']:.2f}) against a margin of "
                f"±{e['margin']:.2f}: {e['verdict']} (TOST p = {e['tost_pvalue']:.2g})."
            )
        else:
            lines.append(f"{e['variable']}: no equivalence verdict ({e.get('note', '')}).")
    return " ".join(lines)


def _panel(ax: plt.Axes, rows: pd.DataFrame, label: str, verdict: str, margin: float) -> None:
    y = np.arange(len(rows))[::-1]
    colours = [VERDICT_COLOURS.get(v, "k") for v in rows[verdict].astype(str)]
    ax.axvspan(-margin, margin, color="#d9f0d3", zorder=0)
    for x in (-margin, margin):
        ax.axvline(x, c="#1b7837", lw=0.8, ls="--")
    ax.axvline(0, c="#bbbbbb", lw=0.8)
    ax.hlines(y, rows["ci_low"], rows["ci_high"], colors=colours, lw=0.8)
    ax.hlines(y, rows["tost_ci_low"], rows["tost_ci_high"], colors=colours, lw=2.6)
    ax.scatter(rows["estimate"], y, c=colours, s=18, zorder=3)
    ax.set_yticks(y, rows[label].astype(str))
    ax.tick_params(axis="y", labelsize=8)


def equivalence_plot(
    genes: pd.DataFrame,
    path: str | Path,
    *,
    sets: pd.DataFrame | None = None,
    endpoint: pd.DataFrame | None = None,
    title: str = "treatment",
    alpha: float = 0.05,
) -> None:
    """Estimates with ``1 - 2 alpha`` (thick) and 95 % (thin) intervals against the margin band:
    genes of interest, curated sets and the endpoint, coloured by verdict."""
    goi = genes[genes["interest"].astype(bool) & genes["log2FoldChange"].notna()]
    goi = goi.rename(columns={"log2FoldChange": "estimate"}).sort_values("estimate")
    panels = []
    margin = float(genes["lfcThreshold"].iloc[0]) if len(genes) else float("nan")
    if len(goi):
        panels.append((goi, "symbol", "verdict_interest", margin, "genes of interest, log2FC"))
    if sets is not None and len(sets):
        srt = sets.dropna(subset=["estimate"]).sort_values("estimate")
        panels.append((srt, "set", "verdict", float(sets["margin"].iloc[0]), "sets, mean log2FC"))
    if endpoint is not None and len(endpoint) and np.isfinite(endpoint["estimate"].iloc[0]):
        panels.append(
            (endpoint, "variable", "verdict", float(endpoint["margin"].iloc[0]), "endpoint")
        )
    if not panels:
        placeholder(path, title, "nothing to show: no gene of interest, set or endpoint estimate")
        return
    heights = [max(len(p[0]), 1) * 0.28 + 0.7 for p in panels]
    fig, axes = plt.subplots(
        len(panels), 1, figsize=(6.5, sum(heights) + 0.6), height_ratios=heights, squeeze=False
    )
    pct = round(100 * (1 - 2 * alpha))
    for ax, (rows, label, verdict, m, xlabel) in zip(axes[:, 0], panels, strict=True):
        _panel(ax, rows, label, verdict, m)
        ax.set_xlabel(f"{xlabel} (test - reference); band: margin ±{m:.2f}", fontsize=8)
    handles = [
        plt.Line2D([], [], color=c, marker="o", lw=2.6, label=v) for v, c in VERDICT_COLOURS.items()
    ]
    axes[0, 0].legend(
        handles=handles, fontsize=7, frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0)
    )
    axes[0, 0].set_title(f"{title}: estimates, {pct} % (thick) and 95 % (thin) intervals")
    fig.tight_layout()
    save_png(fig, path)
