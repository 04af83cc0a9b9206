"""Benchmark the whole workflow on the demo cohort and on cohorts resampled from it.

For each cohort (``--sizes``: ``demo`` and sample counts, e.g. ``demo,140,280,560,1000``) this
runs the real workflow end to end (``snakemake --cores N``, a fresh working directory), under
``/usr/bin/time -v`` and within a time budget (``--budget`` seconds; a run over budget is stopped
and reported as ``> budget``). It collects every job's time and peak memory from Snakemake's
``benchmarks/**/*.tsv``, the whole run's peak memory two ways (the largest single process, from
``time -v``; the summed RSS of the process tree, sampled every 0.5 s), the size of
``results/myoclamp.h5ad`` and the time of the job that writes it (``report_h5ad``). Then it runs
R DESeq2 (``scripts/install_r.sh``) on every design the run fitted: the same filtered
counts, design matrix and contrast as the pydeseq2 fit, each under ``time -v`` within
``--r-budget`` seconds (with ``--r-genes N``, on a seeded sample of N genes, its time scaled to
all genes and shown as ``~``). Tables are printed as markdown and written, with the machine and the
exact command, as a section of ``--out`` (replaced if present, else appended). Resampled cohorts:
``myoclamp_tools.bench.resample``.

    .venv/bin/python scripts/benchmark.py                                  # full benchmark
    .venv/bin/python scripts/benchmark.py --sizes demo,140 --budget 1800
    .venv/bin/python scripts/benchmark.py --demo-participants 12 --demo-genes 800 --lean \\
        --sizes demo,40 --out /tmp/bench.md                                # a quick try
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import yaml

ROOT = Path(__file__).resolve().parents[1]

from myoclamp_tools.bench.collect import collect_benchmarks, per_rule  # noqa: E402
from myoclamp_tools.bench.measure import machine, run_measured  # noqa: E402
from myoclamp_tools.bench.rdeseq2 import time_r_on_fits  # noqa: E402
from myoclamp_tools.bench.report import cell, markdown_table, seconds_or_budget, write_section  # noqa: E402
from myoclamp_tools.bench.resample import read_cohort, resample_folder  # noqa: E402

SNAKEMAKE = ROOT / ".venv" / "bin" / "snakemake"
SCHEMA = ROOT / "workflow" / "schemas" / "config.schema.yaml"
#: a fast configuration for trying the script (as tests/cohort.py LEAN): two designs, no
#: shrinkage, one small gene-set collection, fewer permutations
LEAN = {
    "de": {"designs": ["treatment", "insulin"], "shrink": False},
    "enrichment": {"collections": ["muscle"], "permutations": 200},
    "clinical": {"covariates": ["sex"]},
}


def schema_engines() -> list[str] | None:
    """The values of ``de.solver`` in the config schema (the DESeq2 engine's solver, issue 10;
    ``de.engine`` until issue 18); None if absent."""
    schema = yaml.safe_load(SCHEMA.read_text())
    engine = schema["properties"]["de"].get("properties", {}).get("solver")
    return None if engine is None else list(engine.get("enum", ["pydeseq2", "blocks"]))


def resolve_engines(choice: str) -> list[str | None]:
    """Solvers to run: ``config`` is the bundled config's ``de.solver`` (what the workflow ships).

    ``[None]`` when the config has no engine choice (then only pydeseq2 exists).
    """
    known = schema_engines()
    if known is None:
        if choice not in ("config", "pydeseq2"):
            sys.exit(f"--engine {choice}: {SCHEMA} has no de.solver; use pydeseq2")
        return [None]
    if choice == "config":
        bundled = yaml.safe_load((ROOT / "config.yaml").read_text()).get("de", {})
        return [bundled.get("solver", known[0])]
    engines = ["pydeseq2", "blocks"] if choice == "both" else [choice]
    unknown = [e for e in engines if e not in known]
    if unknown:
        sys.exit(f"--engine: {unknown} not among the schema's de.solver values {known}")
    return engines


def cohort_config(inputs: dict, lean: bool, engine: str | None, path: Path) -> Path:
    """The bundled config pointed at ``inputs`` (absolute paths), lean and engine applied."""
    config = yaml.safe_load((ROOT / "config.yaml").read_text())
    for key in ("counts", "samples", "clinical"):
        config["inputs"][key] = str(Path(inputs[key]).resolve())
    for section, values in (LEAN if lean else {}).items():
        config.setdefault(section, {}).update(values)
    if engine is not None:
        config["de"]["solver"] = engine
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def base_cohort(args, workdir: Path) -> Path:
    """The demo cohort folder resampled from: ``--base``, or a generated small demo."""
    if not args.demo_participants:
        return Path(args.base).resolve()
    from myoclamp_tools.demo import generate

    out = workdir / "base"
    generate(out, n_participants=args.demo_participants, n_genes=args.demo_genes or None)
    return out


def run_cohort(
    label: str, base: Path, engine: str | None, args, workdir: Path, several: bool
) -> dict:
    """Prepare one cohort, run the workflow on it, time R DESeq2 on its designs."""
    name = f"{label}-{engine}" if several else label
    here = workdir / name
    if label == "demo":
        inputs = {
            k: base / f
            for k, f in (
                ("counts", "counts.tsv.gz"),
                ("samples", "samples.tsv"),
                ("clinical", "clinical.tsv"),
            )
        }
    else:
        inputs = resample_folder(base, here / "inputs", int(label), seed=args.seed)
    sheet = read_cohort(Path(inputs["counts"]).parent)
    cfg = cohort_config(inputs, args.lean, engine, here / "config.yaml")
    rundir = here / "run"
    if rundir.exists():  # a fresh run every time: never "nothing to be done"
        shutil.rmtree(rundir)
    cmd = [
        str(SNAKEMAKE),
        "-s",
        str(ROOT / "Snakefile"),
        "--cores",
        str(args.cores),
        "--configfile",
        str(cfg),
        "--directory",
        str(rundir),
    ]
    load_start = os.getloadavg()[0]
    print(f"[{name}] {len(sheet.samples)} samples: {shlex.join(cmd)}", flush=True)
    run = run_measured(cmd, args.budget, log=here / "snakemake.log")
    load_end = os.getloadavg()[0]
    print(f"[{name}] workflow {run.status} in {run.wall_seconds:.0f} s", flush=True)
    jobs = collect_benchmarks(rundir)
    h5ad = rundir / "results" / "myoclamp.h5ad"
    h5ad_job = jobs[jobs["rule"] == "report_h5ad"]
    summary = {
        "cohort": name,
        "samples": len(sheet.samples),
        "participants": int(sheet.samples["participant"].nunique()),
        "genes": int(len(sheet.counts)),
        "engine": engine or "pydeseq2",
        "status": run.status,
        "wall_seconds": round(run.wall_seconds, 1),
        "cpu_seconds": round(
            run.time_v.get("user_seconds", 0) + run.time_v.get("system_seconds", 0)
        ),
        "largest_process_rss_mb": None if run.max_rss_mb is None else round(run.max_rss_mb),
        "tree_peak_rss_mb": round(run.tree_peak_rss_mb),
        "jobs_done": len(jobs),
        "h5ad_mb": round(h5ad.stat().st_size / 2**20, 1) if h5ad.exists() else None,
        "h5ad_job_seconds": float(h5ad_job["seconds"].iloc[0]) if len(h5ad_job) else None,
        "load_start": round(load_start, 2),
        "load_end": round(load_end, 2),
    }
    designs = []
    if not args.no_r:
        print(f"[{name}] R DESeq2 on the fitted designs", flush=True)
        designs = time_r_on_fits(rundir, cfg, here / "r", args.r_budget, args.r_genes or None)
    fit_jobs = jobs[jobs["rule"] == "de_fit"].set_index("job")  # fit and contrasts of a design
    for row in designs:
        job = f"de/fit_{row['design']}"
        if job in fit_jobs.index:
            row["de_fit_job_seconds"] = float(fit_jobs.at[job, "seconds"])
            row["de_fit_job_cpu_seconds"] = float(fit_jobs.at[job, "cpu_seconds"])
            row["de_fit_job_max_rss_mb"] = float(fit_jobs.at[job, "max_rss_mb"])
        row["cohort"] = name
        row["engine"] = engine or "pydeseq2"
    jobs.insert(0, "cohort", name)
    return {"summary": summary, "jobs": jobs, "designs": designs}


def _fixed(value: float | None, digits: int) -> str | None:
    return None if value is None else f"{value:.{digits}f}"


def r_vs_py(row: dict, budget: float | None) -> dict:
    """One design row of the markdown table."""
    status = row.get("r_status", "not run")
    r_genes = row.get("r_genes") or row.get("genes")
    sampled = bool(r_genes) and r_genes < row.get("genes", 0)
    r = row.get("r_seconds_all_genes", row.get("r_deseq_elapsed_seconds"))
    if status == "ok":
        r_time = cell(r)
        if sampled:
            r_time = f"~{r_time} ({cell(row['r_deseq_elapsed_seconds'])} s on {r_genes} genes)"
    elif status in ("timeout", "failed"):
        r_time = seconds_or_budget(None, status, budget)
        r_time += f" on {r_genes} genes" if sampled else ""
    else:
        r_time = status
    py = row.get("fit_seconds")
    return {
        "cohort": row["cohort"],
        "design": row["design"],
        "engine": row["engine"],
        "samples": row["samples"],
        "participants": row["participants"],
        "coefficients": row["coefficients"],
        "genes": row["genes"],
        "fit s": py,
        "de_fit job s": row.get("de_fit_job_seconds"),
        "de_fit job CPU s": row.get("de_fit_job_cpu_seconds"),
        "de_fit job peak RSS MiB": row.get("de_fit_job_max_rss_mb"),
        "R DESeq() s": r_time,
        "R CPU s": row.get("r_deseq_cpu_seconds"),
        "R peak RSS MiB": row.get("r_max_rss_mb"),
        "R / fit": round(r / py, 2) if r and py else None,
        "Spearman stat": _fixed(row.get("spearman_stat"), 5),
        # R on a gene sample has its own BH and filter: its padj sets are not comparable
        "Jaccard padj<0.05": None if sampled else _fixed(row.get("jaccard_padj05"), 3),
    }


def render(results: list[dict], args, machine_start: dict, machine_end: dict, command: str) -> str:
    """The markdown section: machine, command, and the three tables."""
    summary = pd.DataFrame([r["summary"] for r in results])
    if len(summary):
        summary["wall_seconds"] = [
            seconds_or_budget(s, st, args.budget)
            for s, st in zip(summary["wall_seconds"], summary["status"], strict=True)
        ]
    summary = summary.rename(
        columns={
            "wall_seconds": "wall s",
            "cpu_seconds": "CPU s",
            "largest_process_rss_mb": "largest process peak RSS MiB",
            "tree_peak_rss_mb": "summed tree peak RSS MiB",
            "jobs_done": "jobs done",
            "h5ad_mb": "myoclamp.h5ad MiB",
            "h5ad_job_seconds": "report_h5ad s",
        }
    )
    rules = []
    for r in results:
        agg = per_rule(r["jobs"])
        agg.insert(0, "cohort", r["summary"]["cohort"])
        rules.append(agg)
    rules = [r for r in rules if len(r)]
    rules_table = pd.concat(rules, ignore_index=True) if rules else pd.DataFrame()
    rules_table = rules_table.rename(
        columns={
            "seconds": "total s",
            "max_job_seconds": "longest job s",
            "cpu_seconds": "CPU s",
            "max_rss_mb": "peak RSS MiB",
        }
    )
    designs = pd.DataFrame([r_vs_py(d, args.r_budget) for r in results for d in r["designs"]])
    when = time.strftime("%Y-%m-%d %H:%M %Z")
    parts = [
        f"### Run of {when}",
        "",
        f"Machine: {machine_start['cpu']}; nproc {machine_start['nproc']}; "
        f"memory {machine_start['memory_gib']} GiB; load average (1, 5, 15 min) "
        f"{machine_start['load']} at the start, {machine_end['load']} at the end.",
        "",
        f"Command: `{command}`",
        "",
        "#### Whole workflow per cohort",
        "",
        markdown_table(summary) if len(summary) else "(no cohort run)",
        "",
        "#### Each rule (jobs of a rule summed; peak RSS of its largest job)",
        "",
        markdown_table(rules_table) if len(rules_table) else "(no job finished)",
        "",
        "#### DE designs: the workflow's fit (its engine) vs R DESeq2 on the same input",
        "",
        markdown_table(designs) if len(designs) else "(R DESeq2 not run or no design fitted)",
    ]
    return "\n".join(parts) + "\n"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--sizes",
        default="demo,140,280,560,1000",
        help="comma-separated: demo and/or sample counts of resampled cohorts",
    )
    ap.add_argument(
        "--engine",
        default="config",
        choices=["config", "pydeseq2", "blocks", "both"],
        help="solver of the DESeq2 engine (de.solver); config: as in config.yaml",
    )
    ap.add_argument(
        "--base",
        default=str(ROOT / "resources" / "demo"),
        help="demo cohort folder resampled from (myoclamp_tools.demo.generate output)",
    )
    ap.add_argument(
        "--demo-participants",
        type=int,
        default=0,
        help="generate a small demo of this many participants as the base (try-outs)",
    )
    ap.add_argument("--demo-genes", type=int, default=0, help="genes of the generated demo")
    ap.add_argument("--lean", action="store_true", help="the fast test configuration (LEAN)")
    ap.add_argument("--cores", type=int, default=2)
    ap.add_argument(
        "--budget",
        type=float,
        default=4 * 3600,
        help="seconds per cohort's workflow run; over it the run is stopped",
    )
    ap.add_argument(
        "--r-budget", type=float, default=3600, help="seconds per R DESeq2 run (one per design)"
    )
    ap.add_argument(
        "--r-genes",
        type=int,
        default=0,
        help="R DESeq2 fits a seeded sample of this many genes, time scaled to all (0: all)",
    )
    ap.add_argument("--no-r", action="store_true", help="skip R DESeq2")
    ap.add_argument("--seed", type=int, default=1, help="seed of the resampling")
    ap.add_argument(
        "--workdir", default="", help="where cohorts and runs go (default: a new /tmp dir)"
    )
    ap.add_argument("--out", default=str(ROOT / "docs" / "benchmarks.md"))
    ap.add_argument("--section", default="results", help="name of the section replaced in --out")
    ap.add_argument("--json", default="", help="also write every figure as JSON here")
    return ap.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    command = shlex.join([".venv/bin/python", "scripts/benchmark.py", *(argv or sys.argv[1:])])
    labels = [s.strip() for s in args.sizes.split(",") if s.strip()]
    for label in labels:
        if label != "demo" and not (label.isdigit() and int(label) > 0):
            sys.exit(f"--sizes: {label!r} is neither 'demo' nor a number of samples")
    engines = resolve_engines(args.engine)
    if not args.no_r:
        from myoclamp_tools.rcompare import r_deseq2_available

        if not r_deseq2_available():
            sys.exit("R DESeq2 is missing: run `bash scripts/install_r.sh` (or --no-r)")
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="myoclamp-bench-")).resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    print(f"working directory: {workdir}", flush=True)
    machine_start = machine()
    base = base_cohort(args, workdir)
    results = []
    for label in labels:
        for engine in engines:
            results.append(run_cohort(label, base, engine, args, workdir, len(engines) > 1))
    body = render(results, args, machine_start, machine(), command)
    print(body)
    if args.out:
        write_section(args.out, args.section, body)
        print(f"written: {args.out} (section {args.section!r})")
    if args.json:
        Path(args.json).write_text(
            json.dumps(
                [{**r, "jobs": r["jobs"].to_dict(orient="records")} for r in results],
                indent=1,
                default=str,
            )
        )
    return 0 if all(r["summary"]["status"] == "ok" for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
