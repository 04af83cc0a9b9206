"""The whole report page from a small run: self-contained, the first screen and the gene data."""

import json
import re

import anndata as ad
import numpy as np
import pandas as pd
import yaml
from test_report_answers import write_run

from myoclamp.report.render import ReportInputs, render
from myoclamp_tools.report_check import expected_facts, mismatches


def _inputs(run):
    res = run / "results"
    t = pd.read_csv(res / "de/treatment.tsv", sep="\t")
    samples = pd.read_csv(res / "qc/samples.tsv", sep="\t")
    rng = np.random.default_rng(0)
    obs = samples.set_index("sample")[["participant", "arm", "excluded"]].copy()
    obs["arm"] = pd.Categorical(obs["arm"], ["placebo", "anakinra"], ordered=True)
    obs["visit"] = pd.Categorical(["baseline", "week13"] * 6, ["baseline", "week13"])
    obs["exclusion_reason"] = np.where(obs["excluded"], "haemolysed", "")
    counts = rng.poisson(40, size=(len(obs), len(t))).astype(np.float32)
    var = pd.DataFrame(
        {"gene_id": "", "symbol": t["symbol"].to_numpy()}, index=t["gene_id"].to_numpy()
    )
    adata = ad.AnnData(counts, obs=obs, var=var)
    adata.layers["normalized"] = counts
    adata.write_h5ad(res / "myoclamp.h5ad")
    summary = pd.DataFrame(
        {
            "contrast": [p.stem for p in sorted((res / "de").glob("*.tsv"))],
            "description": "a contrast",
            "formula": "~ x",
            "samples": 12,
            "participants": 6,
            "estimable": "yes",
        }
    )
    summary.to_csv(res / "summary.tsv", sep="\t", index=False)
    return ReportInputs(
        adata=str(res / "myoclamp.h5ad"),
        qc_samples=str(res / "qc/samples.tsv"),
        de_summary=str(res / "summary.tsv"),
        de_tables=[str(res / f"de/{c}.tsv") for c in summary["contrast"]],
        enrichment_tables=[str(p) for p in sorted((res / "enrichment").glob("*.tsv"))],
        clinical_tables=[str(p) for p in sorted((res / "clinical").glob("*.tsv"))],
    )


def test_report_page_is_self_contained_with_first_screen_and_gene_data(tmp_path):
    run = write_run(tmp_path)
    config = yaml.safe_load((run / "config.yaml").read_text())
    config["cohort"] = "small trial"
    page = render(_inputs(run), config)
    assert "default-src 'none'" in page
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page)
    script = page.split("<script>")[-1].replace("http://www.w3.org/2000/svg", "")  # a namespace
    assert not re.search(r"https?://|fetch\(|XMLHttpRequest|import\(|WebSocket", script)
    assert mismatches(page, expected_facts(run)) == []  # incl. explorer.genes
    data = json.loads(
        re.search(r'id="gene-data">(.*?)</script>', page, re.S).group(1).replace("<\\/", "</")
    )
    assert data["n_tested"] == 300
    assert [c["name"] for c in data["contrasts"]][:2] == ["insulin", "insulin_anakinra"]
    assert len(data["samples"]["id"]) == 11  # the excluded biopsy is left out
    for sec in ("at-a-glance", "gene-explorer", "the-treatment-effect", "the-insulin-response"):
        assert f'<section id="{sec}"' in page
    assert 'canvas data-kind="volcano"' not in page  # no figures in this run, so no live plots
    assert "GO:0000000" in page and "process number 0" in page  # GO ids with their names
    assert "sortable paged" in page


def test_report_without_the_explorer_is_small(tmp_path):
    run = write_run(tmp_path)
    config = yaml.safe_load((run / "config.yaml").read_text())
    inputs = _inputs(run)
    full, lean = render(inputs, config), render(inputs, config, explorer=False)
    assert 'id="gene-data"' not in lean and 'id="gene-search"' not in lean
    assert len(lean) < len(full)
    facts = expected_facts(run)
    facts.pop("explorer.genes")
    assert mismatches(lean, facts) == []


def test_long_tables_are_paged_and_short_paged_ones_print_whole():
    from myoclamp.report.html import table

    def cls(n):
        return re.search(
            r'<table class="([^"]+)"', table(pd.DataFrame({"a": range(n)}), "t")
        ).group(1)

    assert cls(15) == "sortable"
    assert cls(22) == "sortable paged printall"
    assert cls(41) == "sortable paged"
