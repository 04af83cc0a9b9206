"""The treatment section's equivalence statement and figure, from the run's tables (issue 20)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from PIL import Image

from myoclamp.config import section
from myoclamp.de.contrast_equivalence import add_equivalence, equivalence_settings
from myoclamp.report.equivalence import (
    equivalence_plot,
    equivalence_sentence,
    equivalence_summary,
    feature_table,
)

M = 0.585


def genes() -> pd.DataFrame:
    table = pd.DataFrame(
        {
            "gene_id": [f"g{i}" for i in range(8)],
            "symbol": ["SLC2A4", "PDK4", "TXNIP", "HK2", "X1", "X2", "X3", "X4"],
            "baseMean": [900, 800, 700, 600, 500, 400, 300, 200],
            "log2FoldChange": [0.02, 0.9, 0.3, -0.05, 0.0, 1.2, 0.1, 0.0],
            "lfcSE": [0.05, 0.1, 0.4, 0.08, 0.05, 0.1, 0.05, 0.6],
            "pvalue": [0.7, 1e-12, 0.45, 0.5, 0.9, 1e-20, 0.05, 0.99],
            "padj": [0.9, 1e-11, 0.6, 0.7, 0.95, 1e-19, 0.2, 0.99],
            "ci_low": [-0.08, 0.7, -0.5, -0.2, -0.1, 1.0, 0.0, -1.2],
            "ci_high": [0.12, 1.1, 1.1, 0.1, 0.1, 1.4, 0.2, 1.2],
        }
    )
    de = {"genes_of_interest": ["SLC2A4", "PDK4", "TXNIP", "HK2"], "independent_filter": False}
    return add_equivalence(table, 30, equivalence_settings(section({"de": de}, "de")))


def sets() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "set": ["OXPHOS", "FIBRE_SLOW_OXIDATIVE"],
            "estimate": [0.01, 0.2],
            "ci_low": [-0.03, -0.3],
            "ci_high": [0.05, 0.7],
            "tost_ci_low": [-0.02, -0.2],
            "tost_ci_high": [0.04, 0.6],
            "margin": M,
            "verdict": ["equivalent", "inconclusive"],
        }
    )


def endpoint() -> pd.DataFrame:
    """endpoints.tsv: only the M-value has a margin."""
    return pd.DataFrame(
        [
            {
                "variable": "m_value", "estimate": -0.1, "ci_low": -0.6, "ci_high": 0.4,
                "tost_ci_low": -0.5, "tost_ci_high": 0.3, "tost_pvalue": 0.002, "margin": 1.0,
                "verdict": "equivalent",
            },
            {
                "variable": "hba1c", "estimate": -0.4, "ci_low": -0.8, "ci_high": -0.03,
                "tost_ci_low": np.nan, "tost_ci_high": np.nan, "tost_pvalue": np.nan,
                "margin": np.nan, "verdict": np.nan,
            },
        ]
    )  # fmt: skip


def test_statement_counts_and_names_from_the_tables():
    s = equivalence_summary(genes(), sets(), endpoint())
    assert s["goi"] == {"equivalent": 2, "different": 1, "inconclusive": 1}
    assert s["goi_names"]["different"] == ["PDK4"]
    assert s["sets"] == {"equivalent": 1, "different": 0, "inconclusive": 1}
    text = equivalence_sentence(s)
    assert "Of the 4 genes of interest tested, 2 are equivalent within the margin, 1 is " in text
    assert "inconclusive (TXNIP)" in text and "different between arms (PDK4)" in text
    assert "Of the 2 curated muscle sets" in text and "(FIBRE_SLOW_OXIDATIVE)" in text
    assert "±0.58 log2 units (1.50-fold)" in text and "90 % interval" in text
    assert "m_value: arm difference at follow-up -0.10" in text and "±1.00: equivalent" in text
    assert "no effect" not in text.lower() and "hba1c" not in text
    # a different table gives a different statement: nothing is fixed text
    other = genes().assign(verdict_interest=lambda d: np.where(d["interest"], "inconclusive", ""))
    assert "0 are equivalent" in equivalence_sentence(equivalence_summary(other))


def test_statement_without_genes_of_interest_or_sets():
    eq = genes().assign(interest=False, verdict_interest="")
    text = equivalence_sentence(equivalence_summary(eq))
    assert "None of the genes of interest was tested." in text and "sets" not in text


def test_plot_is_written(tmp_path):
    path = tmp_path / "eq.png"
    equivalence_plot(genes(), path, sets=sets(), endpoint=endpoint())
    with Image.open(path) as im:
        assert im.size[0] > 400 and im.size[1] > 400
    empty = tmp_path / "empty.png"
    equivalence_plot(genes().assign(interest=False), empty)
    assert empty.stat().st_size > 0


def test_statement_of_a_contrast_without_rows():
    empty = genes().iloc[:0]
    assert "not estimated" in equivalence_sentence(equivalence_summary(empty))


def test_first_screen_rows_from_the_tables():
    de = {"treatment": genes(), "insulin": genes().drop(columns="verdict_interest")}
    rows = feature_table(de, sets(), endpoint())
    assert set(rows["contrast"]) == {"treatment"}  # insulin has no equivalence columns
    by = rows.set_index(["kind", "feature"])
    assert by.loc[("gene", "PDK4"), "verdict"] == "different"
    assert by.loc[("set", "FIBRE_SLOW_OXIDATIVE"), "verdict"] == "inconclusive"
    assert by.loc[("endpoint", "m_value"), "equivalent"] and ("endpoint", "hba1c") not in by.index
    assert len(rows[rows["kind"] == "gene"]) == 4
    # sets and endpoints belong to the treatment contrast: without it, only genes
    assert set(feature_table({"other": genes()}, sets(), endpoint())["kind"]) == {"gene"}
