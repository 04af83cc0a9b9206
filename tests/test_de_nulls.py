"""Arm labels permuted between participants, and null p-value rates (seconds)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from myoclamp_tools.nulls import null_rates, permute_arms


def sheet() -> pd.DataFrame:
    people = [f"p{i:02d}" for i in range(10)]
    arms = ["placebo"] * 6 + ["anakinra"] * 4
    rows = [(p, a, v) for p, a in zip(people, arms, strict=True) for v in ("v0", "v1")]
    obs = pd.DataFrame(rows, columns=["participant", "arm", "visit"])
    obs["arm"] = pd.Categorical(obs["arm"], ["placebo", "anakinra"], ordered=True)
    return obs.iloc[:-1]  # the last participant lost a biopsy


def test_permute_arms_moves_whole_participants_and_keeps_sizes():
    obs = sheet()
    out = permute_arms(obs, seed=3)
    assert out["arm"].dtype == obs["arm"].dtype
    per = out.groupby("participant")["arm"].nunique()
    assert (per == 1).all()
    before = obs.groupby("participant")["arm"].first().value_counts()
    after = out.groupby("participant")["arm"].first().value_counts()
    assert before.equals(after)
    assert not out["arm"].equals(obs["arm"])
    assert out["arm"].equals(permute_arms(obs, seed=3)["arm"])
    assert out.drop(columns="arm").equals(obs.drop(columns="arm"))


def test_permute_arms_refuses_a_participant_in_two_arms():
    obs = sheet()
    obs.loc[1, "arm"] = "anakinra"
    with pytest.raises(ValueError, match="p00"):
        permute_arms(obs, seed=1)


def test_null_rates_are_shares_over_the_level():
    p = pd.Series(np.r_[(np.arange(2000) + 0.5) / 2000, np.nan])  # uniform midpoints
    got = null_rates(p)
    assert got["rate_p<0.05"] == pytest.approx(1.0, abs=0.02)
    assert got["rate_p<0.001"] == pytest.approx(1.0, abs=1e-9)
    assert null_rates(p / 2)["rate_p<0.01"] == pytest.approx(2.0, abs=0.05)
