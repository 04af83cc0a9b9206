"""log2-CPM for the set tests, and the one-table entry (camera + permutation) per contrast."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from myoclamp.adata import counts_frame
from myoclamp.clinical.samples import build_covariates
from myoclamp.clinical.settests import association_set_tests
from myoclamp.de.design import build_design
from myoclamp.enrichment.genesets import GeneSets
from myoclamp.enrichment.logexpr import (
    gene_keys,
    log_cpm,
    log_expression,
    median_ratio_size_factors,
)
from myoclamp.enrichment.settests import SET_TEST_COLUMNS, set_tests
from myoclamp.qc.normalise import size_factors
from myoclamp_tools.simulate import simulate_trial, simulation_config


def test_log_cpm_by_hand():
    counts = np.array([[0, 10, 90], [5, 20, 175]])
    lib = np.array([100.0, 200.0])
    out = log_cpm(counts, lib, prior_count=2)
    prior = 2 * lib / lib.mean()  # 4/3, 8/3
    expected = np.log2((counts + prior[:, None]) / (lib + 2 * prior)[:, None] * 1e6)
    np.testing.assert_allclose(out, expected)
    assert out[0, 0] == pytest.approx(np.log2((4 / 3) / (100 + 8 / 3) * 1e6))


def test_size_factors_match_pydeseq2():
    rng = np.random.default_rng(1)
    counts = rng.negative_binomial(5, 0.05, size=(8, 300)) * rng.uniform(0.5, 2, (8, 1))
    counts = np.rint(counts).astype(np.int64)
    np.testing.assert_allclose(median_ratio_size_factors(counts), size_factors(counts), rtol=1e-8)


def test_gene_keys_give_shared_symbols_to_the_most_abundant_gene():
    genes = pd.Index(["E1", "E2", "E3", "E4"])
    symbols = pd.Series(["A", "A", None, "B"], index=genes)
    keys = gene_keys(genes, symbols, np.array([1.0, 5.0, 3.0, 2.0]))
    assert list(keys) == ["E1", "A", "E3", "B"]


@pytest.fixture(scope="module")
def trial():
    adata, truth = simulate_trial((6, 6), n_genes=400, insulin_genes=30, insulin_lfc=1.5,
                                  seed=7)  # fmt: skip
    config = simulation_config(designs=["treatment", "insulin", "insulin_groups"])
    genes = list(adata.var_names)
    planted = list(truth["insulin"].index[truth["insulin"] > 0])
    sets = GeneSets()
    sets.add("INSULIN_UP", planted, "muscle", "planted up")
    rng = np.random.default_rng(0)
    for j in range(20):
        sets.add(f"GO:{j:07d}", list(rng.choice(genes, 25, replace=False)), "go_bp", f"term {j}")
    return adata, config, sets


def test_set_tests_table_and_calls(trial):
    adata, config, sets = trial
    design = build_design(adata.obs, "insulin", config)
    table, meta = set_tests(counts_frame(adata), design, "insulin", sets, {"set_permutations": 199},
                            symbols=adata.var["symbol"], seed=3)  # fmt: skip
    assert list(table.columns) == SET_TEST_COLUMNS
    row = table.set_index("set").loc["INSULIN_UP"]
    assert row["direction"] == "Up" and row["enriched"]
    assert row["camera_FDR"] < 0.05 and row["permutation_pvalue"] <= 3 / 200
    go = table[table["collection"] == "go_bp"]
    assert go["description"].str.startswith("term").all()
    assert (table["enriched"] == ((table["camera_FDR"] < 0.05)
                                  & (table["permutation_pvalue"] < 0.05))).all()  # fmt: skip
    assert meta["permutation_scheme"] == "flip" and meta["permutation_exact"]
    assert meta["collections"]["muscle"]["enriched"] == 1
    again, _ = set_tests(counts_frame(adata), design, "insulin", sets, {"set_permutations": 199},
                         symbols=adata.var["symbol"], seed=3)  # fmt: skip
    pd.testing.assert_frame_equal(table, again)


def test_treatment_null_calls_nothing(trial):
    adata, config, sets = trial
    design = build_design(adata.obs, "treatment", config)
    table, meta = set_tests(
        counts_frame(adata), design, "treatment", sets, {"set_permutations": 99},
        symbols=adata.var["symbol"], seed=20070510,
    )  # fmt: skip
    assert meta["permutation_scheme"] == "arms"
    assert not table["enriched"].any()


def test_association_set_tests_find_a_planted_m_value_set():
    rng = np.random.default_rng(5)
    n, g = 30, 300
    m_value = rng.normal(4, 1.7, n)
    z = (m_value - m_value.mean()) / m_value.std()
    mu = np.exp(rng.normal(5, 1, g))
    lfc = np.zeros(g)
    lfc[:20] = 0.4
    counts = rng.poisson(mu * np.exp(np.outer(z, lfc) + rng.normal(0, 0.2, (n, g))))
    obs = pd.DataFrame({"participant": [f"P{i}" for i in range(n)],
                        "sex": np.where(np.arange(n) % 2, "F", "M")},
                       index=[f"S{i}" for i in range(n)])  # fmt: skip
    frame = pd.DataFrame(counts, index=obs.index, columns=[f"G{i}" for i in range(g)])
    sets = GeneSets()
    sets.add("MSET", [f"G{i}" for i in range(20)], "muscle")
    sets.add("OTHER", [f"G{i}" for i in range(100, 130)], "muscle")
    table, meta = association_set_tests(frame, obs, m_value, build_covariates(obs, ["sex"]),
                                        sets, {"set_permutations": 199}, seed=20070510)  # fmt: skip
    res = table.set_index("set")
    assert res.loc["MSET", "enriched"] and not res.loc["OTHER", "enriched"]
    assert meta["permutation_scheme"] == "arms" and meta["permutation_exact"] is False


def test_log_expression_filters_like_the_de_fit():
    counts = pd.DataFrame({"a": [10, 10, 0, 0], "b": [9, 50, 3, 2], "c": [0, 0, 0, 30],
                           "d": [20, 30, 40, 50], "e": [12, 11, 15, 9]},
                          index=list("wxyz"))  # fmt: skip
    symbols = pd.Series({"a": "SA", "d": "SD", "e": ""})
    expr = log_expression(counts, min_count=10, min_samples=2, symbols=symbols)
    assert list(expr.values.columns) == ["SA", "SD", "e"]
    assert list(expr.gene_id) == ["a", "d", "e"]
    with pytest.raises(ValueError, match="set tests need 3"):
        log_expression(counts, min_count=10, min_samples=4)
