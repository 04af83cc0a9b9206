"""One benchmark job of the gene-set tests: one contrast, muscle + GO BP.

``python -m myoclamp_tools.bench.settests CONTRAST [--permutations N] [--threads T]`` loads the
demo (all 37,682 genes, 206 samples), builds the contrast's design and runs
:func:`myoclamp.enrichment.settests.set_tests` (or the M-value association), then prints one JSON
line: the set tests' wall and CPU seconds (data loading excluded) and the problem size. Run it
under ``/usr/bin/time -v`` (``scripts/benchmark_set_tests.py`` does) for the process's peak RSS.

``--results DIR``: the enrichment job's own path instead (``myoclamp.enrichment.pipeline.
contrast_set_tests``: ``DIR/results/adata/counts.h5ad``, the DE fit's design file and the
contrast's meta JSON of a finished run, so with the shipped config's ``de.unwanted`` factors);
the seconds then include reading the counts. ``--participants N``: the same job path on a
simulated trial of N participants with four biopsies each and 17,000 genes (as many as the
demo's ``insulin_groups`` fit tests), written to a temporary directory first.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

from myoclamp.de.specs import contrast_designs
from myoclamp.enrichment.genesets import collection_paths, load_collections
from myoclamp_tools.setpower import (
    CONFIG,
    contrast_sets,
    demo_files,
    demo_with_clinical,
    m_value_sets,
)

ROOT = Path(__file__).resolve().parents[2]


def simulated_run(
    directory: Path, participants: int, contrasts: list[str], sets, genes: int = 17_000
) -> Path:
    """``directory/results`` with counts.h5ad, and the design files and meta JSON of
    ``contrasts``, of a simulated trial (``myoclamp_tools.simulate``), as the DE jobs write
    them; the genes carry symbols of the sets' genes (seeded draw), so the sets match as on real
    data."""
    from myoclamp.de.design import build_design
    from myoclamp.de.designfile import write_design_matrix
    from myoclamp.de.specs import contrast_designs
    from myoclamp.io import write_json
    from myoclamp_tools.simulate import simulate_trial, simulation_config

    half = participants // 2
    adata, _ = simulate_trial((half, participants - half), genes, seed=participants)
    named = sorted({g for members in sets.genes.values() for g in members})
    rng = np.random.default_rng(participants)
    adata.var["symbol"] = rng.choice(named, size=genes, replace=len(named) < genes)
    adata.var["symbol"] = adata.var["symbol"].where(~adata.var["symbol"].duplicated(), "")
    res = directory / "results"
    (res / "adata").mkdir(parents=True, exist_ok=True)
    adata.write_h5ad(res / "adata" / "counts.h5ad")
    config = simulation_config()
    designs = contrast_designs(config)
    for contrast in contrasts:
        name = designs[contrast]
        design = build_design(adata.obs, name, config)
        write_design_matrix(design, res / "de" / "designs" / f"{name}.tsv")
        vector = design.contrasts[contrast]
        meta = {
            "contrast": contrast, "design": name, "formula": design.formula, "estimable": True,
            "count_filter_min_count": 10, "count_filter_min_samples": design.min_group,
            "contrast_vector": {
                c: float(w) for c, w in zip(design.matrix.columns, vector, strict=True) if w
            },
        }  # fmt: skip
        write_json(meta, res / "de" / "meta" / f"{contrast}.json")
    return directory


def job_path(run: Path, contrast: str, sets, permutations: int, threads: int):
    """The enrichment job's set tests on a run directory (reading the counts included)."""
    import json

    import anndata as ad

    from myoclamp.config import section
    from myoclamp.de.designfile import fitted_design, read_design_matrix
    from myoclamp.enrichment.pipeline import contrast_set_tests, design_expression

    res = Path(run) / "results"
    de_meta = json.loads((res / "de" / "meta" / f"{contrast}.json").read_text())
    cfg = {**section(None, "enrichment"), "seed": int(section(None, "seed"))}
    cfg["set_permutations"] = permutations
    adata = ad.read_h5ad(res / "adata" / "counts.h5ad")
    matrix = read_design_matrix(res / "de" / "designs" / f"{de_meta['design']}.tsv")
    design = fitted_design(matrix, de_meta, adata.obs)
    expr = design_expression(adata, design, de_meta) if design.matrix is not None else None
    return contrast_set_tests(expr, design, de_meta, sets, cfg, threads)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("contrast")
    ap.add_argument("--permutations", type=int, default=1000)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--collections", default="muscle,go_bp")
    ap.add_argument("--results", help="a finished run directory: the enrichment job's own path")
    ap.add_argument("--participants", type=int, help="a simulated trial of this many people")
    args = ap.parse_args(argv)
    warnings.simplefilter("ignore")
    sets = load_collections(collection_paths(args.collections.split(","), [], ROOT / "resources"))
    if args.results or args.participants:
        with tempfile.TemporaryDirectory() as tmp:
            run = Path(args.results) if args.results else None
            if run is None:
                run = simulated_run(Path(tmp), args.participants, [args.contrast], sets)
            wall, cpu = time.perf_counter(), time.process_time()
            table, meta = job_path(run, args.contrast, sets, args.permutations, args.threads)
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        report(args, table, meta, wall, cpu, "job" if args.results else "simulated")
        return
    adata = demo_with_clinical(demo_files(ROOT / "resources" / "demo"))
    cfg = {"set_permutations": args.permutations}
    wall, cpu = time.perf_counter(), time.process_time()
    if args.contrast == "m_value":
        table, meta = m_value_sets(adata, sets, cfg, threads=args.threads)
    else:
        design = contrast_designs(CONFIG)[args.contrast]
        table, meta = contrast_sets(adata, design, args.contrast, sets, cfg, threads=args.threads)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    report(args, table, meta, wall, cpu, "demo, build_design")


def report(args, table, meta: dict, wall: float, cpu: float, source: str) -> None:
    """Print the benchmark's JSON line."""
    out = {
        "contrast": args.contrast,
        "source": source,
        "samples": meta["samples"],
        "coefficients": meta["coefficients"],
        "genes": meta["genes"],
        "sets": meta["sets_tested"],
        "permutations": args.permutations,
        "threads": args.threads,
        "scheme": meta["permutation_scheme"],
        "exact": meta["permutation_exact"],
        "set_tests_wall_s": round(wall, 2),
        "set_tests_cpu_s": round(cpu, 2),
        "enriched": int(table["enriched"].sum()),
    }
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
