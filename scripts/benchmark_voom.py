"""Time and peak memory of the voom engine's fits beside the DESeq2 engine's on a resampled cohort.

The bundled demo (``--config``: ``config.yaml``, ``resources/demo/``) resampled to ``--size``
samples (``myoclamp_tools.bench.resample``, seed ``--seed``; ``demo`` for the demo as bundled),
ingested in memory as the ``ingest`` rule does; then per design (``treatment``, ``insulin``,
``insulin_groups``) and engine, each in its own process (``myoclamp_tools.bench.voom``): build
the design, filter genes, fit, and read every contrast of the design. ``de.unwanted`` is set to
0 factors for both engines (for a like-for-like fit). Prints one TSV row per run, the totals per
engine and the machine's load around the runs. ``--jobs 2`` runs each engine's designs two at a
time, as Snakemake does on 2 cores, and reports each engine's makespan (first start to last end).

    .venv/bin/python scripts/benchmark_voom.py --size 1000
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pandas as pd

from myoclamp_tools.bench.voom import ENGINES, child_main, run_child

ROOT = Path(__file__).resolve().parents[1]
DESIGNS = ("treatment", "insulin", "insulin_groups")


def prepare(args, workdir: Path) -> tuple[Path, Path]:
    """The cohort's counts AnnData and its config (JSON) in ``workdir``."""
    from myoclamp.config import load_config
    from myoclamp.ingest.build import build_anndata
    from myoclamp_tools.bench.engine_designs import resampled_config, with_inputs

    config_path = Path(args.config).resolve()
    config = with_inputs(load_config(config_path), {}, config_path.parent)
    if args.size != "demo":
        base = Path(config["inputs"]["counts"]).parent
        config = resampled_config(config, base, workdir / "cohort", int(args.size), args.seed)
    config["de"] = {**config.get("de", {}), "unwanted": {"factors": 0}, "shrink": False}
    adata = build_anndata(config, root=Path(config["inputs"]["counts"]).parent)
    h5ad = workdir / "counts.h5ad"
    adata.write_h5ad(h5ad)
    config_json = workdir / "config.json"
    config_json.write_text(json.dumps(config, default=str))
    return h5ad, config_json


def main(argv: list[str] | None = None) -> int:
    raw = sys.argv[1:] if argv is None else argv
    if raw[:1] == ["--child"]:
        child_main(raw[1:])
        return 0
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", default="1000", help="samples of the resampled cohort, or demo")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--config", default=str(ROOT / "config.yaml"))
    ap.add_argument("--engines", default="voom,deseq2")
    ap.add_argument("--designs", default=",".join(DESIGNS))
    ap.add_argument("--cpus", type=int, default=2, help="CPUs of a DESeq2 fit (de_fit: 2)")
    ap.add_argument(
        "--voom-cpus", type=int, default=1, help="BLAS threads of a voom fit (de_voom: 1)"
    )
    ap.add_argument("--budget", type=float, default=1800, help="seconds per run")
    ap.add_argument("--workdir", default="")
    ap.add_argument("--out", default="", help="also write the rows here (TSV)")
    ap.add_argument("--reuse", action="store_true", help="reuse --workdir's prepared cohort")
    ap.add_argument(
        "--jobs", type=int, default=1, help="designs run at once per engine (makespan reported)"
    )
    args = ap.parse_args(raw)
    warnings.simplefilter("ignore")
    engines = [e for e in args.engines.split(",") if e]
    if set(engines) - set(ENGINES):
        ap.error(f"--engines: use {', '.join(ENGINES)}")
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="myoclamp-voom-bench-")).resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    from myoclamp_tools.bench.measure import machine

    h5ad, config_json = workdir / "counts.h5ad", workdir / "config.json"
    if not (args.reuse and h5ad.exists() and config_json.exists()):
        h5ad, config_json = prepare(args, workdir)
    start = machine()
    rows: list[dict] = []
    makespan: dict[str, float] = {}
    designs = args.designs.split(",")

    def one(engine: str, design: str) -> dict:
        cpus = args.voom_cpus if engine == "voom" else args.cpus
        row = run_child(__file__, engine, design, h5ad, config_json, cpus, args.budget)
        print(
            f"{engine}\t{design}\t{row['status']}\tfit {row.get('fit_seconds')} s\t"
            f"total {row.get('total_seconds')} s\tCPU {row.get('cpu_seconds')} s",
            flush=True,
        )
        return row

    if args.jobs == 1:  # one design after the other, engines interleaved
        for design in designs:
            rows += [one(engine, design) for engine in engines]
    else:  # per engine, its designs as concurrent jobs (as Snakemake runs them on --cores)
        for engine in engines:
            t0 = time.perf_counter()
            with ThreadPoolExecutor(max_workers=args.jobs) as pool:
                rows += list(pool.map(lambda d, e=engine: one(e, d), designs))
            makespan[engine] = round(time.perf_counter() - t0, 1)
    table = pd.DataFrame(rows)
    if args.out:
        table.to_csv(args.out, sep="\t", index=False)
    print(table.drop(columns=["error"], errors="ignore").to_csv(sep="\t", index=False))
    ok = table[table["status"] == "ok"]
    totals = ok.groupby("engine")[["fit_seconds", "total_seconds", "cpu_seconds"]].sum()
    print(
        f"\ncohort {args.size} (seed {args.seed}); machine at start: {start}; at end: {machine()}"
    )
    if makespan:
        totals["makespan_seconds"] = pd.Series(makespan)
        totals["jobs"] = args.jobs
    print(totals.to_csv(sep="\t"))
    return 0 if (table["status"] == "ok").all() else 1


if __name__ == "__main__":
    sys.exit(main())
