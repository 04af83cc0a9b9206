"""Snakemake benchmark files collected into one table, rules found from the rules files."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from myoclamp_tools.bench.collect import (
    benchmark_patterns,
    collect_benchmarks,
    per_rule,
    read_benchmark,
    rule_of,
)

HEADER = "s\th:m:s\tmax_rss\tmax_vms\tmax_uss\tmax_pss\tio_in\tio_out\tmean_load\tcpu_time\n"


def write_bench(path, rows):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(HEADER + "".join("\t".join(map(str, r)) + "\n" for r in rows))


def row(s, rss, cpu):
    return [s, "0:00:01", rss, 900, rss - 5, rss - 2, 0.1, 0.2, 50, cpu]


def test_patterns_cover_every_rule_of_the_workflow():
    patterns = benchmark_patterns()
    assert patterns["de_fit"] == "benchmarks/de/fit_{design}.tsv"
    assert patterns["report_h5ad"] == "benchmarks/report/h5ad.tsv"
    assert all(p.startswith("benchmarks/") and p.endswith(".tsv") for p in patterns.values())
    assert {r.split("_")[0] for r in patterns} >= {"ingest", "qc", "de", "enrichment", "report"}


def test_rule_of_prefers_literal_patterns_and_matches_wildcards():
    patterns = {
        "de_contrast": "benchmarks/de/contrast_{contrast}.tsv",
        "de_summary": "benchmarks/de/summary.tsv",
        "de_any": "benchmarks/de/{what}.tsv",
    }
    assert rule_of("benchmarks/de/summary.tsv", patterns) == "de_summary"
    assert rule_of("benchmarks/de/contrast_insulin_placebo.tsv", patterns) == "de_contrast"
    assert rule_of("benchmarks/de/other.tsv", patterns) == "de_any"
    assert rule_of("benchmarks/qc/x.tsv", patterns) == ""


def test_read_benchmark_means_time_and_maxes_memory_over_repeats(tmp_path):
    path = tmp_path / "b.tsv"
    write_bench(path, [row(2.0, 100, 1.5), row(4.0, 300, 2.5)])
    got = read_benchmark(path)
    assert got["seconds"] == 3.0 and got["cpu_seconds"] == 2.0
    assert got["max_rss_mb"] == 300 and got["max_pss_mb"] == 298
    write_bench(path, [[0.01, "0:00:00", "-", "-", "-", "-", "-", "-", "-", "-"]])
    short = read_benchmark(path)
    assert short["seconds"] == 0.01 and math.isnan(short["max_rss_mb"])
    path.write_text("nothing\n")
    with pytest.raises(ValueError, match="not a Snakemake benchmark"):
        read_benchmark(path)


def test_collect_orders_by_stage_and_sums_per_rule(tmp_path):
    write_bench(tmp_path / "benchmarks/report/h5ad.tsv", [row(5, 800, 4)])
    write_bench(tmp_path / "benchmarks/de/fit_treatment.tsv", [row(30, 1200, 50)])
    write_bench(tmp_path / "benchmarks/de/fit_insulin.tsv", [row(10, 900, 15)])
    write_bench(tmp_path / "benchmarks/ingest/counts.tsv", [row(3, 400, 2)])
    jobs = collect_benchmarks(tmp_path)
    assert jobs["job"].tolist() == ["ingest/counts", "de/fit_insulin", "de/fit_treatment",
                                    "report/h5ad"]  # fmt: skip
    assert jobs["rule"].tolist() == ["ingest_counts", "de_fit", "de_fit", "report_h5ad"]
    rules = per_rule(jobs).set_index("rule")
    assert rules.loc["de_fit", "jobs"] == 2
    assert rules.loc["de_fit", "seconds"] == 40 and rules.loc["de_fit", "max_job_seconds"] == 30
    assert rules.loc["de_fit", "max_rss_mb"] == 1200 and rules.loc["de_fit", "cpu_seconds"] == 65
    assert per_rule(jobs.iloc[:0]).empty
    assert collect_benchmarks(tmp_path / "none").empty
    assert isinstance(jobs, pd.DataFrame)
