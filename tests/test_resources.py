"""Rules' mem_mb and runtime from the measured table: model, margin, table building, coverage."""

from __future__ import annotations

import json
import logging
import math
import re
import sys

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT
from hypothesis import given
from hypothesis import strategies as st

from myoclamp.resources import (
    COLUMNS,
    DEFAULT_MEM_MB,
    DEFAULT_RUNTIME_MIN,
    SINGLE_SIZE_TIME_EXPONENT,
    estimate_mb,
    estimate_seconds,
    read_table,
    rule_resources,
    with_margin,
)
from myoclamp_tools.bench.collect import collect_benchmarks
from myoclamp_tools.resources_table import (
    merge_rows,
    rows_from_benchmarks,
    rows_from_json,
    write_table,
)

sys.path.insert(0, str(ROOT / "scripts"))
import resources_from_benchmark

RULES = ROOT / "workflow" / "rules"
HEADER = "s\th:m:s\tmax_rss\tmax_vms\tmax_uss\tmax_pss\tio_in\tio_out\tmean_load\tcpu_time\n"


def write_bench(path, seconds, rss, cpu):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(HEADER + f"{seconds}\t0:00:01\t{rss}\t900\t{rss}\t{rss}\t0\t0\t50\t{cpu}\n")


def fake_run(root, scale=1.0):
    """A run's benchmarks/: two DE fits, one ingest job, one file of no rule."""
    write_bench(root / "benchmarks/de/fit_treatment.tsv", 20 * scale, 500 * scale, 35 * scale)
    write_bench(root / "benchmarks/de/fit_insulin.tsv", 30 * scale, 400 * scale, 31 * scale)
    write_bench(root / "benchmarks/ingest/counts.tsv", 4 * scale, 300 * scale, 3.5 * scale)
    write_bench(root / "benchmarks/other/thing.tsv", 99, 9999, 99)
    return root


def table(rows):
    """A measured table from (rule, engine, samples, seconds, rss) tuples."""
    return pd.DataFrame(
        [
            {
                "rule": r,
                "engine": e,
                "samples": n,
                "genes": 1000,
                "jobs": 1,
                "seconds": s,
                "cpu_seconds": s,
                "max_rss_mb": m,
                "source": "test",
            }
            for r, e, n, s, m in rows
        ],
        columns=COLUMNS,
    )


# --- the model ---------------------------------------------------------------------------------


def test_memory_interpolates_and_extrapolates_through_the_two_largest_sizes():
    sizes, mb = [100, 200, 400], [300.0, 500.0, 1100.0]
    assert estimate_mb(sizes, mb, 150) == pytest.approx(400.0)
    assert estimate_mb(sizes, mb, 300) == pytest.approx(800.0)
    # beyond 400: slope (1100 - 500) / 200 = 3 MiB per sample, not the first segment's 2
    assert estimate_mb(sizes, mb, 1000) == pytest.approx(1100 + 3 * 600)
    assert estimate_mb(sizes, mb, 400) == pytest.approx(1100.0)


def test_time_follows_a_power_law_between_and_beyond_the_sizes():
    sizes = np.array([100, 200, 400])
    seconds = 0.002 * sizes**1.7
    for n in (150, 300, 1000, 5000):
        assert estimate_seconds(sizes, seconds, n) == pytest.approx(0.002 * n**1.7, rel=1e-9)
    # beyond the largest only the two largest sizes count (here exponent 1 between 200 and 400)
    assert estimate_seconds([100, 200, 400], [1.0, 40.0, 80.0], 800) == pytest.approx(160.0)


def test_never_below_the_smallest_measurement_nor_a_smaller_size():
    sizes, values = [200, 400, 800], [50.0, 40.0, 90.0]  # a noisy dip at 400
    for estimate in (estimate_mb, estimate_seconds):
        assert estimate(sizes, values, 10) == pytest.approx(50.0)
        assert estimate(sizes, values, 200) == pytest.approx(50.0)
        assert estimate(sizes, values, 400) == pytest.approx(50.0)
        assert estimate(sizes, values, 600) >= 50.0
    # beyond the largest, a decrease between the two largest sizes is not extrapolated
    assert estimate_mb([200, 400], [500.0, 450.0], 2000) == pytest.approx(500.0)
    assert estimate_seconds([200, 400], [60.0, 30.0], 2000) == pytest.approx(60.0)


def test_one_size_scales_memory_with_n_and_time_with_n_squared():
    assert estimate_mb([200], [400.0], 100) == pytest.approx(400.0)
    assert estimate_mb([200], [400.0], 1000) == pytest.approx(2000.0)
    assert estimate_seconds([200], [10.0], 1000) == pytest.approx(
        10.0 * 5.0**SINGLE_SIZE_TIME_EXPONENT
    )


def test_two_jobs_of_one_size_count_with_the_larger():
    assert estimate_mb([100, 100, 200], [300.0, 700.0, 800.0], 100) == pytest.approx(700.0)


def test_margin_is_memory_times_1_5_plus_500_and_runtime_times_2_plus_5_min_rounded_up():
    got = with_margin(1000.0, 60.0)
    assert (got.mem_mb, got.runtime) == (2000, 7)
    got = with_margin(1001.0, 61.0)
    assert (got.mem_mb, got.runtime) == (2100, 8)


@given(mb=st.floats(0, 1e6), seconds=st.floats(0, 1e6))
def test_margin_never_asks_less_than_the_estimate_with_its_margin(mb, seconds):
    got = with_margin(mb, seconds)
    assert got.mem_mb >= mb * 1.5 + 500 and got.mem_mb % 100 == 0
    assert got.runtime * 60 >= seconds * 2 + 5 * 60


def test_rule_resources_prefers_its_engine_and_falls_back_to_any():
    t = table(
        [
            ("de_fit", "blocks", 200, 20.0, 500.0),
            ("de_fit", "pydeseq2", 200, 600.0, 900.0),
            ("qc_adata", "pydeseq2", 200, 10.0, 1000.0),
        ]
    )
    assert rule_resources("de_fit", 200, "blocks", t) == with_margin(500.0, 20.0)
    assert rule_resources("de_fit", 200, "pydeseq2", t) == with_margin(900.0, 600.0)
    assert rule_resources("qc_adata", 200, "blocks", t) == with_margin(1000.0, 10.0)
    # no engine given: every row of the rule, the larger per size
    assert rule_resources("de_fit", 200, None, t) == with_margin(900.0, 600.0)


def test_unknown_rule_gets_the_default_and_a_warning(caplog):
    t = table([("de_fit", "blocks", 200, 20.0, 500.0), ("qc_plots", "blocks", 200, 9, np.nan)])
    with caplog.at_level(logging.WARNING, logger="myoclamp.resources"):
        got = rule_resources("de_new_rule", 200, "blocks", t)
        no_memory = rule_resources("qc_plots", 200, "blocks", t)
    assert (got.mem_mb, got.runtime) == (DEFAULT_MEM_MB, DEFAULT_RUNTIME_MIN)
    assert no_memory == got
    assert "de_new_rule" in caplog.text and "qc_plots" in caplog.text
    assert "resources_from_benchmark.py" in caplog.text


# --- the shipped table and the rules ------------------------------------------------------------


def rule_blocks() -> dict[str, str]:
    """Rule name -> its text, from every rules file."""
    out = {}
    for path in sorted(RULES.glob("*.smk")):
        text = path.read_text()
        # ``rule name:``, or a rule made in a loop, ``rule:`` + ``name: f"de_fit_{_design}"``
        header = r"(?m)^\s*rule\s+(\w+)\s*:|^\s*rule:\s*\n\s*name:\s*\n\s*f\"(\w+?)_\{\w+\}\""
        parts = re.split(header, text)
        names = [a or b for a, b in zip(parts[1::3], parts[2::3], strict=True)]
        out.update(dict(zip(names, parts[3::3], strict=True)))
    return out


def test_every_rule_has_a_row_in_the_shipped_table():
    shipped = read_table()
    rules = set(rule_blocks())
    assert len(rules) >= 11
    assert rules <= set(shipped["rule"]), sorted(rules - set(shipped["rule"]))
    assert shipped[["seconds", "max_rss_mb"]].notna().all().all()


def test_every_rule_asks_for_its_own_resources():
    for rule, body in rule_blocks().items():
        block = re.search(r"\n(\s+)resources:\n((?:\1    .*\n)+)", body)
        assert block, f"rule {rule} has no resources: block"
        assert f'mem_mb=RESOURCES.mem_mb("{rule}")' in block.group(2), rule
        assert f'runtime=RESOURCES.runtime("{rule}")' in block.group(2), rule


def test_shipped_resources_cover_every_measured_job_at_its_size():
    shipped = read_table()
    for row in shipped.itertuples():
        got = rule_resources(row.rule, int(row.samples), row.engine or None, shipped)
        assert got.mem_mb >= row.max_rss_mb * 1.5 + 500, row
        assert got.runtime * 60 >= row.seconds * 2, row


# --- building the table ------------------------------------------------------------------------


def test_rows_from_a_benchmarks_folder_take_each_rules_largest_job(tmp_path):
    run = fake_run(tmp_path / "run")
    for path in (run, run / "benchmarks"):
        rows = rows_from_benchmarks(path, 206, 37682, "blocks", "demo").set_index("rule")
        assert sorted(rows.index) == ["de_fit", "ingest_counts"]
        fit = rows.loc["de_fit"]
        assert (fit["jobs"], fit["seconds"], fit["cpu_seconds"]) == (2, 30.0, 31.0)
        assert fit["max_rss_mb"] == 500.0
        assert (fit["samples"], fit["genes"], fit["engine"]) == (206, 37682, "blocks")
    with pytest.raises(FileNotFoundError, match="no benchmarks/ folder"):
        rows_from_benchmarks(tmp_path, 206, None, "blocks")


def benchmark_json(path, cohorts):
    """A JSON as scripts/benchmark.py --json writes it (main(): results of run_cohort)."""
    results = []
    for name, samples, status, rundir in cohorts:
        jobs = collect_benchmarks(rundir)
        jobs.insert(0, "cohort", name)
        summary = {
            "cohort": name,
            "samples": samples,
            "participants": samples // 3,
            "genes": 800,
            "engine": "blocks",
            "status": status,
            "wall_seconds": 100.0,
        }
        results.append({"summary": summary, "jobs": jobs, "designs": []})
    path.write_text(
        json.dumps(
            [{**r, "jobs": r["jobs"].to_dict(orient="records")} for r in results],
            indent=1,
            default=str,
        )
    )
    return path


def test_rows_from_a_benchmark_json_per_cohort_leaving_out_unfinished_runs(tmp_path):
    small = fake_run(tmp_path / "small")
    large = fake_run(tmp_path / "large", scale=3.0)
    stopped = fake_run(tmp_path / "stopped", scale=9.0)
    path = benchmark_json(
        tmp_path / "bench.json",
        [("demo", 206, "ok", small), ("560", 560, "ok", large), ("1000", 1000, "timeout", stopped)],
    )
    rows, skipped = rows_from_json(path)
    assert skipped == ["1000 (timeout)"]
    assert sorted(rows["samples"].unique()) == [206, 560]
    fit = rows[rows["rule"] == "de_fit"].set_index("samples")
    assert fit.loc[560, "seconds"] == pytest.approx(90.0)
    assert fit.loc[206, "max_rss_mb"] == pytest.approx(500.0)
    assert set(rows["source"]) == {"bench.json cohort demo", "bench.json cohort 560"}
    rows, skipped = rows_from_json(path, include_incomplete=True)
    assert skipped == [] and 1000 in set(rows["samples"])
    (tmp_path / "bad.json").write_text(json.dumps([{"jobs": []}]))
    with pytest.raises(ValueError, match="bad.json: cohort 0"):
        rows_from_json(tmp_path / "bad.json")


def test_merge_replaces_rows_of_the_same_rule_engine_and_size():
    old = table([("de_fit", "blocks", 206, 20.0, 500.0), ("de_fit", "blocks", 560, 60.0, 900.0)])
    new = table([("de_fit", "blocks", 206, 25.0, 450.0), ("de_fit", "pydeseq2", 206, 99, 999)])
    merged = merge_rows(old, new)
    assert len(merged) == 3
    got = merged.set_index(["engine", "samples"])
    assert got.loc[("blocks", 206), "seconds"] == 25.0
    assert got.loc[("blocks", 560), "seconds"] == 60.0
    # two new measurements of one size: the larger of each
    twice = merge_rows(None, table([("x", "", 10, 5.0, 100.0), ("x", "", 10, 3.0, 200.0)]))
    assert (twice["seconds"].item(), twice["max_rss_mb"].item()) == (5.0, 200.0)


def test_table_round_trip_and_bad_rows_named(tmp_path):
    path = tmp_path / "resources.tsv"
    t = table([("de_fit", "blocks", 206, 20.5, 500.25), ("qc_adata", "", 206, 1.0, 10.0)])
    write_table(t, path)
    back = read_table(path)
    pd.testing.assert_frame_equal(back[COLUMNS[:-1]], t[COLUMNS[:-1]], check_dtype=False)
    path.write_text(path.read_text().replace("500.25", "lots"))
    with pytest.raises(ValueError, match=r"row 2, column 'max_rss_mb'"):
        read_table(path)
    path.write_text("rule\tsamples\nde_fit\t206\n")
    with pytest.raises(ValueError, match="missing column"):
        read_table(path)


def test_script_merges_a_json_and_a_benchmarks_folder_into_the_table(tmp_path, capsys):
    out = tmp_path / "resources.tsv"
    small = fake_run(tmp_path / "small")
    large = fake_run(tmp_path / "large", scale=2.0)
    path = benchmark_json(tmp_path / "b.json", [("560", 560, "ok", large)])
    argv = ["--benchmarks", str(small), "--samples", "206", "--table", str(out)]
    assert resources_from_benchmark.main(argv) == 0
    assert resources_from_benchmark.main(["--json", str(path), "--table", str(out)]) == 0
    got = read_table(out)
    assert sorted(got["samples"].unique()) == [206, 560]
    assert set(got["rule"]) == {"de_fit", "ingest_counts"}
    fit = got[got["rule"] == "de_fit"]
    n = 1000
    expect_seconds = 60.0 * (n / 560) ** (math.log(60 / 30) / math.log(560 / 206))
    expect = with_margin(1000 + (1000 - 500) / (560 - 206) * (n - 560), expect_seconds)
    assert rule_resources("de_fit", n, "blocks", got) == expect
    assert len(fit) == 2
    with pytest.raises(SystemExit):
        resources_from_benchmark.main(["--benchmarks", str(small), "--table", str(out)])
    capsys.readouterr()


def test_cohort_resources_estimate_each_rule_once(caplog):
    from myoclamp.resources import CohortResources

    cohort = CohortResources(206, "blocks")
    assert cohort.mem_mb("de_fit") == rule_resources("de_fit", 206, "blocks").mem_mb
    assert cohort.runtime("de_fit") == rule_resources("de_fit", 206, "blocks").runtime
    with caplog.at_level(logging.WARNING, logger="myoclamp.resources"):
        cohort.mem_mb("no_such_rule")
        cohort.runtime("no_such_rule")
    assert caplog.text.count("no_such_rule") == 1
