"""camera and limma's moderation helpers against values from R limma 3.54.1, and by hand.

The reference numbers were produced once with Debian's R limma 3.54.1 on exactly the data of
``small_case`` (written to TSV with 17 significant digits) by ``myoclamp_tools/r/camera.R``
(camera) and by ``squeezeVar(v, df = 4)``, ``zscoreT(t, 7.5, approx = TRUE, method = "hill")``,
``trigammaInverse`` and ``p.adjust(p, "BH")`` for the helpers; the marked test
``test_enrichment_rlimma.py`` reruns R on real-sized data.
"""

from __future__ import annotations

import numpy as np
import pytest

from myoclamp.enrichment.camera import bh, camera, competitive_t
from myoclamp.enrichment.linear import contrast_model, gene_stats
from myoclamp.enrichment.moderation import squeeze_var, trigamma, trigamma_inverse, zscore_t_hill
from myoclamp.enrichment.setindex import set_index


def small_case():
    """12 samples (6 participants x 2 visits, 3 per arm), 60 genes, 4 sets; genes 0-14 share a
    participant-level change factor (correlated), genes 20-29 change more in arm 1."""
    rng = np.random.default_rng(16)
    n_p, g = 6, 60
    arm = np.repeat([0, 1], 3)
    y = rng.normal(0, 1, (2 * n_p, g)) + np.repeat(rng.normal(0, 1, (n_p, g)), 2, axis=0)
    factor = rng.normal(0, 1, n_p)
    visit = np.tile([0, 1], n_p)
    y[visit == 1, :15] += factor[:, None] * 0.9
    y[(visit == 1) & (np.repeat(arm, 2) == 1), 20:30] += 2.5
    blocks = np.eye(n_p)[np.repeat(np.arange(n_p), 2)]
    x = np.column_stack([blocks, visit, visit * np.repeat(arm, 2)])
    contrast = np.zeros(x.shape[1])
    contrast[-1] = 1.0
    sets = {
        "corr": list(range(0, 15)),
        "up": list(range(20, 30)),
        "mixed": list(range(10, 25)),
        "rand": [3, 17, 31, 44, 52, 58, 40, 35],
    }
    return y, x, contrast, sets


# R: camera(y, index, design, contrast, inter.gene.cor = NA / 0.01, sort = FALSE)
R_ESTIMATED = {  # set: (Correlation, Direction, PValue, FDR)
    "corr": (0.279608301209567, "Down", 0.527578134212306, 0.527578134212306),
    "up": (-0.0554353488286923, "Up", 0.0366338293659657, 0.146535317463863),
    "mixed": (0.0724129131770672, "Down", 0.324180511611927, 0.527578134212306),
    "rand": (0.0035575461439277, "Down", 0.46467993613083, 0.527578134212306),
}
R_FIXED_001 = {
    "corr": ("Down", 0.19734829905338, 0.263131065404507),
    "up": ("Up", 0.0042218648792557, 0.0168874595170229),
    "mixed": ("Down", 0.161613530600942, 0.263131065404507),
    "rand": ("Down", 0.431332702492237, 0.431332702492237),
}


def run_small(inter_gene_cor=None):
    y, x, c, sets = small_case()
    keys = [f"g{i}" for i in range(y.shape[1])]
    named = {s: [keys[i] for i in idx] for s, idx in sets.items()}
    index = set_index(keys, named, min_size=2, collections=dict.fromkeys(named, "c"))
    return camera(y, x, c, index, inter_gene_cor=inter_gene_cor).set_index("set")


def test_camera_matches_r_with_estimated_correlation():
    res = run_small(None)
    for name, (cor, direction, p, fdr) in R_ESTIMATED.items():
        assert res.loc[name, "correlation"] == pytest.approx(cor, rel=1e-9, abs=1e-12)
        assert res.loc[name, "direction"] == direction
        assert res.loc[name, "pvalue"] == pytest.approx(p, rel=1e-9)
        assert res.loc[name, "FDR"] == pytest.approx(fdr, rel=1e-9)


def test_camera_matches_r_with_fixed_correlation():
    res = run_small(0.01)
    for name, (direction, p, fdr) in R_FIXED_001.items():
        assert res.loc[name, "direction"] == direction
        assert res.loc[name, "pvalue"] == pytest.approx(p, rel=1e-9)
        assert res.loc[name, "FDR"] == pytest.approx(fdr, rel=1e-9)
        assert res.loc[name, "correlation"] == 0.01


def test_correlated_set_is_penalised():
    """The co-regulated set's estimated correlation inflates its variance: its p-value is larger
    than with a near-zero fixed correlation (the reason camera exists)."""
    est, fixed = run_small(None), run_small(0.01)
    assert est.loc["corr", "correlation"] > 0.2
    assert est.loc["corr", "pvalue"] > fixed.loc["corr", "pvalue"]


def test_identical_genes_have_correlation_one():
    """By hand: a set of copies of one gene has residual correlation 1 and VIF = m."""
    rng = np.random.default_rng(3)
    n = 10
    y = rng.normal(size=(n, 40))
    y[:, 5:10] = y[:, [5]] + rng.normal(0, 1e-9, (n, 5))
    x = np.column_stack([np.ones(n), np.repeat([0.0, 1.0], 5)])
    keys = [f"g{i}" for i in range(40)]
    index = set_index(keys, {"copies": keys[5:10]}, min_size=2)
    res = camera(y, x, np.array([0.0, 1.0]), index)
    assert res.loc[0, "correlation"] == pytest.approx(1.0, abs=1e-6)


def test_contrast_geometry_matches_least_squares():
    """x'y equals c'b_hat of an ordinary least-squares fit; the direction is orthogonal to S0."""
    y, x, c, _ = small_case()
    c = np.zeros(x.shape[1])
    c[-2], c[-1] = 1.0, 0.5
    model = contrast_model(x, c)
    beta = np.linalg.lstsq(x, y, rcond=None)[0]
    np.testing.assert_allclose(model.x @ y, c @ beta, atol=1e-10)
    assert np.abs(model.null_basis.T @ model.x).max() < 1e-10
    stats, resid = gene_stats(y, model)
    rss = ((y - x @ beta) ** 2).sum(axis=0)
    np.testing.assert_allclose(stats.sigma2, rss / (x.shape[0] - x.shape[1]), rtol=1e-10)
    np.testing.assert_allclose((resid**2).sum(axis=0), rss, rtol=1e-10)


def test_competitive_t_by_hand():
    """Two-sample t of the set mean against the rest, variance times VIF."""
    z = np.array([2.0, 1.0, 0.0, -1.0, 0.5, -0.5])
    t = competitive_t(z, np.array([3.0]), np.array([2]), np.array([1.5]))
    rest = z[2:]
    delta = 1.5 - rest.mean()
    pooled = (((z[:2] - 1.5) ** 2).sum() + ((rest - rest.mean()) ** 2).sum()) / (6 - 2)
    assert t[0] == pytest.approx(delta / np.sqrt(pooled * (1.5 / 2 + 1 / 4)), rel=1e-12)


def test_squeeze_var_matches_r():
    v = np.array([0.1, 1.2, 0.8, 5.5, 0.3, 1.1, 0.05, 4.0, 0.7, 2.5])
    post, prior = squeeze_var(v, 4)
    assert float(prior.df) == pytest.approx(1.97980052840665, rel=1e-9)
    assert float(prior.scale) == pytest.approx(0.552582104871773, rel=1e-9)
    r_post = [0.249841501587893, 0.98565199879396, 0.718084545264481, 3.86200212423586,
              0.383625228352633, 0.91876013541159, 0.216395569896709, 2.85862417350031,
              0.651192681882112, 1.85524622276477]  # fmt: skip
    np.testing.assert_allclose(post, r_post, rtol=1e-9)
    # rows are independent data sets: a second row gives the same as alone
    both, priors = squeeze_var(np.vstack([v, v * 3]), 4)
    np.testing.assert_allclose(both[0], r_post, rtol=1e-9)
    assert priors.df[1] == pytest.approx(priors.df[0])
    # no excess variance: infinite prior df, every variance becomes the mean (R: 1.35)
    flat, flat_prior = squeeze_var(np.array([0.5, 1.2, 0.8, 2.5, 0.3, 1.1, 0.9, 4.0, 0.7, 1.5]), 4)
    assert np.isinf(float(flat_prior.df))
    np.testing.assert_allclose(flat, 1.35)


def test_zscore_hill_and_trigamma_inverse_match_r():
    z = zscore_t_hill(np.array([-3, -0.5, 0.2, 2.5, 8.0]), 7.5)
    r = [-2.35765191956425, -0.4797418635903, 0.193207762002622, 2.06608717129091,
         4.00275943650868]  # fmt: skip
    np.testing.assert_allclose(z, r, rtol=1e-12)
    x = np.array([0.05, 1.0, 20.0])
    inv = trigamma_inverse(x)
    np.testing.assert_allclose(inv, [20.4958352391546, 1.42625512021508, 0.230776329152426],
                               rtol=1e-9)  # fmt: skip
    np.testing.assert_allclose(trigamma(inv), x, rtol=1e-8)


def test_bh_matches_r():
    p = np.array([0.01, 0.04, 0.03, 0.2, 0.5, 0.001])
    np.testing.assert_allclose(bh(p), [0.03, 0.06, 0.06, 0.24, 0.5, 0.006])
