"""Each rule's SLURM resources (``mem_mb``, ``runtime``) from the benchmark's measurements.

The measured table (``workflow/resources.tsv``, written by ``scripts/resources_from_benchmark.py``)
has one row per rule, DE engine and cohort size: the number of samples, the largest job's wall
seconds, CPU seconds and peak RSS (MiB) at that size. For a cohort of ``n`` samples a rule gets
the model's estimate at ``n`` (:func:`estimate_mb`, :func:`estimate_seconds`) plus a safety margin
(:func:`with_margin`), so that SLURM does not kill a job the benchmark saw succeed.
"""

from __future__ import annotations

import functools
import logging
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

log = logging.getLogger(__name__)

#: the shipped measured table
TABLE = Path(__file__).resolve().parents[1] / "resources.tsv"
#: columns of the table; ``genes`` and ``source`` are provenance, ``cpu_seconds`` shows threading
COLUMNS = [
    "rule",
    "engine",
    "samples",
    "genes",
    "jobs",
    "seconds",
    "cpu_seconds",
    "max_rss_mb",
    "source",
]
NUMERIC = ["samples", "genes", "jobs", "seconds", "cpu_seconds", "max_rss_mb"]
#: margin: memory x1.5 + 500 MB (rounded up to 100 MB), runtime x2 + 5 min (rounded up)
MEM_FACTOR, MEM_EXTRA_MB, MEM_STEP_MB = 1.5, 500, 100
TIME_FACTOR, TIME_EXTRA_MIN = 2.0, 5
#: a rule without a row in the table gets these (and a warning)
DEFAULT_MEM_MB, DEFAULT_RUNTIME_MIN = 4000, 60
#: with one measured size only, time is assumed to grow as n**2 beyond it (memory as n)
SINGLE_SIZE_TIME_EXPONENT = 2.0
#: timings below this are taken as this (short jobs round to 0; the power law needs logarithms)
MIN_SECONDS = 0.1


@dataclass(frozen=True)
class Resources:
    """What a rule asks the scheduler for: memory in MB (MiB, as SLURM's ``--mem``), minutes."""

    mem_mb: int
    runtime: int


def read_table(path: str | Path = TABLE) -> pd.DataFrame:
    """The measured table, checked: every column present, numbers numeric, sizes positive."""
    path = Path(path)
    table = pd.read_csv(path, sep="\t", dtype={"rule": str, "engine": str, "source": str})
    missing = [c for c in COLUMNS if c not in table.columns]
    if missing:
        raise ValueError(
            f"{path}: missing column(s) {missing}; expected {COLUMNS} "
            "(write it with scripts/resources_from_benchmark.py)"
        )
    for col in NUMERIC:
        values = pd.to_numeric(table[col], errors="coerce")
        bad = values.isna() & table[col].notna()
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise ValueError(
                f"{path}: row {row + 2}, column {col!r}: {table[col].iloc[row]!r} is not a "
                "number; fix or remove the row"
            )
        table[col] = values
    for col in ("rule", "samples"):
        if table[col].isna().any():
            row = int(np.flatnonzero(table[col].isna())[0])
            raise ValueError(f"{path}: row {row + 2}, column {col!r} is empty; fill it or drop it")
    if (table["samples"] <= 0).any():
        row = int(np.flatnonzero(table["samples"] <= 0)[0])
        raise ValueError(f"{path}: row {row + 2}, column 'samples' must be a positive count")
    table["engine"] = table["engine"].fillna("")
    return table


def _envelope(sizes, values) -> tuple[np.ndarray, np.ndarray]:
    """Measurements by size (the largest per size), made non-decreasing in the size."""
    frame = pd.DataFrame({"n": np.asarray(sizes, float), "y": np.asarray(values, float)})
    frame = frame.dropna().groupby("n")["y"].max().sort_index()
    if frame.empty:
        raise ValueError("no measurement to estimate from")
    return frame.index.to_numpy(), np.maximum.accumulate(frame.to_numpy())


def estimate_mb(sizes, values, n: float) -> float:
    """Peak memory at ``n`` samples from memory measured at ``sizes``.

    Model: the measurements made non-decreasing in the size; at or below the smallest size, the
    smallest size's value (never less); between sizes, linear interpolation; beyond the largest,
    the straight line through the two largest sizes (with one size only: proportional to n).
    """
    ns, ys = _envelope(sizes, values)
    if n <= ns[0]:
        return float(ys[0])
    if len(ns) == 1:
        return float(ys[0] * n / ns[0])
    if n <= ns[-1]:
        return float(np.interp(n, ns, ys))
    slope = (ys[-1] - ys[-2]) / (ns[-1] - ns[-2])
    return float(ys[-1] + slope * (n - ns[-1]))


def estimate_seconds(sizes, values, n: float) -> float:
    """Wall seconds at ``n`` samples from times measured at ``sizes``.

    Model: the measurements made non-decreasing in the size; at or below the smallest size, the
    smallest size's value (never less); between sizes, linear interpolation in log(n), log(t)
    (a power law between neighbours); beyond the largest, the power law t = a n^b through the two
    largest sizes (with one size only: b = 2, ``SINGLE_SIZE_TIME_EXPONENT``).
    """
    ns, ys = _envelope(sizes, values)
    ys = np.maximum(ys, MIN_SECONDS)
    if n <= ns[0]:
        return float(ys[0])
    if len(ns) == 1:
        return float(ys[0] * (n / ns[0]) ** SINGLE_SIZE_TIME_EXPONENT)
    if n <= ns[-1]:
        return float(np.exp(np.interp(np.log(n), np.log(ns), np.log(ys))))
    b = math.log(ys[-1] / ys[-2]) / math.log(ns[-1] / ns[-2])
    return float(ys[-1] * (n / ns[-1]) ** b)


def with_margin(mb: float, seconds: float) -> Resources:
    """The margin on estimates: memory x1.5 + 500 MB, runtime x2 + 5 min, both rounded up."""
    mem = math.ceil((mb * MEM_FACTOR + MEM_EXTRA_MB) / MEM_STEP_MB) * MEM_STEP_MB
    runtime = math.ceil(seconds * TIME_FACTOR / 60 + TIME_EXTRA_MIN)
    return Resources(mem_mb=int(mem), runtime=int(runtime))


def rule_rows(table: pd.DataFrame, rule: str, engine: str | None = None) -> pd.DataFrame:
    """The rule's rows measured with ``engine``; all of its rows if none was (or no engine)."""
    rows = table[table["rule"] == rule]
    if engine:
        same = rows[rows["engine"] == engine]
        if len(same):
            return same
    return rows


def rule_resources(
    rule: str, n_samples: int, engine: str | None = None, table: pd.DataFrame | None = None
) -> Resources:
    """``mem_mb`` and ``runtime`` of ``rule`` for a cohort of ``n_samples`` (estimate + margin).

    A rule with no usable row gets ``DEFAULT_MEM_MB``/``DEFAULT_RUNTIME_MIN`` and a warning.
    """
    table = _shipped_table() if table is None else table
    rows = rule_rows(table, rule, engine) if table is not None else pd.DataFrame()
    mem_rows = rows.dropna(subset=["max_rss_mb"]) if len(rows) else rows
    time_rows = rows.dropna(subset=["seconds"]) if len(rows) else rows
    if not len(mem_rows) or not len(time_rows):
        log.warning(
            "resources: rule %s has no measurement in %s; it asks for the defaults mem_mb=%d, "
            "runtime=%d min (add it: scripts/resources_from_benchmark.py, docs/running.md)",
            rule,
            "workflow/resources.tsv",
            DEFAULT_MEM_MB,
            DEFAULT_RUNTIME_MIN,
        )
        return Resources(mem_mb=DEFAULT_MEM_MB, runtime=DEFAULT_RUNTIME_MIN)
    mb = estimate_mb(mem_rows["samples"], mem_rows["max_rss_mb"], n_samples)
    seconds = estimate_seconds(time_rows["samples"], time_rows["seconds"], n_samples)
    return with_margin(mb, seconds)


@functools.cache
def _shipped_table() -> pd.DataFrame | None:
    if not TABLE.exists():
        log.warning("resources: %s is missing; every rule asks for the defaults", TABLE)
        return None
    return read_table(TABLE)


class CohortResources:
    """Resources of every rule for one cohort, each rule estimated (and warned about) once."""

    def __init__(self, n_samples: int, engine: str | None = None) -> None:
        self.n_samples = int(n_samples)
        self.engine = engine
        self._rules: dict[str, Resources] = {}

    def of(self, rule: str) -> Resources:
        """The rule's resources."""
        if rule not in self._rules:
            self._rules[rule] = rule_resources(rule, self.n_samples, self.engine)
        return self._rules[rule]

    def mem_mb(self, rule: str) -> int:
        """The rule's ``mem_mb``."""
        return self.of(rule).mem_mb

    def runtime(self, rule: str) -> int:
        """The rule's ``runtime`` in minutes."""
        return self.of(rule).runtime


@functools.cache
def cohort_resources(n_samples: int, engine: str | None = None) -> CohortResources:
    """The (shared) :class:`CohortResources` of a cohort: what the rules files call."""
    return CohortResources(n_samples, engine)
