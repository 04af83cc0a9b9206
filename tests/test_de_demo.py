"""Issue 6 acceptance on the demo cohort (70 participants): planted insulin genes are recovered,
the treatment contrast is null by default and finds the planted set when the switch is on.

The whole demo (all genes, the defective samples left out as QC would), the configured engine and
shrinkage on. Slow (a demo generated per test, about a minute each):
``pytest -m slow tests/test_de_demo.py -s``.
"""

from __future__ import annotations

import pandas as pd
import pytest
from conftest import run_on_purpose
from myoclamp.de.pipeline import contrast_table, fit_from_adata
from myoclamp.de.rcompare import DEMO_CONFIG, demo_adata
from myoclamp.demo.truth import recovery

pytestmark = pytest.mark.slow


_run_on_purpose = run_on_purpose("slow")


CONFIG = {**DEMO_CONFIG, "de": {"designs": ["treatment", "insulin"], "shrink": True}}


def run(tmp_path, contrast: str, treatment_effect: bool):
    from myoclamp.demo import generate

    paths = generate(tmp_path / "demo", treatment_effect=treatment_effect)
    truth = pd.read_csv(paths["truth_genes"], sep="\t").set_index("gene")
    fit = fit_from_adata(demo_adata(paths), contrast, CONFIG, n_cpus=2)
    table, meta = contrast_table(fit, contrast, CONFIG, n_cpus=2)
    print(
        contrast,
        "treatment_effect" if treatment_effect else "null",
        meta["samples"],
        "samples",
        fit.dds.n_vars,
        "genes",
        round(fit.seconds, 1),
        "s",
    )
    assert table["log2FoldChange_shrunk"].notna().all()
    return table, truth


#: why the FDR and big-gene criteria of issue 6 fail on the bundled demo (docs/de.md, calibration)
ANTICONSERVATIVE = (
    "DESeq2's Wald test with MAP-shrunk dispersions is anti-conservative on this cohort: genes "
    "whose dispersion is shrunk below the truth give too many small p-values (docs/de.md)"
)


@pytest.fixture(scope="module")
def insulin(tmp_path_factory):
    return run(tmp_path_factory.mktemp("insulin"), "insulin", treatment_effect=False)


def test_insulin_recovers_planted_genes(insulin):
    table, truth = insulin
    figures = recovery(table, truth["insulin_log2fc_planted"])
    print(figures)
    assert figures["planted"] >= 30
    assert figures["recall"] >= 0.8


@pytest.mark.xfail(
    strict=True,
    reason="2 planted genes reach |log2FC| >= 1 after the T2D attenuation; FOS, an immediate-early "
    "gene with large biopsy-stress variance, has padj 0.10 (docs/de.md)",
)
def test_insulin_recovers_planted_genes_of_at_least_one_log2fc(insulin):
    table, truth = insulin
    figures = recovery(table, truth["insulin_log2fc_planted"], min_abs=1.0)
    print(figures)
    assert figures["planted"] >= 1
    assert figures["recall"] >= 0.8


@pytest.mark.xfail(strict=True, reason=ANTICONSERVATIVE)
def test_insulin_observed_fdr_at_most_ten_percent(insulin):
    table, truth = insulin
    assert recovery(table, truth["insulin_log2fc_planted"])["observed_fdr"] <= 0.10


def test_treatment_is_null_by_default(tmp_path):
    table, _ = run(tmp_path, "treatment", treatment_effect=False)
    assert (table["padj"] < 0.05).sum() == 0


@pytest.fixture(scope="module")
def treatment_on(tmp_path_factory):
    return run(tmp_path_factory.mktemp("treatment"), "treatment", treatment_effect=True)


def test_treatment_finds_planted_set_when_switched_on(treatment_on):
    table, truth = treatment_on
    figures = recovery(table, truth["treatment_log2fc"])
    print(figures)
    assert figures["planted"] >= 10
    assert figures["recall"] >= 0.5


@pytest.mark.xfail(strict=True, reason=ANTICONSERVATIVE)
def test_treatment_switched_on_observed_fdr_at_most_ten_percent(treatment_on):
    table, truth = treatment_on
    assert recovery(table, truth["treatment_log2fc"])["observed_fdr"] <= 0.10
