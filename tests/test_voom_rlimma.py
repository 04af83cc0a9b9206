"""The voom engine against R limma 3.54 on the same counts, design and participant blocks.

R limma-voom with duplicateCorrelation (``myoclamp_tools/r/limma_voom.R``) on the generated demo
(treatment, insulin, treatment_x_insulin) and on the real GSE202295 counts (T2D vs NGT
difference in the post vs basal change, participants lacking a time point kept). Issue 18's
floors: consensus correlation within 0.01 of R's, Spearman of the moderated t >= 0.999, Jaccard
of the FDR 5 % genes >= 0.95.

    .venv/bin/python -m pytest -m rlimma tests/test_voom_rlimma.py
"""

from __future__ import annotations

import pytest
from conftest import GSE, run_on_purpose

from myoclamp_tools.rcompare import GSE202295_CONFIG, demo_adata, gse202295_adata
from myoclamp_tools.rlimma import compare_design, demo_config, demo_runs, r_limma_available

pytestmark = [
    pytest.mark.rlimma,
    pytest.mark.skipif(
        not r_limma_available(),
        reason="R limma, edgeR and statmod are missing: run `bash scripts/install_r.sh`",
    ),
]
_on_purpose = run_on_purpose("rlimma")

#: genes of the generated demo (all planted genes are kept; R needs ~1 min per 4,000 genes)
DEMO_GENES = 4000


def check(row: dict) -> None:
    assert row["correlation_diff"] < 0.01, row
    assert row["spearman_t"] >= 0.999, row
    assert row["jaccard_sig"] >= 0.95, row


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    from myoclamp_tools.demo import generate

    paths = generate(tmp_path_factory.mktemp("demo"), n_participants=70, n_genes=DEMO_GENES)
    return demo_adata(paths)


@pytest.mark.parametrize(("design", "contrasts"), demo_runs())
def test_demo_matches_r_limma(demo, design, contrasts, tmp_path):
    rows = compare_design(demo, demo_config(), design, contrasts, tmp_path)
    for row in rows:
        check(row)
        assert row["sig_r"] > 0 or row["contrast"] != "insulin"  # the planted insulin genes
    if design == "treatment":  # every participant with a basal biopsy, one visit or two
        assert (
            rows[0]["participants"]
            == demo.obs.loc[
                (demo.obs["clamp"] == "basal") & ~demo.obs["excluded"], "participant"
            ].nunique()
        )


@pytest.mark.skipif(not (GSE / "counts.csv.gz").exists(), reason="no ../shared GSE202295 data")
def test_gse202295_matches_r_limma(tmp_path):
    adata = gse202295_adata(GSE)
    (row,) = compare_design(adata, GSE202295_CONFIG, "treatment", ["treatment"], tmp_path)
    check(row)
    assert row["participants_one_biopsy"] > 0  # kept, unlike in the fixed-block design
    assert row["participants"] == adata.obs["participant"].nunique()
