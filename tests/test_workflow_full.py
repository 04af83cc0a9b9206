"""The whole workflow on a small demo trial: the one h5ad, the HTML report, Snakemake's report."""

from __future__ import annotations

import html
import re
import subprocess
import zipfile

import anndata as ad
import numpy as np
import pandas as pd
import pytest
import scanpy as sc
from cohort import LEAN, demo_config
from conftest import ROOT
from scipy import sparse
from test_workflow_ingest import run_workflow

SECTIONS = ["At a glance", "Gene explorer", "Cohort and design", "Quality control",
            "The insulin response", "The treatment effect", "Pathway enrichment",
            "Clinical endpoints", "Expression vs insulin sensitivity", "Methods"]  # fmt: skip


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    root = tmp_path_factory.mktemp("full")
    cfg = demo_config(root, LEAN, n_participants=14, n_genes=800, seed=3)
    res = run_workflow(root, cfg, extra=("--cores", "2"))
    assert res.returncode == 0, res.stderr[-4000:]
    return root, cfg


def _dense(x):
    return x.toarray() if sparse.issparse(x) else np.asarray(x)


def test_myoclamp_h5ad_holds_every_part(run):
    root, _ = run
    full = ad.read_h5ad(root / "results/myoclamp.h5ad")
    counts = ad.read_h5ad(root / "results/adata/counts.h5ad")
    assert np.array_equal(_dense(full.X), _dense(counts.X))
    assert set(full.layers) == {"vst", "normalized"}  # logcpm is log2(CPM + 1) of X
    # normalised values of the genes some analysis used; NaN (not stored) for the others
    stored = full.var["layers_stored"].to_numpy()
    fitted = np.zeros(full.n_vars, bool)
    for name in [k for k in full.varm if k.startswith("de_")]:
        fitted |= full.varm[name]["baseMean"].notna().to_numpy()
    assert np.array_equal(stored, fitted) and 0 < stored.sum() < full.n_vars
    qc = ad.read_h5ad(root / "results/adata/qc.h5ad")
    assert np.array_equal(full.layers["vst"][:, stored], qc.layers["vst"][:, stored])
    assert np.isnan(full.layers["vst"][:, ~stored]).all()
    genes = pd.read_csv(root / "results/clinical/genes.tsv", sep="\t", dtype={"gene_id": str})
    for method, rows in genes.groupby("method"):
        got = full.varm[f"clinical_m_value_{method}"].loc[rows["gene_id"], "estimate"]
        assert np.allclose(got.to_numpy(), rows["estimate"].to_numpy(), rtol=1e-6, equal_nan=True)
    assert {"library_size", "sex_agrees", "outlier", "arm", "m_value"} <= set(full.obs.columns)
    summary = pd.read_csv(root / "results/de/summary.tsv", sep="\t")
    for contrast in summary.loc[summary["engine"] == "deseq2", "contrast"]:
        de = full.varm[f"de_{contrast}"]
        table = pd.read_csv(root / f"results/de/{contrast}.tsv", sep="\t")
        assert list(de.index) == list(full.var_names)
        got = de.loc[table["gene_id"].astype(str), "log2FoldChange"].to_numpy()
        assert np.allclose(got, table["log2FoldChange"].to_numpy(), equal_nan=True)
        assert full.var[f"tested_{contrast}"].sum() == table["padj"].notna().sum()
    enr = full.uns["enrichment"]
    assert set(enr) >= {"insulin", "treatment", "insulin_prerank", "treatment_prerank"}
    tests = pd.read_csv(root / "results/enrichment/insulin.tsv", sep="\t")
    assert list(enr["insulin"].columns) == list(tests.columns)
    assert enr["insulin"]["enriched"].sum() == tests["enriched"].sum()
    assert "leading_edge" not in enr["insulin_prerank"]  # gene lists stay in the TSV
    assert "set_tests" in full.uns["clinical"] and "sets_gsea" not in full.uns["clinical"]
    voom = pd.read_csv(root / "results/de/voom/treatment.tsv", sep="\t")  # the second engine
    got = full.varm["de_voom_treatment"].loc[voom["gene_id"].astype(str), "stat"].to_numpy()
    assert np.allclose(got, voom["stat"].to_numpy(), rtol=1e-6)
    assert list(full.uns["de"]["concordance"]["contrast"]) == list(summary["contrast"].unique())
    assert set(full.uns["enrichment"]) >= {"insulin", "treatment"}
    assert "endpoints" in full.uns["clinical"]
    prov = full.uns["provenance"]
    assert len(prov["inputs"]["counts"]["sha256"]) == 64
    assert prov["command"] == "snakemake --cores N --configfile config.yaml"
    assert '"seed"' in full.uns["config_json"]
    # scanpy reads and works on it
    analysed = full[:, stored].copy()
    sc.pp.pca(analysed, layer="vst", n_comps=5)
    assert analysed.obsm["X_pca"].shape == (full.n_obs, 5)


def test_report_html_is_self_contained_and_filled_from_the_run(run):
    root, _ = run
    page = (root / "results/report.html").read_text()
    for title in SECTIONS:
        assert f"<h2>{title}</h2>" in page
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page)
    assert '<img src="data:image/png;base64,' in page
    summary = pd.read_csv(root / "results/de/summary.tsv", sep="\t")
    summary = summary[summary["engine"] == "deseq2"]  # the run's tables (de.engine)
    row = summary.set_index("contrast").loc["treatment"]
    assert f"of {int(row['genes_tested']):,} genes tested, {int(row['sig_fdr05']):,} had" in page
    tests = pd.read_csv(root / "results/enrichment/treatment.tsv", sep="\t")
    mus = tests[tests["collection"] == "muscle"]
    assert len(mus) and (
        f"curated muscle, {len(mus):,} sets: {int((mus['camera_FDR'] < 0.05).sum()):,} at camera "
        f"FDR below 5 %, {int((mus['permutation_FDR'] < 0.05).sum()):,} at permutation FDR below "
        f"5 %, {int(mus['enriched'].sum()):,} called enriched" in page
    )
    assert "GSEA prerank, which ignores gene correlation" in page


def test_equivalence_and_detectable_effects_from_the_jobs(run):
    """The DE jobs' equivalence columns and detectable tables, the clinical jobs' set and M-value
    tests, the report's statement and figure, and their place in the h5ad (issue 20)."""
    from myoclamp.de.contrast_equivalence import EQUIVALENCE_COLUMNS
    from myoclamp.report.equivalence import equivalence_sentence, equivalence_summary

    root, _ = run
    res = root / "results"
    t = pd.read_csv(res / "de/treatment.tsv", sep="\t")
    assert set(EQUIVALENCE_COLUMNS) <= set(t.columns)
    assert t["verdict"].isin(["equivalent", "inconclusive", "different"]).all()
    between = pd.read_csv(res / "de/detectable/treatment.tsv", sep="\t")
    within = pd.read_csv(res / "de/detectable/insulin.tsv", sep="\t")
    assert len(between) and (between["n_per_arm"] >= 2).all()
    assert len(within) and within["n_per_arm"].isna().all()
    dist = pd.read_csv(res / "de/detectable/treatment.distribution.tsv", sep="\t")
    assert dist.loc[0, "genes"] == t["pvalue"].notna().sum()
    sets = pd.read_csv(res / "clinical/sets_equivalence.tsv", sep="\t")
    ends = pd.read_csv(res / "clinical/endpoints.tsv", sep="\t").set_index("variable")
    assert len(sets) and (sets["margin"] == 0.585).all()
    assert ends.loc["m_value", "margin"] == 1.0 and isinstance(ends.loc["m_value", "verdict"], str)
    png = res / "de/plots/treatment/equivalence.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    page = (res / "report.html").read_text()
    statement = equivalence_sentence(equivalence_summary(t, sets, ends.reset_index()))
    assert html.escape(statement) in page
    assert "no effect" not in page.lower()
    full = ad.read_h5ad(res / "myoclamp.h5ad")
    de = full.varm["de_treatment"]
    assert {"eq_pvalue", "eq_padj", "mde", "interest"} <= set(de.columns)
    assert "verdict" not in de.columns and (de.dtypes == np.float32).all()
    got = de.loc[t["gene_id"].astype(str), "eq_pvalue"].to_numpy()
    assert np.allclose(got, t["eq_pvalue"].to_numpy(), rtol=1e-6, equal_nan=True)
    assert "sets_equivalence" in full.uns["clinical"]
    assert set(full.uns["de"]["detectable"]) >= {"treatment", "treatment_distribution"}


def test_report_first_screen_equals_the_tables(run):
    """Every number of the first screen, read back from the HTML, equals the value recomputed
    from the run's TSVs by code independent of the report's (myoclamp_tools.report_check)."""
    from myoclamp_tools.report_check import check

    root, _ = run
    n, bad = check(root)
    assert bad == []
    assert n >= 40


def test_snakemake_report_zip(run):
    root, cfg = run
    res = run_workflow(root, cfg, extra=("--report", "results/snakemake_report.zip"))
    assert res.returncode == 0, res.stderr[-3000:]
    with zipfile.ZipFile(root / "results/snakemake_report.zip") as z:
        names = z.namelist()
    assert any(n.endswith("report.html") for n in names)
    assert sum(n.endswith(".png") for n in names) >= 10
    assert any(n.endswith("/equivalence.png") for n in names)
    for table in ("samples.tsv", "summary.tsv", "endpoints.tsv", "treatment.tsv",
                  "sets_equivalence.tsv"):  # fmt: skip
        assert any(n.endswith(table) for n in names), table


@pytest.mark.browser
def test_report_in_a_real_browser(run, tmp_path):
    subprocess.run(["bash", str(ROOT / "scripts/install_chromium.sh")], check=True)
    from myoclamp_tools.browser import check_report

    root, _ = run
    shot = tmp_path / "report.png"
    check = check_report(root / "results/report.html", shot)
    assert check.console_errors == []
    assert check.outside_requests == []
    assert check.sections == SECTIONS
    assert check.sorted_ok
    assert shot.stat().st_size > 10_000
