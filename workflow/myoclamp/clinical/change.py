"""Change vs change: the within-person change in expression against the change in M-value.

Participants with a basal biopsy (not excluded) at both the baseline and the follow-up visit and
an M-value at both visits. Per gene: the follow-up minus baseline VST against the follow-up
minus baseline M-value, by partial Spearman correlation adjusted for arm (when both arms are
present; the treatment could move both). Per set: the change in the set score (scores computed
with z across the pooled biopsies of both visits). BH FDR over genes, and within collections.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

import numpy as np
import pandas as pd

from myoclamp.adata import analysed
from myoclamp.clinical.samples import Covariates, basal, build_covariates
from myoclamp.clinical.sets import score_association, set_scores
from myoclamp.clinical.settings import ClinicalSettings
from myoclamp.clinical.stats import bh, partial_spearman
from myoclamp.enrichment.genesets import GeneSets

log = logging.getLogger(__name__)

CHANGE_GENE_COLUMNS = [
    "gene_id",
    "symbol",
    "n",
    "estimate",
    "ci_low",
    "ci_high",
    "stat",
    "pvalue",
    "padj",
]


def paired_samples(
    obs: pd.DataFrame, cfg: ClinicalSettings
) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """Baseline and follow-up basal biopsies of the same people, aligned by participant.

    Both frames are indexed by participant; column ``sample_id`` holds the biopsy's obs name.
    """
    if cfg.m_reason:
        return obs.iloc[:0], obs.iloc[:0], [cfg.m_reason]
    if cfg.m_value not in obs.columns:
        return obs.iloc[:0], obs.iloc[:0], [f"M-value column {cfg.m_value!r} not in the data"]
    sub = basal(analysed(obs), cfg)
    sub = sub[sub[cfg.m_value].notna()]
    sub = sub.assign(sample_id=sub.index.astype(str))
    base = sub[sub["visit"].astype(str) == cfg.visit_base].set_index("participant", drop=False)
    follow = sub[sub["visit"].astype(str) == cfg.visit_follow].set_index("participant", drop=False)
    for frame, visit in ((base, cfg.visit_base), (follow, cfg.visit_follow)):
        if frame.index.duplicated().any():
            raise ValueError(
                f"participant {frame.index[frame.index.duplicated()][0]!r} has two {visit} "
                "basal biopsies in the AnnData; list one under exclude: in the config"
            )
    people = base.index.intersection(follow.index).sort_values()
    notes = [
        f"{len(people)} participants with basal biopsies and M-values at both visits "
        f"({len(base.index.difference(people))} with baseline only, "
        f"{len(follow.index.difference(people))} with follow-up only left out)"
    ]
    log.info("change vs change: %s", notes[0])
    return base.loc[people], follow.loc[people], notes


def arm_covariate(base: pd.DataFrame) -> Covariates:
    """The arm as a dummy covariate (dropped with a note when only one arm is present)."""
    return build_covariates(base.reset_index(drop=True), ["arm"])


def change_genes(
    delta: pd.DataFrame, delta_m: np.ndarray, cov: Covariates, symbols: pd.Series
) -> pd.DataFrame:
    """Partial Spearman of each gene's VST change with the M-value change."""
    if delta.empty:
        return empty_change_table()
    res = partial_spearman(delta.to_numpy(float), delta_m, None, cov.dummies.to_numpy())
    out = pd.DataFrame(
        {
            "gene_id": delta.columns.astype(str),
            "symbol": symbols.reindex(delta.columns).astype(str).to_numpy(),
            "n": res["n"].to_numpy(),
            "estimate": res["estimate"].to_numpy(),
            "ci_low": res["ci_low"].to_numpy(),
            "ci_high": res["ci_high"].to_numpy(),
            "stat": res["stat"].to_numpy(),
            "pvalue": res["pvalue"].to_numpy(),
            "padj": bh(res["pvalue"].to_numpy()),
        }
    )
    out = out.sort_values(["pvalue", "gene_id"], na_position="last", kind="mergesort")
    return out[CHANGE_GENE_COLUMNS].reset_index(drop=True)


def empty_change_table() -> pd.DataFrame:
    """The change-vs-change genes table without rows."""
    return pd.DataFrame({c: pd.Series(dtype=object) for c in CHANGE_GENE_COLUMNS})


def change_sets(
    vst_base: pd.DataFrame,
    vst_follow: pd.DataFrame,
    delta_m: np.ndarray,
    cov: Covariates,
    symbols: pd.Series,
    sets: GeneSets,
    min_size: Mapping[str, int] | int,
    max_size: int,
) -> pd.DataFrame:
    """Partial Spearman of each set score's change with the M-value change."""
    n = len(vst_base)
    pooled = pd.concat([vst_base, vst_follow], ignore_index=True)
    scores, sizes = set_scores(pooled, symbols, sets.genes, min_size, max_size)
    if scores.shape[1] == 0:
        return score_association(scores, sizes, delta_m, cov, sets)
    delta = pd.DataFrame(
        scores.iloc[n:].to_numpy() - scores.iloc[:n].to_numpy(), columns=scores.columns
    )
    numeric_free = Covariates(cov.used, pd.DataFrame(index=delta.index), cov.dummies, cov.notes)
    return score_association(delta, sizes, delta_m, numeric_free, sets)
