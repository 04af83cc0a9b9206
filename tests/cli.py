"""Run the workflow's Snakemake command line from tests."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from conftest import ROOT

SNAKEMAKE = Path(sys.executable).parent / "snakemake"


def snakemake_command(
    workdir: Path, configfile: Path, *args: str, cores: int | None = 2
) -> list[str]:
    """The snakemake CLI for this workflow in ``workdir`` (``cores=None`` leaves --cores out)."""
    cmd = [str(SNAKEMAKE), "-s", str(ROOT / "Snakefile"), "--configfile", str(configfile),
           "--directory", str(workdir)]  # fmt: skip
    if cores is not None:
        cmd += ["--cores", str(cores)]
    return [*cmd, *args]


def snakemake_cli(
    workdir: Path,
    configfile: Path,
    *args: str,
    cores: int | None = 2,
    env: dict | None = None,
    timeout: int = 600,
) -> subprocess.CompletedProcess:
    """Run the workflow's CLI and capture its output."""
    cmd = snakemake_command(workdir, configfile, *args, cores=cores)
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)
