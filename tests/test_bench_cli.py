"""scripts/benchmark.py's own logic without running the workflow: engines, config, tables."""

from __future__ import annotations

import sys

import pytest
import yaml
from conftest import ROOT

sys.path.insert(0, str(ROOT / "scripts"))
import benchmark


def test_engines_follow_the_schema_and_the_bundled_config():
    known = benchmark.schema_engines()
    bundled = yaml.safe_load((ROOT / "config.yaml").read_text())["de"].get("solver")
    if known is None:
        assert benchmark.resolve_engines("config") == [None]
        with pytest.raises(SystemExit):
            benchmark.resolve_engines("blocks")
    else:
        assert benchmark.resolve_engines("config") == [bundled or known[0]]
        assert benchmark.resolve_engines("both") == ["pydeseq2", "blocks"]
        assert benchmark.resolve_engines("pydeseq2") == ["pydeseq2"]


def test_cohort_config_points_at_inputs_and_applies_lean_and_engine(tmp_path):
    inputs = {k: tmp_path / f"{k}.tsv" for k in ("counts", "samples", "clinical")}
    path = benchmark.cohort_config(inputs, True, "pydeseq2", tmp_path / "c" / "config.yaml")
    config = yaml.safe_load(path.read_text())
    bundled = yaml.safe_load((ROOT / "config.yaml").read_text())
    assert config["inputs"]["counts"] == str(inputs["counts"].resolve())
    assert config["inputs"]["format"] == bundled["inputs"]["format"]
    assert (
        config["de"]["designs"] == ["treatment", "insulin"] and config["de"]["solver"] == "pydeseq2"
    )
    assert config["de"]["alpha"] == bundled["de"]["alpha"]  # the rest of the section is kept
    plain = yaml.safe_load(
        benchmark.cohort_config(inputs, False, None, tmp_path / "p.yaml").read_text()
    )
    assert plain["de"] == bundled["de"] and plain["enrichment"] == bundled["enrichment"]


def test_bad_sizes_stop_before_any_work(tmp_path):
    with pytest.raises(SystemExit, match="neither"):
        benchmark.main(["--sizes", "demo,abc", "--no-r", "--workdir", str(tmp_path / "w")])
    assert not (tmp_path / "w").exists()


def test_render_reports_a_stopped_cohort_and_the_design_ratio():
    import pandas as pd

    jobs = pd.DataFrame(
        {"job": ["de/fit_treatment"], "rule": ["de_fit"], "stage": ["de"], "seconds": [40.0],
         "cpu_seconds": [70.0], "max_rss_mb": [900.0], "max_pss_mb": [850.0]}
    )  # fmt: skip
    design = {
        "cohort": "demo",
        "design": "treatment",
        "engine": "blocks",
        "samples": 136,
        "participants": 70,
        "coefficients": 70,
        "genes": 20000,
        "fit_seconds": 20.0,
        "r_status": "ok",
        "r_deseq_elapsed_seconds": 50.0,
        "spearman_stat": 0.999987,
    }
    results = [
        {"summary": {"cohort": "demo", "status": "ok", "wall_seconds": 300.0}, "jobs": jobs,
         "designs": [design]},
        {"summary": {"cohort": "1000", "status": "timeout", "wall_seconds": 7300.0},
         "jobs": jobs.iloc[:0], "designs": [{**design, "cohort": "1000", "r_status": "timeout"}]},
    ]  # fmt: skip
    args = benchmark.parse_args(["--budget", "7200", "--r-budget", "600"])
    m = {"cpu": "Test CPU", "nproc": "2", "memory_gib": "23.5", "load": "0.10 0.20 0.30"}
    text = benchmark.render(results, args, m, m, "cmd")
    assert "Test CPU; nproc 2; memory 23.5 GiB" in text and "0.10 0.20 0.30" in text
    assert "| 1000 | timeout | > 7200 s (stopped) |" in text
    assert "| demo | ok | 300 |" in text
    assert "| demo | de_fit | 1 | 40.0 | 40.0 | 70.0 | 900 |" in text
    assert "| 2.5 | 0.99999 |" in text  # R / fit, Spearman
    assert "> 600 s (stopped)" in text  # the R run over its budget
