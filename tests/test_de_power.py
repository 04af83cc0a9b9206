"""Detectable effects and next-trial sizes from the contrast's SE (issue 20)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm
from scipy.stats import t as student_t

from myoclamp.de.power import (
    DETECTABLE_COLUMNS,
    detectable_distribution,
    detectable_effect,
    detectable_table,
    equivalence_power,
    multiplier,
    participants_for_equivalence,
    participants_per_arm,
    power,
    se_scale,
)


def test_multiplier_normal_and_t():
    z = norm.ppf(0.975) + norm.ppf(0.8)
    # 2.80; slightly below q + z: the other tail adds a little power
    assert multiplier(0.05, 0.8) == pytest.approx(z, abs=1e-5)
    assert multiplier(0.05, 0.8) < z
    k = multiplier(0.05, 0.8, df=64)
    assert k == pytest.approx(student_t.ppf(0.975, 64) + norm.ppf(0.8), abs=1e-4)
    assert k > multiplier(0.05, 0.8)
    assert power(k * 0.2, 0.2, 0.05, 64) == pytest.approx(0.8, abs=1e-9)
    with pytest.raises(ValueError):
        multiplier(0.05, 1.2)


@pytest.mark.parametrize("df", [None, 30])
def test_power_matches_monte_carlo(df):
    rng = np.random.default_rng(2)
    s, n = 0.15, 200_000
    q = norm.ppf(0.975) if df is None else student_t.ppf(0.975, df)
    for effect in (0.0, 0.2, 0.45):
        b = effect + s * rng.normal(size=n)
        rate = np.mean(np.abs(b / s) > q)
        assert power(effect, s, 0.05, df) == pytest.approx(rate, abs=0.004)
    mde = detectable_effect(np.array([s]), 0.05, 0.8, df)[0]
    assert np.mean(np.abs((mde + s * rng.normal(size=n)) / s) > q) == pytest.approx(0.8, abs=0.004)


def test_equivalence_power_matches_monte_carlo():
    rng = np.random.default_rng(4)
    s, m, n = 0.15, 0.585, 200_000
    q1 = norm.ppf(0.95)
    for effect in (0.0, 0.3, m):
        b = effect + s * rng.normal(size=n)
        rate = np.mean((b - q1 * s > -m) & (b + q1 * s < m))
        assert equivalence_power(m, s, 0.05, None, effect) == pytest.approx(rate, abs=0.004)
    assert equivalence_power(m, 0.4, 0.05) == 0.0  # interval wider than the margin


def test_se_scale():
    assert se_scale(30, 30, 30) == pytest.approx(1.0)
    assert se_scale(30, 30, 120) == pytest.approx(0.5)
    assert se_scale(34, 32, 33) == pytest.approx(np.sqrt((2 / 33) / (1 / 34 + 1 / 32)))


def test_participants_per_arm_normal_reference_closed_form():
    se = np.array([0.05, 0.1, 0.2, 0.3])
    n0, n1, effect = 34, 32, 0.5
    got = participants_per_arm(se, n0, n1, effect, df=None)
    h = 1 / n0 + 1 / n1
    k = norm.ppf(0.975) + norm.ppf(0.8)
    want = np.maximum(np.ceil(2 * k**2 * se**2 / (effect**2 * h)), 2)
    np.testing.assert_array_equal(got, want)


def test_participants_per_arm_is_the_smallest_sufficient_t():
    se = np.array([0.08, 0.15, 0.25])
    n0, n1, df, effect = 34, 32, 64, 0.585
    n = participants_per_arm(se, n0, n1, effect, df=df)
    for s, k in zip(se, n, strict=True):
        at = power(effect, s * se_scale(n0, n1, k), 0.05, df + 2 * k - n0 - n1)
        below = power(effect, s * se_scale(n0, n1, k - 1), 0.05, df + 2 * (k - 1) - n0 - n1)
        assert at >= 0.8 and (k == 2 or below < 0.8)
    assert (np.diff(n) > 0).all()
    ne = participants_for_equivalence(se, n0, n1, effect, df=df)
    for s, k in zip(se, ne, strict=True):
        new = s * se_scale(n0, n1, k)
        assert equivalence_power(effect, new, 0.05, df + 2 * k - n0 - n1) >= 0.8
        assert (
            equivalence_power(effect, s * se_scale(n0, n1, k - 1), 0.05, df + 2 * (k - 1) - n0 - n1)
            < 0.8
        )
    assert np.isnan(participants_per_arm(np.array([np.nan]), n0, n1, effect, df=df)[0])


def _table() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    n = 500
    sym = [f"G{i}" for i in range(n)]
    return pd.DataFrame(
        {
            "gene_id": [f"id{i}" for i in range(n)],
            "symbol": sym,
            "baseMean": rng.uniform(10, 1000, n),
            "lfcSE": rng.uniform(0.05, 0.5, n),
            "pvalue": np.where(np.arange(n) == 3, np.nan, rng.uniform(size=n)),
        }
    )


def test_detectable_table_and_distribution():
    table = _table()
    goi = ["G10", "G2", "G3", "NOPE"]  # G3 has no p-value (outlier): left out
    out = detectable_table(
        table, n_ref=34, n_test=32, df=64, margin=0.585, fold_change=0.585, genes_of_interest=goi
    )
    assert list(out.columns) == DETECTABLE_COLUMNS
    assert out["symbol"].tolist() == ["G10", "G2"]  # configured order
    assert (out["mde_genomewide"] > out["mde"]).all()
    np.testing.assert_allclose(out["mde_fold"], 2 ** out["mde"])
    np.testing.assert_allclose(out["mde"], multiplier(0.05, 0.8, 64) * out["lfcSE"])
    # a gene whose detectable effect is below the margin has more than 80 % power at the margin
    assert ((out["mde"] < 0.585) == (out["power_at_margin"] > 0.8)).all()
    dist = detectable_distribution(table, df=64, margin=0.585)
    assert dist["genes"].tolist() == [499, 499]
    q = dist.filter(like="q").to_numpy()
    assert (np.diff(q, axis=1) > 0).all() and (q[1] > q[0]).all()
    mde = multiplier(0.05, 0.8, 64) * table.loc[table["pvalue"].notna(), "lfcSE"]
    assert dist.loc[0, "share_le_margin"] == pytest.approx(np.mean(mde <= 0.585))
