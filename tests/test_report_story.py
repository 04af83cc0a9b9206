"""Report statements are computed from the tables they describe."""

import numpy as np
import pandas as pd

from myoclamp.report import story
from myoclamp.report.html import table


def _de(n=200, hits=0, seed=0):
    rng = np.random.default_rng(seed)
    padj = rng.uniform(0.2, 1, n)
    padj[:hits] = 0.001
    lfc = rng.normal(0, 0.1, n)
    se = np.full(n, 0.1)
    symbols = [f"G{i}" for i in range(n)]
    symbols[5], symbols[6] = "SLC2A4", "PDK4"
    return pd.DataFrame(
        {
            "gene_id": symbols,
            "symbol": symbols,
            "baseMean": 100.0,
            "log2FoldChange": lfc,
            "lfcSE": se,
            "pvalue": padj / 2,
            "padj": padj,
            "ci_low": lfc - 1.96 * se,
            "ci_high": lfc + 1.96 * se,
        }
    )


def test_null_statement_counts_and_bounds():
    t = _de(hits=3)
    t.loc[4, "padj"] = 0.07
    s = story.null_statement(t, ["SLC2A4", "PDK4", "ABSENT"])
    assert (s["tested"], s["fdr05"], s["fdr10"]) == (200, 3, 4)
    assert s["goi_found"] == 2
    expected = max(abs(t.loc[i, c]) for i in (5, 6) for c in ("ci_low", "ci_high"))
    assert s["goi_widest_bound"] == expected
    sentence = story.null_sentence("treatment", s)
    assert "of 200 genes tested, 3 had an adjusted p-value below 0.05 and 4 below 0.10" in sentence
    assert f"±{expected:.2f} log2" in sentence


def test_untested_genes_are_not_counted():
    t = _de()
    t.loc[:49, "padj"] = np.nan
    assert story.null_statement(t, [])["tested"] == 150


def test_design_counts_leave_out_excluded():
    obs = pd.DataFrame(
        {
            "participant": ["P1", "P1", "P2", "P2", "P3"],
            "arm": ["a", "a", "b", "b", "b"],
            "visit": ["v0", "v1", "v0", "v1", "v0"],
            "excluded": [False, False, False, True, False],
        }
    )
    out = story.design_counts(obs)
    row = out[(out["arm"] == "b") & (out["visit"] == "v0")].iloc[0]
    assert (row["biopsies"], row["participants"]) == (2, 2)
    assert len(out[(out["arm"] == "b") & (out["visit"] == "v1")]) == 0


def test_goi_estimates_keep_configured_order():
    t = _de()
    out = story.goi_estimates(t, ["PDK4", "SLC2A4"])
    assert out["symbol"].tolist() == ["PDK4", "SLC2A4"]


def test_html_table_escapes_and_truncates():
    df = pd.DataFrame({"name": ["<b>x</b>", "y", "z"], "value": [1.5, np.nan, 3.0]})
    html = table(df, "t1", max_rows=2, searchable=True)
    assert "&lt;b&gt;x&lt;/b&gt;" in html and "<b>x</b>" not in html
    assert "First 2 of 3 rows" in html
    assert 'data-table="t1"' in html and 'class="na"' in html


def test_endpoints_view_and_ci_statement():
    t = pd.DataFrame(
        {
            "variable": ["hba1c", "m_value"],
            "arm_reference": "placebo",
            "arm_test": "anakinra",
            **{f"{s}_{v}_{a}": [1.0, 2.0] for s in ("n", "mean", "sd")
               for v in ("baseline", "followup") for a in ("reference", "test")},
            "estimate": [-0.46, 0.1],
            "ci_low": [-0.9, -0.3],
            "ci_high": [-0.02, 0.5],
            "pvalue": [0.03, 0.6],
            "note": [np.nan, "x"],
        }
    )  # fmt: skip
    view = story.endpoints_view(t)
    assert view.loc[0, "anakinra - placebo at follow-up [95 % CI]"] == "-0.46 [-0.9, -0.02]"
    assert view.loc[1, "baseline placebo"] == "2 (2), n=2"
    assert story.ci_excludes_zero(t) == ["hba1c"]


def test_contrast_block_says_when_the_design_was_adjusted_for_unwanted_variation():
    from myoclamp.report.render import _contrast_block

    def block(factors):
        summary = pd.DataFrame(
            [
                {
                    "contrast": "insulin",
                    "description": "insulin vs basal",
                    "formula": "~ participant + visit + clamp",
                    "samples": 40,
                    "participants": 10,
                    "estimable": "yes",
                    "unwanted_factors": factors,
                }
            ]
        )
        return _contrast_block("insulin", summary, {"insulin": _de()}, {}, ["SLC2A4"])

    assert "Adjusted for 1 factor of unwanted variation" in block(1)
    assert "Adjusted for 2 factors" in block(2)
    assert "Adjusted for" not in block(0)
    assert "Adjusted for" not in block(np.nan)  # summaries written before the option existed
