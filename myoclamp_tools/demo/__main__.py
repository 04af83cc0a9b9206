"""Command line: ``python -m myoclamp_tools.demo --out DIR [--seed N] [--participants N]
[--genes N]``."""

from __future__ import annotations

import argparse
import time

from myoclamp_tools.demo.generate import generate


def main(argv: list[str] | None = None) -> None:
    """Parse arguments, generate the cohort and print the written files."""
    parser = argparse.ArgumentParser(prog="python -m myoclamp_tools.demo", description=__doc__)
    parser.add_argument("--out", required=True, help="output directory (e.g. resources/demo)")
    parser.add_argument("--seed", type=int, default=20070510)
    parser.add_argument("--participants", type=int, default=70)
    parser.add_argument(
        "--genes", type=int, default=None, help="keep this many genes (default all)"
    )
    parser.add_argument(
        "--treatment-effect", action="store_true", help="plant a week-13 anakinra effect"
    )
    args = parser.parse_args(argv)
    start = time.perf_counter()
    paths = generate(
        args.out,
        seed=args.seed,
        n_participants=args.participants,
        n_genes=args.genes,
        treatment_effect=args.treatment_effect,
    )
    for name, path in paths.items():
        print(f"{name}\t{path}")
    print(f"done in {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
