"""One benchmark job of the gene-set tests: one contrast of the bundled demo, muscle + GO BP.

``python -m myoclamp_tools.bench.settests CONTRAST [--permutations N] [--threads T]`` loads the
demo (all 37,682 genes, 206 samples), builds the contrast's design and runs
:func:`myoclamp.enrichment.settests.set_tests` (or the M-value association), then prints one JSON
line: the set tests' wall and CPU seconds (data loading excluded) and the problem size. Run it
under ``/usr/bin/time -v`` (``scripts/benchmark_set_tests.py`` does) for the process's peak RSS.
"""

from __future__ import annotations

import argparse
import json
import time
import warnings
from pathlib import Path

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


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("contrast")
    ap.add_argument("--permutations", type=int, default=1000)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--collections", default="muscle,go_bp")
    args = ap.parse_args(argv)
    warnings.simplefilter("ignore")
    sets = load_collections(collection_paths(args.collections.split(","), [], ROOT / "resources"))
    adata = demo_with_clinical(demo_files(ROOT / "resources" / "demo"))
    cfg = {"set_permutations": args.permutations}
    wall, cpu = time.perf_counter(), time.process_time()
    if args.contrast == "m_value":
        table, meta = m_value_sets(adata, sets, cfg, threads=args.threads)
    else:
        design = contrast_designs(CONFIG)[args.contrast]
        table, meta = contrast_sets(adata, design, args.contrast, sets, cfg, threads=args.threads)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    out = {
        "contrast": args.contrast,
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
