"""Equivalence per gene (DESeq2's lessAbs test), its adjustment and verdicts (issue 20)."""

from __future__ import annotations

import types
import warnings

import numpy as np
import pandas as pd
import pytest
from pydeseq2.default_inference import DefaultInference
from pydeseq2.ds import DeseqStats
from scipy.stats import norm
from scipy.stats import t as student_t

from myoclamp.de.equivalence import (
    EQUIVALENCE_COLUMNS,
    bh,
    equivalence_table,
    independent_filter_padj,
    lessabs_test,
    tost_interval,
    verdict_counts,
    verdicts,
)
from myoclamp.de.pipeline import contrast_table, fit_from_adata
from myoclamp_tools.simulate import simulate_trial, simulation_config

M = 0.585  # the schema's default margin (1.5-fold)


def test_default_margin_is_one_and_a_half_fold():
    from myoclamp.config import section

    assert section(None, "de")["equivalence_margin"] == M
    assert pytest.approx(1.5, rel=1e-4) == 2**M


def test_lessabs_is_the_larger_one_sided_p_value_as_in_r():
    b = np.array([0.0, 0.3, -0.3, 0.7, -1.2])
    s = np.array([0.1, 0.2, 0.2, 0.2, 0.3])
    stat, p = lessabs_test(b, s, M, df=30)
    # R: pmax(pt((T - LFC)/SE, df, lower = FALSE), pt((LFC + T)/SE, df, lower = FALSE))
    want = np.maximum(student_t.sf((M - b) / s, 30), student_t.sf((b + M) / s, 30))
    np.testing.assert_allclose(p, want, rtol=1e-12)
    np.testing.assert_allclose(
        stat, np.minimum(np.maximum((M - b) / s, 0), np.maximum((b + M) / s, 0))
    )
    assert p[3] > 0.5 and p[4] > 0.9  # beyond the margin: large p, not capped at 0.5
    _, pz = lessabs_test(b, s, M, df=None)
    np.testing.assert_allclose(pz, np.maximum(norm.sf((M - b) / s), norm.sf((b + M) / s)))
    assert (pz[:3] < p[:3]).all()  # the t reference is the more cautious one


def test_p_below_alpha_exactly_when_the_tost_interval_is_inside_the_margin():
    rng = np.random.default_rng(1)
    b = rng.normal(0, 0.5, 5000)
    s = rng.uniform(0.05, 0.4, 5000)
    _, p = lessabs_test(b, s, M, df=20)
    low, high = tost_interval(b, s, 0.05, df=20)
    inside = (low > -M) & (high < M)
    assert ((p < 0.05) == inside).all()
    assert 0.1 < inside.mean() < 0.9


def test_zero_se_and_missing_values():
    stat, p = lessabs_test(np.array([0.0, np.nan]), np.array([0.0, 0.1]), M)
    assert stat[0] == 0 and p[0] == 1.0  # DESeq2: all-zero after outlier replacement
    assert np.isnan(p[1])
    with pytest.raises(ValueError, match="positive"):
        lessabs_test(np.zeros(2), np.ones(2), 0.0)


@pytest.mark.parametrize("df", [None, 12])
def test_at_the_margin_the_test_holds_its_level(df):
    """True |log2FC| = m: estimates N(m, s) with s known (normal) or estimated with df (t)."""
    rng = np.random.default_rng(7)
    n, s = 200_000, 0.2
    se = np.full(n, s) if df is None else s * np.sqrt(rng.chisquare(df, n) / df)
    b = M * rng.choice([-1, 1], n) + s * rng.normal(size=n)
    _, p = lessabs_test(b, se, M, df)
    rate = float(np.mean(p < 0.05))
    assert rate <= 0.05 + 3 * np.sqrt(0.05 * 0.95 / n)
    assert rate > 0.04  # not trivially conservative at this SE


def test_independent_filtering_is_pydeseq2s():
    rng = np.random.default_rng(3)
    n = 3000
    base = np.exp(rng.normal(4, 2, n))
    p = np.where(rng.uniform(size=n) < 0.2, rng.beta(0.2, 8, n), rng.uniform(size=n))
    p[base < 20] = rng.uniform(size=(base < 20).sum())  # low counts: no signal
    p[5] = np.nan
    stub = types.SimpleNamespace(
        p_values=pd.Series(p),
        base_mean=pd.Series(base),
        alpha=0.05,
        dds=types.SimpleNamespace(var_names=pd.RangeIndex(n)),
    )
    DeseqStats._independent_filtering(stub)
    ours = independent_filter_padj(base, p, 0.05)
    np.testing.assert_allclose(ours, stub.padj.to_numpy(), equal_nan=True)
    assert np.isnan(ours[base < np.quantile(base, 0.1)]).all()  # a cut-off was chosen
    assert (ours < 0.05).sum() > (bh(p) < 0.05).sum()


@pytest.fixture(scope="module")
def insulin_fit():
    adata, _ = simulate_trial((4, 4), 150, insulin_genes=20, insulin_lfc=0.4, seed=5)
    return fit_from_adata(adata, "insulin", simulation_config(solver="pydeseq2", shrink=False))


def test_matches_pydeseq2_lessabs_for_a_single_coefficient(insulin_fit):
    """Where pydeseq2's formula is right (one coefficient, |log2FC| < m), it agrees with ours."""
    dds = insulin_fit.dds
    vec = insulin_fit.design.contrasts["insulin"]
    assert (vec != 0).sum() == 1
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        stats = DeseqStats(
            dds,
            contrast=vec,
            lfc_null=M,
            alt_hypothesis="lessAbs",
            inference=DefaultInference(n_cpus=1),
            quiet=True,
        )
        stats.run_wald_test()
    b = (stats.LFC.to_numpy() @ vec) / np.log(2)
    s = stats.SE.to_numpy() / np.log(2)
    _, ours = lessabs_test(b, s, M)
    inside = np.abs(b) < M
    assert inside.sum() > 50
    np.testing.assert_allclose(ours[inside], stats.p_values.to_numpy()[inside], rtol=1e-9)
    # beyond the margin pydeseq2 0.5.4 caps the p-value at 0.5; R and we do not
    assert (stats.p_values.to_numpy()[~inside] <= 0.5 + 1e-12).all()
    assert (ours[~inside] > 0.5).all()


def _table() -> pd.DataFrame:
    """A DE table: genes of interest A-D and eight others, one Cook's outlier."""
    genes = list("ABCDEFGHIJKL")
    return pd.DataFrame(
        {
            "gene_id": [f"g{g}" for g in genes],
            "symbol": genes,
            "baseMean": np.linspace(500, 50, len(genes)),
            "log2FoldChange": [0.0, 0.9, 0.3, 0.1, 0.05, -0.02, 1.5, 0.0, 0.2, -0.1, 0.0, 0.0],
            "lfcSE": [0.05, 0.1, 0.4, 0.08, 0.05, 0.05, 0.1, 0.05, 0.05, 0.05, 0.05, 0.05],
            "pvalue": [0.9, 1e-12, 0.45, 0.2, 0.3, 0.7, 1e-20, 0.99, 0.001, 0.05, 0.9, np.nan],
            "padj": [0.95, 1e-11, 0.6, 0.4, 0.5, 0.8, 1e-19, 0.99, 0.01, 0.2, 0.95, np.nan],
            "ci_low": 0.0,
            "ci_high": 0.0,
        }
    )


def test_equivalence_table_columns_families_and_verdicts():
    table = _table()
    eq = equivalence_table(
        table, M, df=20, genes_of_interest=["A", "B", "C", "D"], independent_filter=False
    )
    assert list(eq.columns) == EQUIVALENCE_COLUMNS
    assert eq["gene_id"].tolist() == table["gene_id"].tolist()  # input order kept
    assert (eq["lfcThreshold"] == M).all()
    by = eq.set_index("symbol")
    # the Cook's outlier (no DE p-value) gets no equivalence p-value, as in R
    assert np.isnan(by.loc["L", "pvalue"]) and by.loc["L", "verdict"] == "inconclusive"
    assert by.loc["A", "verdict_interest"] == "equivalent"
    assert by.loc["B", "verdict_interest"] == "different"  # 0.9 +/- 0.1: beyond the margin
    assert by.loc["C", "verdict_interest"] == "inconclusive"  # 0.3 +/- 0.4: too wide
    assert by.loc["G", "verdict_interest"] == ""  # not a gene of interest
    # BH within the genes of interest uses four tests; over all genes eleven
    _, p = lessabs_test(table["log2FoldChange"], table["lfcSE"], M, 20)
    np.testing.assert_allclose(by.loc[list("ABCD"), "padj_interest"], bh(p[:4]))
    np.testing.assert_allclose(eq["padj"].to_numpy()[:11], bh(p[:11]))
    np.testing.assert_allclose(
        by.loc[list("ABCD"), "de_padj_interest"], bh(table["pvalue"].to_numpy()[:4])
    )
    # I: 0.2 +/- 0.05 differs from zero and lies within the margin: equivalent, as defined
    assert by.loc["I", "verdict"] == "equivalent" and by.loc["I", "de_padj"] < 0.05
    assert verdict_counts(eq) == {"equivalent": 2, "different": 1, "inconclusive": 1}
    assert sum(verdict_counts(eq, interest=False).values()) == len(table)


def test_verdicts_order_of_precedence():
    got = verdicts(np.array([0.01, 0.01, 0.2, 0.2, np.nan]), np.array([0.9, 0.01, 0.01, 0.3, 0.01]))
    assert got.tolist() == [
        "equivalent",
        "equivalent",
        "different",
        "inconclusive",
        "different",
    ]


def test_equivalence_table_from_a_fitted_contrast():
    adata, truth = simulate_trial((5, 5), 300, treatment_genes=30, treatment_lfc=2.0, seed=11)
    cfg = simulation_config(shrink=False, wald_distribution="t")
    fit = fit_from_adata(adata, "treatment", cfg)
    table, meta = contrast_table(fit, "treatment", cfg)
    planted = truth["treatment"]
    goi = list(planted.index[planted != 0][:10]) + list(planted.index[planted == 0][:10])
    eq = equivalence_table(table, 1.0, df=meta["wald_df"], genes_of_interest=goi)
    by = eq.set_index("gene_id")
    big = planted.index[planted != 0].intersection(by.index)
    null = planted.index[planted == 0].intersection(by.index)
    # genes with a 4-fold planted change are never called equivalent within 2-fold
    assert (by.loc[big, "verdict"] != "equivalent").all()
    assert (by.loc[big, "verdict"] == "different").mean() > 0.5
    assert (by.loc[null, "verdict"] == "different").mean() < 0.05


def test_a_contrast_without_rows_gives_the_columns():
    from myoclamp.de.tables import empty_table

    eq = equivalence_table(empty_table(), M, df=10, genes_of_interest=["A"])
    assert eq.empty and list(eq.columns) == EQUIVALENCE_COLUMNS
    assert verdict_counts(eq) == {"equivalent": 0, "different": 0, "inconclusive": 0}
