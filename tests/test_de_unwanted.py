"""Unwanted variation from control genes (``myoclamp.de.unwanted``, ``de.unwanted`` in config)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from myoclamp.adata import counts_frame
from myoclamp.de.design import Design, build_design
from myoclamp.de.fit import fit_design
from myoclamp.de.pipeline import contrast_table, fit_from_adata
from myoclamp.de.settings import de_settings
from myoclamp.de.specs import contrast_specs
from myoclamp.de.tables import summary_row
from myoclamp.de.unwanted import control_factors, control_gene_keys, normalised_counts, nuisance_fit
from myoclamp.errors import InputError
from myoclamp_tools.simulate import simulate_trial, simulation_config

#: genes that respond to insulin and also carry the biopsy stress (as FOS, EGR1, JUNB in muscle)
TARGETS = [f"G{i:05d}" for i in range(5)]
#: negative controls: the stress, no insulin response
CONTROL = [f"G{i:05d}" for i in range(5, 15)]
#: mean stress of the insulin biopsies over the basal ones (a second biopsy is handled more)
INSULIN_STRESS = 0.8


@pytest.fixture(scope="module")
def stressed():
    """A simulated trial whose first 15 genes share a per-biopsy stress factor (1 log2 unit/SD).

    Insulin biopsies carry more stress on average (``INSULIN_STRESS`` SD); the ``TARGETS`` also
    rise 0.7 log2 units under insulin, the ``CONTROL`` genes do not. Returns the AnnData (counts
    redrawn) and the planted per-sample stress.
    """
    adata, _ = simulate_trial((6, 6), 300, insulin_genes=0, seed=11)
    rng = np.random.default_rng(5)
    n, g = adata.shape
    insulin_biopsy = (adata.obs["clamp"] == "insulin").to_numpy()
    stress = rng.normal(size=n) + INSULIN_STRESS * insulin_biopsy
    log_mean = rng.normal(np.log(200), 1.0, g)
    person = {p: rng.normal(0, 0.2, g) for p in adata.obs["participant"].unique()}
    loading = np.zeros(g)
    loading[:15] = 1.0
    insulin = np.zeros(g)
    insulin[:5] = 0.7
    x = np.empty((n, g), dtype=np.int64)
    for r, s in enumerate(adata.obs.itertuples()):
        lfc = person[s.participant] + loading * stress[r] + insulin * insulin_biopsy[r]
        mu = np.exp(log_mean) * np.exp2(lfc)
        disp = 0.05
        x[r] = rng.negative_binomial(1 / disp, 1 / (1 + mu * disp))
    adata.X = x
    return adata, pd.Series(stress, index=adata.obs_names)


def design_and_counts(adata, name="insulin"):
    design = build_design(adata.obs, name, simulation_config())
    return design, counts_frame(adata, design.matrix.index)


def factors(design, counts, control, k):
    return control_factors(counts, design.matrix, list(design.contrasts.values()), control, k)


def test_nuisance_fit_keeps_the_tested_direction_only():
    rng = np.random.default_rng(0)
    x = np.column_stack([np.ones(12), np.repeat([0.0, 1.0], 6), rng.normal(size=12)])
    c = [np.array([0.0, 1.0, 0.0])]
    y = x @ np.array([[2.0], [3.0], [-1.5]])  # intercept, tested group effect, covariate
    left = y - nuisance_fit(x, c, y)
    # the covariate and the intercept are gone; the group difference is kept
    group = x[:, 1]
    resid_group = group - x[:, [0, 2]] @ np.linalg.lstsq(x[:, [0, 2]], group, rcond=None)[0]
    np.testing.assert_allclose(left[:, 0], 3.0 * resid_group, atol=1e-10)
    np.testing.assert_allclose(nuisance_fit(x, [], y), y, atol=1e-10)  # no contrast: all of it


def test_factor_is_the_planted_stress_including_its_insulin_part(stressed):
    adata, stress = stressed
    design, counts = design_and_counts(adata)
    found = factors(design, counts, CONTROL, 1)
    w = found.values["unwanted_1"]
    assert found.reason is None and found.genes == CONTROL
    # stress within person (the person means and visits are taken away, clamp is kept)
    x = design.matrix.drop(columns="clamp[T.insulin]").to_numpy(float)
    s = stress.loc[w.index].to_numpy()
    s_within = s - x @ np.linalg.lstsq(x, s, rcond=None)[0]
    assert np.corrcoef(w, s_within)[0, 1] > 0.95  # signed: more stress, higher
    assert w.std(ddof=1) == pytest.approx(1.0)
    assert found.variance_share[0] > 0.5
    # the extra stress of the insulin biopsies: part of the factor lies along clamp
    assert 0.05 < found.design_r2[0] < 0.5
    # far more than random genes of the same abundance share (median, 95th percentile)
    median, p95 = found.random_share
    assert median < p95 < 0.5 * found.variance_share[0]
    unstressed = factors(design, counts, [f"G{i:05d}" for i in range(100, 110)], 1)
    assert unstressed.variance_share[0] < unstressed.random_share[1]
    # the factor keeps the extra stress of the insulin biopsies: it is not orthogonal to clamp
    insulin = (adata.obs.loc[w.index, "clamp"] == "insulin").to_numpy()
    assert w[insulin].mean() - w[~insulin].mean() > 0.5


def test_no_factor_without_enough_control_genes_or_degrees_of_freedom(stressed):
    adata, _ = stressed
    design, counts = design_and_counts(adata)
    assert factors(design, counts, CONTROL, 0).values.shape[1] == 0
    few = factors(design, counts, ["G00007", "not_a_gene"], 1)
    assert few.values.shape[1] == 0 and "1 control genes" in few.reason
    tiny = design.matrix.index[: design.matrix.shape[1] + 1]
    low_df = factors(design, counts.loc[tiny], CONTROL, 1)
    assert low_df.values.shape[1] == 0 and "1 residual degrees of freedom" in low_df.reason


@pytest.mark.parametrize("zeros", [False, True], ids=["median_of_ratios", "iterative"])
def test_normalised_counts_use_the_size_factors_of_the_fit(zeros):
    rng = np.random.default_rng(2)
    x = rng.poisson(50, size=(8, 30)).astype(np.int64) + 1
    if zeros:  # one zero per gene: no gene is positive in every sample
        x[np.arange(30) % 8, np.arange(30)] = 0
    counts = pd.DataFrame(
        x, index=[f"S{i}" for i in range(8)], columns=[f"G{j}" for j in range(30)]
    )
    design = pd.DataFrame({"intercept": 1.0}, index=counts.index)
    settings = {**de_settings(simulation_config()), "solver": "pydeseq2", "min_count": 0}
    fit = fit_design(Design("d", "~1", counts.assign(participant="P")[["participant"]], design),
                     counts, settings=settings, control=[])  # fmt: skip
    expected = x / fit.dds.obs["size_factors"].to_numpy()[:, None]
    np.testing.assert_allclose(normalised_counts(counts), expected, rtol=1e-9)


@pytest.fixture(scope="module")
def fits(stressed):
    adata, _ = stressed
    out = {}
    for k in (0, 1):
        config = simulation_config(solver="blocks", unwanted={"factors": k, "genes": CONTROL})
        fit = fit_from_adata(adata, "insulin", config, n_cpus=1)
        table, meta = contrast_table(fit, "insulin", config)
        out[k] = (fit, table.set_index("gene_id"), meta)
    return out


def test_factor_enters_the_design_with_zero_weight_and_is_recorded(fits):
    fit0, table0, meta0 = fits[0]
    fit1, table1, meta1 = fits[1]
    assert list(fit1.design.matrix.columns) == [*fit0.design.matrix.columns, "unwanted_1"]
    assert meta1["coefficients"] == meta0["coefficients"] + 1
    assert "unwanted_1" not in meta1["contrast_vector"]
    assert meta1["wald_df"] == meta0["wald_df"] - 1
    assert meta1["unwanted"]["factors"] == 1 and meta1["unwanted"]["control_genes"] == CONTROL
    assert meta1["unwanted"]["method"] == "RUVg"
    values = pd.Series(meta1["unwanted"]["values"]["unwanted_1"])
    np.testing.assert_allclose(
        values.loc[fit1.design.matrix.index], fit1.design.matrix["unwanted_1"], atol=1e-4
    )
    assert meta0["unwanted"] == {}
    assert summary_row(meta1, table1, 0.05)["unwanted_factors"] == 1
    # the controls' rows are marked: their estimates are not findings
    assert set(table1.index[table1["unwanted_control"]]) == set(CONTROL)
    assert not table0["unwanted_control"].any()
    assert summary_row(meta0, table0, 0.05)["unwanted_factors"] == 0


def test_factor_takes_the_stress_out_of_the_insulin_effect(fits):
    t0, t1 = fits[0][1], fits[1][1]
    # without the factor, the extra stress of the insulin biopsies reads as an insulin effect:
    # the controls "respond" and the targets' 0.7 is inflated by the same 0.8 log2 units
    assert t0.loc[CONTROL, "log2FoldChange"].mean() > 0.5
    assert (t0.loc[CONTROL, "padj"] < 0.05).sum() >= 2
    assert t0.loc[TARGETS, "log2FoldChange"].mean() > 1.2
    # with it, the targets get their planted effect, more precisely, and the controls none
    # (0.86 with this seed; 0.63-0.86, mean 0.73 over eight seeds of the simulation)
    assert t1.loc[TARGETS, "log2FoldChange"].mean() == pytest.approx(0.7, abs=0.2)
    assert (t1.loc[TARGETS, "padj"] < 0.05).all()
    assert (t1.loc[TARGETS, "lfcSE"] / t0.loc[TARGETS, "lfcSE"]).median() < 0.8
    assert abs(t1.loc[CONTROL, "log2FoldChange"].mean()) < 0.15
    assert not (t1.loc[CONTROL, "padj"] < 0.05).any()
    # genes without stress: no shift on average; their standard errors grow a little, as the
    # factor is partly aligned with clamp (collinearity, not bias)
    others = t0.index.difference(TARGETS + CONTROL)
    diff = t1.loc[others, "log2FoldChange"] - t0.loc[others, "log2FoldChange"]
    assert abs(diff.mean()) < 0.02
    se_ratio = (t1.loc[others, "lfcSE"] / t0.loc[others, "lfcSE"]).median()
    print("unstressed genes: median lfcSE ratio", se_ratio)
    assert 1.0 < se_ratio < 1.3


def test_control_genes_absent_from_the_counts_are_a_config_error(stressed):
    adata, _ = stressed
    de = de_settings({"de": {"unwanted": {"factors": 1}}})
    assert "FOSB" in de["unwanted"]["genes"]  # the default list is kept when only factors is set
    with pytest.raises(InputError, match=r"config\.yaml.*de\.unwanted\.genes.*none of the control"):
        control_gene_keys(adata.var, de, "insulin")
    assert (
        control_gene_keys(adata.var, {**de, "unwanted": {**de["unwanted"], "factors": 0}}, "x")
        == []
    )
    only = {**de, "unwanted": {"factors": 1, "genes": ["G00003", "G00001"], "designs": ["insulin"]}}
    assert control_gene_keys(adata.var, only, "insulin") == ["G00001", "G00003"]
    assert control_gene_keys(adata.var, only, "treatment") == []


def test_a_design_whose_control_genes_fail_the_filter_is_fitted_without_factor(stressed):
    adata, _ = stressed
    design, counts = design_and_counts(adata)
    settings = {**de_settings(simulation_config()), "unwanted": {"factors": 1, "genes": []}}
    settings["solver"] = "blocks"
    fit = fit_design(design, counts, settings=settings, control=["G00007"])
    assert "unwanted_1" not in fit.design.matrix.columns
    assert fit.design.unwanted["factors"] == 0
    assert "control genes passed the count filter" in fit.design.unwanted["reason"]


def test_factors_only_for_the_chosen_designs(stressed):
    adata, _ = stressed
    only_treatment = {"factors": 1, "genes": CONTROL, "designs": ["treatment"]}
    config = simulation_config(solver="blocks", unwanted=only_treatment)
    assert "unwanted_1" not in fit_from_adata(adata, "insulin", config).design.matrix.columns
    assert "unwanted_1" in fit_from_adata(adata, "treatment", config).design.matrix.columns


def test_unknown_design_under_unwanted_is_a_config_error():
    config = simulation_config(unwanted={"factors": 1, "designs": ["insulin", "insluin"]})
    with pytest.raises(InputError, match=r"de\.unwanted\.designs.*insluin"):
        contrast_specs(config)
    config["de"]["contrasts"] = [{"name": "sex_b", "factor": "sex", "reference": "F", "test": "M"}]
    config["de"]["unwanted"]["designs"] = ["insulin", "sex_b"]
    assert "sex_b" in [s.name for s in contrast_specs(config)]


def test_a_factor_that_the_design_already_holds_is_not_added(stressed):
    """Controls that only move with clamp: their factor is (nearly) the clamp column itself."""
    adata, _ = stressed
    design, counts = design_and_counts(adata)
    clamp = design.matrix["clamp[T.insulin]"].to_numpy()
    shifted = counts.copy()
    base = np.full(len(counts), 200)
    for i, g in enumerate(CONTROL):
        shifted[g] = (base * (1 + 3 * clamp) * (i + 1)).astype(np.int64)
    found = factors(design, shifted, CONTROL, 1)
    assert found.values.shape[1] == 0
    assert "explained by the design" in found.reason
