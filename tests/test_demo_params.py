"""Parameter estimation for the demo cohort, on synthetic counts with known truth."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from myoclamp_tools.demo.params import (
    estimate_params,
    fibre_loadings,
    is_chr_y,
    load_params,
    moment_dispersion,
    size_factors,
)


def _nb(rng, mean, phi, n):
    mean = np.repeat(np.asarray(mean, dtype=float)[:, None], n, axis=1)
    return rng.poisson(rng.gamma(1 / phi, mean * phi))


def test_size_factors_recover_depth():
    rng = np.random.default_rng(1)
    depth = np.array([0.5, 1.0, 2.0, 4.0])
    mean = rng.uniform(50, 5000, 500)
    counts = rng.poisson(np.outer(mean, depth))
    sf = size_factors(counts)
    assert np.allclose(sf / sf[1], depth, rtol=0.05)


def test_size_factors_need_a_gene_present_everywhere():
    with pytest.raises(ValueError, match="non-zero in every sample"):
        size_factors(np.array([[0, 1], [1, 0]]))


def test_moment_dispersion_recovers_planted_value():
    rng = np.random.default_rng(2)
    counts = _nb(rng, np.full(2000, 500.0), 0.1, 60)
    mean, phi = moment_dispersion(counts)
    assert np.nanmedian(phi) == pytest.approx(0.1, rel=0.1)
    assert np.median(mean) == pytest.approx(500, rel=0.1)


def test_fibre_loadings_find_planted_genes_only():
    rng = np.random.default_rng(3)
    score = rng.normal(size=40)
    score = (score - score.mean()) / score.std(ddof=1)
    y = rng.normal(0, 0.3, size=(200, 40))
    y[:20] += 0.5 * score
    load = fibre_loadings(pd.DataFrame(y), score)
    assert np.all(np.abs(load[:20] - 0.5) < 0.15)
    assert np.mean(load[20:] == 0) > 0.8


def test_is_chr_y_takes_y_block_names_only():
    genes = pd.Index(["GAPDH", "XIST", "SRY", "RPS4Y1", "KDM5D", "LOC105379554", "RNR1", "COX1"])
    assert list(genes[is_chr_y(genes)]) == ["SRY", "RPS4Y1", "KDM5D"]
    assert not is_chr_y(pd.Index(["A", "B"])).any()


def test_estimate_params_on_synthetic_counts():
    rng = np.random.default_rng(4)
    genes = ["RNR2", "MYH7", "TNNT1", "TNNI1", "MYH1", "MYH2", "TNNT3"] + [
        f"G{i}" for i in range(300)
    ]
    mean = np.r_[2e5, rng.uniform(100, 3000, len(genes) - 1)]
    counts = pd.DataFrame(_nb(rng, mean, 0.05, 30), index=genes)
    counts.loc["G0"] = 0
    table, library = estimate_params(counts)
    assert list(table.columns) == ["gene", "share", "dispersion", "fibre_loading", "chr_y"]
    assert table["share"].gt(0).all()
    assert table.loc[table["gene"] == "G0", "share"].iloc[0] < 1e-6
    assert library["n_samples"] == 30
    assert np.median(table["dispersion"].iloc[10:]) == pytest.approx(0.05, rel=0.3)


def test_estimate_params_needs_enough_samples():
    with pytest.raises(ValueError, match="at least 10 basal samples"):
        estimate_params(pd.DataFrame(np.ones((5, 4)), index=list("ABCDE")))


def test_shipped_parameter_table_is_complete():
    table = load_params()
    assert len(table) > 30000
    assert {"TTN", "RNR2", "COX1", "XIST", "RPS4Y1", "KDM5D"} <= set(table["gene"])
    assert not any(g.startswith("MT-") for g in table["gene"])
    assert table["share"].sum() == pytest.approx(1.0, abs=0.01)
    assert table.loc[table["gene"] == "MYH1", "fibre_loading"].iloc[0] < 0
    assert table.loc[table["gene"] == "MYH7", "fibre_loading"].iloc[0] > 0


def test_load_params_names_missing_columns(tmp_path):
    path = tmp_path / "p.tsv"
    pd.DataFrame({"gene": ["A"], "share": [1.0]}).to_csv(path, sep="\t", index=False)
    with pytest.raises(ValueError, match=r"p\.tsv: missing columns"):
        load_params(path)
