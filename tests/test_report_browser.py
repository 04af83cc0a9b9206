"""The report in headless Chromium, read as its users would: search a gene that is not among the
configured genes of interest, see its numbers and trajectory, hover a volcano point.

Runs the workflow on a small demo trial first (a few minutes), or reads an existing run:
``MYOCLAMP_REPORT_RUN=/path/to/run pytest -m browser tests/test_report_browser.py`` (a directory
with ``config.yaml`` and ``results/``).
"""

from __future__ import annotations

import math
import os
import subprocess
from pathlib import Path

import pandas as pd
import pytest
import yaml
from cohort import LEAN, demo_config
from conftest import ROOT, run_on_purpose
from test_workflow_ingest import run_workflow

pytestmark = pytest.mark.browser
_run_on_purpose = run_on_purpose("browser")


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> Path:
    subprocess.run(["bash", str(ROOT / "scripts/install_chromium.sh")], check=True)
    if os.environ.get("MYOCLAMP_REPORT_RUN"):
        return Path(os.environ["MYOCLAMP_REPORT_RUN"])
    root = tmp_path_factory.mktemp("browser")
    lean = {**LEAN, "de": {**LEAN["de"], "designs": ["treatment", "insulin", "insulin_groups"]}}
    cfg = demo_config(root, lean, n_participants=14, n_genes=800, seed=3)
    res = run_workflow(root, cfg, "results/report.html", extra=("--cores", "2"))
    assert res.returncode == 0, res.stderr[-4000:]
    return root


def _number(text: str) -> float:
    return float(text.replace("−", "-").replace(",", ""))


def _close(text: str, value: float) -> bool:
    """The text shown rounds to ``value`` at the precision it is shown with."""
    t = text.replace("−", "-").replace(",", "")
    shown = float(t)
    if "e" in t:
        return math.isclose(shown, value, rel_tol=0.051)  # two significant digits
    decimals = len(t.split(".")[1]) if "." in t else 0
    return abs(shown - value) <= 0.5 * 10**-decimals + 1e-9


def test_gene_search_volcano_hover_and_a_clean_console(run, tmp_path):
    from myoclamp_tools.browser import explore_gene

    config = yaml.safe_load((run / "config.yaml").read_text())
    goi = set(config["de"]["genes_of_interest"])
    insulin = pd.read_csv(run / "results/de/insulin.tsv", sep="\t")
    ranked = insulin.dropna(subset=["padj"]).sort_values(["padj", "pvalue"])
    ranked = ranked[~ranked["symbol"].isin(goi) & ranked["symbol"].notna()]
    ranked = ranked[~ranked["symbol"].duplicated(keep=False)]
    gene = str(ranked["symbol"].iloc[len(ranked) // 2])  # an ordinary gene, not a top hit
    hover = str(ranked["symbol"].iloc[0])  # the clearest point on the insulin volcano
    assert gene not in goi and hover not in goi

    shots = tmp_path / "shots"
    check = explore_gene(run / "results/report.html", gene, ("insulin", hover), shots)

    assert check.console_errors == []
    assert check.outside_requests == []
    assert check.gene_shown == gene
    summary = pd.read_csv(run / "results/de/summary.tsv", sep="\t")
    assert set(check.contrasts) == set(summary["contrast"])
    for contrast, cells in check.contrasts.items():
        t = pd.read_csv(run / f"results/de/{contrast}.tsv", sep="\t")
        row = t[t["symbol"] == gene]
        if row.empty or pd.isna(row["log2FoldChange"].iloc[0]):
            assert cells == {}, contrast  # the row says "not tested"
            continue
        r = row.iloc[0]
        assert _close(cells["lfc"], r["log2FoldChange"]), (contrast, cells, r.to_dict())
        assert _close(cells["p"], r["pvalue"]), (contrast, cells["p"], r["pvalue"])
        if pd.notna(r["padj"]):
            assert _close(cells["padj"], r["padj"]), (contrast, cells["padj"], r["padj"])
        low, high = cells["ci"].strip("[]").split(", ")
        assert (
            abs(_number(low) - r["ci_low"]) <= 0.006 and abs(_number(high) - r["ci_high"]) <= 0.006
        )
    genes = pd.read_csv(run / "results/clinical/genes.tsv", sep="\t")
    deseq2 = genes[(genes["method"] == "deseq2") & (genes["symbol"] == gene)]
    if len(deseq2) and "deseq2" in check.associations and check.associations["deseq2"]:
        assert _close(check.associations["deseq2"]["estimate"], deseq2["estimate"].iloc[0])
    # one point per analysed biopsy with a value, one mean line per arm
    samples = pd.read_csv(run / "results/qc/samples.tsv", sep="\t")
    assert check.trajectory_points == int((~samples["excluded"].astype(bool)).sum())
    assert check.trajectory_means == samples["arm"].nunique()
    # hovering a volcano point names its gene; clicking opens it
    assert check.hover_gene == hover
    assert hover in check.tooltip and "log2FC" in check.tooltip
    assert check.clicked_gene == hover
    assert (shots / "first_screen.png").stat().st_size > 20_000
    assert (shots / "gene_view.png").stat().st_size > 20_000
    # the first screen's numbers, as the browser renders them, are there
    assert check.first_screen_facts["treatment.tested"].replace(",", "") == str(
        int(pd.read_csv(run / "results/de/treatment.tsv", sep="\t")["padj"].notna().sum())
    )


def test_print_to_pdf(run, tmp_path):
    from myoclamp_tools.browser import print_pdf

    pages = print_pdf(run / "results/report.html", tmp_path / "report.pdf", tmp_path / "print.png")
    assert pages >= 5
    assert (tmp_path / "report.pdf").stat().st_size > 100_000
