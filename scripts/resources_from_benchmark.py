"""Write the measured resources table (workflow/resources.tsv) from benchmark measurements.

Sources, any number and both kinds in one call, merged into the existing table (a new row replaces
the row of the same rule, engine and number of samples; ``--fresh`` starts an empty table):

* ``--json FILE``: the ``--json`` output of ``scripts/benchmark.py`` (every cohort it ran);
* ``--benchmarks DIR --samples N``: a Snakemake run's folder (or its ``benchmarks/``) of a cohort
  of N samples (``--genes``, ``--engine`` describe the run; the engine defaults to config.yaml's).

    .venv/bin/python scripts/resources_from_benchmark.py --json /tmp/bench.json
    .venv/bin/python scripts/resources_from_benchmark.py \\
        --benchmarks /var/tmp/fresh/myoclamp --samples 206 --genes 37682
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import yaml

from myoclamp.resources import TABLE, read_table
from myoclamp_tools.resources_table import (
    merge_rows,
    rows_from_benchmarks,
    rows_from_json,
    write_table,
)

ROOT = Path(__file__).resolve().parents[1]


def shipped_engine() -> str:
    """``de.solver`` of the bundled config.yaml (what a run without --configfile used)."""
    return yaml.safe_load((ROOT / "config.yaml").read_text()).get("de", {}).get("solver", "")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", action="append", default=[], help="scripts/benchmark.py --json file")
    ap.add_argument(
        "--benchmarks", default="", help="a Snakemake run's folder or its benchmarks/ folder"
    )
    ap.add_argument("--samples", type=int, default=0, help="samples of the --benchmarks run")
    ap.add_argument("--genes", type=int, default=0, help="genes of the --benchmarks run")
    ap.add_argument("--engine", default="", help="DE engine of the --benchmarks run")
    ap.add_argument("--source", default="", help="label of the --benchmarks rows (default: path)")
    ap.add_argument(
        "--include-incomplete",
        action="store_true",
        help="also take cohorts of the JSON whose run did not end ok",
    )
    ap.add_argument("--table", default=str(TABLE), help="the table to merge into and write")
    ap.add_argument("--fresh", action="store_true", help="ignore the existing table")
    args = ap.parse_args(argv)
    if not args.json and not args.benchmarks:
        ap.error("give --json FILE and/or --benchmarks DIR --samples N")
    if args.benchmarks and args.samples <= 0:
        ap.error("--benchmarks needs --samples N (the run's number of samples)")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    table = Path(args.table)
    merged = None if args.fresh or not table.exists() else read_table(table)
    for path in args.json:
        rows, skipped = rows_from_json(path, args.include_incomplete)
        for cohort in skipped:
            print(f"{path}: cohort {cohort} left out (--include-incomplete takes it)")
        print(f"{path}: {len(rows)} rows ({rows['samples'].nunique()} sizes)")
        merged = merge_rows(merged, rows)
    if args.benchmarks:
        rows = rows_from_benchmarks(
            args.benchmarks,
            args.samples,
            args.genes or None,
            args.engine or shipped_engine(),
            args.source or None,
        )
        print(f"{args.benchmarks}: {len(rows)} rules at {args.samples} samples")
        merged = merge_rows(merged, rows)
    write_table(merged, table)
    print(f"written: {table} ({len(merged)} rows, {merged['rule'].nunique()} rules)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
