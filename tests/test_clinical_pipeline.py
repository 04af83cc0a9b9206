"""The clinical stage on a small synthetic trial: endpoints, per-gene and set association with
the M-value (set scores and set tests), reproducibility, change vs change, plots, and trials
without an M-value."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import anndata as ad
import numpy as np
import pandas as pd
import pytest
from pydeseq2.dds import DeseqDataSet

from myoclamp.clinical import pipeline
from myoclamp.clinical.endpoints import endpoint_table
from myoclamp.clinical.settings import clinical_settings
from myoclamp.enrichment.settests import SET_TEST_COLUMNS
from myoclamp.io import write_h5ad

N_PEOPLE, N_GENES, SET_SIZE = 24, 200, 20


def config(**clinical) -> dict:
    section = {
        "m_value": "m_value",
        "variables": ["hba1c", "m_value"],
        "covariates": ["age", "sex"],
    }
    section.update(clinical)
    return {
        "inputs": {"samples": "samples.tsv", "clinical": "clinical.tsv"},
        "levels": {
            "arm": {"reference": "placebo", "test": "drug"},
            "visit": {"baseline": "v0", "followup": "v1"},
            "clamp": {"basal": "basal", "insulin": "insulin"},
        },
        "clinical": section,
        "de": {"min_count": 5, "min_samples": None, "alpha": 0.05, "fit_type": "parametric",
               "refit_cooks": True, "cooks_filter": True, "independent_filter": True},
        "enrichment": {"permutations": 200, "set_permutations": 199, "min_size": 10,
                       "max_size": 100, "curated_min_size": 5},
        "seed": 11,
    }  # fmt: skip


def vst_layer(counts: np.ndarray) -> np.ndarray:
    """pydeseq2's blind VST of a small count matrix (samples x genes)."""
    df = pd.DataFrame(counts, columns=[f"g{j}" for j in range(counts.shape[1])])
    df.index = [f"s{i}" for i in range(len(df))]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        dds = DeseqDataSet(counts=df, metadata=pd.DataFrame({"c": 1}, index=df.index),
                           design="~1", quiet=True)  # fmt: skip
        dds.vst(use_design=False)
    return np.asarray(dds.layers["vst_counts"], dtype=np.float32)


@pytest.fixture(scope="module")
def trial():
    """A 24-person trial: genes 0-19 (set UP_WITH_M) rise with the M-value, 20-29 fall."""
    rng = np.random.default_rng(5)
    people = pd.DataFrame(
        {
            "participant": [f"P{i:02d}" for i in range(N_PEOPLE)],
            "arm": ["placebo", "drug"] * (N_PEOPLE // 2),
            "sex": rng.choice(["F", "M"], N_PEOPLE),
            "age": rng.integers(45, 75, N_PEOPLE).astype(float),
            "m0": rng.normal(4.0, 1.5, N_PEOPLE).clip(1.0),
        }
    )
    rows = []
    for _, p in people.iterrows():
        for visit in ("v0", "v1"):
            m = p["m0"] * (1 + rng.normal(0, 0.1))
            for clamp in ("basal", "insulin"):
                rows.append({**p.drop("m0").to_dict(), "visit": visit, "clamp": clamp,
                             "m_value": m, "site": "s1"})  # fmt: skip
    obs = pd.DataFrame(rows)
    obs.index = [f"S{i:03d}" for i in range(len(obs))]
    base = rng.lognormal(5, 1, N_GENES)
    effect = np.zeros(N_GENES)
    effect[:SET_SIZE] = 0.25  # log per unit of M
    effect[SET_SIZE : SET_SIZE + 10] = -0.25  # in no set: keeps size factors free of M
    person = rng.normal(0, 0.1, (N_PEOPLE, N_GENES))
    pid = obs["participant"].str[1:].astype(int).to_numpy()
    mu = base * np.exp(person[pid] + np.outer(obs["m_value"] - 4.0, effect))
    counts = rng.negative_binomial(20, 20 / (20 + mu))
    obs["excluded"] = False
    obs.iloc[0, obs.columns.get_loc("excluded")] = True  # P00 v0 basal: dropped
    for col in ("participant", "arm", "sex", "visit", "clamp", "site"):
        obs[col] = obs[col].astype("category")
    obs["participant"] = obs["participant"].astype(str)
    symbols = [f"GENE{j}" for j in range(N_GENES)]
    var = pd.DataFrame({"gene_id": "", "symbol": symbols}, index=[f"k{j}" for j in range(N_GENES)])
    adata = ad.AnnData(X=counts.astype(np.int64), obs=obs, var=var)
    adata.layers["vst"] = vst_layer(counts)
    return adata


@pytest.fixture(scope="module")
def gmt(tmp_path_factory):
    path = tmp_path_factory.mktemp("gmt") / "sets.gmt"
    lines = [
        "UP_WITH_M\tplanted\t" + "\t".join(f"GENE{j}" for j in range(SET_SIZE)),
        "NULL_SET\tnone\t" + "\t".join(f"GENE{j}" for j in range(100, 100 + SET_SIZE)),
    ]
    path.write_text("\n".join(lines) + "\n")
    return {"muscle": str(path)}


@pytest.fixture(scope="module")
def genes_table(trial):
    return pipeline.baseline_genes(trial, config())


def test_genes_table_finds_the_planted_genes_with_both_methods(genes_table):
    table, meta = genes_table
    assert meta["participants"] == N_PEOPLE - 1  # the excluded baseline basal biopsy
    assert set(table["method"]) == {"deseq2", "spearman"}
    for method, sub in table.groupby("method"):
        sub = sub.set_index("symbol")
        planted = sub.loc[[f"GENE{j}" for j in range(SET_SIZE)]]
        others = sub.drop([f"GENE{j}" for j in range(SET_SIZE + 10)])
        assert (planted["estimate"] > 0).mean() > 0.9, method
        assert (planted["padj"] < 0.05).mean() > 0.5, method
        assert (others["padj"] < 0.05).mean() < 0.05, method
    deseq = table[table["method"] == "deseq2"].set_index("symbol")
    # log2FC per SD of M: 0.25 per unit of M (natural log) times the SD of M
    planted = [f"GENE{j}" for j in range(SET_SIZE)]
    assert deseq.loc[planted, "estimate"].median() == pytest.approx(0.25 * 1.5 / np.log(2), rel=0.5)


def test_set_scores_and_set_tests_find_the_planted_set_and_are_reproducible(
    trial, genes_table, gmt, tmp_path
):
    path = tmp_path / "genes.tsv"
    genes_table[0].to_csv(path, sep="\t", index=False, na_rep="NA")
    h5 = tmp_path / "qc.h5ad"
    write_h5ad(trial, h5)
    outs = [
        {k: str(tmp_path / f"{k}{i}.tsv") for k in ("sets", "set_tests", "meta")} for i in (1, 2)
    ]
    for out in outs:
        pipeline.write_sets(str(h5), str(path), gmt, config(), out)
    sets = pd.read_csv(outs[0]["sets"], sep="\t").set_index("set")
    assert sets.loc["UP_WITH_M", "estimate"] > 0.6 and sets.loc["UP_WITH_M", "padj"] < 0.01
    assert sets.loc["NULL_SET", "padj"] > 0.05
    tests = pd.read_csv(outs[0]["set_tests"], sep="\t")
    assert list(tests.columns) == SET_TEST_COLUMNS
    tests = tests.set_index("set")
    assert tests.loc["UP_WITH_M", "enriched"] and tests.loc["UP_WITH_M", "direction"] == "Up"
    assert not tests.loc["NULL_SET", "enriched"]
    # same seed, same permutations: identical tables
    assert Path(outs[0]["set_tests"]).read_text() == Path(outs[1]["set_tests"]).read_text()
    meta = json.loads(Path(outs[0]["meta"]).read_text())
    assert meta["covariates"] == ["age", "sex"]
    st = meta["set_tests"]
    assert st["seed"] == 11 and st["permutations"] == 199 and st["samples"] == N_PEOPLE - 1
    assert st["permutation_scheme"] == "arms" and st["permutation_exact"] is False  # covariates
    # the genes of the per-gene DESeq2 association (same count filter)
    deseq = genes_table[0][genes_table[0]["method"] == "deseq2"]
    assert st["genes"] == deseq["gene_id"].nunique()
    other = {k: str(tmp_path / f"{k}3.tsv") for k in ("sets", "set_tests", "meta")}
    pipeline.write_sets(str(h5), str(path), gmt, {**config(), "seed": 12}, other)
    a, b = (pd.read_csv(o["set_tests"], sep="\t").set_index("set") for o in (outs[0], other))
    assert a["camera_pvalue"].equals(b["camera_pvalue"].reindex(a.index))
    assert not a["permutation_pvalue"].equals(b["permutation_pvalue"].reindex(a.index))


def test_change_vs_change_uses_participants_with_both_visits(trial, gmt, tmp_path):
    h5 = tmp_path / "qc.h5ad"
    write_h5ad(trial, h5)
    out = {k: str(tmp_path / f"change_{k}.tsv") for k in ("genes", "sets", "meta")}
    pipeline.write_change(str(h5), gmt, config(), out)
    meta = json.loads(Path(out["meta"]).read_text())
    assert meta["participants"] == N_PEOPLE - 1  # P00 lost its baseline basal biopsy
    assert meta["covariates"] == ["arm"]
    genes = pd.read_csv(out["genes"], sep="\t")
    assert genes["n"].eq(N_PEOPLE - 1).all() and genes["padj"].between(0, 1).all()
    sets = pd.read_csv(out["sets"], sep="\t")
    assert set(sets["set"]) == {"UP_WITH_M", "NULL_SET"}


def test_plots_are_written(trial, genes_table, gmt, tmp_path):
    h5 = tmp_path / "qc.h5ad"
    write_h5ad(trial, h5)
    genes = tmp_path / "genes.tsv"
    genes_table[0].to_csv(genes, sep="\t", index=False, na_rep="NA")
    out = {k: str(tmp_path / f"{k}.tsv") for k in ("sets", "set_tests", "meta")}
    pipeline.write_sets(str(h5), str(genes), gmt, config(), out)
    png = {k: tmp_path / f"{k}.png" for k in ("genes", "sets")}
    pipeline.write_plots(str(h5), str(genes), out["sets"], gmt, config(), png)
    for path in png.values():
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("override", [{"m_value": None}, {"no_clinical": True}])
def test_a_trial_without_m_value_writes_empty_tables_with_a_note(trial, gmt, tmp_path, override):
    cfg = config(m_value=override.get("m_value", "m_value"))
    if override.get("no_clinical"):
        cfg["inputs"]["clinical"] = None
    table, meta = pipeline.baseline_genes(trial, cfg)
    assert table.empty and "gene_id" in table.columns
    assert "null" in meta["notes"][0]
    h5 = tmp_path / "qc.h5ad"
    write_h5ad(trial, h5)
    genes = tmp_path / "genes.tsv"
    table.to_csv(genes, sep="\t", index=False)
    out = {k: str(tmp_path / f"{k}.tsv") for k in ("sets", "set_tests", "meta")}
    pipeline.write_sets(str(h5), str(genes), gmt, cfg, out)
    assert pd.read_csv(out["sets"], sep="\t").empty
    assert pd.read_csv(out["set_tests"], sep="\t").empty
    change = {k: str(tmp_path / f"c_{k}.tsv") for k in ("genes", "sets", "meta")}
    pipeline.write_change(str(h5), gmt, cfg, change)
    assert pd.read_csv(change["genes"], sep="\t").empty
    assert "null" in json.loads(Path(change["meta"]).read_text())["notes"][0]


def test_endpoints_recover_descriptives_and_a_planted_arm_effect():
    rng = np.random.default_rng(9)
    n = 40
    people = pd.DataFrame({"participant": [f"P{i}" for i in range(n)],
                           "arm": ["placebo", "drug"] * (n // 2)})  # fmt: skip
    samples = people.assign(sample=people["participant"] + "_b", site="s1")
    base = rng.normal(8.5, 1.0, n)
    drug = (people["arm"] == "drug").to_numpy()
    follow = base - 0.5 * drug + rng.normal(0, 0.2, n)
    clinical = pd.concat(
        [
            people[["participant"]].assign(visit="v0", hba1c=base, m_value=np.nan),
            people[["participant"]].assign(visit="v1", hba1c=follow, m_value=np.nan),
        ]
    )
    clinical.loc[clinical["participant"] == "P0", "hba1c"] = np.nan  # P0 has no values
    cfg = clinical_settings(config())
    table = endpoint_table(samples, clinical, cfg).set_index("variable")
    row = table.loc["hba1c"]
    assert row["n_ancova"] == n - 1 and row["adjusted_for"] == "baseline"
    assert row["ci_low"] < -0.5 < row["ci_high"] and row["pvalue"] < 1e-6
    ref = base[~drug & (people["participant"] != "P0").to_numpy()]
    assert row["mean_baseline_reference"] == pytest.approx(ref.mean())
    assert row["sd_baseline_reference"] == pytest.approx(ref.std(ddof=1))
    assert row["n_baseline_reference"] == len(ref) and row["n_followup_test"] == n // 2
    assert 0.9 < row["ratio"] < 1.0
    assert table.loc["m_value", "n_ancova"] == 0 and "not estimable" in table.loc["m_value", "note"]
    empty = endpoint_table(samples, None, clinical_settings(config()))
    assert list(empty["variable"]) == ["hba1c", "m_value"] and empty["estimate"].isna().all()


def test_too_few_people_for_the_covariates_gives_an_empty_table_with_the_reason(trial):
    few = trial[trial.obs["participant"].isin([f"P{i:02d}" for i in range(1, 7)])].copy()
    table, meta = pipeline.baseline_genes(few, config(covariates=["age", "sex", "site"]))
    # 6 people, intercept + age + sex + M: 2 residual df, under the minimum of 3
    assert table.empty and meta["genes_tested"] == 0
    assert "residual degrees of freedom" in meta["notes"][-1]
    table, meta = pipeline.baseline_genes(few, config(covariates=[]))
    assert not table.empty  # 6 people, intercept + M: 4 residual df


def test_deseq2_association_uses_the_configured_wald_reference(trial):
    """de.wald_distribution reaches the M-value test: t(n - p) p-values from the same statistic."""
    from scipy import stats

    tables = {}
    for dist in ("normal", "t"):
        cfg = config()
        cfg["de"] = {**cfg["de"], "wald_distribution": dist}
        table, meta = pipeline.baseline_genes(trial, cfg)
        tables[dist] = table[table["method"] == "deseq2"].set_index("gene_id")
    normal, t = tables["normal"], tables["t"].loc[tables["normal"].index]
    np.testing.assert_allclose(t["stat"], normal["stat"])
    df = meta["participants"] - 4  # intercept, age, sex, M
    expected = 2 * stats.t.sf(t["stat"].abs(), df)
    tested = t["pvalue"].notna()
    np.testing.assert_allclose(t.loc[tested, "pvalue"], expected[tested], rtol=1e-9)
    assert (t.loc[tested, "pvalue"] >= normal.loc[tested, "pvalue"]).all()
    assert (t.loc[tested, "pvalue"] > normal.loc[tested, "pvalue"]).mean() > 0.9


def with_normalized(trial: ad.AnnData) -> ad.AnnData:
    from myoclamp.qc.normalise import normalised_counts, size_factors

    out = trial.copy()
    x = np.asarray(out.X, dtype=float)
    out.layers["normalized"] = normalised_counts(x, size_factors(x)).astype(np.float32)
    return out


@pytest.mark.parametrize("no_clinical", [False, True])
def test_sets_equivalence_is_written_with_or_without_clinical_data(trial, gmt, tmp_path,
                                                                   no_clinical):  # fmt: skip
    adata = with_normalized(trial)
    h5 = tmp_path / "qc.h5ad"
    write_h5ad(adata, h5)
    cfg = config()
    if no_clinical:
        cfg["inputs"]["clinical"] = None
    out = {k: str(tmp_path / f"c_{k}.tsv") for k in ("genes", "sets", "meta", "sets_equivalence")}
    pipeline.write_change(str(h5), gmt, cfg, out)
    eq = pd.read_csv(out["sets_equivalence"], sep="\t").set_index("set")
    assert set(eq.index) == {"UP_WITH_M", "NULL_SET"}
    assert (eq["n_reference"] + eq["n_test"] == N_PEOPLE - 1).all()  # P00 has no baseline basal
    assert (eq["margin"] == 0.585).all() and eq["verdict"].isin(["equivalent", "inconclusive",
                                                                   "different"]).all()  # fmt: skip
    # the estimate is the arm difference of each participant's change in mean log2 expression
    obs = adata.obs[(adata.obs["clamp"] == "basal") & ~adata.obs["excluded"]]
    genes = [f"k{j}" for j in range(SET_SIZE)]
    score = pd.Series(
        np.log2(adata[obs.index, genes].layers["normalized"] + 1.0).mean(axis=1), index=obs.index
    )
    wide = obs.assign(s=score).pivot_table(index="participant", columns="visit", values="s",
                                           observed=True).dropna()  # fmt: skip
    arm = obs.drop_duplicates("participant").set_index("participant")["arm"].astype(str)
    change = wide["v1"] - wide["v0"]
    expected = (
        change[arm[change.index] == "drug"].mean() - change[arm[change.index] == "placebo"].mean()
    )
    assert eq.loc["UP_WITH_M", "estimate"] == pytest.approx(expected, rel=1e-4)  # TSV digits
