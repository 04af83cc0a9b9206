"""QC on the committed demo cohort (resources/demo): exactly the two planted defects flagged."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_qc_run import contract_adata, planted

from myoclamp.qc.run import run_qc

DEMO = Path(__file__).resolve().parents[1] / "resources" / "demo"


@pytest.mark.slow
@pytest.mark.skipif(not (DEMO / "truth" / "samples.tsv").exists(), reason="no resources/demo")
def test_demo_cohort_flags_exactly_the_planted_defects():
    qc = run_qc(contract_adata(DEMO))
    flagged = sorted(qc.obs_names[qc.obs["qc_flag"].to_numpy(dtype=bool)])
    assert flagged == planted(DEMO)
    assert (qc.obs["sex_agrees"] == False).sum() == 1  # noqa: E712 (nullable boolean)
    # every other biopsy's nearest neighbour is its own participant's
    ok = qc.obs["pairing_status"] == "ok"
    assert (qc.obs.loc[ok, "pairing_own_rank"] == 1).mean() > 0.95
