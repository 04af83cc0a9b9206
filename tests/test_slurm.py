"""The workflow on a real one-node SLURM cluster through profiles/slurm gives a local run's outputs.

Run on purpose as root (it installs Debian's SLURM and munge and starts their daemons):
``pytest -m slurm tests/test_slurm.py`` (the bundled demo trial, as README's demo command runs
it). scripts/slurm.sh starts the cluster and stops it by pid
afterwards (unless it was already running before the test). Each SLURM job costs ~5 s here.
"""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest
from cli import snakemake_command
from cohort import bundled_config, demo_config
from conftest import ROOT
from test_workflow_determinism import run

from myoclamp_tools.compare_runs import compare_runs

pytestmark = pytest.mark.slurm

SCRIPT = ROOT / "scripts" / "slurm.sh"
#: the whole demo workflow on SLURM; a bound on a hang (see ../shared/notes/slurm.md)
TIMEOUT_S = 3600
#: targets of both runs; default: rule all. A quicker check on a loaded machine, e.g.
#: MYOCLAMP_SLURM_TARGETS="results/qc/samples.tsv results/enrichment/treatment.tsv"
TARGETS = os.environ.get("MYOCLAMP_SLURM_TARGETS", "").split()
#: cohort: the bundled demo trial (default, what `bash scripts/demo.sh` runs; ~5 min locally plus
#: the SLURM run) or ``small`` (a 12-participant, 600-gene demo: a quick check of the plumbing)
COHORT = os.environ.get("MYOCLAMP_SLURM_COHORT", "bundled")


def slurm_sh(command: str, check: bool = True) -> subprocess.CompletedProcess:
    res = subprocess.run(["bash", str(SCRIPT), command], capture_output=True, text=True)
    if check:
        assert res.returncode == 0, f"slurm.sh {command}: {res.stdout}\n{res.stderr}"
    return res


@pytest.fixture(scope="module")
def cluster():
    """A running one-node cluster; stopped afterwards if this fixture started it."""
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        pytest.skip("needs root on Debian (apt-get) to install and start SLURM")
    slurm_sh("install")
    was_running = slurm_sh("status", check=False).returncode == 0
    slurm_sh("start")
    yield
    if not was_running:
        slurm_sh("stop")
        assert slurm_sh("status", check=False).returncode != 0, "daemons still run after stop"


def test_demo_workflow_on_slurm_equals_a_local_run(cluster, tmp_path):
    if COHORT == "small":
        config = demo_config(tmp_path / "in", seed=7, n_participants=12, n_genes=600)
    else:
        config = bundled_config(tmp_path / "in")
    local, cluster_dir = tmp_path / "local", tmp_path / "slurm"
    run(local, config, *TARGETS)
    profile = ("--profile", str(ROOT / "profiles" / "slurm"))
    cmd = ["timeout", "-k", "10", str(TIMEOUT_S),
           *snakemake_command(cluster_dir, config, *profile, *TARGETS, cores=None)]  # fmt: skip
    res = subprocess.run(cmd, capture_output=True, text=True)
    log = res.stdout + res.stderr
    assert res.returncode == 0, log[-5000:]
    assert "has been submitted with SLURM jobid" in log  # the jobs really went through sbatch
    assert "steps (100%) done" in log
    compared = compare_runs(local, cluster_dir)
    assert "adata/counts.h5ad" in compared and len(compared) >= len(TARGETS)
