"""Patient data stay out of logs: after a run on a demo trial, no log, Snakemake log or benchmark
file (nor Snakemake's own output) holds a value of the clinical table.

Which values can be searched for. A log is full of ordinary numbers (timings, memory, counts,
percentages, dates), so a short clinical value such as ``7.6`` or ``58`` would be "found" by
chance. The test therefore first gives every non-integer clinical value (BMI, HbA1c, M-value,
C-peptide, ...) of the demo's table six significant digits, distinct across the table (a
relative change below 0.1 %, invisible to the analysis), and then searches for each value as the
table writes it and as code would print it (``str``, ``%.6g``, ``%.5g``, ``%.4g``, ``%.6f``,
``%.4f``, ``%.3f``, ``%.2f``, ``%.1f``), keeping only renderings with at least 4 significant
digits and matching them as whole numbers (not inside a longer number). A rendering with 4+
significant digits of a six-digit random value turns up in a log by chance with a probability
of about 1e-4 per number-like token of the same width; over the few thousand tokens of a demo
run's logs that is small, and a hit names file, line and variable so it can be judged. Integer
columns (age) and codes (sex) cannot be told apart from ordinary numbers and are not searched.

Snakemake's benchmark files are the exception: every cell is a measurement written with two
decimals (seconds, MiB, load), so a BMI of 36.12 turns up there by chance in about one run in
four. They are checked for their shape instead: Snakemake's measurement columns and numeric cells
only, so that no text, and so no clinical value, can be in them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from cli import snakemake_cli
from cohort import demo_config
from conftest import ROOT

KEYS = ("participant", "visit", "sample")
FORMATS = ("{:.6g}", "{:.5g}", "{:.4g}", "{:.6f}", "{:.4f}", "{:.3f}", "{:.2f}", "{:.1f}")
MIN_DIGITS = 4
LOG_PLACES = ("logs", ".snakemake/log", ".snakemake/slurm_logs", "benchmarks")
#: the columns of a Snakemake benchmark file (``benchmark:``), all measurements
BENCHMARK_COLUMNS = (
    "s",
    "h:m:s",
    "max_rss",
    "max_vms",
    "max_uss",
    "max_pss",
    "io_in",
    "io_out",
    "mean_load",
    "cpu_time",
)


@dataclass(frozen=True)
class Needle:
    """One rendering of one clinical value."""

    text: str
    column: str
    row: int


def significant_digits(text: str) -> int:
    """Significant digits of a number as written; padding zeros after the point do not count."""
    mantissa = text.lower().split("e")[0]
    if "." in mantissa:
        mantissa = mantissa.rstrip("0").rstrip(".")
    return len(re.sub(r"[^0-9]", "", mantissa).lstrip("0"))


def renderings(cell: str) -> set[str]:
    """The cell as written and as printed by common float formats, 4+ significant digits."""
    value = float(cell)
    out = {cell.strip(), str(value), repr(value)} | {f.format(value) for f in FORMATS}
    out |= {t.lstrip("-") for t in out}
    return {t for t in out if significant_digits(t) >= MIN_DIGITS}


def needles(clinical: Path) -> list[Needle]:
    """Every searchable rendering of every non-missing numeric clinical value."""
    table = pd.read_csv(clinical, sep=None, engine="python", dtype=str, keep_default_na=False)
    found = []
    for col in table.columns:
        if col in KEYS:
            continue
        for row, cell in enumerate(table[col]):
            try:
                float(cell)
            except ValueError:
                continue
            found += [Needle(t, col, row) for t in sorted(renderings(cell))]
    return found


def make_distinctive(clinical: Path, seed: int = 11) -> int:
    """Rewrite non-integer numeric clinical values with 6 distinct significant digits.

    Returns the number of values rewritten.
    """
    table = pd.read_csv(clinical, sep="\t", dtype=str, keep_default_na=False)
    rng = np.random.default_rng(seed)
    seen: set[str] = set()
    changed = 0
    for col in table.columns:
        if col in KEYS:
            continue
        values = pd.to_numeric(table[col].replace("", np.nan), errors="coerce")
        if values.notna().sum() == 0 or (values.dropna() == values.dropna().round()).all():
            continue  # text, or an integer column such as age
        for i, v in values.items():
            if pd.isna(v) or v == 0:
                continue
            while True:
                new = f"{v * (1 + rng.uniform(1e-4, 1e-3)):.6g}"
                if significant_digits(new) == 6 and new not in seen:
                    break
            seen.add(new)
            table.at[i, col] = new
            changed += 1
    table.to_csv(clinical, sep="\t", index=False, lineterminator="\n")
    return changed


def log_files(workdir: Path) -> list[Path]:
    return sorted(
        p
        for place in LOG_PLACES
        if (workdir / place).exists()
        for p in (workdir / place).rglob("*")
        if p.is_file()
    )


def scan(texts: dict[str, str], found: list[Needle]) -> list[str]:
    """Hits as 'file:line: column row N as TEXT' for every needle found as a whole number."""
    hits = []
    patterns = {n.text: re.compile(rf"(?<![0-9.]){re.escape(n.text)}(?![0-9])") for n in found}
    for name, text in texts.items():
        for lineno, line in enumerate(text.splitlines(), 1):
            for n in found:
                if n.text in line and patterns[n.text].search(line):
                    hits.append(f"{name}:{lineno}: {n.column} row {n.row + 2} as {n.text!r}")
    return hits


def benchmark_shape_problems(name: str, text: str) -> list[str]:
    """Why a benchmark file is not just Snakemake's measurements (empty list: it is)."""
    lines = text.splitlines()
    if not lines or tuple(lines[0].split("\t")) != BENCHMARK_COLUMNS:
        return [f"{name}: header is not Snakemake's benchmark columns"]
    problems = []
    for lineno, line in enumerate(lines[1:], 2):
        cells = line.split("\t")
        ok = len(cells) == len(BENCHMARK_COLUMNS) and all(
            re.fullmatch(r"-|NA|[0-9]+(\.[0-9]+)?|([0-9]+ days?, )?[0-9]+:[0-9]{2}:[0-9]{2}", c)
            for c in cells
        )
        if not ok:
            problems.append(f"{name}:{lineno}: not a row of measurements")
    return problems


def run_and_scan(tmp_path: Path, *targets: str) -> tuple[list[str], int]:
    """Run the demo with distinctive clinical values; return (hits, number of files scanned)."""
    config = demo_config(tmp_path / "in", seed=5, n_participants=12, n_genes=600)
    clinical = Path(yaml.safe_load(config.read_text())["inputs"]["clinical"])
    assert make_distinctive(clinical) > 100
    found = needles(clinical)
    work = tmp_path / "work"
    res = snakemake_cli(work, config, *targets, timeout=3600)
    assert res.returncode == 0, res.stderr[-4000:]
    files = log_files(work)
    texts = {str(p.relative_to(work)): p.read_text(errors="replace") for p in files}
    texts["<snakemake stdout>"] = res.stdout
    texts["<snakemake stderr>"] = res.stderr
    shape = [
        problem
        for name in [n for n in texts if n.startswith("benchmarks/")]
        for problem in benchmark_shape_problems(name, texts.pop(name))
    ]
    return shape + scan(texts, found), len(files)


def test_renderings_keep_only_distinctive_numbers():
    assert "27.5382" in renderings("27.5382") and "27.54" in renderings("27.5382")
    assert "27.5" not in renderings("27.5382")  # 3 digits: could be anything in a log
    assert renderings("58") == set() and renderings("7.6") == set()
    assert "0.3134" in renderings("0.313417") and "0.31" not in renderings("0.313417")


def test_scan_finds_a_planted_value_and_ignores_longer_numbers(tmp_path):
    clinical = tmp_path / "clinical.tsv"
    clinical.write_text("participant\tvisit\tbmi\thba1c\nP1\tbaseline\t27.5382\t7.01234\n")
    found = needles(clinical)
    log = {
        "a.log": "INFO fitted 600 genes in 27.5382 s\n",
        "b.log": "max_rss 127.53821 and 7.012345 and 7.01\n",
        "c.log": "participant P1 hba1c=7.0123\n",
    }
    hits = scan(log, found)
    assert hits == ["a.log:1: bmi row 2 as '27.5382'", "c.log:1: hba1c row 2 as '7.0123'"]


def test_benchmark_files_must_be_measurements_only():
    header = "\t".join(BENCHMARK_COLUMNS)
    good = f"{header}\n5.74\t0:00:05\t151.02\t298.89\t118.67\t127.10\t0.00\t0.32\t86.01\t5.44\n"
    assert benchmark_shape_problems("b.tsv", good) == []
    leaked = good.replace("86.01", "bmi=36.12")
    assert benchmark_shape_problems("b.tsv", leaked) == ["b.tsv:2: not a row of measurements"]
    extra = good.replace("cpu_time", "cpu_time\tnote")
    assert "header" in benchmark_shape_problems("b.tsv", extra)[0]


def test_make_distinctive_keeps_values_close_and_integers_as_they_are(tmp_path):
    clinical = tmp_path / "clinical.tsv"
    before = pd.DataFrame(
        {"participant": ["P1", "P2"], "age": [58, 61], "bmi": [27.5, ""], "sex": ["M", "F"]}
    )
    before.to_csv(clinical, sep="\t", index=False)
    assert make_distinctive(clinical) == 1
    after = pd.read_csv(clinical, sep="\t")
    assert after["age"].tolist() == [58, 61] and after["sex"].tolist() == ["M", "F"]
    assert after["bmi"].iloc[0] != 27.5 and abs(after["bmi"].iloc[0] / 27.5 - 1) < 1e-3
    assert np.isnan(after["bmi"].iloc[1])


def test_ingest_and_clinical_endpoint_logs_hold_no_clinical_value(tmp_path):
    """The rules that read the clinical table, on a small demo trial."""
    targets = ["results/adata/counts.h5ad"]
    if 'include: "workflow/rules/clinical.smk"' in (ROOT / "Snakefile").read_text():
        targets.append("results/clinical/endpoints.tsv")
    hits, n_files = run_and_scan(tmp_path, *targets)
    assert n_files >= 2 * len(targets)  # a log and a benchmark per rule at least
    assert not hits, "clinical values in logs:\n" + "\n".join(hits[:50])


@pytest.mark.slow
def test_no_log_of_a_whole_demo_run_holds_a_clinical_value(tmp_path):
    hits, n_files = run_and_scan(tmp_path)
    assert n_files > 20
    assert not hits, "clinical values in logs:\n" + "\n".join(hits[:50])
