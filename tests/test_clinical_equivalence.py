"""TOST for the clinical endpoint and for gene-set score changes (issue 20)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import ttest_ind
from statsmodels.stats.weightstats import ttost_ind

from myoclamp.clinical.endpoints import endpoint_table
from myoclamp.clinical.equivalence import ENDPOINT_TOST_COLUMNS, endpoint_tost, tost
from myoclamp.clinical.set_equivalence import (
    SET_EQUIVALENCE_COLUMNS,
    arm_difference,
    paired_basal,
    set_equivalence,
    set_log2_scores,
)
from myoclamp.clinical.settings import clinical_settings
from myoclamp.enrichment.genesets import GeneSets

LEVELS = {
    "arm": {"reference": "placebo", "test": "drug"},
    "visit": {"baseline": "v0", "followup": "v1"},
    "clamp": {"basal": "basal", "insulin": "insulin"},
}


def settings(margin: float | None = 1.0, variables: tuple[str, ...] = ()):
    return clinical_settings(
        {
            "inputs": {"clinical": "c.tsv"},
            "levels": LEVELS,
            "clinical": {
                "m_value": "m_value",
                "m_value_margin": margin,
                "variables": list(variables),
            },
        }  # fmt: skip
    )


def test_tost_of_two_samples_is_statsmodels_ttost_ind():
    rng = np.random.default_rng(1)
    for shift in (0.0, 0.3, 0.8):
        x_test = rng.normal(shift, 1.0, 17)
        x_ref = rng.normal(0.0, 1.0, 21)
        change = pd.DataFrame({"s": np.concatenate([x_test, x_ref])})
        test = np.r_[np.ones(17, bool), np.zeros(21, bool)]
        got = arm_difference(change, test, margin=0.6).iloc[0]
        p_sm = ttost_ind(x_test, x_ref, -0.6, 0.6, usevar="pooled")[0]
        assert got["tost_pvalue"] == pytest.approx(p_sm, rel=1e-10)
        assert got["pvalue"] == pytest.approx(ttest_ind(x_test, x_ref).pvalue, rel=1e-10)
        assert got["df"] == 36
        assert (got["tost_pvalue"] < 0.05) == (
            got["tost_ci_low"] > -0.6 and got["tost_ci_high"] < 0.6
        )


def test_tost_at_the_margin_holds_its_level():
    """20,000 two-arm trials (columns) whose true difference is exactly the margin."""
    rng = np.random.default_rng(2)
    reps, n0, n1, margin = 20_000, 15, 12, 0.5
    y = rng.normal(0.0, 0.3, (n0 + n1, reps))  # SE 0.116: the level is reached, not lower
    test = np.r_[np.zeros(n0, bool), np.ones(n1, bool)]
    sign = rng.choice([-1.0, 1.0], reps)
    y[test] += margin * sign
    res = arm_difference(pd.DataFrame(y), test, margin)
    rate = float((res["tost_pvalue"] < 0.05).mean())
    assert 0.035 < rate <= 0.05 + 3 * np.sqrt(0.05 * 0.95 / reps)
    # with no difference at all it is mostly equivalent at this SE (power, not level)
    y0 = rng.normal(0.0, 0.3, (n0 + n1, 2000))
    assert (arm_difference(pd.DataFrame(y0), test, margin)["tost_pvalue"] < 0.05).mean() > 0.9


def test_tost_handles_missing_and_normal_reference():
    res = tost(np.array([0.1, np.nan]), np.array([0.1, 0.1]), None, 0.5)
    assert np.isfinite(res["tost_pvalue"][0]) and np.isnan(res["tost_pvalue"][1])
    assert res["tost_ci_low"][0] == pytest.approx(0.1 - 1.6448536 * 0.1)
    assert np.isnan(tost(0.1, 0.1, 0.0, 0.5)["tost_pvalue"][0])  # no residual df


def _sheets(n: int = 40, effect: float = 0.0, seed: int = 9):
    rng = np.random.default_rng(seed)
    people = pd.DataFrame({"participant": [f"P{i}" for i in range(n)],
                           "arm": ["placebo", "drug"] * (n // 2)})  # fmt: skip
    samples = people.assign(sample=people["participant"] + "_b", site="s1")
    base = rng.normal(4.0, 1.5, n)
    drug = (people["arm"] == "drug").to_numpy()
    follow = base + effect * drug + rng.normal(0, 0.6, n)
    clinical = pd.concat(
        [
            people[["participant"]].assign(visit="v0", m_value=base),
            people[["participant"]].assign(visit="v1", m_value=follow),
        ]
    )
    return samples, clinical


def m_row(samples, clinical, cfg) -> pd.Series:
    return endpoint_table(samples, clinical, cfg).set_index("variable").loc["m_value"]


def test_m_value_equivalence_beside_the_ancova():
    samples, clinical = _sheets(effect=0.0)
    row = m_row(samples, clinical, settings())  # analysed although variables does not list it
    assert set(ENDPOINT_TOST_COLUMNS) <= set(row.index)
    assert row["df"] == 40 - 3 and row["margin"] == 1.0
    t = tost(row["estimate"], row["se"], row["df"], 1.0)
    assert row["tost_pvalue"] == pytest.approx(t["tost_pvalue"][0], rel=1e-12)
    assert row["verdict"] == "equivalent" and row["tost_pvalue"] < 0.05
    assert row["tost_ci_low"] > -1.0 and row["tost_ci_high"] < 1.0
    # 90 % interval inside the 95 % one, around the same estimate
    assert (
        row["ci_low"] < row["tost_ci_low"] < row["estimate"] < row["tost_ci_high"] < row["ci_high"]
    )
    assert m_row(*_sheets(effect=2.0), settings())["verdict"] == "different"
    assert m_row(*_sheets(effect=0.0), settings(margin=0.05))["verdict"] == "inconclusive"


def test_m_value_without_margin_or_table():
    samples, clinical = _sheets(effect=0.0)
    assert (
        "m_value" not in endpoint_table(samples, clinical, settings(margin=None))["variable"].values
    )
    listed = m_row(samples, clinical, settings(margin=None, variables=("m_value",)))
    assert pd.isna(listed["tost_pvalue"]) and pd.isna(listed["verdict"])
    assert np.isfinite(listed["estimate"])
    missing = m_row(samples, None, settings())
    assert missing["note"] == "no clinical table" and pd.isna(missing["verdict"])
    # only the M-value gets a verdict
    other = endpoint_table(
        samples,
        clinical.assign(hba1c=np.linspace(6, 8, len(clinical))),
        settings(variables=("hba1c",)),
    )
    assert other.set_index("variable")["verdict"].isna().loc["hba1c"]
    with pytest.raises(ValueError, match="positive"):
        endpoint_tost({"variable": "m_value", "estimate": 0.1, "se": 0.1, "df": 30}, 0.0)


def test_set_log2_scores_are_mean_log2_expression_by_symbol():
    expr = pd.DataFrame(
        [[1.0, 2.0, 3.0, 10.0], [2.0, 4.0, 6.0, 0.0]], index=["s1", "s2"], columns=list("abcd")
    )
    symbols = pd.Series(["A", "B", "C", "A"], index=list("abcd"))  # 'a' and 'd' share A
    scores, sizes = set_log2_scores(expr, symbols, {"S": ["A", "B", "X"], "T": ["C"]}, min_size=2)
    assert list(scores.columns) == ["S"] and sizes["S"] == 2  # T too small, X absent
    # A is represented by the gene with the higher mean ('a': 1.5 vs 'd': 5.0 -> 'd')
    assert scores.loc["s1", "S"] == pytest.approx((10.0 + 2.0) / 2)


def _trial(shift: float, n: int = 30, genes: int = 60, seed: int = 3):
    """obs and log2 expression: basal biopsies at two visits, plus an insulin and an excluded
    one; the set genes G0..G9 move by ``shift`` (log2) in the test arm's follow-up."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        arm = "drug" if i % 2 else "placebo"
        for visit in ("v0", "v1"):
            rows.append((f"P{i}", arm, visit, "basal", False))
        rows.append((f"P{i}", arm, "v0", "insulin", False))
    rows.append(("P0", "placebo", "v1", "basal", True))  # an excluded duplicate
    obs = pd.DataFrame(rows, columns=["participant", "arm", "visit", "clamp", "excluded"])
    obs.index = [f"S{i}" for i in range(len(obs))]
    person = rng.normal(0, 1.0, (n, genes))
    pidx = obs["participant"].str[1:].astype(int).to_numpy()
    expr = 8 + person[pidx] + rng.normal(0, 0.3, (len(obs), genes))
    moved = ((obs["arm"] == "drug") & (obs["visit"] == "v1")).to_numpy()
    expr[np.ix_(moved, np.arange(10))] += shift
    cols = [f"g{j}" for j in range(genes)]
    symbols = pd.Series([f"G{j}" for j in range(genes)], index=cols)
    return obs, pd.DataFrame(expr, index=obs.index, columns=cols), symbols


def test_paired_basal_uses_analysed_basal_biopsies_at_both_visits():
    obs, _, _ = _trial(0.0)
    pairs = paired_basal(obs, settings())
    assert len(pairs) == 30 and pairs.index.is_monotonic_increasing
    assert pairs.loc["P0", "follow"] == "S1"  # the excluded duplicate is not used
    dup = obs.copy()
    dup.loc["S90", "excluded"] = False
    with pytest.raises(ValueError, match="two v1 basal"):
        paired_basal(dup, settings())


def test_set_equivalence_finds_a_planted_shift_and_equivalence():
    sets = GeneSets()
    sets.add("MOVED", [f"G{j}" for j in range(10)], "muscle", "planted")
    sets.add("STILL", [f"G{j}" for j in range(10, 40)], "muscle", "unchanged")
    sets.add("OTHER", [f"G{j}" for j in range(40, 50)], "go_bp", "not curated")
    obs, expr, symbols = _trial(1.0)
    out = set_equivalence(expr, obs, symbols, sets, settings(), margin=0.585)
    assert list(out.columns) == SET_EQUIVALENCE_COLUMNS
    by = out.set_index("set")
    assert set(by.index) == {"MOVED", "STILL"}  # curated collection only
    assert by.loc["MOVED", "ci_low"] < 1.0 < by.loc["MOVED", "ci_high"]
    assert by.loc["MOVED", "verdict"] == "different"
    assert by.loc["STILL", "verdict"] == "equivalent"
    assert by.loc["STILL", "n_reference"] == 15 and by.loc["STILL", "n_test"] == 15
    assert by.loc["STILL", "size"] == 30


def test_log2_normalised_keeps_fold_changes():
    from myoclamp.clinical.set_equivalence import log2_normalised

    x = np.array([[200.0, 1000.0], [300.0, 1500.0]])
    d = np.diff(log2_normalised(x), axis=0)[0]
    assert d == pytest.approx(np.log2(1.5), abs=0.005)
