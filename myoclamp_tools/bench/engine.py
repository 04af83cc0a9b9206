"""Time and peak memory of one design's DE fit and shrinkage, per engine, each in its own process.

The child (:func:`measure_engine`, run by ``scripts/benchmark_engine.py --child``) fits a saved
:class:`~myoclamp_tools.bench.engine_designs.BenchDesign` with ``myoclamp.de.fit.fit_design`` (BLAS
single-threaded, as the workflow) and pydeseq2's ``DefaultInference`` or the block engine's
``BlockInference``, then reads the first contrast with ``myoclamp.de.contrasts.contrast_results``
twice: without shrinkage (``results s``: Wald test, Cook's and independent filtering) and with
it; ``shrink s`` is the difference. Its peak RSS comes from ``getrusage``: its own, and the
largest of its reaped children (pydeseq2's joblib workers). pydeseq2 on a random sample of genes
has its times extrapolated linearly in genes (``extrapolated``).

The parent (:func:`run_child`, :func:`run_r`) runs each child and R DESeq2
(``myoclamp_tools/r/deseq2.R`` on ``rcompare.write_r_inputs``' files) under ``run_measured``
within a
time budget, with the load average before and after.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time
from pathlib import Path

import anndata as ad
import numpy as np
import pandas as pd
from pydeseq2.default_inference import DefaultInference

from myoclamp.de.engine import BlockInference
from myoclamp.de.fit import Fit, fit_design
from myoclamp.de.stats import contrast_results
from myoclamp.io import atomic_path
from myoclamp_tools.bench.engine_designs import BenchDesign, gene_sample, load_design
from myoclamp_tools.bench.measure import run_measured
from myoclamp_tools.bench.rdeseq2 import parse_r_timing
from myoclamp_tools.rcompare import r_command, write_r_inputs

ENGINES = ("pydeseq2", "blocks")
#: engine name of the blocks fit on pydeseq2's gene sample (same genes, for agreement)
BLOCKS_ON_SAMPLE = "blocks_sample"


def _mib(kib: float) -> int:
    return int(round(kib / 1024))


def stop_workers() -> None:
    """Shut joblib's loky workers down, if any, and reap them (so getrusage counts them)."""
    from joblib.externals.loky import reusable_executor

    executor = getattr(reusable_executor, "_executor", None)
    if executor is not None:
        executor.shutdown(wait=True)


def write_results(table: pd.DataFrame, path: str | Path) -> None:
    """A contrast's results (index = gene) as TSV with 10 significant digits, atomically."""
    with atomic_path(path) as tmp:
        table.rename_axis("gene_id").reset_index().to_csv(
            tmp, sep="\t", index=False, float_format="%.10g", na_rep="NA"
        )


def read_results(path: str | Path) -> pd.DataFrame:
    """Results written by :func:`write_results` or ``myoclamp_tools/r/deseq2.R`` (index = gene)."""
    table = pd.read_csv(
        path, sep="\t", dtype={"gene_id": str}, keep_default_na=False, na_values=["NA"]
    )
    return table.set_index("gene_id")


def extrapolate(seconds: float | None, fitted: int, total: int) -> float | None:
    """Time on ``fitted`` genes scaled linearly to ``total`` genes."""
    if seconds is None:
        return None
    return seconds * total / fitted if fitted else None


def run_plan(
    n_samples: int,
    n_genes: int,
    engines: list[str],
    *,
    large_samples: int = 500,
    genes_large: int = 60,
    genes_small: int = 0,
) -> list[tuple[str, int]]:
    """(engine, genes; 0 = all) in run order for a design of ``n_samples`` x ``n_genes``.

    pydeseq2 fits ``genes_large`` sampled genes on designs with more than ``large_samples``
    samples, ``genes_small`` (0: all) on the others; when it fits a sample and the block engine
    runs too, the block engine also fits that sample (:data:`BLOCKS_ON_SAMPLE`). R runs last.
    """
    py_genes = genes_large if n_samples > large_samples else genes_small
    py_genes = py_genes if 0 < py_genes < n_genes else 0
    steps = []
    if "blocks" in engines:
        steps.append(("blocks", 0))
    if "pydeseq2" in engines:
        steps.append(("pydeseq2", py_genes))
        if py_genes and "blocks" in engines:
            steps.append((BLOCKS_ON_SAMPLE, py_genes))
    if "R" in engines:
        steps.append(("R", 0))
    return steps


def first_contrast_table(dds, design: BenchDesign, shrink: bool, n_cpus: int) -> pd.DataFrame:
    """``contrast_results`` of the design's first contrast with the design's DE settings."""
    s = design.settings
    return contrast_results(
        dds,
        design.vector,
        alpha=s["alpha"],
        cooks_filter=s["cooks_filter"],
        independent_filter=s["independent_filter"],
        shrink=shrink,
        n_cpus=n_cpus,
    )


def measure_engine(
    design: BenchDesign,
    engine: str,
    n_genes: int | None,
    n_cpus: int,
    batch_size: int,
    results_path: str | Path,
) -> dict:
    """Fit ``design`` with ``engine`` in this process (on ``n_genes`` sampled genes if given),
    time the first contrast's results and shrinkage, write the shrunk results table."""
    if engine not in (*ENGINES, BLOCKS_ON_SAMPLE):
        raise ValueError(f"engine must be one of {ENGINES}, got {engine!r}")
    total = design.counts.shape[1]
    counts = design.counts.iloc[:, gene_sample(total, n_genes)]
    if engine == "pydeseq2":
        inference = DefaultInference(n_cpus=n_cpus)
    else:
        inference = BlockInference(n_cpus=n_cpus, batch_size=batch_size)
    settings = design.settings
    start = time.perf_counter()
    fit: Fit = fit_design(
        design.design, counts, settings=settings, n_cpus=n_cpus, inference=inference
    )
    fit_wall = time.perf_counter() - start
    if fit.dds is None:
        raise RuntimeError(f"design {design.name}: not fitted ({fit.reason})")
    timings = {}
    for shrink in (False, True):
        start = time.perf_counter()
        table = first_contrast_table(fit.dds, design, shrink, n_cpus)
        timings[shrink] = time.perf_counter() - start
    write_results(table, results_path)
    if engine == "pydeseq2":
        stop_workers()
    fitted = int(fit.dds.n_vars)
    algebra = (
        inference.system(design.design.matrix.to_numpy()).kind
        if isinstance(inference, BlockInference)
        else "dense"
    )
    return {
        "design": design.name,
        "engine": engine,
        "genes_total": int(total),
        "genes_fitted": fitted,
        "extrapolated": fitted < total,
        "algebra": algebra,
        "fit_seconds": round(fit.seconds, 3),
        "fit_wall_seconds": round(fit_wall, 3),
        "results_seconds": round(timings[False], 3),
        "shrink_seconds": round(max(timings[True] - timings[False], 0.0), 3),
        "peak_rss_mib": _mib(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss),
        "workers_peak_rss_mib": _mib(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss),
        "irls_fallback": int(getattr(inference, "stats", {}).get("irls_fallback", 0)),
    }


def child_main(args: list[str]) -> None:
    """``--child DESIGN_PKL ENGINE GENES CPUS BATCH RESULTS``: print one JSON line."""
    import warnings

    pkl, engine, genes, cpus, batch, results = args
    warnings.simplefilter("ignore")
    row = measure_engine(
        load_design(pkl), engine, int(genes) or None, int(cpus), int(batch), results
    )
    print(json.dumps(row), flush=True)


def _measured_fields(run, budget: float | None) -> dict:
    return {
        "status": run.status,
        "budget_seconds": budget,
        "process_seconds": round(run.wall_seconds, 2),
        "time_v_peak_rss_mib": None if run.max_rss_mb is None else round(run.max_rss_mb),
        "tree_peak_rss_mib": round(run.tree_peak_rss_mb),
    }


def run_child(
    child_cmd: list[str],
    design: BenchDesign,
    pkl: Path,
    engine: str,
    n_genes: int,
    n_cpus: int,
    batch_size: int,
    workdir: Path,
    budget: float | None,
) -> dict:
    """Run one (design, engine) child within ``budget`` s; its JSON row plus what the parent saw."""
    label = engine if not n_genes else f"{engine}-{n_genes}"
    results = workdir / design.name / f"{label}.tsv"
    cmd = [*child_cmd, str(pkl), engine, str(n_genes), str(n_cpus), str(batch_size), str(results)]
    load_before = os.getloadavg()[0]
    run = run_measured(cmd, budget)
    row = {
        "design": design.name,
        "engine": engine,
        **design.size(),
        "genes_total": design.counts.shape[1],
        "genes_fitted": n_genes or design.counts.shape[1],
    }
    if run.status == "ok":
        lines = run.stdout.strip().splitlines()
        row.update(json.loads(lines[-1]))
        row["results_path"] = str(results)
    else:
        row["error"] = (run.stderr or "")[-1500:]
    row.update(_measured_fields(run, budget))
    row["load_before"] = round(load_before, 2)
    row["load_after"] = round(os.getloadavg()[0], 2)
    return row


def run_r(design: BenchDesign, workdir: Path, budget: float | None) -> dict:
    """R DESeq2 on the design's filtered counts, design matrix and first contrast."""
    stand_in = ad.AnnData(X=design.counts.to_numpy(np.int64))  # the counts fit_design sees
    stand_in.obs_names = design.counts.index.astype(str)
    stand_in.var_names = design.counts.columns.astype(str)
    fit = Fit(design.design, stand_in, design.genes_before_filter, 0)
    inputs = write_r_inputs(fit, design.contrast, workdir / design.name / "r")
    out = workdir / design.name / "r_results.tsv"
    load_before = os.getloadavg()[0]
    run = run_measured(r_command(inputs, out), budget)
    row = {
        "design": design.name,
        "engine": "R",
        **design.size(),
        "genes_total": design.counts.shape[1],
        "genes_fitted": design.counts.shape[1],
        "extrapolated": False,
    }
    row.update(_measured_fields(run, budget))
    if run.status == "ok":
        timing = parse_r_timing(run.stdout)
        row["fit_seconds"] = timing.get("r_deseq_elapsed_seconds")
        row["r_cpu_seconds"] = timing.get("r_deseq_cpu_seconds")
        row["peak_rss_mib"] = row["time_v_peak_rss_mib"]
        row["results_path"] = str(out)
    elif run.status == "failed":
        row["error"] = (run.stderr or "")[-1500:]
    row["load_before"] = round(load_before, 2)
    row["load_after"] = round(os.getloadavg()[0], 2)
    return row


def child_command(script: str | Path) -> list[str]:
    """The command prefix that runs ``script --child`` with this interpreter."""
    return [sys.executable, str(script), "--child"]
