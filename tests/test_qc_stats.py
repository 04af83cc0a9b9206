"""Normalisation, PCA/factor R^2, outlier rule and pairing check on small synthetic data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from myoclamp.qc import normalise, outliers, pairing, pca


def nb_counts(rng, n_samples=8, n_genes=300, disp=0.05):
    """Negative-binomial counts with gene means spread over four orders of magnitude."""
    mu = np.exp(rng.uniform(np.log(5), np.log(5e4), n_genes))
    sf = np.exp(rng.normal(0, 0.3, n_samples))
    lam = rng.gamma(1 / disp, mu[None, :] * sf[:, None] * disp)
    return rng.poisson(lam).astype(float), sf


def test_size_factors_median_of_ratios():
    rng = np.random.default_rng(1)
    counts, _ = nb_counts(rng)
    counts = counts + 1  # no zeros: every gene usable
    sf = normalise.size_factors(counts)
    logc = np.log(counts)
    expect = np.exp(np.median(logc - logc.mean(axis=0), axis=1))
    assert sf == pytest.approx(expect, rel=1e-6)
    doubled = counts.copy()
    doubled[0] *= 2
    sf2 = normalise.size_factors(doubled)
    assert sf2[0] / sf2[1] == pytest.approx(2 * sf[0] / sf[1], rel=1e-6)


def test_size_factors_fall_back_to_poscounts():
    counts = np.array([[0, 5, 10], [4, 0, 10], [4, 5, 0]], dtype=float)
    sf = normalise.size_factors(counts)
    assert np.isfinite(sf).all() and (sf > 0).all()


def test_vst_is_log2_like_for_high_counts_and_seeded():
    rng = np.random.default_rng(2)
    counts, _ = nb_counts(rng, n_samples=10)
    sf = normalise.size_factors(counts)
    v = normalise.vst(counts, sf, nsub=200, seed=5)
    assert v.shape == counts.shape
    normed = counts / sf[:, None]
    high = normed > 1000
    # VST approaches log2 of normalised counts (plus a constant) at high counts
    diff = v[high] - np.log2(normed[high])
    assert np.ptp(diff) < 0.1
    # monotone in the normalised counts within a sample
    order = np.argsort(normed[0])
    assert np.all(np.diff(v[0, order]) >= -1e-9)
    assert np.array_equal(v, normalise.vst(counts, sf, nsub=200, seed=5))


def test_log_cpm():
    counts = np.array([[1.0, 3.0], [0.0, 2.0]])
    out = normalise.log_cpm(counts)
    assert out[0] == pytest.approx(np.log2(np.array([250000.0, 750000.0]) + 1))
    assert out[1, 0] == 0


def test_factor_r2_categorical_numeric_and_na():
    y = np.array([1.0, 1.0, 3.0, 3.0, 5.0, 5.0])
    r2, adj, n = pca.factor_r2(y, pd.Series(list("aabbcc")))
    assert r2 == pytest.approx(1.0) and n == 6
    r2, _, _ = pca.factor_r2(y, pd.Series(list("aaabbb")))
    assert r2 == pytest.approx(2 / 3)  # group means 5/3 and 13/3: SSB 32/3, SST 16
    assert pca.factor_r2(y, pd.Series(list("ababab")))[0] == pytest.approx(0.0)
    x = pd.Series([0.0, 1, 2, 3, 4, 6])
    assert pca.factor_r2(y, x)[0] == pytest.approx(np.corrcoef(x, y)[0, 1] ** 2)
    r2, _, n = pca.factor_r2(y, pd.Series(["a", "a", None, "b", "b", "b"]))
    assert n == 5 and r2 < 1


def test_variance_summary_weights_by_pc_variance():
    t = pd.DataFrame(
        {
            "factor": ["f", "f"],
            "pc": ["PC1", "PC2"],
            "r2": [1.0, 0.0],
            "r2_adjusted": [1.0, -0.1],
            "n": [10, 10],
            "pc_variance_ratio": [0.3, 0.1],
        }
    )
    s = pca.variance_summary(t)
    assert s["variance_explained"].iloc[0] == pytest.approx(0.75)
    assert s["variance_explained_adjusted"].iloc[0] == pytest.approx(0.75)


def test_pca_separates_groups_and_fixes_signs():
    rng = np.random.default_rng(3)
    x = rng.normal(0, 1, (20, 50))
    x[:10, :10] += 5
    res = pca.run_pca(x, 5, seed=0)
    assert res["scores"].shape == (20, 5)
    obs = pd.DataFrame({"group": ["a"] * 10 + ["b"] * 10, "noise": rng.normal(size=20)})
    tab = pca.variance_by_factor(res["scores"], res["variance_ratio"], obs, ["group", "noise"])
    pc1 = tab[(tab.pc == "PC1")].set_index("factor")["r2"]
    assert pc1["group"] > 0.9 > 0.3 > pc1["noise"]
    res2 = pca.run_pca(x, 5, seed=0)
    assert np.array_equal(res["scores"], res2["scores"])
    assert (res["loadings"][np.abs(res["loadings"]).argmax(axis=0), range(5)] > 0).all()


def test_top_variable_genes():
    x = np.array([[0, 1, 0, 10.0], [0, -1, 0, -10], [0, 1, 5, 10]])
    assert pca.top_variable_genes(x, 2).tolist() == [2, 3]


def test_robust_z_and_outlier_rule():
    z = outliers.robust_z(np.array([1.0, 2, 3, 4, 100]))
    assert z[2] == 0 and z[4] == pytest.approx(97 / 1.4826)
    assert outliers.robust_z(np.ones(4)).tolist() == [0, 0, 0, 0]
    rng = np.random.default_rng(4)
    lib = rng.normal(2e7, 1e6, 30)
    det = rng.normal(24000, 300, 30)
    cor = rng.normal(0.9, 0.005, 30)
    lib[3] = 3e6  # low depth
    lib[7] = 5e7  # high depth is not a quality problem
    cor[11] = 0.5  # atypical profile
    idx = pd.Index([f"S{i}" for i in range(30)])
    f = outliers.flag_outliers(lib, det, cor, idx, 3.5, 1e6)
    assert f.index[f["outlier"]].tolist() == ["S3", "S11"]
    assert "low library size" in f.at["S3", "outlier_reason"]
    assert "atypical profile" in f.at["S11", "outlier_reason"]
    assert f.at["S0", "outlier_reason"] == ""
    f = outliers.flag_outliers(lib, det, cor, idx, 3.5, 2.5e7)  # absolute floor
    assert f["outlier"].sum() > 2


def _people(rng, n_people=10, per=4, n_genes=400, state_effect=0.0):
    """VST-like values: person effects on every gene, plus an optional state effect."""
    person = rng.normal(0, 1, (n_people, n_genes))
    state = rng.normal(0, 1, n_genes) * state_effect
    rows, obs = [], []
    for p in range(n_people):
        for k in range(per):
            clamp = "insulin" if k % 2 else "basal"
            rows.append(
                person[p] + (state if clamp == "insulin" else 0) + rng.normal(0, 0.5, n_genes)
            )
            obs.append((f"P{p}", clamp, f"S{p}_{k}"))
    obs = pd.DataFrame(obs, columns=["participant", "clamp", "sample"]).set_index("sample")
    return np.array(rows), obs


def test_pairing_flags_a_swapped_sample_only():
    rng = np.random.default_rng(5)
    v, obs = _people(rng)
    v[0] = v[-1] + rng.normal(0, 0.5, v.shape[1])  # S0_0 holds P9's biopsy
    d, cols = pairing.pairing_distances(v, obs, ["clamp"], 100)
    assert len(cols) == 100
    res = pairing.pairing_check(d, obs.index, obs["participant"], 3)
    assert res.index[res["pairing_status"] == "possible_swap"].tolist() == ["S0_0"]
    assert res.at["S0_0", "pairing_nearest_participant"] == "P9"
    assert "P0" in res.at["S0_0", "pairing_reason"]


def test_pairing_single_sample_is_reported_not_flagged():
    rng = np.random.default_rng(6)
    v, obs = _people(rng, n_people=5, per=2)
    v, obs = v[1:], obs.iloc[1:]  # P0 keeps one sample
    d, _ = pairing.pairing_distances(v, obs, ["clamp"], 100)
    res = pairing.pairing_check(d, obs.index, obs["participant"], 3)
    assert res.at["S0_1", "pairing_status"] == "single_sample"
    assert (res.drop("S0_1")["pairing_status"] == "ok").all()


def test_centring_on_clamp_state_rescues_pairing():
    rng = np.random.default_rng(7)
    v, obs = _people(rng, n_people=10, per=2, state_effect=4.0)
    c = pca.correlation_distances(v)
    raw = pairing.pairing_check(c, obs.index, obs["participant"], 1)
    assert (raw["pairing_status"] == "possible_swap").sum() > 5  # insulin pulls to insulin
    d, _ = pairing.pairing_distances(v, obs, ["clamp"], 400)
    adj = pairing.pairing_check(d, obs.index, obs["participant"], 1)
    assert (adj["pairing_status"] == "ok").all()


def test_centre_within_removes_group_means():
    v = np.array([[1.0, 2], [3, 4], [10, 20], [12, 22]])
    obs = pd.DataFrame({"clamp": ["b", "b", "i", "i"], "visit": ["x"] * 4})
    out = pairing.centre_within(v, obs, ["visit", "clamp", "absent"])
    assert out.tolist() == [[-1, -1], [1, 1], [-1, -1], [1, 1]]
