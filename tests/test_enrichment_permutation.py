"""The design-based permutation set test: schemes keep the exchangeable structure, the fast
Freedman-Lane algebra equals refitting each permuted data set, seeds, and calibration on
simulated null data with strongly correlated gene sets."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from myoclamp.clinical.samples import build_covariates
from myoclamp.clinical.settests import association_design
from myoclamp.de.design import build_design
from myoclamp.enrichment.camera import camera, competitive_t
from myoclamp.enrichment.linear import contrast_model, gene_stats
from myoclamp.enrichment.permutation import permutation_scheme, permutation_test
from myoclamp.enrichment.setindex import set_index
from myoclamp_tools.simulate import simulate_trial, simulation_config

CONFIG = simulation_config(designs=["treatment", "insulin", "insulin_groups"])


@pytest.fixture(scope="module")
def obs() -> pd.DataFrame:
    adata, _ = simulate_trial((5, 5), n_genes=60, insulin_genes=5, seed=4)
    return adata.obs


def design_of(obs: pd.DataFrame, name: str, drop: tuple[str, ...] = ()):
    return build_design(obs.drop(index=list(drop)), name, CONFIG)


def labels(design, column):
    return design.metadata.loc[design.matrix.index, column].astype(str).to_numpy()


def test_arm_permutation_moves_whole_participants(obs):
    design = design_of(obs, "treatment")
    scheme = permutation_scheme(design, "treatment")
    assert scheme.kind == "arms" and scheme.units == 10
    perms = scheme.draw(200, seed=1)
    person, visit, arm = (labels(design, c) for c in ("participant", "visit", "arm"))
    changed = 0
    for perm in perms:
        assert sorted(perm) == list(range(len(perm)))
        assert (visit[perm] == visit).all()  # each sample keeps its visit
        mapping = pd.Series(person[perm]).groupby(person).nunique()
        assert (mapping == 1).all()  # a participant's samples come from one participant
        assert len(set(person[perm])) == len(set(person))
        changed += (arm[perm] != arm).any()
    assert changed > 150  # the arm labels do get shuffled


def test_sign_flips_swap_each_participants_pairs_together(obs):
    design = design_of(obs, "insulin")
    scheme = permutation_scheme(design, "insulin")
    assert scheme.kind == "flip" and scheme.units == 10
    person, visit, clamp = (labels(design, c) for c in ("participant", "visit", "clamp"))
    for perm in scheme.draw(100, seed=2):
        assert (person[perm] == person).all() and (visit[perm] == visit).all()
        swapped = pd.Series(clamp[perm] != clamp).groupby(person).agg(["all", "any"])
        assert (swapped["all"] == swapped["any"]).all()  # all pairs of a person, or none


def test_insulin_group_contrasts_flip_only_the_pairs_they_use(obs):
    design = design_of(obs, "insulin_groups")
    person, visit, arm = (labels(design, c) for c in ("participant", "visit", "arm"))
    for contrast, moved in (
        ("insulin_placebo", arm == "placebo"),
        ("insulin_week13", visit == "week13"),
    ):
        perms = permutation_scheme(design, contrast).draw(100, seed=3)
        still = (perms == np.arange(perms.shape[1])).all(axis=0)
        assert still[~moved].all() and not still[moved].any()
    scheme = permutation_scheme(design, "treatment_x_insulin")
    assert scheme.kind == "arms"


def test_participants_missing_a_pair_form_their_own_layout(obs):
    """A participant with one visit pair only never swaps with a participant with two."""
    drop = obs.index[(obs["participant"] == "P1") & (obs["visit"] == "week13")]
    design = design_of(obs, "insulin_groups", tuple(drop))
    scheme = permutation_scheme(design, "treatment_x_insulin")
    assert sorted(len(s) for s in scheme.strata) == [1, 9]
    person = labels(design, "participant")
    perms = scheme.draw(50, seed=5)
    p1 = person == "P1"
    assert (perms[:, p1] == np.flatnonzero(p1)).all()
    flip = permutation_scheme(design, "insulin_placebo")
    assert flip.units == 5 and len(flip.pairs) == 9  # P1 keeps its one pair


def gaussian(design, n_genes=300, seed=0):
    rng = np.random.default_rng(seed)
    n = design.matrix.shape[0]
    person = pd.factorize(labels(design, "participant"))[0]
    return rng.normal(size=(n, n_genes)) + rng.normal(size=(person.max() + 1, n_genes))[person]


def refit_null(y, x, contrast, sets, perms):
    """Each permutation refitted from scratch: y* = H0 y + P R0 y (Freedman-Lane)."""
    model = contrast_model(x, contrast)
    y0 = model.residualise(y)
    out = []
    for perm in perms:
        stats, _ = gene_stats((y - y0) + y0[perm], model)
        out.append(competitive_t(stats.z, sets.sums(stats.z), sets.sizes, np.ones(len(sets))))
    return np.array(out)


@pytest.mark.parametrize(
    ("design_name", "contrast", "exact"),
    [
        ("treatment", "treatment", True),
        ("insulin", "insulin", True),
        ("insulin_groups", "insulin_placebo", False),
        ("insulin_groups", "treatment_x_insulin", False),
    ],
)
def test_fast_statistics_equal_refitting(obs, design_name, contrast, exact):
    design = design_of(obs, design_name)
    y = gaussian(design)
    keys = [f"g{i}" for i in range(y.shape[1])]
    rng = np.random.default_rng(9)
    sets = set_index(keys, {f"s{j}": list(rng.choice(keys, 20, replace=False)) for j in range(12)})
    scheme = permutation_scheme(design, contrast)
    x = design.matrix.to_numpy(float)
    res = permutation_test(
        y,
        x,
        design.contrasts[contrast],
        sets,
        scheme,
        permutations=40,
        seed=7,
        chunk=16,
        keep_null=True,
    )
    expected = refit_null(y, x, design.contrasts[contrast], sets, scheme.draw(40, seed=7))
    np.testing.assert_allclose(res.null, expected, rtol=1e-8, atol=1e-10)
    identity = refit_null(y, x, design.contrasts[contrast], sets, [np.arange(len(y))])[0]
    np.testing.assert_allclose(res.statistic, identity, rtol=1e-10)
    assert res.exact is exact


def test_association_permutes_m_between_participants_with_covariates():
    rng = np.random.default_rng(11)
    n = 24
    obs = pd.DataFrame(
        {
            "participant": [f"P{i}" for i in range(n)],
            "age": rng.normal(60, 8, n),
            "site": np.where(np.arange(n) % 3 == 0, "a", "b"),
        },
        index=[f"S{i}" for i in range(n)],
    )
    design = association_design(obs, rng.normal(4, 1.7, n), build_covariates(obs, ["age", "site"]))
    scheme = permutation_scheme(design, "m_value")
    assert scheme.kind == "arms" and scheme.units == n
    y = rng.normal(size=(n, 200))
    keys = [f"g{i}" for i in range(200)]
    sets = set_index(keys, {f"s{j}": keys[10 * j : 10 * j + 15] for j in range(10)})
    x = design.matrix.to_numpy(float)
    c = design.contrasts["m_value"]
    res = permutation_test(y, x, c, sets, scheme, permutations=30, seed=1, keep_null=True)
    assert not res.exact  # covariates are not invariant under the permutation: Freedman-Lane
    np.testing.assert_allclose(res.null, refit_null(y, x, c, sets, scheme.draw(30, 1)), rtol=1e-8)


def test_same_seed_same_result_other_seed_other_draws(obs):
    design = design_of(obs, "treatment")
    y = gaussian(design, seed=2)
    keys = [f"g{i}" for i in range(y.shape[1])]
    sets = set_index(keys, {f"s{j}": keys[20 * j : 20 * j + 20] for j in range(10)})
    scheme = permutation_scheme(design, "treatment")
    x, c = design.matrix.to_numpy(float), design.contrasts["treatment"]
    a = permutation_test(y, x, c, sets, scheme, permutations=99, seed=5)
    b = permutation_test(y, x, c, sets, scheme, permutations=99, seed=5, chunk=7)
    np.testing.assert_array_equal(a.pvalue, b.pvalue)
    assert not np.array_equal(scheme.draw(99, 5), scheme.draw(99, 6))
    assert a.pvalue.min() >= 1 / 100


def correlated_null(design, rng, n_sets=30, size=30, n_genes=1500, loading=0.8):
    """Null data (no arm effect) in which each set's genes share a participant-level change."""
    person = pd.factorize(labels(design, "participant"))[0]
    later = (labels(design, "visit") == "week13").astype(float)
    n_p = person.max() + 1
    y = rng.normal(size=(len(person), n_genes)) + rng.normal(size=(n_p, n_genes))[person]
    for j in range(n_sets):
        change = rng.normal(size=n_p)[person] * later  # one factor per set, random per person
        y[:, j * size : (j + 1) * size] += loading * change[:, None]
    return y


def test_null_pvalues_are_uniform_with_correlated_genes():
    """Under the null, camera and the permutation test keep about 5 % of set p-values below
    0.05, while a test that ignores the correlation (fixed correlation 0) rejects far more."""
    adata, _ = simulate_trial((8, 8), n_genes=60, insulin_genes=5, clamp_per_arm=(0, 0), seed=1)
    design = build_design(adata.obs, "treatment", CONFIG)
    x, c = design.matrix.to_numpy(float), design.contrasts["treatment"]
    scheme = permutation_scheme(design, "treatment")
    keys = [f"g{i}" for i in range(1500)]
    sets = set_index(keys, {f"s{j}": keys[30 * j : 30 * j + 30] for j in range(30)})
    rng = np.random.default_rng(2024)
    cam, perm, naive = [], [], []
    for rep in range(25):
        y = correlated_null(design, rng)
        cam.append(camera(y, x, c, sets)["pvalue"].to_numpy())
        naive.append(camera(y, x, c, sets, inter_gene_cor=0.0)["pvalue"].to_numpy())
        perm.append(permutation_test(y, x, c, sets, scheme, permutations=99, seed=rep).pvalue)
    share = {
        k: float((np.concatenate(v) < 0.05).mean())
        for k, v in {"camera": cam, "permutation": perm, "naive": naive}.items()
    }
    assert 0.02 <= share["camera"] <= 0.09, share
    assert 0.02 <= share["permutation"] <= 0.09, share
    assert share["naive"] > 0.2, share


def test_configured_contrasts_get_their_own_scheme(obs):
    config = simulation_config(
        designs=["treatment"],
        contrasts=[
            {
                "name": "sex_basal",
                "factor": "sex",
                "reference": "F",
                "test": "M",
                "subset": {"clamp": "basal"},
            },
            {"name": "visit_all", "factor": "visit", "reference": "baseline", "test": "week13"},
        ],
    )
    between = build_design(obs, "sex_basal", config)
    scheme = permutation_scheme(between, "sex_basal")
    assert scheme.kind == "arms" and "sex labels" in scheme.description
    within = build_design(obs, "visit_all", config)
    scheme = permutation_scheme(within, "visit_all")
    assert scheme.kind == "flip"
    person, clamp, visit = (labels(within, c) for c in ("participant", "clamp", "visit"))
    for perm in scheme.draw(50, seed=1):
        assert (person[perm] == person).all() and (clamp[perm] == clamp).all()
        swapped = pd.Series(visit[perm] != visit).groupby(person).agg(["all", "any"])
        assert (swapped["all"] == swapped["any"]).all()


def test_unwanted_factor_columns_keep_the_scheme_and_use_freedman_lane(obs):
    design = design_of(obs, "insulin_groups")
    plain = permutation_scheme(design, "insulin_placebo")
    rng = np.random.default_rng(4)
    design.add_columns(
        pd.DataFrame({"unwanted_1": rng.normal(size=design.n_samples)}, index=design.matrix.index)
    )
    scheme = permutation_scheme(design, "insulin_placebo")
    np.testing.assert_array_equal(scheme.pairs, plain.pairs)
    y = gaussian(design, seed=3)
    keys = [f"g{i}" for i in range(y.shape[1])]
    sets = set_index(keys, {f"s{j}": keys[25 * j : 25 * j + 25] for j in range(8)})
    x, c = design.matrix.to_numpy(float), design.contrasts["insulin_placebo"]
    res = permutation_test(y, x, c, sets, scheme, permutations=20, seed=2, keep_null=True)
    assert not res.exact
    np.testing.assert_allclose(res.null, refit_null(y, x, c, sets, scheme.draw(20, 2)), rtol=1e-8)
