"""Shared fixtures: the tiny cohort in each input format, and the repository paths."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))

SHARED = ROOT.parent / "shared"
GSE = SHARED / "data" / "gse202295"

from cohort import write_cohort  # noqa: E402

from myoclamp.config import load_config  # noqa: E402


def run_on_purpose(marker: str):
    """An autouse fixture for a module of long tests: they run only when ``-m`` names ``marker``
    (pyproject's addopts deselects them; this also keeps an overriding ``-m`` such as
    ``"browser or not browser"`` from starting minutes of CPU by accident)."""

    @pytest.fixture(autouse=True, scope="module")  # before the module's own costly fixtures
    def _run_on_purpose(request):
        if marker not in (request.config.getoption("markexpr") or ""):
            pytest.skip(f"run on purpose: pytest -m {marker}")

    return _run_on_purpose


@pytest.fixture
def cohort(tmp_path):
    """Factory: write the tiny cohort in a format, return (config dict, directory)."""

    def make(fmt: str = "matrix", **kwargs):
        cfg = write_cohort(tmp_path / fmt, fmt, **kwargs)
        return load_config(cfg), cfg.parent

    return make
