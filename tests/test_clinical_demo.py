"""The clinical stage on the bundled demo cohort against its planted truth (slow: a pydeseq2 fit
of 35 people x 15,000 genes and a VST of 70 biopsies)."""

from __future__ import annotations

import json
import os

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT

from myoclamp.clinical import pipeline
from myoclamp.clinical.endpoints import write_endpoints
from myoclamp.config import load_config
from myoclamp.enrichment.genesets import collection_paths
from myoclamp.io import write_h5ad

pytestmark = pytest.mark.slow


def blind_vst(x: np.ndarray) -> np.ndarray:
    """The QC stage's VST when it is installed, else pydeseq2's own (slower, same transform)."""
    try:
        from myoclamp.qc import normalise
    except ImportError:
        from test_clinical_pipeline import vst_layer

        return vst_layer(x.astype(np.int64))
    return normalise.vst(x, normalise.size_factors(x), seed=1).astype(np.float32)


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """counts.h5ad of the demo (ingest) with a ``vst`` layer over its basal biopsies."""
    from myoclamp.ingest.build import build_anndata

    here = os.getcwd()
    os.chdir(ROOT)
    try:
        config = load_config(ROOT / "config.yaml")
        adata = build_anndata(config, ROOT)
    finally:
        os.chdir(here)
    adata = adata[adata.obs["clamp"].astype(str) == "basal"].copy()
    x = np.asarray(adata.X.toarray() if hasattr(adata.X, "toarray") else adata.X, dtype=float)
    adata.layers["vst"] = blind_vst(x)
    path = tmp_path_factory.mktemp("demo") / "qc.h5ad"
    write_h5ad(adata, path)
    return config, str(path)


def test_endpoints_recover_the_planted_effects(tmp_path):
    here = os.getcwd()
    os.chdir(ROOT)
    try:
        config = load_config(ROOT / "config.yaml")
        inputs = config["inputs"]
        write_endpoints(
            config, inputs["samples"], inputs["clinical"], str(tmp_path / "endpoints.tsv")
        )
    finally:
        os.chdir(here)
    table = pd.read_csv(tmp_path / "endpoints.tsv", sep="\t").set_index("variable")
    truth = json.loads((ROOT / "resources/demo/truth/parameters.json").read_text())
    hba1c = truth["clinical_effects_week13_anakinra_vs_placebo"]["hba1c"]["difference"]
    assert table.loc["hba1c", "ci_low"] < hba1c < table.loc["hba1c", "ci_high"]
    assert table.loc["hba1c", "ci_high"] < 0  # the trial's significant HbA1c reduction
    assert table.loc["m_value", "ci_low"] < 0 < table.loc["m_value", "ci_high"]
    assert table.loc["m_value", "n_ancova"] == 35
    for name in ("il6", "crp", "proinsulin_insulin_ratio", "c_peptide"):
        ratio = truth["clinical_effects_week13_anakinra_vs_placebo"][name]["ratio"]
        assert table.loc[name, "ratio_ci_low"] < ratio < table.loc[name, "ratio_ci_high"], name


def test_oxidative_set_found_and_single_genes_weak(demo, tmp_path):
    config, h5 = demo
    gmt = collection_paths(["muscle", "go_bp"], [], ROOT / "resources")
    genes = tmp_path / "genes.tsv"
    pipeline.write_genes(h5, config, str(genes), str(tmp_path / "genes.json"), n_cpus=2)
    table = pipeline.read_genes(str(genes))
    for _method, sub in table.groupby("method"):
        assert (sub["padj"] < 0.05).sum() <= 5
    rho = table.loc[table["method"] == "spearman", "estimate"].abs()
    assert (rho <= 0.3).mean() > 0.8
    out = {k: str(tmp_path / f"{k}.tsv") for k in ("sets", "set_tests", "meta")}
    pipeline.write_sets(h5, str(genes), gmt, config, out)
    sets = pd.read_csv(out["sets"], sep="\t").set_index("set")
    assert sets.loc["OXPHOS", "estimate"] > 0.5 and sets.loc["OXPHOS", "padj"] < 0.01
    tests = pd.read_csv(out["set_tests"], sep="\t").set_index("set")
    oxphos = tests.loc["OXPHOS"]
    assert oxphos["enriched"] and oxphos["direction"] == "Up" and oxphos["camera_FDR"] < 1e-4
    assert tests.loc[tests["collection"] == "muscle", "enriched"].sum() == 1  # OXPHOS only
    top = sets[sets["collection"] == "go_bp"].head(5)["description"].str.cat(sep=" ")
    assert "electron transport" in top or "oxidative phosphorylation" in top
