"""The gene explorer's embedded data equals the run's tables and expression, gene by gene."""

import json

import anndata as ad
import numpy as np
import pandas as pd
import pytest

from myoclamp.report import genedata
from myoclamp.report.encode import decode, dequantise

CONFIG = {
    "levels": {
        "arm": {"reference": "placebo", "test": "anakinra"},
        "visit": {"baseline": "baseline", "followup": "week13"},
        "clamp": {"basal": "basal", "insulin": "insulin"},
    },
    "de": {"alpha": 0.05, "genes_of_interest": ["PDK4", "ABSENT", "G3"]},
    "clinical": {"m_value": "m_value"},
}


def _adata(n_genes=12):
    rng = np.random.default_rng(3)
    rows = []
    for p in range(4):
        for visit in ("baseline", "week13"):
            for clamp in ("basal", "insulin"):
                rows.append(
                    {
                        "participant": f"P{p}",
                        "arm": "placebo" if p < 2 else "anakinra",
                        "visit": visit,
                        "clamp": clamp,
                        "excluded": p == 3 and visit == "week13" and clamp == "insulin",
                        "m_value": 3.0 + p if visit == "baseline" else np.nan,
                    }
                )
    obs = pd.DataFrame(rows, index=[f"S{i:02d}" for i in range(len(rows))])
    for col, levels in (("arm", ["placebo", "anakinra"]), ("visit", ["baseline", "week13"]),
                        ("clamp", ["basal", "insulin"])):  # fmt: skip
        obs[col] = pd.Categorical(obs[col], categories=levels, ordered=True)
    keys = [f"ENSG{i:011d}" for i in range(1, n_genes + 1)]
    symbols = ["PDK4"] + [f"G{i}" for i in range(1, n_genes)]
    var = pd.DataFrame({"gene_id": keys, "symbol": symbols}, index=keys)
    counts = rng.poisson(50, size=(len(obs), n_genes)).astype(np.float32)
    a = ad.AnnData(X=counts, obs=obs, var=var)
    a.layers["normalized"] = counts * rng.uniform(0.5, 2.0, size=(len(obs), 1)).astype(np.float32)
    return a


def _de(keys, symbols, missing=(), seed=0):
    rng = np.random.default_rng(seed)
    n = len(keys)
    lfc = rng.normal(0, 1, n)
    se = rng.uniform(0.1, 0.5, n)
    t = pd.DataFrame(
        {
            "gene_id": keys,
            "symbol": symbols,
            "baseMean": rng.uniform(5, 2e5, n),
            "log2FoldChange": lfc,
            "lfcSE": se,
            "pvalue": 10 ** -rng.uniform(0, 80, n),
            "ci_low": lfc - 1.98 * se,
            "ci_high": lfc + 1.98 * se,
            "filtered": False,
            "outlier": False,
            "unwanted_control": False,
        }
    )
    t["padj"] = np.minimum(t["pvalue"] * 10, 1.0)
    t.loc[2, ["padj"]] = np.nan
    t.loc[2, "filtered"] = True
    t.loc[4, "unwanted_control"] = True
    return t[~t["gene_id"].isin(missing)].reset_index(drop=True)


@pytest.fixture
def payload():
    a = _adata()
    keys, symbols = list(a.var_names), list(a.var["symbol"])
    de = {
        # gene 11 (index 10) is in no table: untested; gene 12 only in the clinical table
        "treatment": _de(keys, symbols, missing=keys[9:], seed=1),
        "insulin": _de(keys, symbols, missing=[keys[0], *keys[10:]], seed=2),
    }
    clin = _de(keys, symbols, missing=keys[:1] + keys[10:11], seed=4)
    clin = clin.rename(columns={"log2FoldChange": "estimate"}).assign(method="deseq2", n=4)
    summary = pd.DataFrame(
        {"contrast": ["treatment", "insulin"], "description": ["arm change", "clamp"]}
    )
    p = genedata.gene_payload(a, de, summary, {"genes": clin}, CONFIG, {"treatment": "t"})
    return a, de, clin, p


def test_genes_are_the_tested_ones_in_anndata_order(payload):
    a, de, clin, p = payload
    keys = list(a.var_names)
    tested = [k for k in keys if k != keys[10]]
    assert p["n_tested"] == len(tested) == 11
    symbols = p["names"]["symbol"].split("\t")
    assert symbols[: p["n_tested"]] == list(a.var.loc[tested, "symbol"])
    assert symbols[-1] == a.var.loc[keys[10], "symbol"]  # untested genes: names only
    ensg = decode(p["names"]["ensg"], "i32")
    assert [f"ENSG{d:011d}" for d in ensg] == tested + [keys[10]]
    assert set(p["names"]["key"].split("\t")) == {""}  # keys equal Ensembl ids, not symbols
    assert p["goi"] == [0, 3]  # PDK4 and G3, in the configured order; ABSENT left out


def test_contrast_columns_equal_the_tables(payload):
    a, de, _, p = payload
    keys = [k for k in a.var_names if k != a.var_names[10]]
    for block, (name, table) in zip(p["contrasts"], de.items(), strict=True):
        assert block["name"] == name
        t = table.set_index("gene_id").reindex(keys)
        lfc = decode(block["lfc"], "f32")
        np.testing.assert_array_equal(lfc, t["log2FoldChange"].to_numpy(np.float32))
        p_back = 10 ** -decode(block["mlog10p"], "f32").astype(float)
        np.testing.assert_allclose(p_back, t["pvalue"], rtol=2e-5)
        padj = 10 ** -decode(block["mlog10padj"], "f32").astype(float)
        np.testing.assert_allclose(padj, t["padj"], rtol=2e-5)  # NaN where not tested
        se = decode(block["lfcSE"], "f16").astype(float)
        np.testing.assert_allclose(se, t["lfcSE"], rtol=1e-3)
        assert block["q"] == pytest.approx(1.98)
        # the CI the browser draws: lfc +/- q * se, within float16's rounding of se
        np.testing.assert_allclose(lfc + block["q"] * se, t["ci_high"], atol=2e-3, equal_nan=True)
        flags = decode(block["flags"], "u8")
        fitted = t["log2FoldChange"].notna().to_numpy()
        assert ((flags & 1) > 0).tolist() == fitted.tolist()
        assert ((flags & 2) > 0).tolist() == t["padj"].notna().tolist()
        assert flags[2] & 4 and flags[4] & 16 and not flags[3] & (4 | 8 | 16)
    assert p["contrasts"][0]["section"] == "t" and p["contrasts"][1]["section"] == ""


def test_shared_basemean_is_sent_once():
    a = _adata()
    keys, symbols = list(a.var_names), list(a.var["symbol"])
    t1 = _de(keys, symbols, seed=1)
    t2 = t1.assign(log2FoldChange=-t1["log2FoldChange"])
    p = genedata.gene_payload(a, {"a": t1, "b": t2}, None, {}, CONFIG)
    assert p["contrasts"][1]["baseMean"] is None and p["contrasts"][1]["baseMeanFrom"] == 0
    np.testing.assert_array_equal(
        decode(p["contrasts"][0]["baseMean"], "f32"), t1["baseMean"].to_numpy(np.float32)
    )


def test_association_with_m_value(payload):
    a, _, clin, p = payload
    keys = [k for k in a.var_names if k != a.var_names[10]]
    (block,) = p["associations"]
    assert block["name"] == "deseq2" and block["n"] == 4
    t = clin.set_index("gene_id").reindex(keys)
    np.testing.assert_array_equal(
        decode(block["estimate"], "f32"), t["estimate"].to_numpy(np.float32)
    )
    np.testing.assert_allclose(decode(block["ciLow"], "f16"), t["ci_low"], rtol=1e-3, atol=1e-3)


def test_expression_is_log2_normalised_of_analysed_samples(payload):
    a, _, _, p = payload
    s = p["samples"]
    used = a.obs_names[~a.obs["excluded"]]
    assert s["id"] == list(used) and len(s["id"]) == a.n_obs - 1
    assert s["levels"] == {
        "arm": ["placebo", "anakinra"],
        "visit": ["baseline", "week13"],
        "clamp": ["basal", "insulin"],
    }
    assert s["arm"][0] == 0 and s["clamp"][1] == 1
    m = decode(s["m_value"], "f32")
    np.testing.assert_array_equal(np.isnan(m), a.obs.loc[used, "m_value"].isna())
    n = p["n_tested"]
    codes = decode(p["expression"]["codes"], "u8").reshape(n, len(used))
    lo, hi = decode(p["expression"]["lo"], "f32"), decode(p["expression"]["hi"], "f32")
    back = dequantise(codes, lo, hi)
    keys = [k for k in a.var_names if k != a.var_names[10]]
    truth = np.log2(a[used, keys].layers["normalized"].astype(float) + 1).T
    step = (hi.astype(float) - lo.astype(float)) / 254
    assert (np.abs(back - truth) <= step[:, None] / 2 + 1e-5).all()


def test_payload_json_is_safe_inside_a_script_element(payload):
    *_, p = payload
    p = dict(p, names=dict(p["names"], symbol=p["names"]["symbol"] + "\t</script><b>"))
    text = genedata.payload_json(p)
    assert "</script>" not in text and "<\\/script>" in text
    assert json.loads(text)["names"]["symbol"].endswith("</script><b>")


def test_sizes_are_reported_per_part(payload):
    *_, p = payload
    sizes = genedata.sizes(p)
    assert {"names", "contrasts", "expression", "samples"} <= set(sizes)
    assert all(v > 0 for v in sizes.values())
    assert sum(sizes.values()) >= len(genedata.payload_json(p)) - 2 * len(sizes)
