"""Snakemake's per-job benchmark files (``benchmarks/**/*.tsv``) as one tidy table.

Each job's file is named by its rule's ``benchmark:`` pattern; the rule is found by matching the
file against the patterns read from the rules files (``workflow/rules/*.smk``).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

RULES_DIR = Path(__file__).resolve().parents[2] / "workflow" / "rules"
#: ``rule name:``, or a rule made in a loop (``rule:`` then ``name: f"de_fit_{_design}"``,
#: named after its fixed part: ``de_fit``)
RULE_RE = re.compile(
    r"^\s*rule\s+(\w+)\s*:|^\s*rule:\s*\n\s*name:\s*\n\s*f[\"'](\w+?)_\{\w+\}[\"']",
    re.MULTILINE,
)
BENCH_RE = re.compile(r"^\s+benchmark:\s*\n\s+f?[\"']([^\"']+)[\"']", re.MULTILINE)
#: Snakemake's columns -> ours (memory in MB as Snakemake reports it, i.e. MiB)
COLUMNS = {
    "s": "seconds",
    "cpu_time": "cpu_seconds",
    "max_rss": "max_rss_mb",
    "max_pss": "max_pss_mb",
}


def benchmark_patterns(rules_dir: str | Path = RULES_DIR) -> dict[str, str]:
    """Rule name -> its ``benchmark:`` path pattern, from the rules files."""
    out: dict[str, str] = {}
    for path in sorted(Path(rules_dir).glob("*.smk")):
        text = path.read_text()
        starts = [(m.start(), m.group(1) or m.group(2)) for m in RULE_RE.finditer(text)]
        for i, (start, rule) in enumerate(starts):
            end = starts[i + 1][0] if i + 1 < len(starts) else len(text)
            found = BENCH_RE.search(text, start, end)
            if found:  # a loop variable such as {_design} is the wildcard {design}
                out[rule] = re.sub(r"\{_(\w+)\}", r"{\1}", found.group(1))
    return out


def _pattern_regex(pattern: str) -> re.Pattern:
    parts = re.split(r"(\{\w+\})", pattern)
    body = "".join("(.+)" if p.startswith("{") and p.endswith("}") else re.escape(p) for p in parts)
    return re.compile(f"^{body}$")


def rule_of(job: str, patterns: dict[str, str]) -> str:
    """The rule whose benchmark pattern matches ``job`` (a path like ``benchmarks/de/fit_x.tsv``).

    Literal patterns win over patterns with wildcards; ``""`` when nothing matches.
    """
    ranked = sorted(patterns.items(), key=lambda kv: (kv[1].count("{"), -len(kv[1])))
    for rule, pattern in ranked:
        if _pattern_regex(pattern).match(job):
            return rule
    return ""


def _number(values: pd.Series) -> pd.Series:
    return pd.to_numeric(values, errors="coerce")  # "-" and "NA" (too short to measure): NaN


def read_benchmark(path: str | Path) -> dict[str, float]:
    """One benchmark file: mean seconds and CPU seconds, max memory over its repeats."""
    frame = pd.read_csv(path, sep="\t", dtype=str)
    if frame.empty or "s" not in frame.columns:
        raise ValueError(f"{path}: not a Snakemake benchmark file (no 's' column or no row)")
    out = {}
    for src, dst in COLUMNS.items():
        vals = _number(frame[src]) if src in frame.columns else pd.Series([np.nan])
        out[dst] = float(vals.max() if dst.startswith("max_") else vals.mean())
    return out


def collect_benchmarks(workdir: str | Path, patterns: dict[str, str] | None = None) -> pd.DataFrame:
    """Every job's benchmark under ``workdir/benchmarks``: job, rule, stage, seconds, memory.

    Sorted by stage order of the data path, then job.
    """
    workdir = Path(workdir)
    patterns = benchmark_patterns() if patterns is None else patterns
    rows = []
    for path in sorted((workdir / "benchmarks").rglob("*.tsv")):
        rel = path.relative_to(workdir).as_posix()
        rows.append(
            {
                "job": rel.removeprefix("benchmarks/").removesuffix(".tsv"),
                "rule": rule_of(rel, patterns),
                "stage": path.relative_to(workdir / "benchmarks").parts[0],
                **read_benchmark(path),
            }
        )
    cols = ["job", "rule", "stage", *COLUMNS.values()]
    table = pd.DataFrame(rows, columns=cols)
    order = {s: i for i, s in enumerate(["ingest", "qc", "de", "enrichment", "clinical", "report"])}
    table["_o"] = table["stage"].map(order).fillna(len(order))
    return table.sort_values(["_o", "job"]).drop(columns="_o").reset_index(drop=True)


def per_rule(jobs: pd.DataFrame) -> pd.DataFrame:
    """Jobs summed per rule: number of jobs, total and longest seconds, CPU seconds, max memory."""
    if jobs.empty:
        return pd.DataFrame(
            columns=["rule", "jobs", "seconds", "max_job_seconds", "cpu_seconds", "max_rss_mb"]
        )
    grouped = jobs.groupby("rule", sort=False)
    return grouped.agg(
        jobs=("job", "size"),
        seconds=("seconds", "sum"),
        max_job_seconds=("seconds", "max"),
        cpu_seconds=("cpu_seconds", "sum"),
        max_rss_mb=("max_rss_mb", "max"),
    ).reset_index()
