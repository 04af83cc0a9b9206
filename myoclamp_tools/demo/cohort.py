"""Design of the demo trial: participants, biopsies (with missing ones and defects), clinical table.

Modelled on Larsen et al. 2007 (anakinra vs placebo, 13 weeks, type 2 diabetes; see
``../shared/reference/muscle_biology.md``). Every clinical effect is planted exactly: the
within-person change noise is centred within each arm, so the realised mean difference between
arms equals the planted one up to rounding.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from myoclamp_tools.demo.effects import M_MEAN, M_SD

ARMS = ("placebo", "anakinra")
VISITS = ("baseline", "week13")
CLAMPS = ("basal", "insulin")
SITES = ("site1", "site2")
FEMALE_SHARE = 0.3

#: planted clinical effects at week 13, anakinra minus placebo change from baseline; for log-normal
#: variables a ratio of geometric means. Source: Larsen et al. 2007 (directions; HbA1c size).
CLINICAL_EFFECTS = {
    "hba1c": {"difference": -0.46},
    "m_value": {"ratio": 1.0},
    "bmi": {"difference": 0.0},
    "c_peptide": {"ratio": 1.12},
    "proinsulin_insulin_ratio": {"ratio": 0.8},
    "il6": {"ratio": 0.6},
    "crp": {"ratio": 0.6},
}


def _split(n: int, share: float, rng: np.random.Generator) -> np.ndarray:
    """Boolean mask with exactly round(n * share) True entries in random positions."""
    mask = np.zeros(n, dtype=bool)
    mask[rng.permutation(n)[: int(round(n * share))]] = True
    return mask


def make_participants(n: int, rng: np.random.Generator) -> pd.DataFrame:
    """Participants with arm, site, sex, clamp participation and latent traits.

    Latent traits: ``m_value_latent`` (log-normal, mean 4, SD 1.7 mg/kg/min), ``fibre`` (slow-minus-
    fast fibre-type factor, SD 1). Arms 34:36 of 70 and clamp for half, balanced by arm.
    """
    if n < 8:
        raise ValueError(f"n_participants must be at least 8, got {n}")
    anakinra = np.zeros(n, dtype=bool)
    anakinra[rng.permutation(n)[: int(round(n * 34 / 70))]] = True
    clamp = np.zeros(n, dtype=bool)
    for arm_mask in (anakinra, ~anakinra):
        members = np.flatnonzero(arm_mask)
        clamp[rng.permutation(members)[: int(round(len(members) / 2))]] = True
    female = _split(n, FEMALE_SHARE, rng)
    site2 = _split(n, 0.45, rng)
    s2 = np.log1p((M_SD / M_MEAN) ** 2)
    m_latent = np.exp(rng.normal(np.log(M_MEAN) - s2 / 2, np.sqrt(s2), n))
    return pd.DataFrame(
        {
            "participant": [f"P{i + 1:03d}" for i in range(n)],
            "arm": np.where(anakinra, ARMS[1], ARMS[0]),
            "site": np.where(site2, SITES[1], SITES[0]),
            "sex": np.where(female, "F", "M"),
            "clamp": clamp,
            "m_value_latent": np.round(m_latent, 4),
            "fibre": np.round(rng.normal(0.0, 1.0, n), 4),
        }
    )


def make_samples(participants: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """All biopsies, minus a few missing ones, with the two planted defects marked.

    Missing: week-13 basal of a non-clamp participant, week-13 insulin of a clamp participant,
    and (30+ participants) baseline insulin of another clamp participant and week-13 basal of
    another non-clamp participant. Defects, in other participants with all their biopsies: a
    baseline basal tube holding another person's biopsy of the opposite sex (``sex_swap``) and a
    week-13 basal sample with low depth and a degraded profile (``low_quality``).
    """
    rows = []
    for p in participants.itertuples():
        for visit in VISITS:
            for clamp in CLAMPS if p.clamp else CLAMPS[:1]:
                rows.append((p.participant, p.arm, visit, clamp, p.site))
    samples = pd.DataFrame(rows, columns=["participant", "arm", "visit", "clamp", "site"])
    clampers = rng.permutation(participants.loc[participants["clamp"], "participant"].to_numpy())
    others = rng.permutation(participants.loc[~participants["clamp"], "participant"].to_numpy())
    missing = [(others[0], "week13", "basal"), (clampers[0], "week13", "insulin")]
    if len(participants) >= 30:
        missing += [(clampers[1], "baseline", "insulin"), (others[1], "week13", "basal")]
    key = list(zip(samples["participant"], samples["visit"], samples["clamp"], strict=True))
    samples = samples[[k not in set(missing) for k in key]].reset_index(drop=True)
    samples.insert(0, "sample", [f"S{i + 1:03d}" for i in range(len(samples))])

    touched = {m[0] for m in missing}
    sex = participants.set_index("participant")["sex"]
    free = [p for p in rng.permutation(participants["participant"].to_numpy()) if p not in touched]
    swap_p = next((p for p in free if sex[p] == "F"), free[0])
    low_p = next(p for p in free if p != swap_p)
    samples["defect"] = ""
    samples.loc[
        (samples["participant"] == swap_p)
        & (samples["visit"] == "baseline")
        & (samples["clamp"] == "basal"),
        "defect",
    ] = "sex_swap"
    samples.loc[
        (samples["participant"] == low_p)
        & (samples["visit"] == "week13")
        & (samples["clamp"] == "basal"),
        "defect",
    ] = "low_quality"
    samples.attrs["missing"] = missing
    return samples


def _centred(rng: np.random.Generator, sd: float, groups: np.ndarray) -> np.ndarray:
    """Normal noise with its mean removed within each group."""
    noise = rng.normal(0.0, sd, len(groups))
    for g in np.unique(groups):
        noise[groups == g] -= noise[groups == g].mean()
    return noise


def make_clinical(participants: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Clinical table: one row per participant and visit, with the planted arm effects."""
    n = len(participants)
    arm = participants["arm"].to_numpy()
    on = arm == ARMS[1]
    age = np.clip(np.round(rng.normal(60, 7, n)), 40, 78).astype(int)
    bmi0 = np.clip(rng.normal(31, 4, n), 27.5, 45)
    hba1c0 = np.clip(rng.normal(8.7, 1.0, n), 7.6, 12.5)
    cpep0 = np.exp(rng.normal(np.log(0.9), 0.35, n))
    pi0 = np.exp(rng.normal(np.log(0.35), 0.35, n))
    il60 = np.exp(rng.normal(np.log(2.5), 0.6, n))
    crp0 = np.exp(rng.normal(np.log(3.5), 0.9, n))
    m_latent = participants["m_value_latent"].to_numpy()
    m0 = m_latent * np.exp(rng.normal(0, 0.08, n))
    # M-values exist for clamp participants only: centre their change within arm among them
    arm_clamp = arm + np.where(participants["clamp"].to_numpy(), ":clamp", ":none")

    def ratio(name: str) -> np.ndarray:
        return np.where(on, np.log(CLINICAL_EFFECTS[name]["ratio"]), 0.0)

    week13 = {
        "bmi": bmi0 + _centred(rng, 0.7, arm),
        "hba1c": hba1c0
        + np.where(on, CLINICAL_EFFECTS["hba1c"]["difference"], 0.0)
        + _centred(rng, 0.9, arm),
        "m_value": m0 * np.exp(ratio("m_value") + _centred(rng, 0.12, arm_clamp)),
        "c_peptide": cpep0 * np.exp(ratio("c_peptide") + _centred(rng, 0.15, arm)),
        "proinsulin_insulin_ratio": pi0
        * np.exp(ratio("proinsulin_insulin_ratio") + _centred(rng, 0.2, arm)),
        "il6": il60 * np.exp(ratio("il6") + _centred(rng, 0.35, arm)),
        "crp": crp0 * np.exp(ratio("crp") + _centred(rng, 0.5, arm)),
    }
    baseline = {
        "bmi": bmi0,
        "hba1c": hba1c0,
        "m_value": m0,
        "c_peptide": cpep0,
        "proinsulin_insulin_ratio": pi0,
        "il6": il60,
        "crp": crp0,
    }
    digits = {
        "bmi": 1,
        "hba1c": 2,
        "m_value": 2,
        "c_peptide": 3,
        "proinsulin_insulin_ratio": 3,
        "il6": 2,
        "crp": 2,
    }
    frames = []
    for visit, values in zip(VISITS, (baseline, week13), strict=True):
        frame = pd.DataFrame(
            {
                "participant": participants["participant"],
                "visit": visit,
                "age": age,
                "sex": participants["sex"],
            }
        )
        for name, digit in digits.items():
            frame[name] = np.round(values[name], digit)
        frame.loc[~participants["clamp"].to_numpy(), "m_value"] = np.nan
        frames.append(frame)
    clinical = pd.concat(frames).sort_values(["participant", "visit"], kind="stable")
    return clinical.reset_index(drop=True)
