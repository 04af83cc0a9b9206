"""Seconds and peak memory of the gene-set tests (camera + permutation test) per contrast.

Each contrast of the bundled demo (70 participants, 206 samples, all genes; muscle + GO BP) runs
in its own process under ``/usr/bin/time -v`` (``myoclamp_tools.bench.settests``): the set
tests' own wall and CPU seconds (loading the data excluded), the whole process's wall seconds
and its peak RSS. Floors (issue 16): 30 s and 2 GB per contrast with 1,000 permutations.
``--results RUN`` times the enrichment job's own path on a finished run (its design files, so
with the config's ``de.unwanted`` factors; reading the counts included); ``--participants N`` the
same path on a simulated trial of N participants (four biopsies each, 17,000 genes).

    .venv/bin/python scripts/benchmark_set_tests.py --permutations 1000 --threads 1
    .venv/bin/python scripts/benchmark_set_tests.py --results /tmp/demo_run
    .venv/bin/python scripts/benchmark_set_tests.py --participants 250 --contrasts treatment,insulin
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import pandas as pd

from myoclamp.enrichment.genesets import collection_paths, load_collections
from myoclamp_tools.bench.measure import machine, run_measured
from myoclamp_tools.bench.settests import simulated_run

ROOT = Path(__file__).resolve().parents[1]

CONTRASTS = (
    "treatment",
    "insulin",
    "insulin_placebo",
    "insulin_anakinra",
    "insulin_baseline",
    "insulin_week13",
    "treatment_x_insulin",
    "m_value",
)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--contrasts", default=",".join(CONTRASTS))
    ap.add_argument("--permutations", type=int, default=1000)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--budget", type=float, default=600.0, help="seconds per contrast")
    ap.add_argument("--results", help="a finished run directory (DE contrasts only)")
    ap.add_argument("--participants", type=int, help="a simulated trial of this many people")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        results = args.results
        if args.participants:  # simulated once, here: the jobs measure the job's path only
            sets = load_collections(collection_paths(["muscle", "go_bp"], [], ROOT / "resources"))
            simulated_run(Path(tmp), args.participants, args.contrasts.split(","), sets)
            results = tmp
        measure(args, ["--results", results] if results else [])


def measure(args: argparse.Namespace, extra: list[str]) -> None:
    """One process per contrast under ``/usr/bin/time -v``; the table and the load after."""
    print("# machine: " + ", ".join(f"{k} {v}" for k, v in machine().items()), flush=True)
    rows = []
    for contrast in args.contrasts.split(","):
        command = [
            sys.executable,
            "-m",
            "myoclamp_tools.bench.settests",
            contrast,
            "--permutations",
            str(args.permutations),
            "--threads",
            str(args.threads),
            *extra,
        ]
        run = run_measured(command, args.budget)
        row = {"contrast": contrast, "status": run.status}
        lines = [ln for ln in run.stdout.splitlines() if ln.startswith("{")]
        if lines:
            row.update(json.loads(lines[-1]))
        row["process_wall_s"] = round(run.wall_seconds, 1)
        row["process_cpu_s"] = round(
            run.time_v.get("user_seconds", 0) + run.time_v.get("system_seconds", 0), 1
        )
        row["peak_rss_mb"] = round(run.max_rss_mb or float("nan"), 0)
        rows.append(row)
        print(json.dumps(row), flush=True)
    table = pd.DataFrame(rows)
    print(table.to_csv(sep="\t", index=False), end="")
    print("# load after: " + machine()["load"])


if __name__ == "__main__":
    main()
