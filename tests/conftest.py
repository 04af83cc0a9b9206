"""Shared fixtures: the tiny cohort in each input format, and the repository paths."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "workflow"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

SHARED = ROOT.parent / "shared"
GSE = SHARED / "data" / "gse202295"

from cohort import write_cohort  # noqa: E402
from myoclamp.config import load_config  # noqa: E402


@pytest.fixture
def cohort(tmp_path):
    """Factory: write the tiny cohort in a format, return (config dict, directory)."""

    def make(fmt: str = "matrix", **kwargs):
        cfg = write_cohort(tmp_path / fmt, fmt, **kwargs)
        return load_config(cfg), cfg.parent

    return make
