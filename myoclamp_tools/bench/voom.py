"""Time and memory of the voom engine's fits beside the DESeq2 engine's, on one cohort.

The parent (``scripts/benchmark_voom.py``) resamples the demo to a cohort of ``n`` samples
(:mod:`myoclamp_tools.bench.resample`), ingests it in memory as the ``ingest`` rule does and saves
the counts AnnData; each (engine, design) then runs in its own process (:func:`child_main`) under
``run_measured`` (wall time, ``time -v`` peak RSS): the design built from ``obs``, the count
filter, the fit, and every contrast's table (the DESeq2 engine without shrinkage, as the voom
engine has none). ``fit_seconds`` is the fit alone, ``total_seconds`` fit plus tables, both
measured inside the child with ``perf_counter``; ``cpu_seconds`` is the child's CPU time.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time
import warnings
from pathlib import Path

import anndata as ad

from myoclamp.de.specs import contrast_designs
from myoclamp_tools.bench.measure import run_measured

ENGINES = ("voom", "deseq2")


def child_main(args: list[str]) -> None:
    """``--child ENGINE DESIGN H5AD CONFIG_JSON CPUS``: print one JSON line."""
    engine, design, h5ad, config_json, cpus = args
    warnings.simplefilter("ignore")
    config = json.loads(Path(config_json).read_text())
    adata = ad.read_h5ad(h5ad)
    contrasts = [c for c, d in contrast_designs(config, adata.obs).items() if d == design]
    cpu0, t0 = time.process_time(), time.perf_counter()
    if engine == "voom":
        from threadpoolctl import threadpool_limits

        from myoclamp.de.voom_engine import fit_mixed_design, voom_table

        with threadpool_limits(limits=int(cpus)):  # the de_voom rules' threads (1)
            built, fit = fit_mixed_design(adata, design, config)
            fit_seconds = time.perf_counter() - t0
            for name in contrasts:
                voom_table(built, fit, name, adata.var)
        extra = {
            "samples": built.n_samples,
            "participants": built.n_participants,
            "participants_one_biopsy": built.n_single,
            "coefficients": int(built.matrix.shape[1]),
            "genes": len(fit.genes),
            "correlation": round(fit.correlation, 4),
        }
    else:
        from myoclamp.de.pipeline import contrast_table, fit_from_adata

        fit = fit_from_adata(adata, design, config, n_cpus=int(cpus))
        fit_seconds = time.perf_counter() - t0
        for name in contrasts:
            contrast_table(fit, name, config, n_cpus=int(cpus))
        extra = {
            "samples": fit.design.n_samples,
            "participants": fit.design.n_participants,
            "participants_one_biopsy": 0,
            "coefficients": int(fit.design.matrix.shape[1]),
            "genes": int(fit.dds.n_vars),
        }
    row = {
        "engine": engine,
        "design": design,
        "contrasts": len(contrasts),
        "fit_seconds": round(fit_seconds, 2),
        "total_seconds": round(time.perf_counter() - t0, 2),
        "cpu_seconds": round(time.process_time() - cpu0, 2),
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    } | extra
    print(json.dumps(row), flush=True)


def run_child(
    script: str | Path,
    engine: str,
    design: str,
    h5ad: Path,
    config_json: Path,
    cpus: int,
    budget: float,
) -> dict:
    """One measured child; its row with the parent's wall time, status and load averages."""
    load_before = os.getloadavg()[0]
    cmd = [sys.executable, str(script), "--child", engine, design, str(h5ad), str(config_json)]
    run = run_measured([*cmd, str(cpus)], budget)
    row = {"engine": engine, "design": design, "status": run.status}
    if run.status == "ok":
        row |= json.loads(run.stdout.strip().splitlines()[-1])
    else:
        row["error"] = (run.stderr or "")[-1500:]
    row["process_seconds"] = round(run.wall_seconds, 1)
    row["load_before"] = round(load_before, 2)
    row["load_after"] = round(os.getloadavg()[0], 2)
    return row
