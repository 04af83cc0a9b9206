"""Running R for the reference comparisons: whether R and its packages are installed."""

from __future__ import annotations

import functools
import shutil
import subprocess


@functools.cache
def r_packages_available(*packages: str) -> bool:
    """Whether ``Rscript`` can load every one of ``packages`` (``scripts/install_r.sh``)."""
    if shutil.which("Rscript") is None:
        return False
    loads = "; ".join(f"library({p})" for p in packages)
    probe = subprocess.run(
        ["Rscript", "-e", f"suppressPackageStartupMessages({{{loads}}})"],
        capture_output=True,
        check=False,
    )
    return probe.returncode == 0
