"""The first screen's statements equal the tables they come from (read back from the HTML)."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from myoclamp.config import section
from myoclamp.de.contrast_equivalence import add_equivalence, equivalence_settings
from myoclamp.report import answers
from myoclamp.report.assemble import read_tsv
from myoclamp_tools.report_check import expected_facts, mismatches

GOI = ["SLC2A4", "PDK4", "TXNIP"]
ARMS = {"reference": "placebo", "test": "anakinra"}


def _de(n=300, hits=(), seed=0):
    """A DE table; ``hits`` are (log2FC, padj) rows planted first."""
    rng = np.random.default_rng(seed)
    lfc = rng.normal(0, 0.2, n)
    se = rng.uniform(0.05, 0.3, n)
    padj = rng.uniform(0.2, 1.0, n)
    for i, (effect, q) in enumerate(hits):
        lfc[i], padj[i] = effect, q
    symbols = [f"G{i}" for i in range(n)]
    symbols[10:13] = GOI
    t = pd.DataFrame(
        {
            "gene_id": symbols,
            "symbol": symbols,
            "baseMean": rng.uniform(10, 1e4, n),
            "log2FoldChange": lfc,
            "lfcSE": se,
            "stat": lfc / se,
            "pvalue": padj / 20,
            "padj": padj,
            "ci_low": lfc - 1.96 * se,
            "ci_high": lfc + 1.96 * se,
        }
    )
    t.loc[n - 5 :, "padj"] = np.nan  # independent filtering
    return t


def _sets(n=40, called=0, go=True, seed=0):
    """A set-test table (camera + permutation) with ``called`` enriched sets; the prerank-like
    ``FDR`` column is there to show that it is never counted."""
    rng = np.random.default_rng(seed)
    fdr = rng.uniform(0.1, 1, n)
    fdr[:called] = np.linspace(0.001, 0.04, called)
    fdr[called : called + 2] = 0.01  # camera FDR low, permutation p not: not enriched
    perm = np.full(n, 0.5)
    perm[:called] = 0.001
    return pd.DataFrame(
        {
            "set": [f"GO:{i:07d}" if go else f"SET_{i}" for i in range(n)],
            "description": [f"process number {i}" for i in range(n)],
            "collection": "go_bp",
            "size": 20,
            "direction": np.where(np.arange(n) % 2, "Down", "Up"),
            "mean_log2FC": np.linspace(0.5, -0.5, n),
            "camera_correlation": 0.01,
            "camera_pvalue": fdr / 10,
            "camera_FDR": fdr,
            "permutation_statistic": 1.0,
            "permutation_pvalue": perm,
            "permutation_FDR": perm * 2,
            "enriched": (fdr < 0.05) & (perm < 0.05),
            "FDR": 0.001,
        }
    )


def write_run(root: Path) -> Path:
    """A run directory with every table the first screen reads (small, planted results)."""
    res = root / "results"
    for d in ("de", "enrichment", "clinical/meta", "qc"):
        (res / d).mkdir(parents=True, exist_ok=True)
    config = {"levels": {"arm": ARMS}, "de": {"genes_of_interest": GOI}}
    (root / "config.yaml").write_text(yaml.safe_dump(config))
    tables = {
        "treatment": _de(hits=[(1.2, 0.01), (-0.9, 0.02), (0.8, 0.04), (0.5, 0.08)], seed=1),
        "insulin": _de(hits=[(1.5, 1e-9), (-1.1, 1e-6), (0.9, 1e-4), (0.7, 0.03)], seed=2),
        "insulin_placebo": _de(hits=[(1.4, 1e-5), (-1.0, 1e-3)], seed=3),
        "insulin_anakinra": _de(hits=[(1.3, 1e-4)], seed=4),
        "treatment_x_insulin": _de(seed=5),
    }
    eqs = equivalence_settings(section({"de": {"genes_of_interest": GOI}}, "de"))
    for name, t in tables.items():
        add_equivalence(t, 40, eqs).to_csv(res / f"de/{name}.tsv", sep="\t", index=False)
    pd.DataFrame(
        {
            "set": ["OXPHOS", "HEAT_SHOCK", "FIBRE_SLOW"],
            "estimate": [0.01, 0.4, -0.05],
            "margin": 0.585,
            "verdict": ["equivalent", "inconclusive", "equivalent"],
        }
    ).to_csv(res / "clinical/sets_equivalence.tsv", sep="\t", index=False)
    _sets(called=0).to_csv(res / "enrichment/treatment.tsv", sep="\t", index=False)
    _sets(called=3, seed=1).to_csv(res / "enrichment/insulin.tsv", sep="\t", index=False)
    prerank = _sets()[["set", "description", "collection", "size"]].assign(
        ES=0.5, NES=2.0, pvalue=0.001, FDR=[0.01] * 30 + [0.5] * 10, leading_edge_size=5,
        leading_edge="G1;G2", note="ignores gene correlation",
    )  # fmt: skip
    prerank.to_csv(res / "enrichment/treatment.prerank.tsv", sep="\t", index=False)
    genes = pd.concat(
        [
            _de(hits=[(0.4, 0.01)], seed=6).assign(method="deseq2", n=30),
            _de(seed=7).assign(method="spearman", n=30),
        ]
    ).rename(columns={"log2FoldChange": "estimate"})
    genes.to_csv(res / "clinical/genes.tsv", sep="\t", index=False)
    scores = _sets(called=2, seed=2)
    sets = scores[["set", "description", "collection", "size", "camera_FDR"]].rename(
        columns={"camera_FDR": "padj"}
    )
    sets = sets.assign(estimate=np.linspace(0.6, -0.6, len(sets)), pvalue=sets["padj"] / 10, n=30)
    sets = sets.assign(ci_low=sets["estimate"] - 0.2, ci_high=sets["estimate"] + 0.2)
    sets.to_csv(res / "clinical/sets.tsv", sep="\t", index=False)
    _sets(called=4, seed=4).to_csv(res / "clinical/set_tests.tsv", sep="\t", index=False)
    change = _de(seed=8).rename(columns={"log2FoldChange": "estimate"}).assign(n=25)
    change.to_csv(res / "clinical/change_genes.tsv", sep="\t", index=False)
    sets.assign(n=25).to_csv(res / "clinical/change_sets.tsv", sep="\t", index=False)
    (res / "clinical/meta/genes.json").write_text(json.dumps({"covariates": ["age", "sex"]}))
    endpoints = pd.DataFrame(
        {
            "variable": ["hba1c", "m_value", "crp"],
            "arm_reference": "placebo",
            "arm_test": "anakinra",
            "adjusted_for": "baseline",
            "estimate": [-0.43, 0.02, -1.75],
            "ci_low": [-0.82, -0.39, -2.92],
            "ci_high": [-0.035, 0.36, -0.58],
            "pvalue": [0.034, 0.94, 0.0039],
            "margin": [np.nan, 1.0, np.nan],
            "tost_ci_low": [np.nan, -0.33, np.nan],
            "tost_ci_high": [np.nan, 0.30, np.nan],
            "tost_pvalue": [np.nan, 4e-6, np.nan],
            "verdict": [np.nan, "equivalent", np.nan],
        }
    )
    for visit in ("baseline", "followup"):
        for arm in ("reference", "test"):
            endpoints[f"n_{visit}_{arm}"] = 6
            endpoints[f"mean_{visit}_{arm}"] = 1.0
            endpoints[f"sd_{visit}_{arm}"] = 0.5
    endpoints.to_csv(res / "clinical/endpoints.tsv", sep="\t", index=False)
    samples = pd.DataFrame(
        {
            "sample": [f"S{i}" for i in range(12)],
            "participant": [f"P{i // 2}" for i in range(12)],
            "arm": ["placebo"] * 6 + ["anakinra"] * 6,
            "excluded": [False] * 11 + [True],
            "qc_flag": [False, True] + [False] * 9 + [True],
            "outlier": [False, True] + [False] * 10,
            "sex_agrees": [True] * 11 + [False],
            "pairing_status": ["ok"] * 11 + ["possible_swap"],
        }
    )
    samples.to_csv(res / "qc/samples.tsv", sep="\t", index=False)
    return root


def tables_of(run: Path) -> answers.Tables:
    res = run / "results"
    de = {p.stem: read_tsv(p) for p in (res / "de").glob("*.tsv")}
    summary, concordance = de.pop("summary", None), de.pop("concordance", None)
    return answers.Tables(
        obs=read_tsv(res / "qc/samples.tsv"),
        config=yaml.safe_load((run / "config.yaml").read_text()),
        summary=summary,
        concordance=concordance,
        de=de,
        enrichment={
            p.stem: read_tsv(p)
            for p in (res / "enrichment").glob("*.tsv")
            if not p.name.endswith(".prerank.tsv")
        },
        clinical={p.stem: read_tsv(p) for p in (res / "clinical").glob("*.tsv")},
        clinical_meta={"genes": json.loads((res / "clinical/meta/genes.json").read_text())},
        qc=read_tsv(res / "qc/samples.tsv"),
    )


@pytest.fixture
def run(tmp_path):
    return write_run(tmp_path)


def test_first_screen_numbers_equal_the_tables(run):
    page = answers.first_screen(tables_of(run))
    expected = expected_facts(run)
    expected.pop("explorer.genes")  # the gene-search card is the report's, not the answers'
    assert mismatches(page, expected) == []
    facts = answers.read_facts(page)
    assert set(facts) == set(expected)  # every number on the screen is checked
    # the planted results, stated plainly
    shown = {k: v[1] for k, v in facts.items()}
    assert (shown["treatment.fdr05"], shown["treatment.up"], shown["treatment.down"]) == (
        "3",
        "2",
        "1",
    )
    assert shown["treatment.fdr10"] == "4" and shown["treatment.tested"] == "295"
    assert (shown["insulin.fdr05"], shown["insulin.top1"], shown["insulin.top1_lfc"]) == (
        "4",
        "G0",
        "1.50",
    )
    assert shown["insulin.placebo_fdr05"] == "2" and shown["insulin.anakinra_fdr05"] == "1"
    assert shown["insulin.sets_called"] == "3" and shown["treatment.sets_called"] == "0"
    assert shown["insulin.top_set1"] == "process number 0"  # the GO name, not GO:0000000
    assert shown["endpoints.excluding_zero_names"] == "hba1c, crp"
    assert (shown["qc.biopsies"], shown["qc.excluded"], shown["qc.flagged"]) == ("12", "1", "2")
    assert shown["qc.flagged_samples"] == "S1, S11" and shown["qc.arm_anakinra"] == "3"
    assert shown["mvalue.deseq2_fdr05"] == "1" and shown["mvalue.settests_called"] == "4"
    assert shown["mvalue.settests_top"] == "process number 0"
    # equivalence: genes of interest of both between-arm contrasts, sets and the M-value
    assert shown["treatment.eq_genes_tested"] == "3" and shown["treatment.eq_margin"] == "0.58"
    assert shown["treatment.eq_sets_equivalent"] == "2"
    assert shown["treatment.eq_sets_inconclusive_names"] == "HEAT_SHOCK"
    assert shown["treatment.eq_m_value"] == "equivalent"
    assert "treatment_x_insulin.eq_genes_tested" in shown
    assert "treatment_x_insulin.eq_sets_tested" not in shown  # sets belong to treatment
    assert "no effect" not in page.lower()


def test_the_checker_catches_a_wrong_number(run):
    page = answers.first_screen(tables_of(run))
    expected = expected_facts(run)
    expected.pop("explorer.genes")
    bad = page.replace(
        'data-fact="insulin.fdr05" data-v="4">4<', 'data-fact="insulin.fdr05" data-v="4">5<'
    )
    assert bad != page
    assert mismatches(bad, expected) == ["insulin.fdr05: shown as '5', tables give 4"]
    wrong_value = page.replace(
        'data-fact="qc.flagged" data-v="2"', 'data-fact="qc.flagged" data-v="3"'
    )
    assert any(m.startswith("qc.flagged: page value") for m in mismatches(wrong_value, expected))
    missing = page.replace('data-fact="treatment.fdr10"', 'data-x="treatment.fdr10"')
    assert any("treatment.fdr10" in m and "not on" in m for m in mismatches(missing, expected))


def test_each_card_links_to_its_section(run):
    cards, _ = answers.answers(tables_of(run))
    assert [c.link for c in cards] == [
        "#the-treatment-effect",
        "#the-insulin-response",
        "#expression-vs-insulin-sensitivity",
        "#clinical-endpoints",
        "#cohort-and-design",
    ]
    assert all(c.headline for c in cards)


def test_sets_are_counted_by_the_enriched_call_never_by_a_prerank_fdr(run):
    tb = tables_of(run)
    t = tb.enrichment["treatment"].copy()
    assert (t["FDR"] < 0.05).all() and not t["enriched"].any()
    _, facts = answers.answers(tb)
    assert facts.values["treatment.sets_called"] == 0  # the FDR column is not a call
    t["enriched"] = [True, True] + [False] * (len(t) - 2)
    tb.enrichment["treatment"] = t
    _, facts = answers.answers(tb)
    assert facts.values["treatment.sets_called"] == 2
    assert "called enriched" in answers.first_screen(tb)
    tb.enrichment["treatment"] = t.drop(columns="enriched")  # e.g. a prerank table alone
    _, facts = answers.answers(tb)
    assert "treatment.sets_called" not in facts.values


def write_engines(run: Path) -> None:
    """The second engine's outputs: summary rows per engine, results/de/concordance.tsv."""
    de = run / "results" / "de"
    rows = []
    for engine, samples, participants, single in (("deseq2", 132, 66, 0), ("voom", 136, 70, 4)):
        for contrast in ("treatment", "insulin"):
            rows.append(
                {"contrast": contrast, "engine": engine, "samples": samples,
                 "participants": participants if contrast == "treatment" else 35,
                 "participants_one_biopsy": single if contrast == "treatment" else 0}
            )  # fmt: skip
    pd.DataFrame(rows).to_csv(de / "summary.tsv", sep="\t", index=False)
    pd.DataFrame(
        {"contrast": ["treatment", "insulin"], "engine_a": "deseq2", "engine_b": "voom",
         "genes_both_tested": [290, 280], "sig_a": [3, 4], "sig_b": [4, 6], "sig_both": [2, 4],
         "sig_a_only": [1, 0], "sig_b_only": [2, 2], "sig_opposite_sign": [0, 1],
         "jaccard": [0.4, 0.667], "spearman_stat": [0.912, np.nan], "spearman_log2fc": 0.9,
         "alpha": 0.05}
    ).to_csv(de / "concordance.tsv", sep="\t", index=False)  # fmt: skip


def test_engines_card_equals_the_concordance_and_the_summary(run):
    assert answers.engines_answer(tables_of(run), answers.Facts()) is None  # one engine: no card
    write_engines(run)
    page = answers.first_screen(tables_of(run))
    expected = expected_facts(run)
    expected.pop("explorer.genes")
    assert mismatches(page, expected) == []
    facts = answers.read_facts(page)
    assert set(facts) == set(expected)
    shown = {k: v[1] for k, v in facts.items()}
    assert shown["engines.one_only"] == "5" and shown["engines.contrasts"] == "2"
    assert (shown["engines.treatment.both"], shown["engines.treatment.b_only"]) == ("2", "2")
    assert shown["engines.insulin.opposite"] == "1" and "engines.insulin.rho" not in shown
    assert shown["engines.treatment.rho"] == "0.91" and shown["engines.rho_max"] == "0.91"
    assert (
        shown["engines.treatment.voom_participants"],
        shown["engines.treatment.voom_one_biopsy"],
    ) == ("70", "4")
    assert shown["engines.treatment.deseq2_samples"] == "132"
    assert "limma-voom only" in page and 'id="answer-engines"' in page


def test_equivalence_hook(run):
    tb = tables_of(run)
    tb.de = {k: t.drop(columns=["verdict_interest"]) for k, t in tb.de.items()}
    tb.clinical.pop("sets_equivalence"), tb.clinical.pop("endpoints")
    page = answers.first_screen(tb)
    assert "Equivalence tests: not part of this run." in page
    tb.equivalence = pd.DataFrame(
        {
            "contrast": "treatment",
            "kind": "gene",
            "feature": GOI,
            "margin": 0.5,
            "verdict": ["equivalent", "equivalent", "different"],
        }  # fmt: skip
    )
    _, facts = answers.answers(tb)
    assert facts.values["treatment.eq_genes_equivalent"] == 2
    assert facts.values["treatment.eq_genes_tested"] == 3
    assert facts.values["treatment.eq_genes_different_names"] == "TXNIP"
    assert "not part of this run" not in answers.first_screen(tb)


def test_missing_stages_leave_their_cards_out(run):
    tb = tables_of(run)
    tb.de = {}
    tb.clinical = {}
    cards, _ = answers.answers(tb)
    assert [c.key for c in cards] == ["qc"]


def test_a_fact_is_written_once():
    f = answers.Facts()
    f.int("a", 1)
    with pytest.raises(ValueError, match="written twice"):
        f.int("a", 2)


def test_number_formats():
    assert answers.fmt_int(16009) == "16,009"
    assert answers.fmt_num(-0.6912) == "−0.69"
    assert answers.fmt_num(0.0004) == "0.0004"
    assert answers.fmt_p(9.7e-10) == "9.7e-10" and answers.fmt_p(0.0340) == "0.034"


def test_go_sets_are_named():
    assert answers.set_label("GO:0036037", "CD8-positive, alpha-beta T cell activation") == (
        "CD8-positive, alpha-beta T cell activation"
    )
    assert answers.set_label("OXPHOS", "protein-coding genes annotated to ...") == "OXPHOS"
    from myoclamp.report.story import prerank_view, top_sets

    top = top_sets(_sets(n=5))
    assert list(top.columns[:2]) == ["set", "name"]
    assert (top["name"] == "process number " + top["set"].str[3:].astype(int).astype(str)).all()
    pre = prerank_view(_sets(n=5).assign(NES=1.0, pvalue=0.01, leading_edge_size=3))
    assert "name" in pre and "description" not in pre
