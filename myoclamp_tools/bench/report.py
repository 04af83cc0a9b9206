"""Benchmark results as markdown: tables, the machine, and a named section of a markdown file."""

from __future__ import annotations

import math
import re
from pathlib import Path

import pandas as pd

from myoclamp.io import atomic_path


def cell(value, budget: float | None = None) -> str:
    """A table cell: numbers rounded for reading, missing values as ``-``."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if abs(value) >= 100:
            return f"{value:,.0f}"
        return f"{value:.3g}" if abs(value) < 10 else f"{value:.1f}"
    if isinstance(value, int):
        return f"{value:,}" if abs(value) >= 10000 else str(value)
    return str(value).replace("|", "\\|").replace("\n", " ")


def markdown_table(frame: pd.DataFrame) -> str:
    """A pipe table with one header row."""
    cols = list(frame.columns)
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for row in frame.itertuples(index=False):
        lines.append("| " + " | ".join(cell(v) for v in row) + " |")
    return "\n".join(lines)


def seconds_or_budget(seconds: float | None, status: str, budget: float | None) -> str:
    """Wall time of a run, or ``> budget`` (``> 7200 s``) when it was stopped over budget."""
    if status == "timeout":
        return f"> {budget:.0f} s (stopped)" if budget else "> budget"
    if status == "failed":
        return "failed"
    return cell(seconds)


def section_markers(name: str) -> tuple[str, str]:
    return f"<!-- benchmark:{name}:start -->", f"<!-- benchmark:{name}:end -->"


def replace_section(text: str, name: str, body: str) -> str:
    """``text`` with section ``name`` (between its markers) replaced by ``body``, or appended."""
    start, end = section_markers(name)
    block = f"{start}\n{body.rstrip()}\n{end}"
    pattern = re.compile(re.escape(start) + r".*?" + re.escape(end), re.DOTALL)
    if pattern.search(text):
        return pattern.sub(lambda _: block, text, count=1)
    return (text.rstrip() + "\n\n" if text.strip() else "") + block + "\n"


def write_section(path: str | Path, name: str, body: str) -> None:
    """Replace (or append) section ``name`` of the markdown file ``path``, atomically."""
    path = Path(path)
    text = path.read_text() if path.exists() else ""
    with atomic_path(path) as tmp:
        tmp.write_text(replace_section(text, name, body))
