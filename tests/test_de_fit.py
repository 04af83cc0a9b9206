"""pydeseq2 fits and contrasts on a small simulated trial (planted effects, seeded)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from myoclamp.de.design import build_design
from myoclamp.de.fit import expression_filter, fit_design
from myoclamp.de.pipeline import fit_from_adata
from myoclamp.de.settings import de_settings
from myoclamp.de.stats import RESULT_COLUMNS, Z95, contrast_results
from myoclamp_tools.simulate import simulate_trial, simulation_config


@pytest.fixture(scope="module")
def trial():
    return simulate_trial(
        (4, 4), 200, clamp_per_arm=(3, 3), insulin_genes=25, treatment_genes=20, seed=11
    )


@pytest.fixture(scope="module")
def treatment_fit(trial):
    adata, _ = trial
    return fit_from_adata(adata, "treatment", simulation_config(), n_cpus=1)


@pytest.fixture(scope="module")
def treatment_results(treatment_fit):
    return contrast_results(treatment_fit.dds, treatment_fit.design.contrasts["treatment"])


def test_expression_filter_counts_samples_at_threshold():
    counts = pd.DataFrame({"a": [10, 10, 0, 0], "b": [9, 50, 50, 0], "c": [0, 0, 0, 0]})
    assert expression_filter(counts, 10, 2).tolist() == [True, True, False]
    assert expression_filter(counts, 10, 3).tolist() == [False, False, False]


def test_treatment_contrast_recovers_planted_genes(trial, treatment_results):
    _, truth = trial
    res = treatment_results
    planted = truth["treatment"].reindex(res.index)
    sig = res["padj"] < 0.05
    recall = (sig & (planted != 0)).sum() / (planted != 0).sum()
    false = (sig & (planted == 0)).sum() / max(sig.sum(), 1)
    assert recall >= 0.7
    assert false <= 0.2
    # direction of the planted effects is recovered
    hits = sig & (planted != 0)
    assert (np.sign(res.loc[hits, "log2FoldChange"]) == np.sign(planted[hits])).all()


def test_result_columns_intervals_and_shrinkage(treatment_results):
    res = treatment_results
    assert list(res.columns) == RESULT_COLUMNS
    width = res["ci_high"] - res["ci_low"]
    np.testing.assert_allclose(width, 2 * Z95 * res["lfcSE"], rtol=1e-9)
    assert (
        (res["ci_low"] <= res["log2FoldChange"]) & (res["log2FoldChange"] <= res["ci_high"])
    ).all()
    shrunk = res["log2FoldChange_shrunk"]
    assert shrunk.notna().all() and res["lfcSE_shrunk"].notna().all()
    # the prior pulls noisy estimates towards zero, large well-measured ones barely move
    assert (shrunk.abs() <= res["log2FoldChange"].abs() + 0.05).mean() > 0.95
    assert np.corrcoef(shrunk, res["log2FoldChange"])[0, 1] > 0.6
    # flags: filtered genes have a p-value but no padj; outliers have no p-value
    assert (res.loc[res["filtered"], "pvalue"].notna()).all()
    assert (res.loc[res["filtered"], "padj"].isna()).all()
    assert (res.loc[res["outlier"], "pvalue"].isna()).all()


def test_shrinkage_of_a_contrast_equals_shrinking_a_fitted_coefficient(trial, treatment_fit):
    """Fitting the reparametrised design directly gives the same MLE and shrunk log2FC."""
    adata, _ = trial
    design = treatment_fit.design
    vec = design.contrasts["treatment"]
    k = int(np.flatnonzero(vec)[-1])
    t = np.eye(len(vec))
    t[k] = vec
    direct = build_design(adata.obs, "treatment", simulation_config())
    direct.matrix = pd.DataFrame(
        design.matrix.to_numpy() @ np.linalg.inv(t), design.matrix.index, design.matrix.columns
    )
    unit = np.zeros(len(vec))
    unit[k] = 1.0
    direct.contrasts = {"treatment": unit}
    counts = pd.DataFrame(
        np.asarray(treatment_fit.dds.X), treatment_fit.dds.obs_names, treatment_fit.dds.var_names
    )
    fit2 = fit_design(direct, counts, settings=de_settings(simulation_config(min_count=0)))
    a = contrast_results(treatment_fit.dds, vec)
    b = contrast_results(fit2.dds, unit)
    # same model, different parametrisation: equal up to the optimisers' tolerances
    np.testing.assert_allclose(a["log2FoldChange"], b["log2FoldChange"], atol=2e-3)
    np.testing.assert_allclose(a["stat"], b["stat"], atol=1e-2)
    np.testing.assert_allclose(a["log2FoldChange_shrunk"], b["log2FoldChange_shrunk"], atol=1e-2)
    assert (a["log2FoldChange_shrunk"] - a["log2FoldChange"]).abs().max() > 0.05  # it did shrink


def test_contrasts_read_one_after_another_from_one_fit_do_not_change_it(treatment_fit):
    """A design's job tests all its contrasts on one fit: a contrast's results do not depend on
    which contrasts were read before it (the Wald test and shrinkage leave the fit as it was)."""
    dds = treatment_fit.dds
    c = treatment_fit.design.contrasts["treatment"]
    first = contrast_results(dds, c, shrink=True)
    other = np.zeros_like(c)
    other[-1] = 1.0  # another column of the same design, with its own shrinkage
    contrast_results(dds, other, shrink=True)
    again = contrast_results(dds, c, shrink=True)
    pd.testing.assert_frame_equal(first, again, check_exact=True)


def test_fit_records_count_filter_and_time(treatment_fit):
    assert treatment_fit.min_samples == 4  # smallest arm x visit cell
    assert 0 < treatment_fit.dds.n_vars <= treatment_fit.genes_before_filter == 200
    assert treatment_fit.seconds > 0
    assert treatment_fit.dds.obsm["design_matrix"].equals(treatment_fit.design.matrix)


@pytest.mark.parametrize("design", ["treatment", "insulin"])
def test_both_engines_give_the_same_results_through_the_stage(trial, design):
    from scipy.stats import spearmanr

    adata, _ = trial
    out = {}
    for engine in ("blocks", "pydeseq2"):
        cfg = simulation_config()
        cfg.setdefault("de", {})["solver"] = engine
        fit = fit_from_adata(adata, design, cfg, n_cpus=1)
        name = next(iter(fit.design.contrasts))
        out[engine] = contrast_results(fit.dds, fit.design.contrasts[name], shrink=False)
    a, b = out["blocks"], out["pydeseq2"].loc[out["blocks"].index]
    ok = a["stat"].notna() & b["stat"].notna()
    assert spearmanr(a.loc[ok, "log2FoldChange"], b.loc[ok, "log2FoldChange"])[0] >= 0.9999
    assert spearmanr(a.loc[ok, "stat"], b.loc[ok, "stat"])[0] >= 0.9999
    sig_a, sig_b = set(a.index[a["padj"] < 0.05]), set(b.index[b["padj"] < 0.05])
    assert len(sig_a | sig_b) > 0
    assert len(sig_a & sig_b) / len(sig_a | sig_b) >= 0.98


def test_t_reference_is_deseq2s_use_t(treatment_fit):
    """p-values from t(n - p) on the same statistics; filters and BH run on them; wider CIs."""
    from scipy.stats import false_discovery_control
    from scipy.stats import t as student_t

    dds, vec = treatment_fit.dds, treatment_fit.design.contrasts["treatment"]
    z = contrast_results(dds, vec, shrink=False, independent_filter=False)
    t = contrast_results(dds, vec, shrink=False, independent_filter=False, wald_distribution="t")
    df = dds.n_obs - dds.obsm["design_matrix"].shape[1]
    assert 0 < df < 100
    pd.testing.assert_series_equal(t["stat"], z["stat"])
    pd.testing.assert_series_equal(t["log2FoldChange"], z["log2FoldChange"])
    tested = t["pvalue"].notna()
    assert tested.equals(z["pvalue"].notna())  # Cook's outliers stay removed
    expected = 2 * student_t.sf(np.abs(t.loc[tested, "stat"]), df)
    np.testing.assert_allclose(t.loc[tested, "pvalue"], expected, rtol=1e-12)
    assert (t.loc[tested, "pvalue"] >= z.loc[tested, "pvalue"]).all()
    assert (t.loc[tested, "pvalue"] > z.loc[tested, "pvalue"]).any()
    np.testing.assert_allclose(
        t.loc[tested, "padj"], false_discovery_control(t.loc[tested, "pvalue"]), rtol=1e-9
    )
    width = t["ci_high"] - t["ci_low"]
    np.testing.assert_allclose(width, 2 * student_t.ppf(0.975, df) * t["lfcSE"], rtol=1e-9)
    filtered = contrast_results(dds, vec, shrink=False, wald_distribution="t")
    assert filtered["pvalue"].equals(t["pvalue"])  # independent filtering acts on padj only
    with pytest.raises(ValueError, match="wald_distribution"):
        contrast_results(dds, vec, shrink=False, wald_distribution="chisq")


def test_configured_t_reference_reaches_the_table_and_its_metadata(trial):
    from myoclamp.de.pipeline import contrast_table

    adata, _ = trial
    config = simulation_config(wald_distribution="t", shrink=False)
    fit = fit_from_adata(adata, "insulin", config)
    table, meta = contrast_table(fit, "insulin", config)
    assert meta["wald_distribution"] == "t"
    assert meta["wald_df"] == fit.dds.n_obs - fit.dds.obsm["design_matrix"].shape[1]
    assert de_settings(simulation_config())["wald_distribution"] == "t"  # the workflow's default
    z_config = simulation_config(shrink=False, wald_distribution="normal")
    normal, meta_z = contrast_table(fit, "insulin", z_config)
    assert meta_z["wald_distribution"] == "normal" and meta_z["wald_df"] is None
    both = table["pvalue"].notna()
    assert (table.loc[both, "pvalue"] > normal.loc[both, "pvalue"]).all()
