"""One validation pass over every input before any job starts.

``validate_inputs(config)`` checks the config against its schema, the sample sheet and clinical
table (each file's integrity, every row, the join of the two), the count table's header and
content (cells, gene keys, libraries), the exclusions, and the settings that name levels or genes
of the inputs (configured contrasts, the control genes of ``de.unwanted``), and raises every
problem found as one :class:`~myoclamp.errors.InputErrors`; it returns the checked sample table.
The Snakefile calls :func:`startup_check`, which prints a refusal once, without a traceback, and
exits non-zero before Snakemake schedules any job. Reading the count table is the costly part:
it is done in the main Snakemake process only (jobs that re-parse the Snakefile, e.g. on SLURM,
check the sheets and the header), and not again while the inputs, the settings and this code are
unchanged (a fingerprint of them is kept in ``.snakemake/myoclamp/validated.json``).
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import json
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from myoclamp.config import problems, validated
from myoclamp.de.settings import de_settings
from myoclamp.de.specs import contrast_designs
from myoclamp.de.unwanted import control_gene_keys
from myoclamp.errors import InputError, Problems
from myoclamp.ingest.build import counted_samples, read_checked_counts
from myoclamp.ingest.sheets import check_exclusions, load_sheets

log = logging.getLogger(__name__)

#: config sections the inputs' checks read (with the input files, they make the fingerprint)
SECTIONS = ("inputs", "columns", "levels", "exclude", "clinical", "de")
#: where the fingerprint of the last complete validation is kept (relative to the workdir)
CACHE = Path(".snakemake") / "myoclamp" / "validated.json"
PACKAGE = Path(__file__).resolve().parents[1]
CODE = [
    *sorted((PACKAGE / "ingest").glob("*.py")),
    PACKAGE / "errors.py",
    PACKAGE / "config.py",
    *(PACKAGE / "de" / name for name in ("specs.py", "settings.py", "unwanted.py")),
    *sorted((PACKAGE.parent / "schemas").glob("*.yaml")),
]


@dataclass
class Checked:
    """The checked sample sheet (with ``excluded``) and what the checks report beside errors."""

    samples: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    content_notes: list[str] = field(default_factory=list)


def config_problems(config: dict, configfile: str = "config") -> list[InputError]:
    """Every place where ``config`` breaks its schema, each with the key path and the fix."""
    return problems(copy.deepcopy(config), file=configfile)


def check_all(config: dict, content: bool = True) -> Checked:
    """Check every input (the count table's content only with ``content``); raise every problem
    found as one error, else return the checked sheet and the notes."""
    problems = Problems()
    sheets = problems.run(load_sheets, config)
    samples = sheets.samples if sheets is not None else None
    counted = problems.run(counted_samples, config, samples)
    excluded = {e["sample"] for e in config.get("exclude", [])}
    if samples is not None and counted is not None:
        problems.run(check_exclusions, config, samples, counted)
    designs = problems.run(contrast_designs, config, samples) if samples is not None else None
    content_notes: list[str] = []
    if content and counted is not None:
        checked = problems.run(read_checked_counts, config, samples, excluded)
        content_notes = checked.notes if checked is not None else []
        if checked is not None:
            de = de_settings(config)
            fitted = (
                set(designs.values())
                if designs is not None
                else {*de["designs"], *(c["name"] for c in de["contrasts"])}
            )
            problems.run(check_control_genes, config, fitted, checked.var)
    problems.raise_any()
    table = samples.copy()
    table["excluded"] = table.index.isin(excluded)
    return Checked(table, list(sheets.notes), content_notes)


def check_control_genes(config: dict, designs: set[str], var: pd.DataFrame) -> None:
    """A design that gets unwanted-variation factors (``de.unwanted``) needs some of the control
    genes among the counts' genes: checked here, not in the DE job."""
    de = de_settings(config)
    for design in sorted(designs):
        if control_gene_keys(var, de, design):
            return


def validate_inputs(config: dict, content: bool = True) -> pd.DataFrame:
    """Validate the config and every input; return the checked sample table (``excluded``
    column added). Raises one :class:`~myoclamp.errors.InputErrors` naming every problem."""
    problems = Problems()
    for err in config_problems(config):
        problems.add(err)
    problems.raise_any()
    validated(config)
    checked = check_all(config, content)
    for note in [*checked.notes, *checked.content_notes]:
        log.warning(note)
    return checked.samples


def refusal(err: InputError) -> str:
    """The message that stops a run: every problem once, numbered when there are several."""
    found = err.errors
    head = "myoclamp refused the inputs; no job was run."
    if len(found) == 1:
        return f"{head}\n\n{found[0]}\n"
    body = "\n\n".join(
        f"{i}. " + str(e).replace("\n  fix:", "\n   fix:") for i, e in enumerate(found, start=1)
    )
    return f"{head} {len(found)} problems:\n\n{body}\n"


def fingerprint(config: dict) -> str:
    """sha256 of this code, the settings the checks read and the input files' bytes."""
    h = hashlib.sha256()
    for path in CODE:
        h.update(path.read_bytes())
    h.update(json.dumps({k: config.get(k) for k in SECTIONS}, sort_keys=True).encode())
    for key in ("counts", "samples", "clinical"):
        path = config["inputs"].get(key)
        if path:
            h.update(key.encode())
            try:
                with open(path, "rb") as fh:
                    for block in iter(lambda: fh.read(1 << 20), b""):
                        h.update(block)
            except OSError:  # reported by the checks
                h.update(b"unreadable")
    return h.hexdigest()


def cached_notes(cache: Path, key: str) -> list[str] | None:
    """The content notes of the validation recorded under ``key``, None if there is none."""
    try:
        record = json.loads(cache.read_text())
    except (OSError, ValueError):
        return None
    return record.get("notes") if record.get("fingerprint") == key else None


def remember(cache: Path, key: str, notes: list[str]) -> None:
    with contextlib.suppress(OSError):
        cache.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache.with_suffix(".tmp")
        tmp.write_text(json.dumps({"fingerprint": key, "notes": notes}, indent=1) + "\n")
        tmp.replace(cache)


@contextlib.contextmanager
def _no_stray_log_output() -> Iterator[None]:
    """Keep the package's log records from Python's last-resort stderr handler while Snakemake
    parses (the notes are printed once, through Snakemake's logger)."""
    logger = logging.getLogger("myoclamp")
    handler = logging.NullHandler()
    logger.addHandler(handler)
    try:
        yield
    finally:
        logger.removeHandler(handler)


def snakemake_emit(level: str, message: str) -> None:
    """Print through Snakemake's logger (its terminal output and its log file)."""
    from snakemake.logging import logger

    getattr(logger, level)(message)


def startup_check(
    config: dict, workflow, cache: Path = CACHE, emit: Callable[[str, str], None] = snakemake_emit
) -> pd.DataFrame:
    """The Snakefile's check: validate everything (the count table's content in the main
    process, unless unchanged since the last validation), print the notes once; on bad input
    print the refusal once and exit with status 1 before any job. Returns the checked sheet.

    ``emit(level, message)`` prints ('error' or 'warning'); Snakemake's logger by default.
    """
    configfiles = [str(p) for p in getattr(workflow, "configfiles", [])]
    main = bool(getattr(workflow, "is_main_process", True))
    try:
        with _no_stray_log_output():
            problems = Problems()
            for err in config_problems(config, configfiles[-1] if configfiles else "config"):
                problems.add(err)
            problems.raise_any()
            validated(config)
            key = fingerprint(config) if main else ""
            notes = cached_notes(cache, key) if main else []
            checked = check_all(config, content=main and notes is None)
            if main and notes is None:
                notes = checked.content_notes
                remember(cache, key, notes)
    except InputError as err:
        emit("error", refusal(err))
        raise SystemExit(1) from None
    if main:
        for note in [*checked.notes, *(notes or [])]:
            emit("warning", f"myoclamp: {note}")
    return checked.samples
