"""Measured commands: GNU time's report, the process-tree peak, the time budget; markdown."""

from __future__ import annotations

import sys
import time

import pytest

from myoclamp_tools.bench.measure import machine, parse_time_v, run_measured
from myoclamp_tools.bench.report import markdown_table, replace_section, seconds_or_budget

TIME_V = """\tCommand being timed: "snakemake"
\tUser time (seconds): 12.50
\tSystem time (seconds): 1.25
\tElapsed (wall clock) time (h:mm:ss or m:ss): 1:02:03
\tMaximum resident set size (kbytes): 204800
\tExit status: 0
"""

ALLOC = """
import time
block = bytearray({mb} * 2**20)
block[::4096] = b"x" * len(block[::4096])  # touch every page
time.sleep(3)
"""
PARENT = """
import subprocess, sys
procs = [subprocess.Popen([sys.executable, {alloc!r}, str(mb)]) for mb in (150, 250)]
for p in procs:
    p.wait()
"""
SLEEPER = """
import subprocess, sys, time
subprocess.run([sys.executable, "-c", "import time, sys; time.sleep(30); open(sys.argv[1], 'w')",
                {marker!r}])
"""


def test_parse_time_v_reads_peak_rss_and_clock():
    got = parse_time_v("snakemake says hello: yes\n" + TIME_V)
    assert got == {
        "user_seconds": 12.5,
        "system_seconds": 1.25,
        "elapsed_seconds": 3723.0,
        "max_rss_kb": 204800.0,
        "exit_status": 0.0,
    }
    short = "\tElapsed (wall clock) time (h:mm:ss or m:ss): 0:07.50"
    assert parse_time_v(short)["elapsed_seconds"] == 7.5


def test_run_measured_sums_concurrent_children_and_reports_the_largest(tmp_path):
    # two children of 150 and 250 MiB alive at once: the tree peak sees both, time -v the larger
    alloc = tmp_path / "alloc.py"
    alloc.write_text(ALLOC.replace("{mb}", "int(__import__('sys').argv[1])"))
    parent = tmp_path / "parent.py"
    parent.write_text(PARENT.format(alloc=str(alloc)))
    run = run_measured([sys.executable, str(parent)], budget=60, sample_interval=0.1)
    assert run.status == "ok" and run.returncode == 0
    assert 240 < run.max_rss_mb < 320
    assert run.tree_peak_rss_mb > 390


def test_run_measured_stops_a_run_over_budget_with_its_children(tmp_path):
    marker = tmp_path / "child_done"
    script = tmp_path / "sleeper.py"
    script.write_text(SLEEPER.format(marker=str(marker)))
    start = time.perf_counter()
    run = run_measured([sys.executable, str(script)], budget=1.5, log=tmp_path / "log.txt")
    assert run.status == "timeout"
    assert time.perf_counter() - start < 25
    time.sleep(0.5)
    assert not marker.exists()
    assert seconds_or_budget(run.wall_seconds, run.status, 1.5) == "> 2 s (stopped)"


def test_run_measured_reports_failure():
    run = run_measured([sys.executable, "-c", "import sys; sys.exit(3)"], budget=30)
    assert run.status == "failed" and run.returncode == 3
    assert seconds_or_budget(1.0, run.status, 30) == "failed"


def test_machine_describes_cpu_memory_and_load():
    m = machine()
    assert int(m["nproc"]) >= 1 and float(m["memory_gib"]) > 0
    assert len(m["load"].split()) == 3


def test_replace_section_replaces_only_its_own_section():
    text = "# Benchmarks\n\nprose\n"
    once = replace_section(text, "results", "table A")
    assert once.startswith(text.rstrip()) and "table A" in once
    both = replace_section(once, "other", "table B")
    again = replace_section(both, "results", "table C\n")
    assert "table A" not in again and "table C" in again and "table B" in again
    assert again.index("table C") < again.index("table B")
    assert again.count("benchmark:results:start") == 1


CELLS = [(None, "-"), (float("nan"), "-"), (1234.6, "1,235"), (3.14159, "3.14"), (12.34, "12.3"),
         (True, "yes")]  # fmt: skip


@pytest.mark.parametrize(("value", "text"), CELLS)
def test_markdown_cells(value, text):
    import pandas as pd

    table = markdown_table(pd.DataFrame({"a": [value], "b": ["x|y"]}))
    assert table.splitlines()[0] == "| a | b |"
    assert table.splitlines()[2] == f"| {text} | x\\|y |"
