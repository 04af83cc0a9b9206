"""The voom engine's numerics against values from R limma 3.54 / edgeR 3.40 (Debian), and its
designs: every biopsy enters. The R commands that gave each value are in the comments."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from myoclamp.de.concordance import concordance
from myoclamp.de.dupcor import duplicate_correlation
from myoclamp.de.ebayes import ebayes, fit_f_dist, fit_f_dist_robustly, trigamma_inverse
from myoclamp.de.gls import contrasts_fit, lm_fit
from myoclamp.de.mixed_designs import build_mixed_design, participation
from myoclamp.de.voom import tmm_factors, voom
from myoclamp.de.voom_engine import (
    bh_adjust,
    fit_mixed_design,
    fit_voom,
    voom_contrast,
    voom_table,
)
from myoclamp_tools.simulate import simulate_trial, simulation_config

# R, for every value below:
#   counts <- matrix(c(<COUNTS row by row>), nrow = 10, byrow = TRUE)
#   block <- c(1, 1, 2, 2, 3, 3, 4, 4, 5)
#   cell <- factor(c("Ab", "Af", "Ab", "Af", "Bb", "Bf", "Bb", "Bf", "Bb"))
#   design <- model.matrix(~ 0 + cell)
#   dge <- calcNormFactors(DGEList(counts))
#   v <- voom(dge, design)
#   c1 <- duplicateCorrelation(v, design, block = block)$consensus.correlation
#   v2 <- voom(dge, design, block = block, correlation = c1)
#   dc <- duplicateCorrelation(v2, design, block = block)
#   fit <- lmFit(v2, design, block = block, correlation = dc$consensus.correlation)
#   eb <- eBayes(contrasts.fit(fit, c(1, -1, -1, 1)))
#   ebr <- eBayes(contrasts.fit(fit, c(1, -1, -1, 1)), robust = TRUE)
COUNTS = np.array(
    [
        [125, 106, 104, 62, 99, 77, 74, 82, 90],
        [150, 179, 49, 77, 91, 149, 70, 39, 65],
        [31, 44, 58, 51, 43, 41, 61, 41, 64],
        [28, 33, 16, 8, 31, 16, 40, 36, 40],
        [29, 25, 42, 24, 36, 27, 42, 56, 68],
        [14, 20, 34, 23, 42, 36, 16, 15, 31],
        [91, 94, 111, 90, 81, 59, 102, 79, 164],
        [181, 179, 693, 438, 551, 314, 421, 291, 1161],
        [79, 47, 44, 39, 42, 39, 52, 50, 51],
        [37, 51, 35, 47, 41, 60, 74, 82, 32],
    ],
    dtype=float,
)
BLOCK = np.array(["1", "1", "2", "2", "3", "3", "4", "4", "5"])  # participant 5: one biopsy
CELLS = ["Ab", "Af", "Ab", "Af", "Bb", "Bf", "Bb", "Bf", "Bb"]
DESIGN = np.array([[float(c == lv) for lv in ("Ab", "Af", "Bb", "Bf")] for c in CELLS])
CONTRAST = np.array([1.0, -1.0, -1.0, 1.0])


def test_tmm_factors_match_edger():
    # dge$samples$norm.factors
    r = [1.177225630067392, 1.234115840771139, 0.898701090488674, 0.817316986362444]
    r += [0.960820322490045, 1.013962416555248, 1.166866494246163, 1.254218344662392]
    r += [0.657234290785747]
    np.testing.assert_allclose(tmm_factors(COUNTS), r, rtol=1e-12)


def test_voom_weights_match_limma():
    lib = COUNTS.sum(axis=0) * tmm_factors(COUNTS)
    v = voom(COUNTS, DESIGN, lib)
    # v$weights[1, ]
    r = [8.67651403210336, 10.46826745206716, 6.41845312118601, 2.04961219361600]
    r += [1.29643542039458, 1.70302054796514, 2.23675709996359, 1.18162253395806]
    r += [7.46716900324331]
    np.testing.assert_allclose(v.weights[0], r, rtol=1e-9)
    # the log-CPM are voom's: log2((count + 0.5) / (lib.size + 1) * 1e6)
    np.testing.assert_allclose(v.E, np.log2((COUNTS + 0.5) / (lib + 1) * 1e6))


def test_duplicate_correlation_and_ebayes_match_limma():
    lib = COUNTS.sum(axis=0) * tmm_factors(COUNTS)
    v = voom(COUNTS, DESIGN, lib)
    c1 = duplicate_correlation(v.E, DESIGN, BLOCK, weights=v.weights)
    assert c1.consensus == pytest.approx(0.801225282379193, abs=1e-9)  # c1
    v2 = voom(COUNTS, DESIGN, lib, block=BLOCK, correlation=c1.consensus)
    dc = duplicate_correlation(v2.E, DESIGN, BLOCK, weights=v2.weights)
    assert dc.consensus == pytest.approx(0.784507913762947, abs=1e-9)  # dc$consensus
    # tanh(dc$atanh.correlations[1:3])
    np.testing.assert_allclose(
        np.tanh(dc.atanh_correlations[:3]),
        [0.562561889130945, 0.696531596829650, 0.621399658501371],
        atol=1e-8,
    )
    fit = lm_fit(v2.E, DESIGN, weights=v2.weights, block=BLOCK, correlation=dc.consensus)
    eb = ebayes(contrasts_fit(fit, CONTRAST))
    # eb$t[1:3, 1]; eb$df.prior (Inf here: the variances vary less than chance); eb$s2.prior
    np.testing.assert_allclose(
        eb.t[:3, 0], [1.00951412162371, -2.01583572409464, -1.57554757940212], rtol=1e-8
    )
    assert np.isinf(eb.df_prior)
    assert eb.s2_prior == pytest.approx(0.854447451450162, rel=1e-9)
    # eb$lods[1:3, 1]
    np.testing.assert_allclose(
        eb.lods[:3, 0], [-4.59608886631232, -4.49375461378818, -4.52031340400858], rtol=1e-8
    )
    ebr = ebayes(contrasts_fit(fit, CONTRAST), robust=True)
    # ebr$t[1:3, 1]; ebr$s2.prior
    np.testing.assert_allclose(
        ebr.t[:3, 0], [0.958191946577411, -1.913353676859699, -1.495449117249058], rtol=1e-8
    )
    assert ebr.s2_prior == pytest.approx(0.948429650903692, rel=1e-9)


def test_fit_f_dist_and_robust_match_limma():
    x = np.array([0.5, 1.2, 0.8, 2.5, 0.3, 1.1, 0.9, 1.6, 0.7, 3.2, 0.95, 1.05, 0.6, 1.4, 25])
    # unlist(fitFDist(x, 4))
    s2, df2 = fit_f_dist(x, np.full(len(x), 4.0))
    assert (s2, df2) == pytest.approx((1.36701907585750, 5.96700337972838), rel=1e-10)
    # x <- c(exp(seq(-2, 2, length.out = 30)), 60); r <- fitFDistRobustly(x, 3)
    # c(r$scale, r$df2); r$df2.shrunk[c(1, 15, 31)]
    x = np.append(np.exp(np.linspace(-2, 2, 30)), 60.0)
    s2, df2, shrunk = fit_f_dist_robustly(x, 3.0)
    assert (s2, df2) == pytest.approx((1.06606925213319, 2.78815199891540), rel=1e-6)
    np.testing.assert_allclose(
        shrunk[[0, 14, 30]], [2.788151998915, 2.788151998915, 1.08080258366567], rtol=1e-5
    )
    # limma:::trigammaInverse(c(0.5, 3))
    assert trigamma_inverse(0.5) == pytest.approx(2.45995294835231, rel=1e-10)
    assert trigamma_inverse(3.0) == pytest.approx(0.67547810528137, rel=1e-10)


def test_gls_equals_a_dense_generalised_least_squares_fit():
    rng = np.random.default_rng(3)
    y = rng.normal(size=(4, 9))
    w = rng.uniform(0.5, 2.0, size=(4, 9))
    rho = 0.4
    fit = lm_fit(y, DESIGN, weights=w, block=BLOCK, correlation=rho)
    same = BLOCK[:, None] == BLOCK[None, :]
    r = np.where(same, rho, 0.0)
    np.fill_diagonal(r, 1.0)
    for g in range(4):
        v = r / np.sqrt(np.outer(w[g], w[g]))
        vi = np.linalg.inv(v)
        cov = np.linalg.inv(DESIGN.T @ vi @ DESIGN)
        beta = cov @ DESIGN.T @ vi @ y[g]
        e = y[g] - DESIGN @ beta
        np.testing.assert_allclose(fit.coefficients[g], beta, rtol=1e-10)
        np.testing.assert_allclose(fit.stdev_unscaled[g], np.sqrt(np.diag(cov)), rtol=1e-10)
        assert fit.sigma[g] ** 2 == pytest.approx(e @ vi @ e / (9 - 4), rel=1e-10)


def test_bh_matches_its_definition():
    p = np.array([0.01, 0.04, 0.03, np.nan, 0.2])
    # p.adjust(c(0.01, 0.04, 0.03, 0.2), "BH") = 0.04 0.0533 0.0533 0.2
    np.testing.assert_allclose(bh_adjust(p), [0.04, 0.04 * 4 / 3, 0.04 * 4 / 3, np.nan, 0.2])


@pytest.fixture(scope="module")
def trial():
    adata, truth = simulate_trial(
        (6, 6), 300, clamp_per_arm=(4, 4), insulin_genes=20, treatment_genes=15, seed=5
    )
    obs = adata.obs
    # P1 lost the week-13 visit, P2 its week-13 basal biopsy (an insulin biopsy without partner)
    drop = (obs["participant"] == "P1") & (obs["visit"] == "week13")
    drop |= (obs["participant"] == "P2") & (obs["visit"] == "week13") & (obs["clamp"] == "basal")
    return adata[~drop.to_numpy()].copy(), truth


def test_a_participant_with_one_visit_still_enters(trial):
    adata, _ = trial
    cfg = simulation_config()
    d = build_mixed_design(adata.obs, "treatment", cfg)
    basal = adata.obs[adata.obs["clamp"] == "basal"]
    assert d.n_samples == len(basal)
    assert d.n_participants == basal["participant"].nunique() == 12
    assert d.n_single == 2 and d.left_out.empty  # P1 and P2: one basal biopsy each
    assert {"P1", "P2"} <= set(d.block)
    ins = build_mixed_design(adata.obs, "insulin_groups", cfg)
    assert "P2" in set(ins.metadata["participant"])  # its unpaired insulin biopsy is kept
    assert ((ins.metadata["participant"] == "P2") & (ins.metadata["visit"] == "week13")).sum() == 1
    table = participation([d, ins])
    assert table.set_index("contrast").loc["treatment", "participants_one_biopsy"] == 2


def test_contrast_vectors_mean_what_the_deseq2_contrasts_mean(trial):
    adata, _ = trial
    cfg = simulation_config()
    d = build_mixed_design(adata.obs, "insulin_groups", cfg)
    cols = list(d.matrix.columns)

    def weight(contrast: str, arm: str, visit: str, clamp: str) -> float:
        return d.contrasts[contrast][cols.index(f"arm[{arm}]:visit[{visit}]:clamp[{clamp}]")]

    assert weight("treatment_x_insulin", "anakinra", "week13", "insulin") == 1.0
    assert weight("treatment_x_insulin", "placebo", "week13", "insulin") == -1.0
    assert weight("treatment_x_insulin", "placebo", "baseline", "basal") == -1.0
    assert weight("insulin_placebo", "placebo", "baseline", "insulin") == 0.5
    assert weight("insulin_placebo", "anakinra", "baseline", "insulin") == 0.0
    assert weight("insulin_week13", "anakinra", "week13", "basal") == -0.5
    for vec in d.contrasts.values():  # every contrast is a within-cell difference
        assert vec.sum() == pytest.approx(0.0)


def test_planted_effects_are_found_and_the_table_names_the_engine(trial):
    adata, truth = trial
    cfg = simulation_config()
    design = build_mixed_design(adata.obs, "treatment", cfg)
    counts = pd.DataFrame(
        adata[design.matrix.index].X, index=design.matrix.index, columns=adata.var_names
    )
    counts = counts.loc[:, (counts >= 10).sum() >= design.min_group]
    fit = fit_voom(counts, design.matrix, design.block)
    assert 0 < fit.correlation < 1 and len(fit.correlations) == 2
    res = voom_contrast(fit, design.contrasts["treatment"])
    planted = truth["treatment"].reindex(res.index)
    sig = res["padj"] < 0.05
    assert (sig & (planted != 0)).sum() >= 0.6 * (planted != 0).sum()
    assert (sig & (planted == 0)).sum() <= 3
    assert np.corrcoef(res.loc[planted != 0, "log2FoldChange"], planted[planted != 0])[0, 1] > 0.9
    table, meta = voom_table(design, fit, "treatment", adata.var)
    assert set(table["engine"]) == {"voom"}
    assert list(table.columns[:8]) == [
        "gene_id", "symbol", "baseMean", "log2FoldChange", "lfcSE", "stat", "pvalue", "padj",
    ]  # fmt: skip
    assert meta["participants_one_biopsy"] == 2 and meta["correlation"] == pytest.approx(
        fit.correlation, abs=1e-6
    )


def test_unwanted_factors_enter_as_design_columns(trial):
    adata, _ = trial
    controls = [f"G{i:05d}" for i in range(200, 212)]
    cfg = simulation_config(unwanted={"factors": 1, "genes": controls, "designs": ["insulin"]})
    design, fit = fit_mixed_design(adata, "insulin", cfg)
    assert design.matrix.columns[-1] == "unwanted_1"
    assert design.unwanted["factors"] == 1 and design.contrasts["insulin"][-1] == 0.0
    factor = design.matrix["unwanted_1"]
    # a within-participant factor: participant means explain little of it
    means = factor.groupby(design.block).transform("mean")
    assert np.var(factor - means) > 0.3 * np.var(factor)
    table, meta = voom_table(design, fit, "insulin", adata.var)
    assert table["unwanted_control"].sum() == sum(g in set(fit.genes) for g in controls)
    assert meta["unwanted"]["control_genes"]
    assert meta["description"].startswith("insulin vs basal")


def test_concordance_counts_genes_and_correlates_statistics():
    genes = [f"g{i}" for i in range(6)]
    a = pd.DataFrame(
        {
            "gene_id": genes,
            "stat": [5.0, -4.0, 3.0, 0.5, 0.1, np.nan],
            "log2FoldChange": [1.0, -1.0, 0.8, 0.1, 0.0, np.nan],
            "padj": [0.001, 0.01, 0.04, 0.5, 0.9, np.nan],
        }
    )
    b = a.assign(
        stat=[4.0, 3.5, 0.2, 2.5, 0.3, 1.0],
        log2FoldChange=[0.9, 0.7, 0.1, 0.6, 0.0, 0.2],
        padj=[0.002, 0.03, 0.6, 0.04, 0.9, 0.8],
    )
    row = concordance(a, b, "treatment")
    assert (row["sig_both"], row["sig_a_only"], row["sig_b_only"]) == (2, 1, 1)
    assert row["sig_opposite_sign"] == 1  # g1: down under a, up under b
    assert row["genes_both_tested"] == 5  # g5 has no statistic under a
    assert row["jaccard"] == pytest.approx(2 / 4)
    assert row["spearman_stat"] == pytest.approx(0.1)  # ranks (5,1,4,3,2) vs (5,4,1,3,2)


def _glmgam_dense(x, y, beta, tol=1e-6, maxit=20):
    """statmod::glmgam.fit line by line (one gene, every row of its own)."""

    def dev(mu):
        return np.inf if np.any(mu < 0) else 2 * np.sum((y - mu) / mu - np.log(y / mu))

    mu = x @ beta
    d = dev(mu)
    it, lam = 0, 0.0
    while True:
        it += 1
        v = np.maximum(mu**2, np.max(mu**2) / 1e3)
        xvx = x.T @ (x / v[:, None])
        maxinfo = np.max(np.diag(xvx))
        if it == 1:
            lam = abs(np.mean(np.diag(xvx))) / x.shape[1]
        dl = x.T @ ((y - mu) / v)
        beta_old, d_old, lev = beta, d, 0
        while True:
            lev += 1
            db = np.linalg.solve(xvx + lam * np.eye(x.shape[1]), dl)
            beta = beta_old + db
            mu = x @ beta
            d = dev(mu)
            if d <= d_old:
                break
            if lam / maxinfo > 1e15:
                beta = beta_old
                break
            lam *= 2
        if lam / maxinfo > 1e15:
            break
        if lev == 1:
            lam /= 10
        if dl @ db < tol or it > maxit:
            break
    return beta


def _mixed_model2_fit_dense(y, x, z, w):
    """statmod::mixedModel2Fit(y, X, Z, w, only.varcomp = TRUE, maxit = 20) line by line."""
    sw = np.sqrt(w)
    y, x = sw * y, sw[:, None] * x
    q, _ = np.linalg.qr(x, mode="complete")
    q2 = q[:, x.shape[1] :]
    u, s, _ = np.linalg.svd(q2.T @ z, full_matrices=True)
    mq = q2.shape[1]
    d = np.zeros(mq)
    d[: len(s)] = s**2
    dx = np.column_stack([np.ones(mq), d])
    dy = (u.T @ (q2.T @ y)) ** 2
    coef = np.linalg.lstsq(dx, dy, rcond=None)[0]
    start = coef if np.all(dx @ coef >= 0) else np.array([dy.mean(), 0.0])
    return _glmgam_dense(dx, dy, start)


def test_dupcor_reduction_equals_statmods_dense_algorithm():
    # blocks of 1 to 4 samples, cells missing for some sizes (rank-deficient Gram matrices)
    rng = np.random.default_rng(11)
    sizes = np.array([1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 4, 4, 4, 4, 1, 2, 3, 4, 2, 2])
    block = np.repeat(np.arange(len(sizes)), sizes).astype(str)
    n = len(block)
    cell = rng.integers(0, 4, n)
    cell[np.flatnonzero(np.isin(block, ["0", "1", "2", "14"]))] = 0  # singletons in one cell
    x = np.eye(4)[cell]
    person = rng.normal(0, 0.8, (6, len(sizes)))
    y = rng.normal(size=(6, n)) + person[:, block.astype(int)] + x @ [1.0, 2.0, 0.5, 1.5]
    w = rng.uniform(0.3, 3.0, size=(6, n))
    got = duplicate_correlation(y, x, block, weights=w)
    z = (block[:, None] == np.unique(block)[None, :]).astype(float)
    for g in range(6):
        s_resid, s_block = _mixed_model2_fit_dense(y[g], x, z, w[g])
        rho = np.clip(s_block / (s_resid + s_block), 1 / (1 - 4) + 0.01, 0.99)
        assert np.tanh(got.atanh_correlations[g]) == pytest.approx(rho, abs=1e-8)


def test_configured_contrast_keeps_participants_with_one_sample(trial):
    adata, _ = trial
    obs = adata.obs.copy()
    obs["age"] = np.linspace(40, 70, len(obs))
    cfg = simulation_config(
        designs=["treatment"],
        contrasts=[
            {"name": "visit_basal", "factor": "visit", "reference": "baseline",
             "test": "week13", "subset": {"clamp": "basal"}, "covariates": ["age"]},
        ],
    )  # fmt: skip
    d = build_mixed_design(obs, "visit_basal", cfg)
    assert d.block is not None  # visit varies within participants: participant is random
    assert d.n_single == 2 and {"P1", "P2"} <= set(d.block)
    assert list(d.matrix.columns) == ["Intercept", "age", "visit[T.week13]"]
    assert d.matrix["age"].mean() == pytest.approx(0.0, abs=1e-12)
    assert d.contrasts["visit_basal"].tolist() == [0.0, 0.0, 1.0]


def test_tmm_trimming_equals_r_style_ranks_with_ties():
    from scipy.stats import rankdata

    from myoclamp.de.voom import _within_ranks

    rng = np.random.default_rng(2)
    a = np.round(rng.normal(size=(400, 30)), 1)  # many ties, at the trimming bounds too
    fin = rng.random(a.shape) > 0.1
    n = fin.sum(axis=0)
    lo = np.floor(n * 0.3) + 1
    hi = n + 1 - lo
    ranks = rankdata(np.where(fin, a, np.inf), axis=0)  # R's rank: ties averaged
    expected = fin & (ranks >= lo) & (ranks <= hi)
    np.testing.assert_array_equal(_within_ranks(a, fin, lo, hi), expected)


def test_a_design_that_cannot_be_fitted_gives_an_empty_table_with_its_reason(trial):
    adata, _ = trial
    no_clamp = adata.copy()
    no_clamp.obs = no_clamp.obs.drop(columns="clamp")
    design, fit = fit_mixed_design(no_clamp, "insulin", simulation_config())
    assert fit is None and design.reason == "no clamp column"
    table, meta = voom_table(design, fit, "insulin", adata.var)
    assert table.empty and "engine" in table.columns
    assert meta["estimable"] is False and meta["reason"] == "no clamp column"


# R 4.2: x <- c(1, 2, 2, 3, 5, 5, 5, 6, 8, 9, 9.5, 11, 12, 12, 14, 15, 17, 18, 21, 22)
#        y <- c(2.1, 2.9, 3.5, 1.8, 4.0, 6.2, 3.9, 5.1, 7.7, 6.0, 20.0, 8.2, 9.1, 7.9, 10.4,
#               9.8, 12.5, 11.1, 14.0, 13.2)
#        sprintf("%.15g", lowess(x, y, f = 0.4)$y); the same with delta = 3
LOWESS_X = np.array([1, 2, 2, 3, 5, 5, 5, 6, 8, 9, 9.5, 11, 12, 12, 14, 15, 17, 18, 21, 22])
LOWESS_Y = np.array(
    [2.1, 2.9, 3.5, 1.8, 4.0, 6.2, 3.9, 5.1, 7.7, 6.0, 20.0, 8.2, 9.1, 7.9, 10.4, 9.8, 12.5,
     11.1, 14.0, 13.2]
)  # fmt: skip
R_LOWESS = {
    0.21: [
        2.35107023495695,
        2.71613425991374,
        2.71613425991374,
        3.18418856869213,
        4.33001245161969,
        4.33001245161969,
        4.33001245161969,
        5.3615272077887,
        6.61161337652099,
        7.12153809980338,
        7.35693854081217,
        7.98676506501131,
        8.63612962378752,
        8.63612962378752,
        9.8642520288976,
        10.3827235020672,
        11.4046546025811,
        11.9280023046956,
        13.2609564438076,
        13.7084448144566,
    ],
    3.0: [
        2.32917954254696,
        2.77468622831186,
        2.77468622831186,
        3.22019291407676,
        4.69028431103744,
        4.69028431103744,
        4.69028431103744,
        5.42533000951778,
        6.536128583937,
        7.09152787114661,
        7.34823178150895,
        8.11834351259597,
        8.63175133332064,
        8.63175133332064,
        9.80104283467121,
        10.3856885853465,
        11.4177909720082,
        11.9338421653391,
        13.2644304525646,
        13.7108144241516,
    ],
}  # delta -> R's fit (0.21: R's default, 1 % of the range); fmt: skip


@pytest.mark.parametrize("delta", sorted(R_LOWESS))
def test_lowess_matches_r_with_ties_an_outlier_and_skipped_points(delta):
    from myoclamp.de.voom import clowess, r_lowess

    fitted, points = clowess(LOWESS_X, LOWESS_Y, 0.4, 3, delta)
    np.testing.assert_allclose(fitted, R_LOWESS[delta], rtol=0, atol=1e-12)
    if delta == 3.0:  # points within delta of a fitted one are interpolated, not fitted
        assert len(points) < len(np.unique(LOWESS_X))
    else:
        xs, ys = r_lowess(LOWESS_X[::-1], LOWESS_Y[::-1], 0.4)  # sorts as R's lowess does
        np.testing.assert_allclose(xs, LOWESS_X)
    # the curve through the fitted points alone is the whole curve (what voom interpolates)
    np.testing.assert_allclose(
        np.interp(LOWESS_X, LOWESS_X[points], fitted[points]), fitted, rtol=0, atol=1e-12
    )
