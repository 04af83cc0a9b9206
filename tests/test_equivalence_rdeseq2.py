"""The equivalence test against R DESeq2's ``results(..., lfcThreshold = m,
altHypothesis = "lessAbs")`` (issue 20): same filtered counts, design matrix and contrast, the
t reference (R's ``useT = TRUE``) as the workflow's default. Spearman of the equivalence p-values
>= 0.999 on the genes of interest and on all genes.

Run on purpose: ``bash scripts/install_r.sh`` then ``pytest -m rdeseq2
tests/test_equivalence_rdeseq2.py -s``; the bundled demo (all genes, about 10 minutes of R) is
also ``slow``.
"""

from __future__ import annotations

import pytest
from conftest import run_on_purpose

from myoclamp.de.equivalence import DEFAULT_MARGIN
from myoclamp_tools.equivalence_demo import bundled_paths, demo_config
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
        demo_adata(paths), demo_config(wald_distribution=wald), tmp_path / "r", DEFAULT_MARGIN
    )
    check(figures)
    # the threshold matters: many genes are equivalent, not all of them
    assert 0 < figures["equivalent_r"] < figures["genes"]


@pytest.mark.slow
def test_bundled_demo_treatment_matches_r_lessabs(tmp_path):
    """The demo's treatment contrast (null default), all genes, the workflow's settings."""
    figures, _, _ = run_comparison(
        demo_adata(bundled_paths()), demo_config(), tmp_path / "r", DEFAULT_MARGIN
    )
    assert figures["participants"] >= 60
    check(figures)
