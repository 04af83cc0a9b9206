"""Truth tables of the demo cohort: what was planted, per gene, participant and sample."""

from __future__ import annotations

import numpy as np
import pandas as pd

from myoclamp_tools.demo.counts import insulin_scale, insulin_weight, variance_components

DEFECT_DETAIL = {
    "sex_swap": "tube holds a biopsy of a person outside the trial, of the opposite sex",
    "low_quality": "depth x0.12, degraded: per-gene log-normal noise SD 0.5, long transcripts /4, "
    "mitochondrial rRNA x1.8",
}


def gene_truth(
    table: pd.DataFrame,
    effects: pd.DataFrame,
    participants: pd.DataFrame,
    keep: np.ndarray,
    treatment_effect: bool,
) -> pd.DataFrame:
    """Per kept gene: abundance, variance components and every planted log2 effect.

    ``insulin_log2fc_planted`` is the mean insulin-vs-basal log2FC over the clamp participants
    (each participant's response is attenuated by their M-value); ``treatment_log2fc`` is the
    planted week-13 change in the anakinra arm (zero unless the switch is on).
    """
    var = variance_components(table, effects)
    clampers = participants.loc[participants["clamp"], "m_value_latent"].to_numpy()
    scale = insulin_scale(clampers, effects["insulin_attenuation"].to_numpy()).mean(axis=0)
    ln2 = np.log(2.0)
    truth = pd.DataFrame(
        {
            "gene": table["gene"].to_numpy(),
            "baseline_cpm": table["share"].to_numpy() * 1e6,
            "dispersion_total": table["dispersion"].to_numpy(),
            "dispersion_within": var.within_dispersion,
            "person_sd_log2": var.person_sd / ln2,
            "fibre_log2fc_per_sd": var.fibre / ln2,
            "stress_log2fc_per_sd": var.stress / ln2,
            "m_value_log2fc_per_sd": effects["m_value_log2fc_per_sd"].to_numpy(),
            "m_value_r": effects["m_value_r"].to_numpy(),
            "oxphos": effects["oxphos"].to_numpy(),
            "insulin_log2fc_healthy": effects["insulin_log2fc_healthy"].to_numpy(),
            "insulin_attenuation_t2d": effects["insulin_attenuation"].to_numpy(),
            "insulin_log2fc_planted": effects["insulin_log2fc_healthy"].to_numpy() * scale,
            "treatment_log2fc": effects["treatment_log2fc_if_on"].to_numpy()
            * float(treatment_effect),
            "treatment_log2fc_if_on": effects["treatment_log2fc_if_on"].to_numpy(),
            "site2_log2fc": effects["site_log2fc"].to_numpy(),
            "female_log2fc": effects["female_log2fc"].to_numpy(),
        }
    )
    return truth[keep].reset_index(drop=True)


def participant_truth(participants: pd.DataFrame, effects: pd.DataFrame) -> pd.DataFrame:
    """Per participant: design, latent M-value (and z), fibre factor, insulin-response weight."""
    from myoclamp_tools.demo.effects import M_MEAN, M_SD

    m = participants["m_value_latent"].to_numpy()
    out = participants.rename(columns={"m_value_latent": "m_value_planted"}).copy()
    out["m_value_z"] = np.round((m - M_MEAN) / M_SD, 4)
    # gene g's insulin response is healthy_g * (att_g + (1 - att_g) * insulin_weight)
    out["insulin_weight"] = np.round(insulin_weight(m), 4)
    return out


def sample_truth(
    samples: pd.DataFrame, persons: pd.DataFrame, latent: pd.DataFrame
) -> pd.DataFrame:
    """Per sample: design, planted defect (with what was done), the person whose RNA it holds."""
    out = samples[["sample", "participant", "arm", "visit", "clamp", "site", "defect"]].copy()
    out["detail"] = out["defect"].map(DEFECT_DETAIL).fillna("")
    out["source_person"] = persons["participant"].to_numpy()[samples["source"].to_numpy()]
    out["source_sex"] = persons["sex"].to_numpy()[samples["source"].to_numpy()]
    return out.merge(latent, on="sample")


def recovery(table: pd.DataFrame, planted: pd.Series, min_abs: float = 0.0) -> dict:
    """A DE table (``gene_id``, ``padj``) against planted log2FCs (by gene id).

    Recall of the planted genes with |log2FC| >= ``min_abs`` at padj < 0.05, and the observed FDR:
    significant genes with no planted effect of any size over all significant genes.
    """
    table = table.set_index("gene_id") if "gene_id" in table.columns else table
    sig = set(table.index[table["padj"] < 0.05])
    target = set(planted.index[(planted != 0) & (planted.abs() >= min_abs)])
    any_planted = set(planted.index[planted != 0])
    return {
        "planted": len(target),
        "recovered": len(sig & target),
        "recall": len(sig & target) / len(target) if target else float("nan"),
        "significant": len(sig),
        "false": len(sig - any_planted),
        "observed_fdr": len(sig - any_planted) / len(sig) if sig else 0.0,
    }
