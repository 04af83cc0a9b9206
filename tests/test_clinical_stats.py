"""Clinical statistics against direct computations: ANCOVA, partial Spearman, BH, set scores."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats

from myoclamp.clinical.endpoints import ancova
from myoclamp.clinical.samples import build_covariates, covariate_columns
from myoclamp.clinical.sets import set_scores, symbol_keys
from myoclamp.clinical.stats import bh, partial_correlation, partial_spearman


def closed_form_ancova(y, x, g):
    """Two-group ANCOVA by hand: pooled within-group slope, adjusted mean difference, its SE."""
    y, x, g = map(np.asarray, (y, x, g))
    sxx = sum(((x[g == k] - x[g == k].mean()) ** 2).sum() for k in (0, 1))
    sxy = sum(
        ((x[g == k] - x[g == k].mean()) * (y[g == k] - y[g == k].mean())).sum() for k in (0, 1)
    )
    b = sxy / sxx
    dx = x[g == 1].mean() - x[g == 0].mean()
    effect = (y[g == 1].mean() - y[g == 0].mean()) - b * dx
    resid = np.concatenate(
        [(y[g == k] - y[g == k].mean()) - b * (x[g == k] - x[g == k].mean()) for k in (0, 1)]
    )
    n1, n0 = (g == 1).sum(), (g == 0).sum()
    s2 = (resid**2).sum() / (len(y) - 3)
    se = np.sqrt(s2 * (1 / n1 + 1 / n0 + dx**2 / sxx))
    return effect, se


def test_ancova_matches_the_hand_computed_two_group_formula():
    rng = np.random.default_rng(3)
    g = np.array([0] * 9 + [1] * 11)
    x = rng.normal(8.5, 1.0, 20) + 0.3 * g
    y = 1.0 + 0.8 * x - 0.5 * g + rng.normal(0, 0.4, 20)
    res = ancova(y, x, g.astype(bool))
    effect, se = closed_form_ancova(y, x, g)
    assert res["estimate"] == pytest.approx(effect, rel=1e-10)
    assert res["se"] == pytest.approx(se, rel=1e-10)
    q = stats.t.ppf(0.975, 17)
    assert res["ci_low"] == pytest.approx(effect - q * se, rel=1e-9)
    assert res["ci_high"] == pytest.approx(effect + q * se, rel=1e-9)
    assert res["pvalue"] == pytest.approx(2 * stats.t.sf(abs(effect / se), 17), rel=1e-9)


def test_ancova_recovers_an_exact_effect_and_handles_site():
    x = np.arange(12, dtype=float)
    g = np.array([0, 1] * 6, dtype=bool)
    site = pd.Series(["a"] * 6 + ["b"] * 6)
    y = 2.0 + 0.5 * x - 0.46 * g + 0.3 * (site == "b").to_numpy()
    y = y + np.array([0.01, -0.01] * 3 + [-0.01, 0.01] * 3)  # noise orthogonal to nothing
    res = ancova(y, x, g, site)
    assert res["ci_low"] < -0.46 < res["ci_high"]
    assert res["estimate"] == pytest.approx(-0.46, abs=0.02)


def test_ancova_is_nan_without_both_arms():
    res = ancova(np.arange(5.0), np.arange(5.0), np.zeros(5, dtype=bool))
    assert np.isnan(res["estimate"])


def test_partial_spearman_equals_pearson_of_residualised_ranks():
    rng = np.random.default_rng(7)
    n = 30
    age = rng.normal(60, 7, n)
    sex = (rng.random(n) < 0.4).astype(float)
    m = rng.lognormal(1.3, 0.4, n)
    y = np.column_stack([m + 0.05 * age + rng.normal(0, 1, n), rng.normal(0, 1, n)])
    res = partial_spearman(y, m, age[:, None], sex[:, None])
    basis = np.column_stack([np.ones(n), stats.rankdata(age), sex])
    rm = stats.rankdata(m)
    rx = rm - basis @ np.linalg.lstsq(basis, rm, rcond=None)[0]
    for j in range(2):
        ry = stats.rankdata(y[:, j])
        ry = ry - basis @ np.linalg.lstsq(basis, ry, rcond=None)[0]
        r = stats.pearsonr(rx, ry)[0]
        assert res["estimate"].iloc[j] == pytest.approx(r, abs=1e-12)
        # the test is the t-test of the M rank in OLS of the gene rank on covariates + M rank
        ols = sm.OLS(stats.rankdata(y[:, j]), np.column_stack([basis, rm])).fit()
        assert res["stat"].iloc[j] == pytest.approx(ols.tvalues[-1], rel=1e-8)
        assert res["pvalue"].iloc[j] == pytest.approx(ols.pvalues[-1], rel=1e-8)
    assert (res["df"] == n - 2 - 2).all()
    assert (res["ci_low"] < res["estimate"]).all() and (res["estimate"] < res["ci_high"]).all()


def test_partial_spearman_without_covariates_is_spearman():
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=25), rng.normal(size=25)
    res = partial_spearman(y[:, None], x)
    rho, p = stats.spearmanr(x, y)
    assert res["estimate"].iloc[0] == pytest.approx(rho, abs=1e-12)
    assert res["pvalue"].iloc[0] == pytest.approx(p, rel=1e-8)


def test_partial_correlation_constant_column_is_nan_and_too_many_covariates_fail():
    rng = np.random.default_rng(2)
    y = np.column_stack([np.ones(10), rng.normal(size=10)])
    res = partial_correlation(y, rng.normal(size=10))
    assert np.isnan(res["estimate"].iloc[0]) and np.isfinite(res["estimate"].iloc[1])
    with pytest.raises(ValueError, match="more people than covariates"):
        partial_correlation(y, rng.normal(size=10), rng.normal(size=(10, 8)))


def test_bh_matches_scipy_and_keeps_nan():
    p = np.array([0.01, np.nan, 0.04, 0.03, 0.5])
    out = bh(p)
    assert np.isnan(out[1])
    expected = stats.false_discovery_control(p[[0, 2, 3, 4]])
    np.testing.assert_allclose(out[[0, 2, 3, 4]], expected)


def test_set_scores_are_mean_z_of_the_set_genes():
    vst = pd.DataFrame(
        {"g1": [1.0, 2.0, 3.0], "g2": [2.0, 2.0, 5.0], "g3": [0.0, 1.0, 0.0], "g4": [4.0] * 3},
        index=["a", "b", "c"],
    )
    symbols = pd.Series({"g1": "A", "g2": "B", "g3": "C", "g4": "D"})
    scores, sizes = set_scores(vst, symbols, {"AB": ["A", "B", "X"], "CD": ["C", "D"]}, 1, 10)
    z = (vst - vst.mean()) / vst.std(ddof=1)
    np.testing.assert_allclose(scores["AB"], (z["g1"] + z["g2"]) / 2)
    # D is constant: dropped, so CD is the z of C alone
    np.testing.assert_allclose(scores["CD"], z["g3"])
    assert sizes.to_dict() == {"AB": 2, "CD": 1}
    scores, _ = set_scores(vst, symbols, {"AB": ["A", "B"]}, 3, 10)
    assert scores.shape[1] == 0


def test_symbol_keys_keep_the_most_expressed_gene_of_a_shared_symbol():
    vst = pd.DataFrame({"e1": [1.0, 2.0], "e2": [5.0, 6.0], "e3": [1.0, 1.0]})
    keys = symbol_keys(vst, pd.Series({"e1": "S", "e2": "S", "e3": ""}))
    assert keys.to_dict() == {"S": "e2"}


def test_covariates_absent_constant_and_categorical_are_handled_with_notes():
    obs = pd.DataFrame(
        {
            "age": [50.0, 60.0, 70.0, 65.0],
            "site": pd.Categorical(["s1", "s1", "s1", "s1"]),
            "sex": ["F", "M", "M", "F"],
            "gender_role": ["x"] * 4,
        }
    )
    used, notes = covariate_columns(obs, ["age", "site", "sex", "waist", "gender"], {"x": "y"})
    assert used == ["age", "site", "sex"]
    assert any("'waist' dropped" in n for n in notes)
    cov = build_covariates(obs, used)
    assert cov.used == ["age", "sex"]
    assert list(cov.numeric.columns) == ["age"] and list(cov.dummies.columns) == ["sex[T.M]"]
    assert any("'site' dropped: constant" in n for n in cov.notes)
