"""Issue 6 acceptance on the demo cohort (70 participants): planted insulin genes are recovered,
the treatment contrast is null by default and finds the planted set when the switch is on.

The whole demo (all genes, the defective samples left out as QC would), the configured engine,
shrinkage on, and the demo's own biopsy-stress factor (config.yaml ``de.unwanted``: the insulin
designs). Slow (a demo generated per test, about a minute each):
``pytest -m slow tests/test_de_demo.py -s``.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml
from conftest import run_on_purpose

from myoclamp.de.pipeline import contrast_table, fit_from_adata
from myoclamp_tools.demo.truth import recovery
from myoclamp_tools.rcompare import DEMO_CONFIG, demo_adata

pytestmark = pytest.mark.slow


_run_on_purpose = run_on_purpose("slow")


#: the bundled demo's own DE settings (config.yaml): the biopsy-stress factor (de.unwanted) is on
WORKFLOW_DE = yaml.safe_load((Path(__file__).resolve().parents[1] / "config.yaml").read_text())[
    "de"
]
CONFIG = {
    **DEMO_CONFIG,
    "de": {
        "designs": ["treatment", "insulin"],
        "shrink": True,
        "unwanted": WORKFLOW_DE["unwanted"],
    },
}


def config(wald: str) -> dict:
    return {**CONFIG, "de": {**CONFIG["de"], "wald_distribution": wald}}


def run(tmp_path, contrast: str, treatment_effect: bool) -> dict:
    """The demo generated and fitted once; the contrast's table with each Wald reference."""
    from myoclamp_tools.demo import generate

    paths = generate(tmp_path / "demo", treatment_effect=treatment_effect)
    truth = pd.read_csv(paths["truth_genes"], sep="\t").set_index("gene")
    fit = fit_from_adata(demo_adata(paths), contrast, CONFIG, n_cpus=2)
    out = {"truth": truth, "fit": fit}
    for wald in ("t", "normal"):
        table, meta = contrast_table(fit, contrast, config(wald), n_cpus=2)
        print(contrast, "switch on" if treatment_effect else "null", wald, meta["samples"],
              "samples", fit.dds.n_vars, "genes", round(fit.seconds, 1), "s")  # fmt: skip
        assert table["log2FoldChange_shrunk"].notna().all()
        out[wald] = table
    return out


#: why DESeq2's default normal reference fails issue 6's FDR criterion (docs/de.md, Calibration)
ANTICONSERVATIVE = (
    "the Wald statistic referred to the normal ignores the uncertainty of the estimated dispersion "
    "with few residual degrees of freedom: too many small null p-values (docs/de.md, Calibration); "
    "the workflow's default t reference holds the FDR"
)


@pytest.fixture(scope="module")
def insulin(tmp_path_factory):
    return run(tmp_path_factory.mktemp("insulin"), "insulin", treatment_effect=False)


def test_insulin_recovers_planted_genes(insulin):
    figures = recovery(insulin["t"], insulin["truth"]["insulin_log2fc_planted"])
    print(figures)
    assert figures["planted"] >= 30
    assert figures["recall"] >= 0.8


@pytest.mark.parametrize("wald", ["t", "normal"])
def test_insulin_recovers_planted_genes_of_at_least_one_log2fc(insulin, wald):
    """RRAD and FOS; FOS only with the biopsy-stress factor (de.unwanted: without it, padj 0.21)."""
    figures = recovery(insulin[wald], insulin["truth"]["insulin_log2fc_planted"], min_abs=1.0)
    print(figures)
    assert figures["planted"] >= 1
    assert figures["recall"] >= 0.8


def test_insulin_design_carries_the_stress_factor_and_treatment_not(insulin, treatment_null):
    assert "unwanted_1" in insulin["fit"].design.matrix.columns
    assert insulin["fit"].design.unwanted["variance_share"][0] > 0.3
    assert "unwanted_1" not in treatment_null["fit"].design.matrix.columns


@pytest.mark.parametrize(
    "wald",
    ["t", pytest.param("normal", marks=pytest.mark.xfail(strict=True, reason=ANTICONSERVATIVE))],
)
def test_insulin_observed_fdr_at_most_ten_percent(insulin, wald):
    assert (
        recovery(insulin[wald], insulin["truth"]["insulin_log2fc_planted"])["observed_fdr"] <= 0.10
    )


@pytest.mark.parametrize("wald", ["t", "normal"])
def test_treatment_is_null_by_default(treatment_null, wald):
    assert (treatment_null[wald]["padj"] < 0.05).sum() == 0


@pytest.fixture(scope="module")
def treatment_null(tmp_path_factory):
    return run(tmp_path_factory.mktemp("null"), "treatment", treatment_effect=False)


@pytest.fixture(scope="module")
def treatment_on(tmp_path_factory):
    return run(tmp_path_factory.mktemp("treatment"), "treatment", treatment_effect=True)


def test_treatment_finds_planted_set_when_switched_on(treatment_on):
    figures = recovery(treatment_on["t"], treatment_on["truth"]["treatment_log2fc"])
    print(figures)
    assert figures["planted"] >= 10
    assert figures["recall"] >= 0.5


@pytest.mark.parametrize(
    "wald",
    ["t", pytest.param("normal", marks=pytest.mark.xfail(strict=True, reason=ANTICONSERVATIVE))],
)
def test_treatment_switched_on_observed_fdr_at_most_ten_percent(treatment_on, wald):
    truth = treatment_on["truth"]["treatment_log2fc"]
    assert recovery(treatment_on[wald], truth)["observed_fdr"] <= 0.10
