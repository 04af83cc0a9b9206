"""The equivalence test against R DESeq2's ``results(..., lfcThreshold = m,
altHypothesis = "lessAbs")`` (issue 20): same filtered counts, design matrix and contrast, the
t reference (R's ``useT = TRUE``) as the workflow's default. Spearman of the equivalence p-values
>= 0.999 on the genes of interest and on all genes: with R's own ``DESeq()`` fit on a generated
demo; on the bundled demo with R's own fit on all genes (its genes-of-interest figure is a strict
xfail: one gene's dispersion, see ``R_NO_INCREASE``) and, for every figure, with R given this
fit's dispersions (the test alone).

Run on purpose: ``bash scripts/install_r.sh`` then ``pytest -m rdeseq2
tests/test_equivalence_rdeseq2.py -s``; the bundled demo (all genes, about 10 CPU minutes of R per
run) is also ``slow`` (``pytest -m "rdeseq2 and slow"``).
"""

from __future__ import annotations

import pytest
from conftest import run_on_purpose

from myoclamp_tools.equivalence_demo import MARGIN, bundled_paths, demo_config
from myoclamp_tools.rcompare import demo_adata, r_deseq2_available
from myoclamp_tools.requivalence import run_comparison

pytestmark = [
    pytest.mark.rdeseq2,
    pytest.mark.skipif(
        not r_deseq2_available(), reason="R DESeq2 missing: run scripts/install_r.sh"
    ),
]

_run_on_purpose = run_on_purpose("rdeseq2")


def check(figures: dict) -> None:
    print(figures)  # shown with pytest -s: the figures quoted in docs/equivalence.md
    assert figures["genes"] > 1000
    assert figures["genes_of_interest"] >= 15
    assert figures["spearman_pvalue"] >= 0.999
    assert figures["spearman_pvalue_interest"] >= 0.999
    assert figures["na_pvalue_py_only"] == 0 and figures["na_pvalue_r_only"] == 0
    assert figures["jaccard_equivalent"] >= 0.99


@pytest.mark.parametrize("wald", ["t", "normal"])
def test_generated_demo_matches_r_lessabs(tmp_path, wald):
    from myoclamp_tools.demo import generate

    paths = generate(tmp_path / "demo", n_participants=24, n_genes=3000)
    figures, eq, _ = run_comparison(
        demo_adata(paths), demo_config(wald_distribution=wald), tmp_path / "r", MARGIN
    )
    check(figures)
    # the threshold matters: many genes are equivalent, not all of them
    assert 0 < figures["equivalent_r"] < figures["genes"]


@pytest.fixture(scope="module")
def bundled_own_fit(tmp_path_factory):
    """The demo's treatment contrast (null default), all genes, the workflow's settings; R fits
    its own DESeq() (about 10 CPU minutes of R)."""
    figures, _, _ = run_comparison(
        demo_adata(bundled_paths()), demo_config(), tmp_path_factory.mktemp("r"), MARGIN
    )
    print(figures)
    return figures


@pytest.mark.slow
def test_bundled_demo_all_genes_match_r_lessabs(bundled_own_fit):
    assert bundled_own_fit["participants"] >= 60 and bundled_own_fit["genes"] > 15_000
    assert bundled_own_fit["spearman_pvalue"] >= 0.999
    assert bundled_own_fit["jaccard_equivalent"] >= 0.99


#: measured 2026-11-30: Spearman 0.98871 on the 22 genes of interest, all from PDK4
R_NO_INCREASE = (
    "R's estimateDispersionsGeneEst keeps its rough dispersion estimate when the line search "
    "raises the Cox-Reid log-likelihood by less than 1e-6 of its absolute value (noIncrease); "
    "for the highly expressed PDK4 (mean 9,000 reads, log-likelihood -1.16e6) the gain is below "
    "1.2, so R keeps 0.219 where its own line search and pydeseq2 reach the optimum 0.177: lfcSE "
    "0.235 vs 0.212, and near-tied equivalence p-values of the genes of interest swap ranks "
    "(docs/equivalence.md)"
)


@pytest.mark.slow
@pytest.mark.xfail(strict=True, reason=R_NO_INCREASE)
def test_bundled_demo_genes_of_interest_match_r_own_fit(bundled_own_fit):
    assert bundled_own_fit["spearman_pvalue_interest"] >= 0.999


@pytest.mark.slow
def test_bundled_demo_matches_r_lessabs_with_the_same_dispersions(tmp_path):
    """The test itself, without the fits' dispersion difference: R gets this fit's dispersions
    (its own size factors, nbinomWaldTest, results(lfcThreshold, lessAbs))."""
    figures, _, _ = run_comparison(
        demo_adata(bundled_paths()),
        demo_config(),
        tmp_path / "r",
        MARGIN,
        same_dispersions=True,
    )
    check(figures)
