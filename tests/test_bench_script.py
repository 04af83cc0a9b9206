"""scripts/benchmark.py end to end on a tiny demo (runs the workflow: `pytest -m benchmark`)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import yaml
from conftest import ROOT, run_on_purpose

from myoclamp_tools.rcompare import r_deseq2_available

pytestmark = pytest.mark.benchmark

SCRIPT = ROOT / "scripts" / "benchmark.py"
TINY = ["--demo-participants", "8", "--demo-genes", "600", "--lean", "--cores", "2"]


_run_on_purpose = run_on_purpose("benchmark")


def run_script(tmp_path, *args: str) -> tuple[subprocess.CompletedProcess, list[dict], str]:
    out, js = tmp_path / "bench.md", tmp_path / "bench.json"
    out.write_text("# Benchmarks\n\nprose kept\n")
    cmd = [sys.executable, str(SCRIPT), *TINY, "--workdir", str(tmp_path / "w"),
           "--out", str(out), "--json", str(js), *args]  # fmt: skip
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=1800)
    results = json.loads(js.read_text()) if js.exists() else []
    return proc, results, out.read_text()


def test_benchmark_runs_demo_and_resampled_cohort_with_r(tmp_path):
    with_r = r_deseq2_available()
    proc, results, text = run_script(
        tmp_path, "--sizes", "demo,30", "--budget", "1500", *(() if with_r else ("--no-r",))
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert [r["summary"]["cohort"] for r in results] == ["demo", "30"]
    assert results[1]["summary"]["samples"] == 30
    for r in results:
        s = r["summary"]
        assert s["status"] == "ok" and s["h5ad_mb"] > 0 and s["h5ad_job_seconds"] > 0
        assert s["engine"] == (
            yaml.safe_load((ROOT / "config.yaml").read_text())["de"].get("solver", "pydeseq2")
        )
        assert s["tree_peak_rss_mb"] >= s["largest_process_rss_mb"] > 50
        rules = {j["rule"] for j in r["jobs"]}
        assert {"ingest_counts", "de_fit", "report_h5ad", "report_html"} <= rules
        if with_r:
            designs = {d["design"]: d for d in r["designs"]}
            assert set(designs) == {"treatment", "insulin"}
            for d in designs.values():
                assert d["r_status"] == "ok", d
                assert d["r_deseq_elapsed_seconds"] > 0 and d["r_max_rss_mb"] > 50
                assert d["coefficients"] >= d["participants"] > 0
                assert d["spearman_stat"] > 0.99  # R ran on the same input as the workflow
    assert text.startswith("# Benchmarks\n\nprose kept\n")
    assert "benchmark:results:start" in text and "Command: `.venv/bin/python" in text
    assert "| report_h5ad |" in text and "; nproc " in text and "load average" in text
    assert "#### DE designs" in text


def test_benchmark_stops_a_cohort_over_budget(tmp_path):
    proc, results, text = run_script(tmp_path, "--sizes", "demo", "--budget", "15", "--no-r")
    assert proc.returncode == 1
    assert results[0]["summary"]["status"] == "timeout"
    assert "> 15 s (stopped)" in text


@pytest.mark.skipif(not r_deseq2_available(), reason="R DESeq2 not installed")
def test_benchmark_times_r_on_a_gene_sample_and_scales_it(tmp_path):
    proc, results, text = run_script(
        tmp_path, "--sizes", "demo", "--budget", "1500", "--r-genes", "150"
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    for d in results[0]["designs"]:
        assert d["r_status"] == "ok" and d["r_genes"] == 150 < d["genes"], d
        scaled = d["r_deseq_elapsed_seconds"] * d["genes"] / 150
        assert d["r_seconds_all_genes"] == pytest.approx(scaled, abs=0.01)
        assert d["spearman_stat"] > 0.99  # on the 150 genes both fitted
    assert "s on 150 genes)" in text
