"""Determinism: two runs of the workflow on the same inputs give byte-identical TSV tables and JSON
files, and AnnData files with equal content (compared with anndata: HDF5 bytes carry no meaning).

Default: the tiny cohort through ingest (seconds). Slow (``-m slow``): a small demo trial
through the whole ``rule all``, whatever it holds (minutes).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from cli import snakemake_cli
from cohort import demo_config, write_cohort

from myoclamp_tools.compare_runs import compare_runs


def run(
    workdir: Path, configfile: Path, *targets: str, cores: int = 2
) -> subprocess.CompletedProcess:
    """Run the workflow's CLI for ``targets`` (default target if none); fail with its log."""
    res = snakemake_cli(workdir, configfile, *targets, cores=cores, timeout=3600)
    assert res.returncode == 0, res.stderr[-4000:]
    return res


def test_two_runs_of_ingest_are_identical(tmp_path):
    """The cheap stage in the default suite; every stage is in the slow test below."""
    config = write_cohort(tmp_path / "in")
    for name in ("a", "b"):
        run(tmp_path / name, config, "results/adata/counts.h5ad")
    assert compare_runs(tmp_path / "a", tmp_path / "b") == ["adata/counts.h5ad"]


@pytest.mark.slow
def test_two_runs_of_the_demo_workflow_are_identical(tmp_path):
    config = demo_config(tmp_path / "demo", seed=7, n_participants=12, n_genes=600)
    for name in ("a", "b"):
        run(tmp_path / name, config)
    compared = compare_runs(tmp_path / "a", tmp_path / "b")
    assert "adata/counts.h5ad" in compared
    assert len(compared) > 1
