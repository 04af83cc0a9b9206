"""The real workflow (Snakemake CLI) builds the AnnData from each input format."""

from __future__ import annotations

import subprocess
from pathlib import Path

import anndata as ad
import numpy as np
import pytest
import yaml
from cli import snakemake_cli
from cohort import cohort_tables
from conftest import GSE, ROOT
from scipy import sparse


def run_workflow(
    workdir: Path, configfile: Path, *targets: str, extra: tuple[str, ...] = ()
) -> subprocess.CompletedProcess:
    """The workflow's CLI on one core for ``targets``."""
    return snakemake_cli(workdir, configfile, *extra, *targets, cores=1)


@pytest.mark.parametrize("fmt", ["matrix", "featurecounts", "nfcore"])
def test_workflow_builds_counts_h5ad_from_each_format(tmp_path, fmt):
    from cohort import write_cohort

    cfg = write_cohort(tmp_path / "in", fmt)
    res = run_workflow(tmp_path, cfg, "results/adata/counts.h5ad")
    assert res.returncode == 0, res.stderr[-3000:]
    adata = ad.read_h5ad(tmp_path / "results/adata/counts.h5ad")
    truth = cohort_tables()
    X = adata.X.toarray() if sparse.issparse(adata.X) else adata.X
    assert X.dtype.kind == "i"
    assert np.array_equal(X, truth["counts"].to_numpy().T)
    assert list(adata.obs_names) == truth["samples"]["sample"].tolist()
    assert list(adata.obs["arm"].cat.categories[:2]) == ["placebo", "anakinra"]
    assert adata.obs["arm"].cat.ordered
    assert adata.obs.loc["P02_we_ins", "hba1c"] == pytest.approx(7.1)
    assert np.isnan(adata.obs.loc["P04_ba_bas", "m_value"])
    assert adata.var["mito"].sum() == 7  # by symbol, or by chrM for featureCounts' bare ids
    if fmt != "featurecounts":
        assert adata.var["symbol"].iloc[2] == "COX1"
    if fmt != "matrix":
        assert adata.var_names[0].startswith("ENSG") and "." not in adata.var_names[0]
    prov = adata.uns["provenance"]
    assert len(prov["inputs"]["counts"]["sha256"]) == 64
    assert prov["versions"]["pydeseq2"] == "0.5.4"
    assert (tmp_path / "logs/ingest/counts.log").stat().st_size > 0


def test_bad_sheet_stops_the_run_before_any_rule(tmp_path):
    from cohort import write_cohort

    cfg = write_cohort(tmp_path / "in", "matrix")
    sheet = tmp_path / "in" / "samples.tsv"
    sheet.write_text(sheet.read_text().replace("anakinra", "placebo", 1))
    res = run_workflow(tmp_path, cfg, "results/adata/counts.h5ad")
    assert res.returncode != 0
    assert "arm varies within a participant" in res.stderr + res.stdout
    assert not (tmp_path / "results").exists()


@pytest.mark.skipif(not GSE.exists(), reason="../shared/data/gse202295 not present")
def test_real_gse202295_counts_ingest_through_their_own_config(tmp_path):
    cfg = yaml.safe_load((ROOT / "configs" / "gse202295.yaml").read_text())
    for key in ("counts", "samples"):  # paths in the config are relative to the project root
        cfg["inputs"][key] = str((ROOT / cfg["inputs"][key]).resolve())
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(cfg))
    res = run_workflow(tmp_path, tmp_path / "config.yaml", "results/adata/counts.h5ad")
    assert res.returncode == 0, res.stderr[-3000:]
    adata = ad.read_h5ad(tmp_path / "results/adata/counts.h5ad")
    assert adata.shape == (111, 37682)
    assert adata.obs["participant"].nunique() == 38
    assert list(adata.obs["visit"].cat.categories) == ["basal", "post", "rec"]
    assert list(adata.obs["arm"].cat.categories) == ["NGT", "T2D"]
    assert adata.obs.loc["GSM6107906", "participant"] == "001"  # zero padding kept
    assert set(adata.var_names[adata.var["mito_rrna"]]) == {"RNR1", "RNR2"}
    assert adata.var["mito"].sum() >= 15
    assert list(adata.uns["ingest"]["duplicated_keys_summed"]) == ["TRNAV-CAC"]
