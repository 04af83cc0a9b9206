"""DE designs: sample subsets, full-rank matrices, contrast vectors, names (no fitting here)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from myoclamp.de.design import build_design, full_rank_matrix, natural_key
from myoclamp.de.specs import contrast_designs, contrast_names
from myoclamp.de.stats import reparametrise
from myoclamp.errors import InputError
from myoclamp_tools.simulate import simulate_trial, simulation_config


@pytest.fixture(scope="module")
def trial():
    adata, _ = simulate_trial((4, 3), 20, clamp_per_arm=(3, 2), insulin_genes=5, seed=3)
    return adata


def test_contrast_names_follow_levels_and_sheet(trial):
    cfg = simulation_config()
    names = contrast_names(cfg, trial.obs)
    assert names == [
        "treatment",
        "insulin",
        "insulin_placebo",
        "insulin_anakinra",
        "insulin_baseline",
        "insulin_week13",
        "treatment_x_insulin",
    ]
    # without a clamp column only the treatment design remains
    assert contrast_names(cfg, trial.obs.drop(columns="clamp")) == ["treatment"]
    cfg = simulation_config(
        designs=["treatment"],
        contrasts=[{"name": "sex_base", "factor": "sex", "reference": "F", "test": "M"}],
    )
    assert contrast_designs(cfg, trial.obs) == {"treatment": "treatment", "sex_base": "sex_base"}


@pytest.mark.parametrize(
    ("contrast", "message"),
    [
        ({"name": "x", "factor": "sex", "reference": "F", "test": "Q"}, "'Q'"),
        ({"name": "treatment", "factor": "sex", "reference": "F", "test": "M"}, "used twice"),
        ({"name": "x", "factor": "sex", "reference": "F", "test": "F"}, "the same level"),
        ({"name": "9x", "factor": "sex", "reference": "F", "test": "M"}, "a letter, then letters"),
    ],
)
def test_configured_contrasts_are_validated_against_the_sheet(trial, contrast, message):
    with pytest.raises(InputError, match=message) as err:
        contrast_names(simulation_config(contrasts=[contrast]), trial.obs)
    assert "de.contrasts[0]" in str(err.value)


def test_unknown_design_is_an_input_error(trial):
    with pytest.raises(InputError, match="de.designs.*treatmnet.*is not one of"):
        contrast_names(simulation_config(designs=["treatmnet"]), trial.obs)


def test_treatment_design_is_nested_full_rank_and_unbalanced(trial):
    design = build_design(trial.obs, "treatment", simulation_config())
    m = design.matrix
    assert design.formula == "~ arm + arm:participant_n + arm:visit"
    assert set(design.metadata.loc[m.index, "clamp"]) == {"basal"}
    assert np.linalg.matrix_rank(m.to_numpy()) == m.shape[1]
    # 4 placebo vs 3 anakinra participants: the 4th anakinra participant column is all zero
    assert "arm[anakinra]:participant_n[T.4]" in design.dropped_columns
    assert design.n_participants == 7 and design.n_samples == 14
    vec = pd.Series(design.contrasts["treatment"], index=m.columns)
    assert vec["arm[anakinra]:visit[T.week13]"] == 1
    assert vec["arm[placebo]:visit[T.week13]"] == -1
    assert (vec != 0).sum() == 2
    assert design.min_group == 3  # smallest arm x visit cell


def test_participant_without_baseline_is_left_out_and_reported(trial):
    obs = trial.obs.copy()
    gone = obs.index[(obs["participant"] == "P2") & (obs["visit"] == "baseline")]
    design = build_design(obs.drop(index=gone), "treatment", simulation_config())
    assert "P2" not in set(design.metadata["participant"].astype(str))
    left = design.left_out.set_index("participant")["reason"]
    assert left.to_dict() == {"P2": "no baseline basal biopsy"}
    assert "treatment" in design.contrasts


def test_excluded_samples_are_dropped(trial):
    obs = trial.obs.copy()
    obs.loc[obs.index[0], "excluded"] = True
    design = build_design(obs, "treatment", simulation_config())
    assert obs.index[0] not in design.matrix.index
    assert design.left_out["participant"].tolist() == [obs.loc[obs.index[0], "participant"]]


def test_participant_numbers_sort_naturally():
    assert sorted(["P10", "P2", "P1"], key=natural_key) == ["P1", "P2", "P10"]
    adata, _ = simulate_trial((12, 2), 10, insulin_genes=2, seed=1)
    design = build_design(adata.obs, "insulin", simulation_config())
    cats = list(design.metadata["participant"].cat.categories)
    assert cats[:3] == ["A1", "A2", "P1"] and cats.index("P2") < cats.index("P10")
    numbers = design.metadata.drop_duplicates("participant").set_index("participant")
    assert numbers.loc["P10", "participant_n"] == "10"
    assert numbers.loc["P2", "participant_n"] == "02"


def test_insulin_groups_without_clamps_in_one_arm(trial):
    obs = trial.obs
    no_anakinra_insulin = obs[~((obs["arm"] == "anakinra") & (obs["clamp"] == "insulin"))]
    design = build_design(no_anakinra_insulin, "insulin_groups", simulation_config())
    assert set(design.contrasts) == {"insulin_placebo", "insulin_baseline", "insulin_week13"}
    assert set(design.not_estimable) == {"insulin_anakinra", "treatment_x_insulin"}
    assert (
        "arm[anakinra]:visit[week13]:clamp[T.insulin]"
        in design.not_estimable["treatment_x_insulin"]
    )
    # averages renormalise over the estimable cells: only placebo cells remain
    vec = pd.Series(design.contrasts["insulin_baseline"], index=design.matrix.columns)
    assert vec["arm[placebo]:visit[baseline]:clamp[T.insulin]"] == 1.0
    assert vec.sum() == 1.0


def test_insulin_design_needs_a_clamp_column(trial):
    design = build_design(trial.obs.drop(columns="clamp"), "insulin", simulation_config())
    assert design.matrix is None
    assert design.not_estimable == {"insulin": "no clamp column"}


def test_insulin_samples_are_paired_within_visit(trial):
    obs = trial.obs.copy()
    lone = obs.index[
        (obs["participant"] == "P1") & (obs["visit"] == "week13") & (obs["clamp"] == "basal")
    ]
    design = build_design(obs.drop(index=lone), "insulin", simulation_config())
    p1 = design.metadata[design.metadata["participant"] == "P1"]
    assert set(p1["visit"].astype(str)) == {"baseline"}
    vec = pd.Series(design.contrasts["insulin"], index=design.matrix.columns)
    assert vec["clamp[T.insulin]"] == 1 and vec.abs().sum() == 1


def test_configured_between_person_contrast_has_no_block_and_scaled_covariates(trial):
    obs = trial.obs.copy()
    rng = np.random.default_rng(0)
    ages = {p: rng.normal(60, 8) for p in obs["participant"].unique()}
    obs["age"] = obs["participant"].map(ages).astype(float)
    c = {
        "name": "sex_base",
        "factor": "sex",
        "reference": "F",
        "test": "M",
        "subset": {"visit": "baseline", "clamp": "basal"},
        "covariates": ["age", "site"],
    }
    design = build_design(obs, "sex_base", simulation_config(contrasts=[c]))
    assert design.formula == "~ age + site + sex"
    assert design.n_samples == 7
    age = design.metadata["age"]
    assert abs(age.mean()) < 1e-9 and abs(age.std() - 1) < 1e-9
    assert pd.Series(design.contrasts["sex_base"], design.matrix.columns)["sex[T.M]"] == 1


def test_configured_within_person_contrast_gets_participant_block(trial):
    c = {
        "name": "visit_basal",
        "factor": "visit",
        "reference": "baseline",
        "test": "week13",
        "subset": {"clamp": "basal"},
    }
    design = build_design(trial.obs, "visit_basal", simulation_config(contrasts=[c]))
    assert design.formula == "~ participant + visit"
    assert design.n_participants == 7


def test_configured_contrast_with_unknown_column_names_the_config(trial):
    c = {"name": "x", "factor": "sex", "reference": "F", "test": "M", "covariates": ["bmi"]}
    with pytest.raises(InputError, match="'bmi'") as err:
        build_design(trial.obs, "x", simulation_config(contrasts=[c]))
    assert "config.yaml" in str(err.value)


def test_full_rank_matrix_drops_zero_and_collinear_columns():
    meta = pd.DataFrame(
        {"a": [0.0, 1, 2, 3, 4, 5], "b": [0.0, 2, 4, 6, 8, 10], "g": list("xxxyyy")}
    )
    m, dropped = full_rank_matrix(meta, "~ a + b + g")
    assert list(m.columns) == ["Intercept", "a", "g[T.y]"]
    assert dropped == ["b"]


def test_reparametrisation_keeps_the_fit_and_exposes_the_contrast():
    rng = np.random.default_rng(5)
    x = pd.DataFrame(rng.normal(size=(8, 4)), columns=list("abcd"))
    beta = pd.DataFrame(rng.normal(size=(6, 4)), columns=list("abcd"))
    c = np.array([0.0, 0.5, -1.0, 0.5])
    x2, beta2 = reparametrise(x, beta, c)
    np.testing.assert_allclose(x2.to_numpy() @ beta2.to_numpy().T, x.to_numpy() @ beta.to_numpy().T)
    np.testing.assert_allclose(beta2["tested_contrast"], beta.to_numpy() @ c)
    assert list(x2.columns) == ["a", "b", "tested_contrast", "d"]
    with pytest.raises(ValueError, match="non-zero"):
        reparametrise(x, beta, np.zeros(4))


def test_full_rank_matrix_drops_aliased_columns_in_formula_order():
    import numpy as np
    import pandas as pd

    from myoclamp.de.design import full_rank_matrix

    rng = np.random.default_rng(0)
    meta = pd.DataFrame({"g": ["a", "a", "b", "b", "c", "c"], "x": rng.normal(size=6)})
    meta["x2"] = 2 * meta["x"]  # aliased with x
    meta["z"] = 0.0
    matrix, dropped = full_rank_matrix(meta, "~ g + x + x2 + z")
    assert list(matrix.columns) == ["Intercept", "g[T.b]", "g[T.c]", "x"]
    assert sorted(dropped) == ["x2", "z"]
    assert np.linalg.matrix_rank(matrix.to_numpy()) == matrix.shape[1]
