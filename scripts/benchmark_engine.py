"""Time and peak memory of the DE fit and shrinkage per design: pydeseq2, block engine, R DESeq2.

Designs, built by the workflow's own code (``myoclamp_tools.bench.engine_designs``):

- ``demo``: every design the workflow fits on the cohort of ``--config`` (``config.yaml``: the
  bundled demo; ``treatment``, ``insulin``, ``insulin_groups``), ingested in memory as the
  ``ingest`` rule does, filtered as ``fit_design`` does;
- ``real``: GSE202295 ``~ id + time`` (``real_id_time``) and the nested
  ``~ group + group:idn + group:time`` (``real_nested``);
- ``resampled``: the demo resampled to ``--resample-size`` samples
(``myoclamp_tools.bench.resample``,
  seed ``--seed``), with the workflow's designs (one block column per participant).

Each (design, engine) runs in its own process (``--child``) within ``--budget`` seconds: the fit
(``fit_design``; 2 CPUs, BLAS single-threaded) and the first contrast's results and shrinkage
(``contrast_results``). pydeseq2 on designs with more than ``--large-samples`` samples fits a
random sample of ``--pydeseq2-genes-large`` genes and is extrapolated (flagged); the block engine
then also fits the same sample, for agreement and a measured speed-up. R DESeq2
(``myoclamp_tools/r/deseq2.R``) runs on the same filtered counts, design matrix and first contrast
within ``--r-budget`` seconds. The Markdown tables (time, memory, speed-ups, agreement, issue 10's
targets, the machine and the load average around each run) are printed, and written with
``--out`` (section ``--section`` of that file) and ``--json``.

    .venv/bin/python scripts/benchmark_engine.py                  # everything (hours)
    .venv/bin/python scripts/benchmark_engine.py --designs real --engines blocks --no-r
    .venv/bin/python scripts/benchmark_engine.py --demo-participants 8 --demo-genes 600 \\
        --resample-size 40 --large-samples 20 --pydeseq2-genes-large 50 --designs demo,resampled
"""

from __future__ import annotations

import argparse
import gc
import json
import shlex
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

from myoclamp.io import atomic_path  # noqa: E402
from myoclamp_tools.bench import engine_designs as ed  # noqa: E402
from myoclamp_tools.bench.engine import (  # noqa: E402
    ENGINES,
    child_command,
    child_main,
    run_child,
    run_plan,
    run_r,
)
from myoclamp_tools.bench.engine_report import agreement_rows, render, speedups, target_rows  # noqa: E402
from myoclamp_tools.bench.measure import machine  # noqa: E402
from myoclamp_tools.bench.report import write_section  # noqa: E402

GSE = ROOT.parent / "shared" / "data" / "gse202295"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--designs",
        default="all",
        help="comma-separated: all, demo, real, resampled, or design names (demo_treatment, "
        "real_id_time, resampled_1000_insulin, ...)",
    )
    ap.add_argument("--engines", default="pydeseq2,blocks,R", help="any of pydeseq2,blocks,R")
    ap.add_argument("--no-r", action="store_true", help="skip R DESeq2")
    ap.add_argument("--n-cpus", type=int, default=2)
    ap.add_argument("--batch-size", type=int, default=512, help="block engine's gene batch")
    ap.add_argument("--budget", type=float, default=3600, help="seconds per Python fit process")
    ap.add_argument("--r-budget", type=float, default=1200, help="seconds per R DESeq2 run")
    ap.add_argument(
        "--large-samples",
        type=int,
        default=500,
        help="designs with more samples are large (pydeseq2 on a gene sample)",
    )
    ap.add_argument(
        "--pydeseq2-genes-large", type=int, default=60, help="genes pydeseq2 fits on large designs"
    )
    ap.add_argument(
        "--pydeseq2-genes-small",
        type=int,
        default=0,
        help="genes pydeseq2 fits on the other designs (0: all)",
    )
    ap.add_argument("--genes", type=int, default=0, help="try-outs: every design on this many")
    ap.add_argument("--config", default=str(ROOT / "config.yaml"), help="the demo cohort's config")
    ap.add_argument("--gse", default=str(GSE), help="the GSE202295 folder")
    ap.add_argument("--resample-size", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=1, help="seed of the resampling")
    ap.add_argument(
        "--demo-participants",
        type=int,
        default=0,
        help="try-outs: generate a demo of this many participants instead of --config's cohort",
    )
    ap.add_argument("--demo-genes", type=int, default=0, help="genes of the generated demo")
    ap.add_argument("--workdir", default="", help="inputs, results, logs (default: new /tmp dir)")
    ap.add_argument("--out", default="", help="write the tables as section --section of this file")
    ap.add_argument("--section", default="engine", help="section replaced (or appended) in --out")
    ap.add_argument("--json", default="", help="also write every figure as JSON here")
    ap.add_argument("--child", nargs=6, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    unknown = [e for e in engines if e not in (*ENGINES, "R")]
    if unknown:
        ap.error(f"--engines: unknown {unknown}; use pydeseq2, blocks, R")
    args.engine_list = [e for e in engines if not (args.no_r and e == "R")]
    args.items = [d.strip() for d in args.designs.split(",") if d.strip()]
    return args


def demo_config(args, workdir: Path) -> tuple[dict, Path]:
    """The demo cohort's validated config (inputs absolute) and the folder resampled from."""
    from myoclamp.config import load_config

    config_path = Path(args.config).resolve()
    config = load_config(config_path)
    if args.demo_participants:
        from myoclamp_tools.demo import generate

        paths = generate(
            workdir / "base", n_participants=args.demo_participants, n_genes=args.demo_genes or None
        )
        config = ed.with_inputs(config, paths, workdir / "base")
    else:
        config = ed.with_inputs(config, {}, config_path.parent)
    return config, Path(config["inputs"]["counts"]).parent


def prepare(args, workdir: Path) -> list[tuple[str, Path]]:
    """Build, filter and save every selected design; (name, pickle path) in run order."""
    sources = ed.sources_for(args.items)
    built: list[ed.BenchDesign] = []
    if sources & {"demo", "resampled"}:
        config, base = demo_config(args, workdir)
        if "demo" in sources:
            built += ed.cohort_designs(config, "demo")
        if "resampled" in sources:
            cohort = f"resampled_{args.resample_size}"
            resampled = ed.resampled_config(
                config, base, workdir / cohort, args.resample_size, args.seed
            )
            built += ed.cohort_designs(resampled, cohort)
    if "real" in sources:
        names = [n for n in ed.REAL_DESIGNS if ed.is_selected(n, args.items)]
        built += ed.real_designs(args.gse, names)
    out = []
    for design in built:
        if not ed.is_selected(design.name, args.items):
            continue
        design = ed.subsample_genes(design, args.genes or None)
        pkl = workdir / design.name / "design.pkl"
        ed.save_design(design, pkl)
        out.append((design.name, pkl))
    missing = [i for i in args.items if i not in ("all", *ed.SOURCES) and i not in dict(out)]
    if missing:
        names = ", ".join(d.name for d in built)
        sys.exit(f"--designs: no design named {missing}; built: {names}")
    return out


def summary_line(row: dict) -> str:
    fit = row.get("fit_seconds")
    return (
        f"[{row['design']}] {row['engine']}: {row.get('status')}"
        + (f", fit {fit:.1f} s on {row['genes_fitted']} genes" if fit is not None else "")
        + (f", shrink {row['shrink_seconds']:.1f} s" if row.get("shrink_seconds") else "")
    )


def main(argv: list[str] | None = None) -> int:
    raw = sys.argv[1:] if argv is None else argv
    args = parse_args(raw)
    if args.child:
        child_main(args.child)
        return 0
    command = shlex.join([".venv/bin/python", "scripts/benchmark_engine.py", *raw])
    if "R" in args.engine_list:
        from myoclamp_tools.rcompare import r_deseq2_available

        if not r_deseq2_available():
            sys.exit("R DESeq2 is missing: run `bash scripts/install_r.sh` (or --no-r)")
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="myoclamp-engine-bench-")).resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    print(f"working directory: {workdir}", flush=True)
    machine_start = machine()
    designs = prepare(args, workdir)
    gc.collect()
    rows = []
    for name, pkl in designs:
        design = ed.load_design(pkl)
        print(f"[{name}] {design.size()}", flush=True)
        steps = run_plan(
            *design.counts.shape,
            args.engine_list,
            large_samples=args.large_samples,
            genes_large=args.pydeseq2_genes_large,
            genes_small=args.pydeseq2_genes_small,
        )
        for engine, genes in steps:
            if engine == "R":
                row = run_r(design, workdir, args.r_budget)
            else:
                row = run_child(
                    child_command(__file__),
                    design,
                    pkl,
                    engine,
                    genes,
                    args.n_cpus,
                    args.batch_size,
                    workdir,
                    args.budget,
                )
            rows.append(row)
            print(summary_line(row), flush=True)
        del design
        gc.collect()
    speedups(rows)
    agreements = agreement_rows(rows)
    targets = target_rows(rows)
    body = render(rows, agreements, targets, machine_start, machine(), command)
    print(body)
    if args.out:
        write_section(args.out, args.section, body)
    if args.json:
        with atomic_path(args.json) as tmp:
            tmp.write_text(
                json.dumps(
                    {
                        "command": command,
                        "machine_start": machine_start,
                        "rows": rows,
                        "machine_end": machine(),
                        "agreement": agreements,
                        "targets": targets,
                    },
                    indent=2,
                    default=str,
                )
                + "\n"
            )
    failed = [r for r in rows if r.get("status") == "failed"]
    for row in failed:
        print(f"[{row['design']}] {row['engine']} failed:\n{row.get('error', '')}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
