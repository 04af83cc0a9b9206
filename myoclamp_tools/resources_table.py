"""Build the measured resources table (``workflow/resources.tsv``) from benchmark runs.

Rows come from a Snakemake run's ``benchmarks/`` folder or from ``scripts/benchmark.py --json``;
the workflow reads the table at parse time with :mod:`myoclamp.resources`.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from myoclamp.io import write_tsv
from myoclamp.resources import COLUMNS, TABLE
from myoclamp_tools.bench.collect import collect_benchmarks


def measured_rows(
    jobs: pd.DataFrame, samples: int, genes: float | None, engine: str, source: str
) -> pd.DataFrame:
    """Table rows from one run's jobs (``myoclamp_tools.bench.collect`` columns), one per rule.

    Per rule: its number of jobs, the longest job's wall and CPU seconds, the largest peak RSS.
    Jobs of no known rule (``rule`` empty) are left out.
    """
    jobs = jobs[jobs["rule"].fillna("").astype(str) != ""]
    rows = []
    for rule, group in jobs.groupby("rule", sort=True):
        seconds = pd.to_numeric(group["seconds"], errors="coerce")
        longest = group.loc[seconds.idxmax()] if seconds.notna().any() else None
        rss = pd.to_numeric(group["max_rss_mb"], errors="coerce")
        rows.append(
            {
                "rule": rule,
                "engine": engine,
                "samples": int(samples),
                "genes": genes,
                "jobs": len(group),
                "seconds": np.nan if longest is None else float(longest["seconds"]),
                "cpu_seconds": np.nan if longest is None else float(longest["cpu_seconds"]),
                "max_rss_mb": float(rss.max()),
                "source": source,
            }
        )
    return pd.DataFrame(rows, columns=COLUMNS)


def rows_from_benchmarks(
    path: str | Path, samples: int, genes: float | None, engine: str, source: str | None = None
) -> pd.DataFrame:
    """Rows from a Snakemake run's ``benchmarks/`` folder (or the run folder holding it)."""
    path = Path(path)
    run = path.parent if path.name == "benchmarks" else path
    if not (run / "benchmarks").is_dir():
        raise FileNotFoundError(f"{path}: no benchmarks/ folder (give a Snakemake run's folder)")
    jobs = collect_benchmarks(run)
    if jobs.empty:
        raise ValueError(f"{run / 'benchmarks'}: no benchmark file (*.tsv) in it")
    return measured_rows(jobs, samples, genes, engine, source or f"benchmarks {run}")


def rows_from_json(
    path: str | Path, include_incomplete: bool = False
) -> tuple[pd.DataFrame, list[str]]:
    """Rows from ``scripts/benchmark.py --json`` output, and the cohorts left out.

    The JSON is a list of cohorts ``{"summary": {...}, "jobs": [...], "designs": [...]}``;
    ``summary`` gives ``cohort``, ``samples``, ``genes``, ``engine`` and ``status``, each job
    ``rule``, ``seconds``, ``cpu_seconds`` and ``max_rss_mb``. A cohort whose run did not end
    ``ok`` (stopped over budget, failed) is left out unless ``include_incomplete``: some of its
    jobs never ran, so its rows could understate a rule.
    """
    path = Path(path)
    cohorts = json.loads(path.read_text())
    if not isinstance(cohorts, list):
        raise ValueError(f"{path}: expected a list of cohorts (scripts/benchmark.py --json)")
    frames, skipped = [], []
    for i, cohort in enumerate(cohorts):
        summary = cohort.get("summary") if isinstance(cohort, dict) else None
        if not summary or "samples" not in summary or "jobs" not in cohort:
            raise ValueError(
                f"{path}: cohort {i} has no summary.samples or no jobs "
                "(not written by scripts/benchmark.py --json?)"
            )
        name = summary.get("cohort", str(i))
        if summary.get("status", "ok") != "ok" and not include_incomplete:
            skipped.append(f"{name} ({summary.get('status')})")
            continue
        jobs = pd.DataFrame(
            cohort["jobs"], columns=["job", "rule", "seconds", "cpu_seconds", "max_rss_mb"]
        )
        frames.append(
            measured_rows(
                jobs,
                summary["samples"],
                summary.get("genes"),
                summary.get("engine") or "",
                f"{path.name} cohort {name}",
            )
        )
    rows = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=COLUMNS)
    return rows, skipped


def merge_rows(table: pd.DataFrame | None, new: pd.DataFrame) -> pd.DataFrame:
    """``table`` with ``new`` added; a new row replaces the old one of its rule, engine and size.

    Several new rows of the same rule, engine and size (two runs of one size) keep the largest
    time and memory.
    """
    key = ["rule", "engine", "samples"]
    how = {**{c: "last" for c in COLUMNS if c not in key}, "max_rss_mb": "max"}
    new = new.sort_values("seconds", na_position="first").groupby(key, as_index=False).agg(how)
    old = pd.DataFrame(columns=COLUMNS) if table is None else table
    kept = old[~old.set_index(key).index.isin(new.set_index(key).index)]
    frames = [f for f in (kept, new) if len(f)]
    merged = pd.concat(frames, ignore_index=True)[COLUMNS] if frames else new[COLUMNS]
    return merged.sort_values(key).reset_index(drop=True)


def write_table(table: pd.DataFrame, path: str | Path = TABLE) -> None:
    """Write the measured table (tidy TSV, atomically)."""
    out = table[COLUMNS].copy()
    out["samples"] = out["samples"].astype(int)
    out["jobs"] = out["jobs"].astype(int)
    write_tsv(out, path)
