"""The QC stage end to end on a small seeded demo cohort: the planted defects and nothing else."""

from __future__ import annotations

from pathlib import Path

import anndata as ad
import numpy as np
import pandas as pd
import pytest
from conftest import ROOT

from myoclamp.config import load_config
from myoclamp.ingest.build import build_anndata
from myoclamp.qc import pipeline
from myoclamp.qc.run import run_qc, samples_table
from myoclamp.qc.settings import QCSettings
from myoclamp_tools.demo.generate import generate


def contract_adata(directory: Path) -> ad.AnnData:
    """The demo files read by the real ingest stage (the bundled config pointed at them)."""
    config = load_config(ROOT / "config.yaml")
    for key, name in (("counts", "counts.tsv.gz"), ("samples", "samples.tsv"),
                      ("clinical", "clinical.tsv")):  # fmt: skip
        config["inputs"][key] = str(directory / name)
    return build_anndata(config)


def planted(directory: Path) -> list[str]:
    """Samples with a planted defect, from the demo's truth file."""
    truth = pd.read_csv(directory / "truth" / "samples.tsv", sep="\t").set_index("sample")
    return sorted(truth.index[truth["defect"].notna()])


@pytest.fixture(scope="module")
def small_demo(tmp_path_factory):
    directory = tmp_path_factory.mktemp("demo")
    generate(directory, seed=1, n_participants=20, n_genes=3000)
    adata = contract_adata(directory)
    adata.obs.loc[adata.obs_names[0], ["excluded", "exclusion_reason"]] = [True, "haemolysed"]
    qc = run_qc(adata, QCSettings.from_config(vst_nsub=300))
    return directory, adata, qc


def test_exactly_the_planted_defects_are_flagged(small_demo):
    directory, _, qc = small_demo
    flagged = sorted(qc.obs_names[qc.obs["qc_flag"].to_numpy(dtype=bool)])
    assert flagged == planted(directory)
    truth = pd.read_csv(directory / "truth" / "samples.tsv", sep="\t").set_index("sample")
    swap = truth.index[truth["defect"] == "sex_swap"][0]
    low = truth.index[truth["defect"] == "low_quality"][0]
    assert "sex mismatch" in qc.obs.at[swap, "qc_reason"]
    assert qc.obs.at[swap, "pairing_status"] == "possible_swap"
    assert qc.obs.at[low, "outlier"] and "low library size" in qc.obs.at[low, "qc_reason"]


def test_qc_object_layers_and_pca(small_demo):
    _, adata, qc = small_demo
    assert qc.shape == adata.shape
    for layer in ("normalized", "vst", "logcpm"):
        assert qc.layers[layer].shape == adata.shape
    assert np.allclose(
        qc.layers["normalized"], adata.X / qc.obs["size_factor"].to_numpy()[:, None], rtol=1e-5
    )
    assert qc.obsm["X_pca"].shape[0] == adata.n_obs
    assert qc.var["qc_highly_variable"].sum() == 500
    ve = qc.uns["qc"]["variance_explained"].set_index("factor")["variance_explained"]
    # people differ (sex, fibre type, personal genes); the arm explains little
    assert ve["participant"] > ve["arm"]
    assert ve["sex"] > ve["arm"]


def test_samples_table_keeps_every_sample_and_exclusions(small_demo):
    _, adata, qc = small_demo
    table = samples_table(qc)
    assert len(table) == adata.n_obs and table["sample"].is_unique
    first = table.iloc[0]
    assert first["excluded"] and first["exclusion_reason"] == "haemolysed"
    for col in ("library_size", "mito_rrna_share", "sex_agrees", "outlier", "outlier_reason",
                "pairing_status", "qc_flag", "qc_reason", "PC1"):  # fmt: skip
        assert col in table


def test_stage_functions_write_tables_and_figures(small_demo, tmp_path):
    _, adata, _ = small_demo
    counts = tmp_path / "counts.h5ad"
    adata.write_h5ad(counts)
    out = tmp_path / "results"
    outputs = {
        "adata": str(out / "qc.h5ad"),
        "samples": str(out / "samples.tsv"),
        "variance": str(out / "variance_explained.tsv"),
        "variance_by_pc": str(out / "variance_by_pc.tsv"),
    }
    pipeline.write_qc(str(counts), {"qc": {"vst_nsub": 300}, "seed": 1}, outputs, n_cpus=1)
    table = pd.read_csv(out / "samples.tsv", sep="\t")
    assert len(table) == adata.n_obs
    plots = {f"pca_{f}": out / f"pca_{f}.png" for f in ("arm", "visit", "clamp", "site", "sex")}
    plots |= {n: out / f"{n}.png" for n in ("variance", "distances", "metrics")}
    pipeline.write_plots(outputs["adata"], {k: str(v) for k, v in plots.items()})
    for png in plots.values():
        assert png.stat().st_size > 1000
        assert png.with_suffix(".svg").read_text().startswith("<?xml")
