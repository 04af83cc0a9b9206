"""Print the demo cohort beside the real GSE202295 basal biopsies on muscle_biology.md statistics.

    .venv/bin/python scripts/compare_demo.py [--demo resources/demo]
        [--real ../shared/data/gse202295] [--markdown]

Demo side: baseline basal biopsies without a planted defect (one per participant). Also prints
the repeated-biopsy correlation (demo baseline vs week-13 basal; real basal vs 3 h recovery).
Exits 1 if a statistic is outside its tolerance (myoclamp_tools.demo.calibration.TOLERANCES).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from myoclamp_tools.demo.calibration import compare_cohorts
from myoclamp_tools.demo.params import REPO
from myoclamp_tools.demo.real import GSE202295


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--demo", type=Path, default=REPO / "resources" / "demo")
    parser.add_argument("--real", type=Path, default=GSE202295)
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table")
    args = parser.parse_args()
    table, repeat = compare_cohorts(args.demo, args.real)
    shown = table.assign(
        real_gse202295=table["real_gse202295"].map(lambda v: f"{v:.4g}"),
        demo=table["demo"].map(lambda v: f"{v:.4g}"),
    )
    if args.markdown:
        print("| statistic | real GSE202295 | demo | tolerance | ok |")
        print("|---|---|---|---|---|")
        for row in shown.itertuples(index=False):
            print(f"| {row[0]} | {row[1]} | {row[2]} | {row[3]} | {'yes' if row[4] else 'NO'} |")
    else:
        print(shown.to_string(index=False))
    print(
        "\nrepeated-biopsy residual correlation, same person / other people: "
        f"real (basal vs recovery) {repeat['real']['same_person']:.3f} / "
        f"{repeat['real']['other_person']:.3f}; demo (baseline vs week 13) "
        f"{repeat['demo']['same_person']:.3f} / {repeat['demo']['other_person']:.3f}"
    )
    return 0 if table["ok"].all() else 1


if __name__ == "__main__":
    sys.exit(main())
