"""The treatment section's equivalence statement and figure, and the first screen's equivalence
rows, from the run's own tables.

Inputs: a contrast table with the DE job's equivalence columns (``results/de/{contrast}.tsv``:
``eq_margin``, ``eq_padj``, ``eq_ci_low``/``eq_ci_high``, ``verdict``, ``interest``,
``verdict_interest``; :mod:`myoclamp.de.contrast_equivalence`), the curated sets' table
(``results/clinical/sets_equivalence.tsv``) and the endpoints (``results/clinical/endpoints.tsv``,
the rows with a ``margin``: the M-value). Every number and name in the text comes from them. A
null result is stated as what the margin and intervals allow, never as an absence of effect.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from myoclamp.de.equivalence import VERDICTS

VERDICT_COLOURS = {"equivalent": "#1b7837", "different": "#c0392b", "inconclusive": "#7f7f7f"}
#: names listed in the statement at most (the rest are counted)
MAX_NAMES = 8
#: the first screen's equivalence rows (answers.Tables.equivalence)
FEATURE_COLUMNS = ["contrast", "kind", "feature", "verdict", "equivalent", "margin"]


def has_equivalence(table: pd.DataFrame | None) -> bool:
    """Does a contrast table carry the equivalence columns?"""
    return table is not None and {"eq_margin", "verdict", "verdict_interest"} <= set(table)


def endpoint_rows(endpoints: pd.DataFrame | None) -> pd.DataFrame | None:
    """The endpoints with an equivalence margin (the M-value), or None."""
    if endpoints is None or "margin" not in endpoints:
        return None
    rows = endpoints[pd.to_numeric(endpoints["margin"], errors="coerce").notna()]
    return rows.reset_index(drop=True) if len(rows) else None


def _counts(verdict: pd.Series) -> dict[str, int]:
    counts = verdict.astype(str).value_counts()
    return {v: int(counts.get(v, 0)) for v in VERDICTS}


def _names(rows: pd.DataFrame, col: str, verdict: str, verdict_col: str) -> list[str]:
    return rows.loc[rows[verdict_col] == verdict, col].astype(str).tolist()


def interest_rows(table: pd.DataFrame) -> pd.DataFrame:
    """The genes of interest with a verdict in their own family."""
    goi = table[table["interest"].astype(str).str.lower().isin(["true", "1"])]
    return goi[goi["verdict_interest"].astype(str).isin(VERDICTS)]


def equivalence_summary(
    genes: pd.DataFrame,
    sets: pd.DataFrame | None = None,
    endpoint: pd.DataFrame | None = None,
    alpha: float = 0.05,
) -> dict:
    """Counts and names per verdict: genes of interest, all genes, sets; the endpoint rows."""
    goi = interest_rows(genes) if len(genes) else genes
    margins = pd.to_numeric(genes.get("eq_margin", pd.Series(dtype=float)), errors="coerce")
    margins = margins.dropna().unique()
    out: dict = {
        "alpha": alpha,
        "margin": float(margins[0]) if len(margins) else float("nan"),
        "goi": _counts(goi["verdict_interest"]) if len(goi) else _counts(pd.Series(dtype=str)),
        "goi_names": {v: _names(goi, "symbol", v, "verdict_interest") for v in VERDICTS}
        if len(goi)
        else {v: [] for v in VERDICTS},
        "genes": _counts(genes["verdict"]) if len(genes) else _counts(pd.Series(dtype=str)),
        "genes_tested": int(genes["eq_padj"].notna().sum()) if len(genes) else 0,
        "genes_total": len(genes),
    }
    if sets is not None and len(sets):
        out["sets"] = _counts(sets["verdict"])
        out["set_names"] = {v: _names(sets, "set", v, "verdict") for v in VERDICTS}
    rows = endpoint_rows(endpoint)
    if rows is not None:
        out["endpoints"] = [r.to_dict() for _, r in rows.iterrows()]
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
    lines += endpoint_sentences(s.get("endpoints", []))
    return " ".join(lines)


def endpoint_sentences(endpoints: list[dict], alpha: float = 0.05) -> list[str]:
    """One sentence per endpoint row with a margin (``endpoints.tsv``; its TOST is at 5 %)."""
    pct = round(100 * (1 - 2 * alpha))
    lines = []
    for e in endpoints:
        if np.isfinite(e.get("estimate", np.nan)) and isinstance(e.get("verdict"), str):
            lines.append(
                f"{e['variable']}: arm difference at follow-up {e['estimate']:.2f} "
                f"(95 % CI {e['ci_low']:.2f} to {e['ci_high']:.2f}; {pct} % CI "
                f"{e['tost_ci_low']:.2f} to {e['tost_ci_high']:.2f}) against a margin of "
                f"±{e['margin']:.2f}: {e['verdict']} (TOST p = {e['tost_pvalue']:.2g})."
            )
        else:
            note = e.get("note")
            why = f" ({note})" if isinstance(note, str) and note else ""
            lines.append(f"{e['variable']}: no equivalence verdict{why}.")
    return lines


def _features(contrast: str, kind: str, names, verdicts_, margins) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "contrast": contrast,
            "kind": kind,
            "feature": pd.Series(names).astype(str).to_numpy(),
            "verdict": pd.Series(verdicts_).astype(str).to_numpy(),
            "margin": pd.to_numeric(pd.Series(margins), errors="coerce").to_numpy(),
        }
    )


def feature_table(
    de: dict[str, pd.DataFrame],
    sets: pd.DataFrame | None = None,
    endpoints: pd.DataFrame | None = None,
    sets_contrast: str = "treatment",
) -> pd.DataFrame:
    """One row per tested feature with a verdict (the first screen's equivalence hook): the genes
    of interest of every contrast with equivalence columns, the curated sets and the endpoints
    with a margin (both belong to ``sets_contrast``, the arms' change from baseline)."""
    rows = []
    for contrast, t in de.items():
        if has_equivalence(t) and len(t):
            goi = interest_rows(t)
            rows.append(_features(contrast, "gene", goi["symbol"], goi["verdict_interest"],
                                  goi["eq_margin"]))  # fmt: skip
    if sets_contrast in de and sets is not None and len(sets) and "verdict" in sets:
        rows.append(_features(sets_contrast, "set", sets["set"], sets["verdict"], sets["margin"]))
    ends = endpoint_rows(endpoints)
    if sets_contrast in de and ends is not None:
        ends = ends[ends["verdict"].astype(str).isin(VERDICTS)]
        rows.append(_features(sets_contrast, "endpoint", ends["variable"], ends["verdict"],
                              ends["margin"]))  # fmt: skip
    if not rows:
        return pd.DataFrame(columns=FEATURE_COLUMNS)
    out = pd.concat(rows, ignore_index=True)
    out["equivalent"] = out["verdict"] == "equivalent"
    return out[FEATURE_COLUMNS]


def _panel(ax, rows: pd.DataFrame, label: str, verdict: str, margin: float) -> None:
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
    genes of interest, curated sets and the endpoints with a margin, coloured by verdict."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from myoclamp.figures import placeholder, save_png

    panels = []
    if has_equivalence(genes) and len(genes):
        goi = interest_rows(genes)
        goi = goi[goi["log2FoldChange"].notna()].rename(
            columns={
                "log2FoldChange": "estimate",
                "eq_ci_low": "tost_ci_low",
                "eq_ci_high": "tost_ci_high",
            }  # fmt: skip
        )
        if len(goi):
            margin = float(goi["eq_margin"].iloc[0])
            panels.append((goi.sort_values("estimate"), "symbol", "verdict_interest", margin,
                           "genes of interest, log2FC"))  # fmt: skip
    if sets is not None and len(sets):
        srt = sets.dropna(subset=["estimate"]).sort_values("estimate")
        if len(srt):
            panels.append((srt, "set", "verdict", float(sets["margin"].iloc[0]),
                           "sets, mean log2FC"))  # fmt: skip
    ends = endpoint_rows(endpoint)
    if ends is not None:
        for i in range(len(ends)):
            e = ends.iloc[[i]]
            if np.isfinite(e["estimate"].iloc[0]) and isinstance(e["verdict"].iloc[0], str):
                panels.append((e, "variable", "verdict", float(e["margin"].iloc[0]),
                               str(e["variable"].iloc[0])))  # fmt: skip
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
