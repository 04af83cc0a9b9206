"""Null data sets built from real counts, for checking the calibration of the DE tests.

Permuting the arm labels between participants (each participant keeps all its samples and one
arm; the arms keep their sizes) gives an exact null for every arm comparison, with the real
counts' variance, person effects and visit effects intact.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: nominal levels at which the share of null p-values below the level is compared with the level
LEVELS = (0.05, 0.01, 0.001)


def permute_arms(
    obs: pd.DataFrame, seed: int, participant: str = "participant", arm: str = "arm"
) -> pd.DataFrame:
    """``obs`` with the participants' arm labels shuffled between participants (seeded)."""
    per_person = obs.groupby(participant, observed=True)[arm].agg(lambda s: s.unique().tolist())
    mixed = per_person[per_person.map(len) > 1]
    if len(mixed):
        raise ValueError(f"participants in more than one arm: {', '.join(map(str, mixed.index))}")
    labels = per_person.map(lambda v: v[0])
    shuffled = pd.Series(
        np.random.default_rng(seed).permutation(labels.to_numpy()), index=labels.index
    )
    out = obs.copy()
    out[arm] = obs[participant].map(shuffled).astype(obs[arm].dtype)
    return out


def null_rates(pvalues: pd.Series, levels: tuple[float, ...] = LEVELS) -> dict[str, float]:
    """Share of the (non-missing) null p-values below each level, divided by the level."""
    p = pd.Series(pvalues).dropna()
    return {f"rate_p<{a:g}": float((p < a).mean() / a) if len(p) else float("nan") for a in levels}
