"""Compare the results/ of two workflow runs: every table and JSON byte for byte, every .h5ad by
content. Exits 1 at the first difference (an AssertionError naming it).

    .venv/bin/python scripts/compare_runs.py RUN_A RUN_B
"""

from __future__ import annotations

import argparse
from pathlib import Path

from myoclamp_tools.compare_runs import compare_runs


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("a", type=Path, help="a run's working directory (holding results/)")
    ap.add_argument("b", type=Path)
    args = ap.parse_args()
    compared = compare_runs(args.a, args.b)
    print(f"{len(compared)} files equal: {', '.join(compared)}")


if __name__ == "__main__":
    main()
