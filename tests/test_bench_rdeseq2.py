"""Reading R DESeq2's timing lines and the workflow-vs-R agreement figures (no R needed)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from myoclamp_tools.bench.rdeseq2 import agreement, parse_r_timing, wald_distribution
from myoclamp_tools.rcompare import r_command


def test_parse_r_timing_reads_both_lines_only():
    got = parse_r_timing("noise\nelapsed_seconds\t12.50\ncpu_seconds\t11.25\nother\t3\n")
    assert got == {"r_deseq_elapsed_seconds": 12.5, "r_deseq_cpu_seconds": 11.25}
    assert parse_r_timing("") == {}


def test_agreement_of_workflow_table_and_r_results(tmp_path):
    rng = np.random.default_rng(0)
    genes = [f"ENSG{i:05d}" for i in range(200)]
    stat = rng.normal(size=200)
    padj = np.where(np.abs(stat) > 2, 0.01, 0.5)
    py = pd.DataFrame({"gene_id": genes, "log2FoldChange": stat / 3, "stat": stat, "padj": padj})
    py.to_csv(tmp_path / "py.tsv", sep="\t", index=False)
    r = py.copy()
    r.loc[:9, "stat"] = -r.loc[:9, "stat"]  # ten genes disagree in sign
    r.loc[r["padj"] < 0.05, "padj"] = [0.5] + [0.01] * int((r["padj"] < 0.05).sum() - 1)
    r.to_csv(tmp_path / "r.tsv", sep="\t", index=False)
    got = agreement(tmp_path / "py.tsv", tmp_path / "r.tsv")
    n_sig = int((padj < 0.05).sum())
    assert got["jaccard_padj05"] == (n_sig - 1) / n_sig
    assert 0.5 < got["spearman_stat"] < 0.999
    same = agreement(tmp_path / "py.tsv", tmp_path / "py.tsv")
    assert same == {"spearman_stat": 1.0, "jaccard_padj05": 1.0}
    assert agreement(tmp_path / "missing.tsv", tmp_path / "r.tsv") == {}


def test_compare_results_measures_p_values_on_their_scale():
    """Spearman cannot tell two references of one statistic apart; the p-value ratio can."""
    from myoclamp_tools.rcompare import compare_results

    rng = np.random.default_rng(1)
    stat = rng.normal(size=300)
    p = rng.uniform(0.001, 1, 300)
    a = pd.DataFrame({"log2FoldChange": stat, "stat": stat, "pvalue": p, "padj": p})
    same = compare_results(a, a)
    assert same["median_abs_log10_p_ratio"] == 0.0
    doubled = compare_results(a, a.assign(pvalue=p / 2))
    assert doubled["median_abs_log10_p_ratio"] == pytest.approx(np.log10(2))
    assert doubled["spearman_stat"] == 1.0
    assert np.isnan(compare_results(a.drop(columns="pvalue"), a)["median_abs_log10_p_ratio"])
    underflow = a.assign(pvalue=np.where(np.arange(300) < 200, 0.0, p))  # most p below 1e-308
    assert compare_results(underflow, underflow)["median_abs_log10_p_ratio"] == 0.0


def test_r_runs_on_the_reference_the_workflow_run_used(tmp_path):
    inputs = {k: tmp_path / f"{k}.tsv" for k in ("counts", "design", "contrast")}
    cmd = r_command(inputs, tmp_path / "out.tsv", use_t=True)
    assert cmd[0] == "Rscript" and cmd[-2:] == [str(tmp_path / "out.tsv"), "useT"]
    assert r_command(inputs, tmp_path / "out.tsv")[-1] == "normal"
    meta = tmp_path / "results" / "de" / "meta"
    meta.mkdir(parents=True)
    (meta / "insulin.json").write_text('{"wald_distribution": "t", "wald_df": 97}')
    (meta / "old.json").write_text('{"contrast": "old"}')  # written before the option existed
    assert wald_distribution(tmp_path, "insulin") == "t"
    assert wald_distribution(tmp_path, "old") == "normal"
