"""The block engine against R DESeq2 on every design the workflow fits (issue 10's thresholds).

The bundled demo trial's participants and samples (regenerated from its seed, defective samples
left out as QC would) on 4,000 of its genes (every planted gene plus a seeded draw: R DESeq2 takes
more than 5 minutes per design on all 37,682), with the bundled config's designs, and the real
GSE202295 counts with configs/gse202295.yaml's design: Spearman of log2FC and of the Wald
statistic >= 0.999 against R DESeq2 (MLE; same filtered counts, full-rank design matrix and
contrast). Run on purpose (R runs single-threaded, minutes per design):
``bash scripts/install_r.sh`` then ``pytest -m rdeseq2 tests/test_engine_rdeseq2.py -s``.
"""

from __future__ import annotations

import pytest
from conftest import GSE, ROOT, run_on_purpose

from myoclamp.config import load_config
from myoclamp.de.specs import contrast_specs
from myoclamp_tools.rcompare import (
    GSE202295_CONFIG,
    compare_design,
    demo_adata,
    gse202295_adata,
    r_deseq2_available,
)

pytestmark = [
    pytest.mark.rdeseq2,
    pytest.mark.skipif(
        not r_deseq2_available(), reason="R DESeq2 missing: run scripts/install_r.sh"
    ),
]

CONFIG = load_config(ROOT / "config.yaml")
DEMO_GENES = 4000
#: the first contrast of every design the bundled config fits
DEMO_RUNS = {}
for _spec in contrast_specs(CONFIG):
    DEMO_RUNS.setdefault(_spec.design, _spec.name)


_run_on_purpose = run_on_purpose("rdeseq2")


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    from myoclamp_tools.demo import generate

    return demo_adata(generate(tmp_path_factory.mktemp("demo"), n_genes=DEMO_GENES))


def check(figures: dict) -> None:
    print(figures)  # the figures quoted in docs/engine.md (pytest -s)
    assert figures["genes"] > 1500
    assert figures["spearman_log2fc"] >= 0.999
    assert figures["spearman_stat"] >= 0.999


@pytest.mark.parametrize(("design", "contrast"), sorted(DEMO_RUNS.items()))
def test_demo_design_matches_r(demo, tmp_path, design, contrast):
    check(compare_design(demo, CONFIG, design, contrast, tmp_path, n_cpus=2))


@pytest.mark.skipif(not (GSE / "counts.csv.gz").exists(), reason="GSE202295 not available")
def test_gse202295_design_matches_r(tmp_path):
    adata = gse202295_adata(GSE)
    check(compare_design(adata, GSE202295_CONFIG, "treatment", "treatment", tmp_path, n_cpus=2))
