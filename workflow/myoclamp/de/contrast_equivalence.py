"""What a DE job adds to each contrast about equivalence and detectable effects.

From the contrast's own table (``log2FoldChange``, ``lfcSE``, ``pvalue``, ``padj``,
``baseMean``) and its reference distribution (``wald_df`` of the meta; None for the normal),
nothing refitted:

- columns of ``results/de/{contrast}.tsv`` (:data:`EQUIVALENCE_COLUMNS`): the margin
  (``eq_margin``, log2), DESeq2's ``lessAbs`` test (``eq_stat``, ``eq_pvalue``, ``eq_padj`` over all
  genes with independent filtering; :mod:`myoclamp.de.equivalence`), its ``1 - 2 alpha`` interval
  (``eq_ci_low``, ``eq_ci_high``), the verdict (``verdict``: equivalent / different /
  inconclusive), the genes of interest as their own family (``interest``, ``padj_interest`` of the
  DE test and ``eq_padj_interest``, BH over them; ``verdict_interest``), and the detectable effect
  (``mde``: the smallest |log2FC| found with power ``de.power.target`` at nominal ``de.alpha``,
  :mod:`myoclamp.de.power`);
- ``results/de/detectable/{contrast}.tsv``: the genes of interest's detectable effects, power at the
  margin, and (contrasts between arms only) participants per arm for a next trial;
- ``results/de/detectable/{contrast}.distribution.tsv``: the genome-wide distribution of the
  detectable effect (nominal and genome-wide lone-change level).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from myoclamp.de.equivalence import equivalence_table, verdict_counts
from myoclamp.de.power import (
    DETECTABLE_COLUMNS,
    detectable_distribution,
    detectable_effect,
    detectable_table,
)
from myoclamp.de.settings import de_settings, trial_levels

if TYPE_CHECKING:
    from myoclamp.de.design import Design
    from myoclamp.de.mixed_designs import MixedDesign

EQUIVALENCE_COLUMNS = [
    "eq_margin",
    "eq_stat",
    "eq_pvalue",
    "eq_padj",
    "eq_ci_low",
    "eq_ci_high",
    "verdict",
    "interest",
    "padj_interest",
    "eq_padj_interest",
    "verdict_interest",
    "mde",
]
#: equivalence_table's column -> the contrast table's
RENAMED = {
    "stat": "eq_stat",
    "pvalue": "eq_pvalue",
    "padj": "eq_padj",
    "tost_ci_low": "eq_ci_low",
    "tost_ci_high": "eq_ci_high",
    "verdict": "verdict",
    "interest": "interest",
    "de_padj_interest": "padj_interest",
    "padj_interest": "eq_padj_interest",
    "verdict_interest": "verdict_interest",
}


@dataclass(frozen=True)
class EquivalenceSettings:
    """The ``de`` settings the equivalence columns and detectable effects use."""

    margin: float
    alpha: float
    target: float
    fold_change: float
    independent_filter: bool
    genes_of_interest: tuple[str, ...]


def equivalence_settings(de: dict) -> EquivalenceSettings:
    """From the ``de`` section (schema defaults filled in)."""
    return EquivalenceSettings(
        margin=float(de["equivalence_margin"]),
        alpha=float(de["alpha"]),
        target=float(de["power"]["target"]),
        fold_change=float(de["power"]["fold_change"]),
        independent_filter=bool(de["independent_filter"]),
        genes_of_interest=tuple(str(g) for g in de["genes_of_interest"]),
    )


def add_equivalence(
    table: pd.DataFrame, df: int | np.ndarray | None, s: EquivalenceSettings
) -> pd.DataFrame:
    """``table`` with :data:`EQUIVALENCE_COLUMNS` appended (rows and order unchanged)."""
    out = table.copy()
    if table.empty:
        for col in EQUIVALENCE_COLUMNS:
            out[col] = pd.Series(dtype=object if col.startswith("verdict") else float)
        return out
    eq = equivalence_table(
        table,
        s.margin,
        df=df,
        alpha=s.alpha,
        genes_of_interest=s.genes_of_interest,
        independent_filter=s.independent_filter,
    )
    out["eq_margin"] = s.margin
    for src, dst in RENAMED.items():
        out[dst] = eq[src].to_numpy()
    out["mde"] = detectable_effect(table["lfcSE"].to_numpy(float), s.alpha, s.target, df)
    return out


def reference_df(table: pd.DataFrame, meta: dict) -> int | np.ndarray | None:
    """The degrees of freedom of a contrast's tests: one per gene when the table has limma's
    moderated ``df_total`` (a voom table), else the meta's ``wald_df`` (DESeq2's t reference;
    None for the normal)."""
    if "df_total" in table:
        return table["df_total"].to_numpy(float)
    return meta.get("wald_df")


def contrast_outputs(
    table: pd.DataFrame,
    meta: dict,
    design: Design | MixedDesign,
    between_arms: bool,
    config: dict,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Everything of this module for one contrast of any engine's table: the table with its
    equivalence columns, the genes of interest's detectable effects and the genome-wide
    distribution; ``meta`` gets its ``equivalence`` entry. ``design`` gives the participants per
    arm of a contrast ``between_arms`` (next-trial sizes). Both engines' jobs call it on each
    contrast's table and meta before writing them (the DESeq2 fit's Wald df, voom's per-gene
    moderated df)."""
    eqs = equivalence_settings(de_settings(config))
    arms = None
    if between_arms and meta.get("estimable", True):
        lv = trial_levels(config)
        arms = arm_sizes(design, lv["arm_ref"], lv["arm_test"])
    df = reference_df(table, meta)
    table = add_equivalence(table, df, eqs)
    detect, dist = detectable_outputs(table, df, eqs, arms)
    meta["equivalence"] = equivalence_meta(table, eqs, arms)
    return table, detect, dist


def arm_sizes(design: Design | MixedDesign, arm_ref: str, arm_test: str) -> tuple[int, int]:
    """Participants per arm (reference, test) among the design's samples."""
    if design.matrix is None:
        return 0, 0
    meta = design.metadata.loc[design.matrix.index]
    per_arm = meta.drop_duplicates("participant")["arm"].astype(str).value_counts()
    return int(per_arm.get(arm_ref, 0)), int(per_arm.get(arm_test, 0))


def detectable_outputs(
    table: pd.DataFrame,
    df: int | np.ndarray | None,
    s: EquivalenceSettings,
    arms: tuple[int, int] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The genes of interest's detectable effects and the genome-wide distribution.

    ``arms``: participants per arm (reference, test) of a contrast between arms, which then gets
    next-trial sizes; None for the others.
    """
    dist = detectable_distribution(table, df=df, margin=s.margin, alpha=s.alpha, target=s.target)
    if table.empty:
        return pd.DataFrame({c: pd.Series(dtype=float) for c in DETECTABLE_COLUMNS}), dist
    n_ref, n_test = arms if arms is not None else (None, None)
    goi = detectable_table(
        table,
        n_ref=n_ref,
        n_test=n_test,
        df=df,
        margin=s.margin,
        fold_change=s.fold_change,
        alpha=s.alpha,
        target=s.target,
        genes_of_interest=s.genes_of_interest,
    )
    return goi, dist


def equivalence_meta(
    table: pd.DataFrame, s: EquivalenceSettings, arms: tuple[int, int] | None
) -> dict:
    """The contrast meta's ``equivalence`` entry: settings and verdict counts."""
    counts = {}
    if not table.empty:
        counts = {
            "all_genes": verdict_counts(table, interest=False),
            "genes_of_interest": verdict_counts(table, interest=True),
        }
    return {
        "margin": s.margin,
        "margin_fold": float(2.0**s.margin),
        "alpha": s.alpha,
        "power_target": s.target,
        "next_trial_fold_change": s.fold_change if arms is not None else None,
        "participants_per_arm": None if arms is None else {"reference": arms[0], "test": arms[1]},
        "verdicts": counts,
    }
