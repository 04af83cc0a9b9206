"""Which samples enter each design, and which participants are left out and why."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import pandas as pd

from myoclamp.adata import analysed
from myoclamp.errors import InputError, preview

log = logging.getLogger(__name__)

CONFIG = "config.yaml (de section)"


def trial_samples(obs: pd.DataFrame, lv: dict) -> pd.DataFrame:
    """The analysed biopsies (QC exclusions dropped) of the trial's two arms and two visits;
    refuses an ``obs`` without the participant, arm or visit column."""
    obs = analysed(obs)
    for col in ("participant", "arm", "visit"):
        if col not in obs.columns:
            raise InputError(
                "results/adata/counts.h5ad", f"obs column {col!r}", "missing", "rerun ingest"
            )
    obs = obs[obs["arm"].astype(str).isin([lv["arm_ref"], lv["arm_test"]])]
    return obs[obs["visit"].astype(str).isin([lv["visit_base"], lv["visit_follow"]])]


def paired_visits(obs: pd.DataFrame, basal: str, insulin: str) -> pd.Series:
    """Mask of samples whose (participant, visit) has both a basal and an insulin biopsy."""
    states = obs.groupby(["participant", "visit"], observed=True)["clamp"].agg(
        lambda s: {basal, insulin} <= set(s.astype(str))
    )
    keys = pd.MultiIndex.from_arrays([obs["participant"], obs["visit"]])
    return pd.Series(states.reindex(keys).fillna(False).to_numpy(bool), index=obs.index)


def treatment_samples(obs: pd.DataFrame, lv: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Basal biopsies of participants with both visits; the others left out with the reason."""
    sub = obs
    if "clamp" in obs.columns and lv["clamp_basal"] is not None:
        sub = sub[sub["clamp"].astype(str) == lv["clamp_basal"]]
    visits = sub.groupby("participant", observed=True)["visit"].agg(lambda s: set(s.astype(str)))
    left = []
    for p, vs in visits.items():
        if lv["visit_base"] not in vs:
            left.append((p, f"no {lv['visit_base']} basal biopsy"))
        elif lv["visit_follow"] not in vs:
            left.append((p, f"no {lv['visit_follow']} basal biopsy"))
    drop = {p for p, _ in left}
    sub = sub[~sub["participant"].isin(drop)]
    return sub, pd.DataFrame(left, columns=["participant", "reason"])


def insulin_samples(obs: pd.DataFrame, lv: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Biopsies of every (participant, visit) with a basal and an insulin biopsy."""
    paired = paired_visits(obs, lv["clamp_basal"], lv["clamp_insulin"])
    has_insulin = obs.groupby("participant", observed=True)["clamp"].agg(
        lambda s: lv["clamp_insulin"] in set(s.astype(str))
    )
    kept = set(obs.loc[paired, "participant"])
    left = [
        (p, f"{lv['clamp_insulin']} biopsy without a basal biopsy at the same visit")
        for p, has in has_insulin.items()
        if has and p not in kept
    ]
    return obs[paired], pd.DataFrame(left, columns=["participant", "reason"])


@dataclass
class ConfiguredSamples:
    """The samples of a configured contrast, its model terms and who was left out."""

    samples: pd.DataFrame
    factor: str
    covariates: list[str]
    block: bool
    left_out: pd.DataFrame

    @property
    def formula(self) -> str:
        """``~ [participant +] covariates + factor``."""
        terms = (["participant"] if self.block else []) + self.covariates
        return "~ " + " + ".join([*terms, self.factor])


def configured_samples(obs: pd.DataFrame, c: dict, drop_single: bool = True) -> ConfiguredSamples:
    """Samples of configured contrast ``c`` (``de.contrasts`` item): its subset, both levels of its
    factor, complete covariates; with a participant block and ``drop_single`` (fixed blocks),
    participants with one sample leave (a random participant effect keeps them)."""
    name, factor = c["name"], c["factor"]
    where = f"de.contrasts ({name})"
    sub = obs
    for col, value in (c.get("subset") or {}).items():
        if col not in sub.columns:
            raise InputError(
                CONFIG, f"{where} subset", f"no column {col!r} in the samples", "fix the subset"
            )
        values = [str(v) for v in (value if isinstance(value, list) else [value])]
        sub = sub[sub[col].astype(str).isin(values)]
    covariates = list(c.get("covariates") or [])
    for col in [factor, *covariates]:
        if col not in sub.columns:
            raise InputError(
                CONFIG,
                where,
                f"column {col!r} is neither in the sample sheet nor in the clinical table",
                f"use one of {preview(sorted(map(str, obs.columns)), 12)}",
            )
    sub = sub[sub[factor].astype(str).isin([str(c["reference"]), str(c["test"])])]
    complete = sub[covariates].notna().all(axis=1) if covariates else pd.Series(True, sub.index)
    n_missing = int((~complete).sum())
    if n_missing:
        log.warning("%s: %d sample(s) without covariate values left out", name, n_missing)
    left = pd.DataFrame(
        [(p, "missing covariate value") for p in pd.unique(sub.loc[~complete, "participant"])],
        columns=["participant", "reason"],
    )
    sub = sub[complete]
    block = c["block"]
    within = sub.groupby("participant", observed=True)[factor].nunique().gt(1).any()
    use_block = block == "participant" or (block == "auto" and bool(within))
    if use_block and drop_single:
        counts = sub.groupby("participant", observed=True).size()
        single = counts.index[counts < 2]
        left = pd.concat(
            [left, pd.DataFrame({"participant": single, "reason": "one sample in this subset"})]
        )
        sub = sub[~sub["participant"].isin(single)]
    return ConfiguredSamples(sub, factor, covariates, use_block, left.reset_index(drop=True))


def standardised_covariates(meta: pd.DataFrame, covariates: list[str]) -> pd.DataFrame:
    """``meta`` with numeric covariates centred and scaled, the others as text (in place)."""
    for col in covariates:
        if pd.api.types.is_numeric_dtype(meta[col]) and not pd.api.types.is_bool_dtype(meta[col]):
            sd = meta[col].std()
            meta[col] = (meta[col] - meta[col].mean()) / (sd if sd > 0 else 1.0)
        else:
            meta[col] = meta[col].astype(str)
    return meta
