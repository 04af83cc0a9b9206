"""R DESeq2 on the designs a workflow run fitted: each design is fitted again from the run's
``results/adata/counts.h5ad`` and config (the workflow keeps no fit objects; the same code gives the
same fit), and R gets the same filtered counts, design matrix and first contrast (inputs written
by ``rcompare.write_r_inputs``),
timed under ``/usr/bin/time -v`` within a budget; optionally on a seeded sample of the genes, its
time then scaled linearly to all genes (R's per-gene fits dominate and do not depend on the other
genes; the scaled figure is marked as such)."""

from __future__ import annotations

import gc
import json
from pathlib import Path

import anndata as ad
import pandas as pd

from myoclamp.config import load_config
from myoclamp.de.pipeline import fit_from_adata
from myoclamp.de.specs import contrast_designs
from myoclamp_tools.bench.engine_designs import gene_sample
from myoclamp_tools.bench.measure import run_measured
from myoclamp_tools.rcompare import compare_results, r_command, write_r_inputs


def fit_facts(fit) -> dict:
    """Size and fit time of a fitted design (its first contrast is the one R runs)."""
    design = fit.design
    fitted = fit.dds is not None and bool(design.contrasts)
    return {
        "design": design.name,
        "contrast": next(iter(design.contrasts), "") if fitted else "",
        "samples": design.n_samples,
        "participants": int(design.metadata["participant"].nunique())
        if design.matrix is not None
        else 0,
        "coefficients": 0 if design.matrix is None else int(design.matrix.shape[1]),
        "genes": int(fit.dds.n_vars) if fitted else 0,
        "fit_seconds": round(float(fit.seconds), 2),
        "estimable": fitted,
    }


def parse_r_timing(stdout: str) -> dict[str, float]:
    """``elapsed_seconds`` and ``cpu_seconds`` lines printed by ``myoclamp_tools/r/deseq2.R``."""
    out = {}
    for line in stdout.splitlines():
        key, sep, value = line.partition("\t")
        if sep and key in ("elapsed_seconds", "cpu_seconds"):
            out[f"r_deseq_{key}"] = float(value)
    return out


def time_r_on_fits(
    rundir: str | Path,
    config: str | Path,
    workdir: str | Path,
    budget: float | None,
    genes: int | None = None,
) -> list[dict]:
    """For every design of the run in ``rundir`` (made with ``config``): its facts (the fit made
    again here, ``fit_seconds`` its time) and R DESeq2's cost on the same input.

    R's status is ``ok``, ``failed``, ``timeout`` (over ``budget`` seconds) or ``not estimable``.
    R refers the Wald statistic to the distribution the run used (``de.wald_distribution``).
    With ``genes``, R fits a seeded sample of that many of the fitted genes (``r_genes``) and
    ``r_seconds_all_genes`` is its ``DESeq()`` time scaled to all of them.
    """
    rows = []
    cfg = load_config(config)
    counts = ad.read_h5ad(Path(rundir) / "results" / "adata" / "counts.h5ad")
    for design in sorted(set(contrast_designs(cfg, counts.obs).values())):
        fit = fit_from_adata(counts, design, cfg, n_cpus=1)
        facts = fit_facts(fit)
        if not facts["estimable"]:
            rows.append({**facts, "r_status": "not estimable"})
            continue
        pick = gene_sample(facts["genes"], genes)
        inputs = write_r_inputs(fit, facts["contrast"], Path(workdir) / facts["design"], pick)
        del fit
        gc.collect()
        out = Path(workdir) / facts["design"] / "r_results.tsv"
        use_t = wald_distribution(rundir, facts["contrast"]) == "t"
        run = run_measured(r_command(inputs, out, use_t), budget)
        row = {
            **facts,
            "r_status": run.status,
            "r_process_seconds": round(run.wall_seconds, 2),
            "r_max_rss_mb": None if run.max_rss_mb is None else round(run.max_rss_mb),
            "r_genes": len(pick),
        }
        if run.status == "ok":
            row.update(parse_r_timing(run.stdout))
            row["r_seconds_all_genes"] = round(
                row["r_deseq_elapsed_seconds"] * facts["genes"] / len(pick), 2
            )
            row.update(agreement(Path(rundir) / "results" / "de" / f"{facts['contrast']}.tsv", out))
        elif run.status == "failed":
            row["r_error"] = run.stderr[-500:]
        rows.append(row)
    return rows


def wald_distribution(rundir: str | Path, contrast: str) -> str:
    """The Wald reference the run used for ``contrast`` (its meta JSON; older runs: normal)."""
    meta = Path(rundir) / "results" / "de" / "meta" / f"{contrast}.json"
    return json.loads(meta.read_text()).get("wald_distribution", "normal")


def agreement(py_table: Path, r_table: Path) -> dict[str, float]:
    """Spearman of the Wald statistics and Jaccard of the padj < 0.05 sets, workflow vs R."""
    if not py_table.exists():
        return {}
    py = pd.read_csv(py_table, sep="\t", dtype={"gene_id": str})
    r = pd.read_csv(r_table, sep="\t", index_col="gene_id")
    r.index = r.index.astype(str)
    got = compare_results(py, r)
    return {"spearman_stat": got["spearman_stat"], "jaccard_padj05": got["jaccard_sig"]}
