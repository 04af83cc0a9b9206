"""Time the startup validation (``myoclamp.ingest.validate``) on a cohort's inputs.

Three paths of ``startup_check``: the main process with the count table's content (first run, or
after an input changed; the per-process caches of the gene map and schemas cleared, as in a new
Snakemake process), the main process when the fingerprint is unchanged (sheets re-checked,
content not read), and a job that re-parses the Snakefile (e.g. on SLURM: sheets and header
only). Each is timed ``repeats`` times in this process (the package imports are not counted);
peak memory of the content check is traced with ``tracemalloc`` on a separate run.
"""

from __future__ import annotations

import copy
import logging
import tempfile
import time
import tracemalloc
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import yaml

from myoclamp.ingest.dates import alias_table
from myoclamp.ingest.genes import _read_gene_map
from myoclamp.ingest.sheets import _validator
from myoclamp.ingest.validate import check_all, fingerprint, startup_check

ROOT = Path(__file__).resolve().parents[2]


def cohort_config(folder: str | Path | None = None) -> dict:
    """The bundled config, with its inputs pointed at a demo-format folder (None: the demo)."""
    config = yaml.safe_load((ROOT / "config.yaml").read_text())
    if folder is None:
        for key in ("counts", "samples", "clinical"):
            config["inputs"][key] = str(ROOT / config["inputs"][key])
        return config
    folder = Path(folder)
    config["inputs"].update(
        counts=str(folder / "counts.tsv.gz"),
        samples=str(folder / "samples.tsv"),
        clinical=str(folder / "clinical.tsv"),
    )
    return config


def _timed(fn, repeats: int) -> list[float]:
    out = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return out


def time_validation(config: dict, repeats: int = 3) -> pd.DataFrame:
    """One row per path: seconds (median, min, max of ``repeats``), and what it reads."""
    quiet = lambda level, message: None  # noqa: E731
    main = SimpleNamespace(is_main_process=True, configfiles=["config.yaml"])
    job = SimpleNamespace(is_main_process=False, configfiles=["config.yaml"])
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        cache = Path(tmp) / "validated.json"

        def first() -> None:  # as a new Snakemake process: nothing read before
            cache.unlink(missing_ok=True)
            for cached in (_read_gene_map, alias_table, _validator):
                cached.cache_clear()
            startup_check(copy.deepcopy(config), main, cache, quiet)

        rows.append(("main process, content read (first run)", _timed(first, repeats)))
        rows.append(
            (
                "main process, inputs unchanged (fingerprint hit)",
                _timed(lambda: startup_check(copy.deepcopy(config), main, cache, quiet), repeats),
            )
        )
        rows.append(
            (
                "job re-parsing the Snakefile (sheets and header)",
                _timed(lambda: startup_check(copy.deepcopy(config), job, cache, quiet), repeats),
            )
        )
    rows.append(
        ("of which: fingerprint (sha256 of inputs)", _timed(lambda: fingerprint(config), repeats))
    )
    table = pd.DataFrame(
        [
            {"path": name, "median_s": pd.Series(t).median(), "min_s": min(t), "max_s": max(t)}
            for name, t in rows
        ]
    )
    logging.getLogger("myoclamp").addHandler(logging.NullHandler())  # notes are not timed
    tracemalloc.start()
    check_all(copy.deepcopy(config), content=True)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    table.attrs["content_peak_mib"] = peak / 2**20
    return table
