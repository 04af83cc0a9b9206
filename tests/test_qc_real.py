"""QC on real vastus lateralis counts (GSE202295, ../shared): reference facts and no swaps.

The counts have gene symbols (NCBI names: COX1, RNR2, no MT- prefix), all 38 participants are
men (no sex column; XIST is silent and the Y-linked genes are expressed in all 111 samples), and
``time`` (basal, post-exercise, 3 h recovery) plays the within-person factor.
"""

from __future__ import annotations

from pathlib import Path

import anndata as ad
import pandas as pd
import pytest
import yaml
from conftest import ROOT

from myoclamp.config import validated
from myoclamp.ingest.build import build_anndata
from myoclamp.qc.run import run_qc

GSE = Path(__file__).resolve().parents[2] / "shared" / "data" / "gse202295"


def gse_adata() -> ad.AnnData:
    """GSE202295 read by the real ingest stage through configs/gse202295.yaml."""
    config = yaml.safe_load((ROOT / "configs" / "gse202295.yaml").read_text())
    config["inputs"].update(counts=str(GSE / "counts.csv.gz"), samples=str(GSE / "samples.csv"))
    adata = build_anndata(validated(config))
    adata.obs["sex"] = "M"  # the study enrolled men only; its sheet has no sex column
    return adata


@pytest.fixture(scope="module")
def qc():
    if not (GSE / "counts.csv.gz").exists():
        pytest.skip("no ../shared/data/gse202295")
    return run_qc(gse_adata())


@pytest.mark.slow
def test_library_composition_matches_reference_facts(qc):
    obs = qc.obs
    basal = obs[obs["visit"] == "basal"]
    # mitochondrial rRNA about 48 % of reads; mito mRNA about 5 % of the mRNA-like rest
    assert 0.43 < basal["mito_rrna_share"].median() < 0.53
    assert 0.03 < basal["mito_mrna_share"].median() < 0.07
    # TTN alone about a fifth of the mRNA-like library, top 10 about 35 %
    assert (basal["top_gene"] == "TTN").all()
    assert 0.16 < basal["top_gene_share"].median() < 0.22
    assert 0.30 < basal["top10_share"].median() < 0.40
    # library size median 22.4 M (range 17.6-29.1 M)
    assert 20e6 < basal["library_size"].median() < 25e6


@pytest.mark.slow
def test_no_swaps_all_men_and_outliers_explained(qc):
    obs = qc.obs
    assert (obs["sex_inferred"] == "M").all() and (obs["sex_agrees"] == True).all()  # noqa: E712
    assert (obs["pairing_status"] != "possible_swap").all()
    checked = obs["pairing_status"] == "ok"
    assert (obs.loc[checked, "pairing_own_rank"] == 1).mean() > 0.95
    # the outliers are recovery biopsies that are largely not muscle: the muscle genes fall
    out = obs.index[obs["outlier"].to_numpy(dtype=bool)]
    assert 0 < len(out) <= 8
    assert (obs.loc[out, "visit"] == "rec").all()
    logcpm = pd.DataFrame(qc.layers["logcpm"], index=qc.obs_names, columns=qc.var_names)
    muscle = logcpm[["ACTA1", "CKM", "MYH7", "MYH2", "MB"]].mean(axis=1)
    collagen = logcpm[["COL1A1", "COL3A1", "COL1A2"]].mean(axis=1)
    typical = (muscle - collagen).drop(out).median()
    assert ((muscle - collagen)[out] < typical - 1).all()
