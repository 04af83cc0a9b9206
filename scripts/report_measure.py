"""Size and load time of an HTML report in headless Chromium; optionally its print-out and the
README screenshots (a first screen and a gene view).

    .venv/bin/python scripts/report_measure.py results/report.html --runs 5
    .venv/bin/python scripts/report_measure.py results/report.html --pdf /tmp/report.pdf \
        --shots docs --gene MYH7 --hover insulin:PPP1R3B
"""

import argparse
import json
import os
import shutil
import tempfile
from pathlib import Path

from myoclamp_tools.browser import explore_gene, measure, print_pdf


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("report")
    ap.add_argument("--runs", type=int, default=5, help="fresh loads to time")
    ap.add_argument("--pdf", help="print the report to this PDF and count its pages")
    ap.add_argument("--shots", help="write report_first_screen.png and report_gene_view.png here")
    ap.add_argument("--gene", default="MYH7", help="the gene searched for the gene view")
    ap.add_argument("--hover", default="insulin:PPP1R3B", help="CONTRAST:GENE to hover")
    args = ap.parse_args()
    out = measure(args.report, args.runs)
    out["load_average"] = os.getloadavg()
    if args.pdf:
        out["pdf_pages"] = print_pdf(args.report, args.pdf)
    if args.shots:
        contrast, gene = args.hover.split(":")
        with tempfile.TemporaryDirectory() as tmp:
            check = explore_gene(args.report, args.gene, (contrast, gene), Path(tmp))
            for name in ("first_screen", "gene_view"):
                shutil.copy(Path(tmp) / f"{name}.png", Path(args.shots) / f"report_{name}.png")
        out["console_errors"], out["outside_requests"] = (
            check.console_errors,
            check.outside_requests,
        )
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
