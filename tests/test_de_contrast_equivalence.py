"""The DE job's equivalence columns and detectable-effect tables (myoclamp.de.contrast_equivalence)
and their writing by the DE stage's write_contrast."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm

from myoclamp.config import section
from myoclamp.de.contrast_equivalence import (
    EQUIVALENCE_COLUMNS,
    add_equivalence,
    detectable_outputs,
    equivalence_settings,
)
from myoclamp.de.equivalence import equivalence_table
from myoclamp.de.pipeline import fit_from_adata, write_contrast
from myoclamp.de.power import DETECTABLE_COLUMNS, multiplier
from myoclamp.de.specs import contrast_specs
from myoclamp_tools.simulate import simulate_trial, simulation_config


def de_table(n: int = 400, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    se = rng.uniform(0.05, 0.6, n)
    lfc = rng.normal(0, 0.3, n)
    p = 2 * norm.sf(np.abs(lfc / se))
    return pd.DataFrame(
        {
            "gene_id": [f"G{i}" for i in range(n)],
            "symbol": [f"S{i}" for i in range(n)],
            "baseMean": rng.lognormal(5, 1.5, n),
            "log2FoldChange": lfc,
            "lfcSE": se,
            "pvalue": p,
            "padj": np.minimum(p * n / (np.argsort(np.argsort(p)) + 1), 1.0),
        }
    )


def settings(**de):
    full = section({"de": {"genes_of_interest": ["S1", "S2", "S3", "S4"], **de}}, "de")
    return equivalence_settings(full)


def test_columns_are_the_equivalence_tables_under_their_names():
    t = de_table()
    s = settings()
    out = add_equivalence(t, 40, s)
    assert list(out.columns) == list(t.columns) + EQUIVALENCE_COLUMNS
    pd.testing.assert_frame_equal(out[t.columns], t)  # the DE columns untouched
    eq = equivalence_table(t, s.margin, df=40, genes_of_interest=s.genes_of_interest)
    np.testing.assert_array_equal(out["eq_pvalue"], eq["pvalue"])
    np.testing.assert_array_equal(out["eq_padj"], eq["padj"])
    np.testing.assert_array_equal(out["eq_padj_interest"], eq["padj_interest"])
    np.testing.assert_array_equal(out["padj_interest"], eq["de_padj_interest"])
    assert (out["verdict"] == eq["verdict"]).all()
    assert out["interest"].sum() == 4
    assert (out.loc[~out["interest"], "verdict_interest"] == "").all()
    assert (out["eq_margin"] == 0.585).all()
    # the detectable effect is k x lfcSE with k for t(40), 80 % power, alpha 0.05
    np.testing.assert_allclose(out["mde"], multiplier(0.05, 0.8, 40) * t["lfcSE"])


def test_margin_power_and_alpha_come_from_the_settings():
    t = de_table()
    wide = add_equivalence(t, None, settings(equivalence_margin=1.0))
    narrow = add_equivalence(t, None, settings(equivalence_margin=0.3))
    assert (wide["eq_pvalue"] <= narrow["eq_pvalue"]).all()
    assert (wide["verdict"] == "equivalent").sum() > (narrow["verdict"] == "equivalent").sum()
    hi = add_equivalence(t, None, settings(power={"target": 0.9}))
    assert (hi["mde"] > wide["mde"]).all()


def test_empty_table_gets_the_columns():
    t = de_table().iloc[:0]
    out = add_equivalence(t, 40, settings())
    assert list(out.columns) == list(t.columns) + EQUIVALENCE_COLUMNS and out.empty
    goi, dist = detectable_outputs(out, 40, settings())
    assert list(goi.columns) == DETECTABLE_COLUMNS and goi.empty
    assert (dist["genes"] == 0).all()


def test_next_trial_sizes_only_between_arms():
    t = add_equivalence(de_table(), 40, settings())
    between, _ = detectable_outputs(t, 40, settings(), arms=(20, 22))
    within, dist = detectable_outputs(t, 40, settings(), arms=None)
    assert len(between) == 4 and between["n_per_arm"].notna().all()
    assert within["n_per_arm"].isna().all() and within["n_per_arm_equivalence"].isna().all()
    pd.testing.assert_series_equal(between["mde"], within["mde"])
    assert list(dist["level"]) == ["nominal", "genomewide"]


def test_between_arms_contrasts():
    cfg = simulation_config(contrasts=[
        {"name": "arm_at_baseline", "factor": "arm", "reference": "placebo", "test": "anakinra"},
        {"name": "sex_diff", "factor": "sex", "reference": "F", "test": "M"},
    ])  # fmt: skip
    flags = {s.name: s.between_arms for s in contrast_specs(cfg)}
    assert flags["treatment"] and flags["treatment_x_insulin"] and flags["arm_at_baseline"]
    assert not flags["insulin"] and not flags["insulin_placebo"] and not flags["sex_diff"]


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    adata, truth = simulate_trial((6, 7), 300, treatment_genes=10, treatment_lfc=2.0, seed=11)
    adata.var["symbol"] = adata.var_names
    cfg = simulation_config(genes_of_interest=["G00001", "G00002", "G00003"], shrink=False)
    out = tmp_path_factory.mktemp("de")
    paths = {}
    for design, contrast in (("treatment", "treatment"), ("insulin", "insulin")):
        fit = fit_from_adata(adata, design, cfg)
        files = {
            "tsv": out / f"{contrast}.tsv",
            "meta": out / f"{contrast}.json",
            "detectable": out / "detectable" / f"{contrast}.tsv",
            "distribution": out / "detectable" / f"{contrast}.distribution.tsv",
            **{p: out / f"{contrast}_{p}.png" for p in ("volcano", "ma", "pvalues", "forest")},
        }
        write_contrast(fit, contrast, cfg, {k: str(v) for k, v in files.items()})
        paths[contrast] = files
    return paths, truth


def test_written_treatment_contrast(written):
    paths, truth = written
    t = pd.read_csv(paths["treatment"]["tsv"], sep="\t")
    meta = json.loads(paths["treatment"]["meta"].read_text())
    eq = meta["equivalence"]
    assert eq["margin"] == 0.585 and eq["participants_per_arm"] == {"reference": 6, "test": 7}
    counts = t["verdict"].value_counts()
    assert eq["verdicts"]["all_genes"] == {v: int(counts.get(v, 0)) for v in
                                           ("equivalent", "different", "inconclusive")}  # fmt: skip
    # planted 2.0 log2 changes are never equivalent within 0.585
    planted = truth["treatment"].index[truth["treatment"] != 0]
    assert (t.set_index("gene_id").loc[planted, "verdict"] != "equivalent").all()
    goi = pd.read_csv(paths["treatment"]["detectable"], sep="\t")
    assert list(goi["symbol"]) == ["G00001", "G00002", "G00003"]
    assert goi["n_per_arm"].notna().all() and (goi["n_per_arm"] >= 2).all()
    np.testing.assert_allclose(
        goi["mde"], t.set_index("gene_id").loc[goi["gene_id"], "mde"], rtol=1e-12
    )
    dist = pd.read_csv(paths["treatment"]["distribution"], sep="\t")
    assert dist.loc[0, "genes"] == t["pvalue"].notna().sum()


def test_written_within_person_contrast_has_no_next_trial_size(written):
    paths, _ = written
    goi = pd.read_csv(paths["insulin"]["detectable"], sep="\t")
    assert len(goi) == 3 and goi["n_per_arm"].isna().all() and goi["mde"].notna().all()
    meta = json.loads(paths["insulin"]["meta"].read_text())
    assert meta["equivalence"]["participants_per_arm"] is None


def test_per_gene_degrees_of_freedom_of_a_voom_table():
    """A table with limma's moderated df per gene (``df_total``) is tested gene by gene with its
    own t reference: the same as each gene alone with a scalar df."""
    from myoclamp.de.contrast_equivalence import contrast_outputs, reference_df

    t = de_table(60).assign(df_total=np.linspace(4, 200, 60))
    assert reference_df(t, {"wald_df": 9}) is not None and len(reference_df(t, {})) == 60
    assert reference_df(t.drop(columns="df_total"), {"wald_df": 9}) == 9
    s = settings()
    out = add_equivalence(t, t["df_total"].to_numpy(), s)
    for i in (0, 17, 59):
        one = add_equivalence(t.iloc[[i]], float(t["df_total"].iloc[i]), s)
        assert out["eq_ci_low"].iloc[i] == pytest.approx(one["eq_ci_low"].iloc[0], rel=1e-12)
        assert out["mde"].iloc[i] == pytest.approx(one["mde"].iloc[0], rel=1e-9)
    # eq_pvalue gene by gene (BH is over the family, so compare the raw p-values)
    lone = [add_equivalence(t.iloc[[i]], float(d), s)["eq_pvalue"].iloc[0]
            for i, d in enumerate(t["df_total"])]  # fmt: skip
    np.testing.assert_allclose(out["eq_pvalue"], lone, rtol=1e-12)
    goi, dist = detectable_outputs(out, t["df_total"].to_numpy(), s, arms=(10, 12))
    assert len(goi) == 4 and goi["n_per_arm"].notna().all() and dist.loc[0, "genes"] == 60
    meta = {"estimable": True}
    table, _, _ = contrast_outputs(t, meta, None, False, {"de": {"genes_of_interest": ["S1"]}})
    assert meta["equivalence"]["participants_per_arm"] is None and "verdict" in table
