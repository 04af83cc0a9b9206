"""pydeseq2 (this workflow's fits) against R DESeq2 on the same counts and design matrix.

Run on purpose: ``bash scripts/install_r.sh`` then ``pytest -m rdeseq2``. MLE log2FC
(Debian has no apeglm). Thresholds from issue 6: Spearman of log2FC and Wald statistic >= 0.99,
Jaccard of the padj < 0.05 sets >= 0.9.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import run_on_purpose

from myoclamp_tools.rcompare import (
    DEMO_CONFIG,
    GSE202295_CONFIG,
    compare_design,
    demo_adata,
    gse202295_adata,
    r_deseq2_available,
)
from myoclamp_tools.simulate import simulate_trial, simulation_config

pytestmark = [
    pytest.mark.rdeseq2,
    pytest.mark.skipif(
        not r_deseq2_available(), reason="R DESeq2 missing: run scripts/install_r.sh"
    ),
]


_run_on_purpose = run_on_purpose("rdeseq2")


GSE202295 = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "gse202295"


def check(figures: dict) -> None:
    print(figures)  # shown with pytest -s: the figures quoted in docs/de.md
    assert figures["genes"] > 100
    assert figures["spearman_log2fc"] >= 0.99
    assert figures["spearman_stat"] >= 0.99
    assert figures["jaccard_sig"] >= 0.9


@pytest.mark.parametrize(
    ("design", "contrast"), [("treatment", "treatment"), ("insulin", "insulin")]
)
def test_simulated_trial_matches_r(tmp_path, design, contrast):
    adata, _ = simulate_trial((5, 4), 400, clamp_per_arm=(3, 3), treatment_genes=20, seed=2)
    check(compare_design(adata, simulation_config(), design, contrast, tmp_path))


@pytest.mark.parametrize(
    ("design", "contrast"), [("treatment", "treatment"), ("insulin", "insulin")]
)
def test_t_reference_matches_r_use_t(tmp_path, design, contrast):
    """de.wald_distribution t gives R's useT=TRUE p-values, not the normal ones."""
    adata, _ = simulate_trial((5, 4), 400, clamp_per_arm=(3, 3), treatment_genes=20, seed=2)
    config = simulation_config(wald_distribution="t")
    figures = compare_design(adata, config, design, contrast, tmp_path / "t")
    check(figures)
    assert figures["median_abs_log10_p_ratio"] < 1e-3
    normal_config = simulation_config(wald_distribution="normal")
    normal = compare_design(adata, normal_config, design, contrast, tmp_path / "z")
    assert normal["median_abs_log10_p_ratio"] < 1e-3
    assert figures["sig_r"] <= normal["sig_r"]
    # R's own two runs differ: the check above can tell the references apart
    r_t, r_z = (pd.read_csv(tmp_path / d / "r_results.tsv", sep="\t") for d in ("t", "z"))
    shift = np.median(np.abs(np.log10(r_t["pvalue"]) - np.log10(r_z["pvalue"])))
    assert shift > 0.01 and (r_t["pvalue"] >= r_z["pvalue"]).all()


@pytest.mark.parametrize(
    ("design", "contrast"), [("treatment", "treatment"), ("insulin", "insulin")]
)
def test_demo_cohort_matches_r(tmp_path, design, contrast):
    from myoclamp_tools.demo import generate

    paths = generate(tmp_path / "demo", n_participants=24, n_genes=3000, treatment_effect=True)
    adata = demo_adata(paths)
    check(compare_design(adata, DEMO_CONFIG, design, contrast, tmp_path / "r"))


def test_unwanted_factor_design_matches_r(tmp_path):
    """With de.unwanted (RUVg) the factor is one more column of the matrix R is given."""
    from myoclamp_tools.demo import generate

    paths = generate(tmp_path / "demo", n_participants=24, n_genes=3000)
    adata = demo_adata(paths)
    config = {**DEMO_CONFIG, "de": {**DEMO_CONFIG["de"], "unwanted": {"factors": 1}}}
    figures = compare_design(adata, config, "insulin", "insulin", tmp_path / "r")
    check(figures)
    # without the factor (the insulin designs have one by default since issue 17)
    config0 = {**DEMO_CONFIG, "de": {**DEMO_CONFIG["de"], "unwanted": {"factors": 0}}}
    plain = compare_design(adata, config0, "insulin", "insulin", tmp_path / "plain")
    assert figures["coefficients"] == plain["coefficients"] + 1


@pytest.mark.slow
@pytest.mark.skipif(not GSE202295.is_dir(), reason="GSE202295 counts not found")
def test_gse202295_nested_design_matches_r(tmp_path):
    """T2D vs NGT difference in the post vs basal change, participants nested in groups."""
    adata = gse202295_adata(GSE202295)
    figures = compare_design(adata, GSE202295_CONFIG, "treatment", "treatment", tmp_path, n_cpus=2)
    assert figures["participants"] >= 30
    check(figures)
