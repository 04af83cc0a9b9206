"""Both DE engines in the workflow's shape: each engine's job writes its tables (the primary one
its figures too), the summary has one row per contrast and engine, the concordance compares the
two, and each engine's rules are given only the settings its fits read."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from myoclamp.config import settings
from myoclamp.de.pipeline import PLOTS, write_design, write_overview
from myoclamp.de.settings import (
    ENGINE_KEYS,
    engine_dir,
    engine_outputs,
    engine_settings,
    engines,
)
from myoclamp.de.voom_pipeline import write_voom_design
from myoclamp.io import write_h5ad
from myoclamp.report.assemble import assemble
from myoclamp_tools.simulate import simulate_trial, simulation_config

GOI = ["G00003", "G00010"]
CONTRASTS = ["treatment"]


def test_the_primary_engine_comes_first_and_writes_under_results_de():
    assert engines({"engine": "deseq2", "compare_engines": True}) == ["deseq2", "voom"]
    assert engines({"engine": "voom", "compare_engines": True}) == ["voom", "deseq2"]
    assert engines({"engine": "voom", "compare_engines": False}) == ["voom"]
    assert engine_dir("voom", "voom") == "results/de"
    assert engine_dir("deseq2", "voom") == "results/de/deseq2"
    primary = engine_outputs("voom", "voom", ["a", "b"], ["volcano"])
    assert primary == {
        "tsv": ["results/de/a.tsv", "results/de/b.tsv"],
        "meta": ["results/de/meta/a.json", "results/de/meta/b.json"],
        "detectable": ["results/de/detectable/a.tsv", "results/de/detectable/b.tsv"],
        "distribution": [
            "results/de/detectable/a.distribution.tsv",
            "results/de/detectable/b.distribution.tsv",
        ],
        "volcano": ["results/de/plots/a/volcano.png", "results/de/plots/b/volcano.png"],
    }
    assert engine_outputs("deseq2", "voom", ["a"], ["volcano"]) == {
        "tsv": ["results/de/deseq2/a.tsv"],
        "meta": ["results/de/deseq2/meta/a.json"],
    }


def test_each_engines_rules_are_not_given_the_other_engines_keys():
    config = simulation_config(genes_of_interest=GOI)
    config["de"].update(engine="deseq2", compare_engines=True, voom={"robust": True})
    given = settings(config, ("de", "levels"))
    deseq2 = engine_settings(given, "deseq2")["de"]
    voom = engine_settings(given, "voom")["de"]
    assert "voom" not in deseq2 and deseq2["genes_of_interest"] == GOI
    assert not set(ENGINE_KEYS["deseq2"]) & set(voom) and voom["voom"] == {"robust": True}
    # both engines' tables test the genes of interest as a family of their own
    assert voom["genes_of_interest"] == GOI
    for de in (deseq2, voom):
        assert "engine" not in de and "compare_engines" not in de
        assert de["unwanted"] == given["de"]["unwanted"]  # what both read stays
    # changing a voom option changes only the voom rules' params (Snakemake's rerun trigger)
    config["de"]["voom"] = {"robust": False}
    again = settings(config, ("de", "levels"))
    assert engine_settings(again, "deseq2") == engine_settings(given, "deseq2")
    assert engine_settings(again, "voom") != engine_settings(given, "voom")


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """A trial whose participants P1 and A2 lost their follow-up basal biopsy: DESeq2 (primary)
    and the voom engine beside it, the summary and the concordance, written as the rules do."""
    adata, truth = simulate_trial((6, 6), 400, treatment_genes=25, treatment_lfc=1.5, seed=11)
    adata.var["symbol"] = adata.var_names
    lost = adata.obs.index[
        adata.obs["participant"].isin(["P1", "A2"])
        & (adata.obs["visit"].astype(str) == "week13")
        & (adata.obs["clamp"].astype(str) == "basal")
    ]
    adata = adata[~adata.obs.index.isin(lost)].copy()
    root = tmp_path_factory.mktemp("run")
    h5ad = root / "counts.h5ad"
    write_h5ad(adata, h5ad)
    config = simulation_config(genes_of_interest=GOI, shrink=False, designs=["treatment"])
    config["de"].update(engine="deseq2", compare_engines=True)
    given = settings(config, ("de", "levels"))
    out = {}
    for engine in ("deseq2", "voom"):
        paths = engine_outputs(engine, "deseq2", CONTRASTS, list(PLOTS))
        out[engine] = {
            c: {kind: str(root / files[i]) for kind, files in paths.items()}
            for i, c in enumerate(CONTRASTS)
        }
    matrix = str(root / "designs" / "treatment.tsv")
    write_design(str(h5ad), "treatment", engine_settings(given, "deseq2"), out["deseq2"], matrix)
    write_voom_design(str(h5ad), "treatment", engine_settings(given, "voom"), out["voom"])
    summary, concordance = root / "summary.tsv", root / "concordance.tsv"
    write_overview(
        [out["deseq2"]["treatment"]["meta"]],
        [out["deseq2"]["treatment"]["tsv"]],
        str(h5ad),
        given,
        str(summary),
        str(root / "goi.png"),
        other_metas=[out["voom"]["treatment"]["meta"]],
        other_tables=[out["voom"]["treatment"]["tsv"]],
        concordance=str(concordance),
    )
    return root, out, truth


def test_each_engine_writes_its_tables_and_only_the_primary_its_figures(run):
    root, out, _ = run
    voom = pd.read_csv(out["voom"]["treatment"]["tsv"], sep="\t")
    assert set(voom["engine"]) == {"voom"} and voom["gene_id"].is_unique
    assert {"baseMean", "log2FoldChange", "lfcSE", "stat", "pvalue", "padj"} <= set(voom)
    assert all((root / "results/de/plots/treatment" / f"{p}.png").exists() for p in PLOTS)
    assert set(out["voom"]["treatment"]) == {"tsv", "meta"}
    assert not (root / "results/de/voom/plots").exists()
    meta = json.loads((root / "results/de/voom/meta/treatment.json").read_text())
    assert meta["engine"] == "voom" and meta["estimable"]


def test_summary_says_who_entered_each_contrast_under_each_engine(run):
    root, _, _ = run
    s = pd.read_csv(root / "summary.tsv", sep="\t").set_index("engine")
    assert list(s.index) == ["deseq2", "voom"]  # the primary engine first
    # the participants without a follow-up basal biopsy: left out by DESeq2's blocks, kept by voom
    assert (s.loc["deseq2", "participants"], s.loc["deseq2", "participants_left_out"]) == (10, 2)
    assert s.loc["deseq2", "samples"] == 20 and s.loc["deseq2", "participants_one_biopsy"] == 0
    assert (s.loc["voom", "participants"], s.loc["voom", "participants_one_biopsy"]) == (12, 2)
    assert s.loc["voom", "samples"] == 22 and s.loc["voom", "participants_left_out"] == 0


def test_concordance_compares_the_two_tables(run):
    root, out, truth = run
    conc = pd.read_csv(root / "concordance.tsv", sep="\t")
    assert len(conc) == 1
    r = conc.iloc[0]
    assert (r["engine_a"], r["engine_b"], r["alpha"]) == ("deseq2", "voom", 0.05)
    a = pd.read_csv(out["deseq2"]["treatment"]["tsv"], sep="\t").set_index("gene_id")
    b = pd.read_csv(out["voom"]["treatment"]["tsv"], sep="\t").set_index("gene_id")
    sig_a, sig_b = set(a.index[a["padj"] < 0.05]), set(b.index[b["padj"] < 0.05])
    assert (r["sig_a"], r["sig_b"], r["sig_both"]) == (len(sig_a), len(sig_b), len(sig_a & sig_b))
    assert r["sig_a_only"] == len(sig_a - sig_b) and r["sig_b_only"] == len(sig_b - sig_a)
    assert r["jaccard"] == pytest.approx(len(sig_a & sig_b) / len(sig_a | sig_b))
    both = a.index.intersection(b.index)
    rho = pd.Series(a.loc[both, "stat"]).rank().corr(pd.Series(b.loc[both, "stat"]).rank())
    assert r["spearman_stat"] == pytest.approx(rho)
    planted = set(truth["treatment"].index[truth["treatment"] != 0])
    assert len(sig_a & sig_b & planted) >= 10 and r["spearman_stat"] > 0.8


def test_the_h5ad_holds_the_second_engines_tables_and_the_concordance(run, tmp_path):
    root, out, _ = run
    adata = assemble(
        qc_h5ad=root / "counts.h5ad",
        de_tables=[out["deseq2"]["treatment"]["tsv"]],
        de_summary=str(root / "summary.tsv"),
        enrichment_tables=[],
        clinical_tables=[],
        config={},
        command="test",
        other_de_tables=[out["voom"]["treatment"]["tsv"]],
        concordance=str(root / "concordance.tsv"),
    )
    varm = adata.varm["de_voom_treatment"]
    assert set(varm.dtypes) == {np.dtype("float32")} and "engine" not in varm
    table = pd.read_csv(out["voom"]["treatment"]["tsv"], sep="\t").set_index("gene_id")
    np.testing.assert_allclose(
        varm.loc[table.index, "stat"], table["stat"].astype("float32"), rtol=1e-6
    )
    assert varm.loc[~adata.var_names.isin(table.index), "stat"].isna().all()
    assert adata.uns["de"]["concordance"]["contrast"].tolist() == ["treatment"]


def test_deseq2_as_the_second_engine_writes_no_figures(run, tmp_path):
    root, _, _ = run
    config = simulation_config(genes_of_interest=GOI, shrink=False, designs=["treatment"])
    config["de"].update(engine="voom")
    paths = engine_outputs("deseq2", "voom", CONTRASTS, list(PLOTS))
    outputs = {"treatment": {k: str(tmp_path / v[0]) for k, v in paths.items()}}
    given = engine_settings(settings(config, ("de", "levels")), "deseq2")
    write_design(str(root / "counts.h5ad"), "treatment", given, outputs, str(tmp_path / "d.tsv"))
    assert (tmp_path / "results/de/deseq2/treatment.tsv").exists()
    assert not (tmp_path / "results/de/plots").exists()
