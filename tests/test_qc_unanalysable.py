"""An empty library, refused by ingest unless excluded: QC measures it without normalising it,
and the QC table and the report say why (no crash, no table of NaN)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from cohort import write_cohort

from myoclamp.config import load_config
from myoclamp.errors import InputError
from myoclamp.ingest.build import build_anndata
from myoclamp.qc import plots
from myoclamp.qc.run import run_qc, samples_table
from myoclamp.qc.settings import QCSettings
from myoclamp.qc.unanalysable import REASON
from myoclamp.report.render import cohort_section

EMPTY = "P03_we_bas"


@pytest.fixture(scope="module")
def qc(tmp_path_factory):
    cfg = write_cohort(tmp_path_factory.mktemp("empty") / "in", "matrix", n_genes=300)
    counts = pd.read_csv(cfg.parent / "counts.csv.gz", index_col=0)
    counts[EMPTY] = 0
    counts.rename_axis("gene").to_csv(cfg.parent / "counts.csv.gz")
    config = load_config(cfg)
    with pytest.raises(InputError, match="empty or near-zero library"):
        build_anndata(config)
    config["exclude"] = [{"sample": EMPTY, "reason": "failed library"}]
    adata = build_anndata(config)
    return config, adata, run_qc(adata, QCSettings.from_config(vst_nsub=100, min_library_size=1000))


def test_the_others_are_analysed_and_the_empty_one_is_flagged(qc):
    _, adata, out = qc
    assert out.n_obs == adata.n_obs == 32
    row = out.obs.loc[EMPTY]
    assert row["library_size"] == 0 and row["detected_genes"] == 0
    assert row["qc_flag"] and row["qc_reason"] == REASON and row["outlier"]
    assert np.isnan(out.layers["vst"][out.obs_names.get_loc(EMPTY)]).all()
    others = out[out.obs_names != EMPTY]
    assert np.isfinite(others.layers["vst"]).all() and np.isfinite(others.obsm["X_pca"]).all()
    assert np.isfinite(others.obs["size_factor"]).all()
    assert out.uns["qc"]["not_analysed"] == [EMPTY]


def test_the_qc_table_and_the_report_show_the_reason(qc, tmp_path):
    config, _, out = qc
    table = samples_table(out)
    row = table.set_index("sample").loc[EMPTY]
    assert row["excluded"] and row["exclusion_reason"] == "failed library"
    assert row["qc_reason"] == REASON
    analysed = table[table["sample"] != EMPTY]
    assert not analysed[["library_size", "size_factor", "PC1", "qc_flag"]].isna().any().any()
    section = cohort_section(out, config, table)
    html = section.body if hasattr(section, "body") else str(section)
    assert EMPTY in html and "failed library" in html and REASON in html


def test_the_distance_heatmap_and_the_qc_object_are_written(qc, tmp_path):
    _, _, out = qc
    plots.plot_distance_heatmap(out, tmp_path / "distances.png")  # the 31 analysed samples
    out.write_h5ad(tmp_path / "qc.h5ad")
    assert (tmp_path / "distances.png").stat().st_size > 1000
