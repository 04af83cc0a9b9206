"""The engine benchmark (scripts/benchmark_engine.py, myoclamp_tools.bench.engine*): designs
built as
the workflow builds them, the measured child, speed-ups, agreement, targets and tables; the
script end to end on a tiny demo (``pytest -m benchmark``)."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from conftest import GSE, ROOT

from myoclamp.config import load_config
from myoclamp.de.engine import BlockInference
from myoclamp.de.pipeline import fit_from_adata
from myoclamp.ingest.build import build_anndata
from myoclamp_tools.bench import engine_designs as ed
from myoclamp_tools.bench.engine import BLOCKS_ON_SAMPLE, measure_engine, read_results, run_plan
from myoclamp_tools.bench.engine_report import (
    agreement,
    agreement_rows,
    render,
    seconds_cell,
    speedups,
    target_rows,
    timing_table,
)
from myoclamp_tools.rcompare import r_deseq2_available

SCRIPT = ROOT / "scripts" / "benchmark_engine.py"


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """A generated 8-participant demo and the bundled config pointed at it."""
    from myoclamp_tools.demo import generate

    folder = tmp_path_factory.mktemp("engine_bench")
    paths = generate(folder / "demo", n_participants=8, n_genes=600)
    config = ed.with_inputs(load_config(ROOT / "config.yaml"), paths, folder)
    return config, folder / "demo"


@pytest.fixture(scope="module")
def demo_designs(demo):
    return ed.cohort_designs(demo[0], "demo")


# --------------------------------------------------------------------------- designs


def test_demo_designs_are_the_workflows_fits(demo, demo_designs):
    """Same samples, genes, counts, design matrix and first contrast as the DE stage's fit."""
    config, folder = demo
    assert [d.name for d in demo_designs] == [f"demo_{n}" for n in config["de"]["designs"]]
    adata = build_anndata(config, root=folder)
    for d in demo_designs:
        fit = fit_from_adata(adata, d.name.removeprefix("demo_"), config)
        assert list(d.counts.columns) == list(fit.dds.var_names)
        assert list(d.counts.index) == list(fit.dds.obs_names)
        np.testing.assert_array_equal(d.counts.to_numpy(), np.asarray(fit.dds.X))
        pd.testing.assert_frame_equal(d.design.matrix, fit.design.matrix)
        assert d.contrast == next(iter(fit.design.contrasts))
        np.testing.assert_array_equal(d.vector, fit.design.contrasts[d.contrast])
        assert d.genes_before_filter == adata.n_vars > d.counts.shape[1]
        assert list(d.design.metadata.columns) == ["participant"]  # no clinical values


def test_resampled_designs_have_one_block_per_participant_and_are_seeded(demo, tmp_path):
    config, folder = demo
    first = ed.cohort_designs(ed.resampled_config(config, folder, tmp_path / "a", 40, 1), "r")
    again = ed.cohort_designs(ed.resampled_config(config, folder, tmp_path / "b", 40, 1), "r")
    other = ed.cohort_designs(ed.resampled_config(config, folder, tmp_path / "c", 40, 2), "r")
    assert [d.name for d in first] == ["r_treatment", "r_insulin", "r_insulin_groups"]
    for d, d2, d3 in zip(first, again, other, strict=True):
        size = d.size()
        assert size["samples"] <= 40 and size["columns"] > size["participants"] > 5
        assert BlockInference().system(d.design.matrix.to_numpy()).kind == "block"
        pd.testing.assert_frame_equal(d.counts, d2.counts)
        assert not d.counts.equals(d3.counts)


@pytest.mark.skipif(not (GSE / "counts.csv.gz").exists(), reason="GSE202295 not available")
def test_real_designs_use_the_workflows_full_rank_matrix():
    designs = ed.real_designs(GSE)
    assert [d.name for d in designs] == ["real_id_time", "real_nested"]
    for d, columns in zip(designs, (40, 42), strict=True):
        assert d.size()["samples"] == 111 and d.size()["columns"] == columns
        assert ((d.counts >= 10).sum(axis=0) >= 10).all()
        assert BlockInference().system(d.design.matrix.to_numpy()).kind == "block"
        weights = dict(zip(d.design.matrix.columns, d.vector, strict=True))
        _, _, expected = ed.REAL_DESIGNS[d.name]
        assert {k: v for k, v in weights.items() if v} == expected


def test_designs_selection_and_gene_samples(demo_designs):
    assert ed.sources_for(["all"]) == {"demo", "real", "resampled"}
    assert ed.sources_for(["demo_insulin", "real"]) == {"demo", "real"}
    assert ed.is_selected("resampled_1000_insulin", ["resampled"])
    assert not ed.is_selected("demo_insulin_groups", ["demo_insulin"])
    pick = ed.gene_sample(500, 60)
    assert len(np.unique(pick)) == 60 and (np.diff(pick) > 0).all()
    np.testing.assert_array_equal(pick, ed.gene_sample(500, 60))
    assert not np.array_equal(pick, ed.gene_sample(500, 60, seed=8))
    np.testing.assert_array_equal(ed.gene_sample(50, 60), np.arange(50))
    d = demo_designs[0]
    small = ed.subsample_genes(d, 30)
    assert list(small.counts.columns) == list(
        d.counts.columns[ed.gene_sample(d.counts.shape[1], 30)]
    )
    assert ed.subsample_genes(d, None) is d


def test_reordered_design_is_the_same_data_in_another_order(demo_designs):
    """Counts, design rows and metadata move together; the fit's answer is order-free."""
    d = demo_designs[0]
    r = ed.reorder_samples(d, seed=1)
    assert list(r.counts.index) != list(d.counts.index)
    assert sorted(r.counts.index) == sorted(d.counts.index)
    assert list(r.design.matrix.index) == list(r.counts.index)
    assert list(r.design.metadata.index) == list(r.counts.index)
    pd.testing.assert_frame_equal(r.counts.loc[d.counts.index], d.counts)
    pd.testing.assert_frame_equal(r.design.matrix.loc[d.counts.index], d.design.matrix)
    assert list(d.design.matrix.index) == list(d.counts.index)  # the original is untouched
    np.testing.assert_array_equal(r.vector, d.vector)


def test_run_plan_samples_genes_for_pydeseq2_on_large_designs_only():
    every = ["pydeseq2", "blocks", "R"]
    assert run_plan(136, 20000, every) == [("blocks", 0), ("pydeseq2", 0), ("R", 0)]
    assert run_plan(658, 20000, every, large_samples=500, genes_large=60) == [
        ("blocks", 0),
        ("pydeseq2", 60),
        (BLOCKS_ON_SAMPLE, 60),
        ("R", 0),
    ]
    assert run_plan(136, 20000, ["pydeseq2"], genes_small=2000) == [("pydeseq2", 2000)]
    assert run_plan(658, 40, every, genes_large=60)[1] == ("pydeseq2", 0)  # sample >= all genes


# --------------------------------------------------------------------------- measured child


def test_measure_engine_fits_times_and_writes_results(demo_designs, tmp_path):
    d = demo_designs[1]  # insulin: ~participant + visit + clamp
    total = d.counts.shape[1]
    rows = {
        "blocks": measure_engine(d, "blocks", None, 1, 128, tmp_path / "b.tsv"),
        "pydeseq2": measure_engine(d, "pydeseq2", 40, 1, 128, tmp_path / "p.tsv"),
        BLOCKS_ON_SAMPLE: measure_engine(d, BLOCKS_ON_SAMPLE, 40, 1, 128, tmp_path / "s.tsv"),
    }
    assert rows["blocks"]["genes_fitted"] == total and not rows["blocks"]["extrapolated"]
    assert rows["blocks"]["algebra"] == "block" and rows["pydeseq2"]["algebra"] == "dense"
    assert rows["pydeseq2"]["genes_fitted"] == 40 and rows["pydeseq2"]["extrapolated"]
    for row in rows.values():
        assert row["fit_seconds"] > 0 and row["shrink_seconds"] >= 0
        assert row["peak_rss_mib"] > 50
    blocks, py, same = (read_results(tmp_path / f"{x}.tsv") for x in "bps")
    assert len(blocks) == total and list(py.index) == list(same.index)
    assert py.index.isin(blocks.index).all()
    assert blocks["log2FoldChange_shrunk"].notna().mean() > 0.9
    got = agreement(same, py)
    assert got["genes"] > 30 and got["spearman_log2fc"] > 0.999 and got["spearman_stat"] > 0.999


# --------------------------------------------------------------------------- tables


def _row(design, engine, fit, shrink=1.0, fitted=500, total=500, **extra):
    return {
        "design": design,
        "engine": engine,
        "samples": 100,
        "columns": 40,
        "participants": 38,
        "genes_total": total,
        "genes_fitted": fitted,
        "extrapolated": fitted < total and engine == "pydeseq2",
        "status": "ok",
        "fit_seconds": fit,
        "results_seconds": 0.5,
        "shrink_seconds": shrink,
        "peak_rss_mib": 300,
        "workers_peak_rss_mib": 250,
        "tree_peak_rss_mib": 700,
        "algebra": "block" if engine.startswith("blocks") else "dense",
        "load_before": 1.0,
        "load_after": 1.2,
        **extra,
    }


def test_speedups_extrapolate_pydeseq2_but_not_the_same_sample_row():
    rows = [
        _row("demo_a", "pydeseq2", 10.0, shrink=4.0, fitted=50),  # 100 s, 40 s on all genes
        _row("demo_a", "blocks", 4.0, shrink=2.0),
        _row("demo_a", BLOCKS_ON_SAMPLE, 0.5, shrink=0.1, fitted=50),
        _row("demo_a", "R", 20.0, shrink=None, status="timeout", budget_seconds=1200.0),
    ]
    speedups(rows)
    assert rows[1]["fit_speedup"] == 25.0 and rows[1]["shrink_speedup"] == 20.0
    assert rows[2]["fit_speedup"] == 20.0 and rows[2]["shrink_speedup"] == 40.0
    assert "fit_speedup" not in rows[3]  # stopped over budget: no speed-up
    assert seconds_cell(rows[0], "fit_seconds") == "~100 (10.0 s on 50 genes)"
    assert seconds_cell(rows[2], "fit_seconds") == "0.5"
    assert seconds_cell(rows[3], "fit_seconds") == "> 1200 s (stopped)"
    assert seconds_cell({**rows[1], "status": "failed"}, "fit_seconds") == "failed"
    table = timing_table(rows)
    assert list(table["engine"]) == [
        "pydeseq2",
        "blocks",
        "blocks (pydeseq2's 50 genes)",
        "R DESeq2",
    ]
    assert table.loc[1, "fit speed-up"] == "25.0x" and table.loc[0, "peak RSS MiB"] == 300


def test_targets_follow_issue_10():
    rows = [
        _row("demo_fast", "pydeseq2", 100.0),
        _row("demo_fast", "blocks", 5.0),
        _row("demo_slow", "pydeseq2", 100.0),
        _row("demo_slow", "blocks", 20.0),
        _row("demo_dense", "pydeseq2", 100.0),
        _row("demo_dense", "blocks", 1.0, algebra="dense"),
        _row("resampled_1000_a", "blocks", 150.0, tree_peak_rss_mib=3000),
        _row("resampled_1000_b", "blocks", 190.0),
        _row("resampled_1000_c", "blocks", 100.0, tree_peak_rss_mib=5000),
    ]
    speedups(rows)
    met = {t["design"]: t["met"] for t in target_rows(rows)}
    assert met == {
        "demo_fast": True,
        "demo_slow": False,
        "resampled_1000_a": True,
        "resampled_1000_b": False,
        "resampled_1000_c": False,
    }


def test_agreement_is_on_the_common_genes(tmp_path):
    genes = [f"g{i}" for i in range(20)]
    rng = np.random.default_rng(0)
    stat = rng.normal(size=20)
    a = pd.DataFrame({"log2FoldChange": stat, "stat": stat,
                      "padj": np.where(np.abs(stat) > 1, 0.01, 0.5)}, index=genes)  # fmt: skip
    extra = pd.DataFrame({"log2FoldChange": [5.0], "stat": [9.0], "padj": [1e-9]}, index=["gx"])
    got = agreement(pd.concat([a, extra]), a.iloc[::-1])
    assert got["genes"] == 20 and got["spearman_stat"] == pytest.approx(1.0)
    assert got["jaccard_padj05"] == 1.0 and got["sig_a"] == got["sig_b"]
    flipped = a.assign(stat=-a["stat"], log2FoldChange=-a["log2FoldChange"])
    assert agreement(a, flipped)["spearman_stat"] == pytest.approx(-1.0)
    # agreement_rows reads each engine's results file and pairs them
    for name, table in (("blocks", pd.concat([a, extra])), ("pydeseq2", a), ("R", a)):
        table.rename_axis("gene_id").reset_index().to_csv(tmp_path / name, sep="\t", index=False)
    rows = [
        _row("d", e, 1.0, results_path=str(tmp_path / e), fitted=20 if e == "pydeseq2" else 21,
             total=21)
        for e in ("blocks", "pydeseq2", "R")
    ]  # fmt: skip
    pairs = {r["comparison"]: r for r in agreement_rows(rows)}
    assert set(pairs) == {"blocks vs pydeseq2", "blocks vs R"}  # pydeseq2 on a sample: no vs R
    assert pairs["blocks vs pydeseq2"]["genes"] == 20 and not pairs["blocks vs R"]["gene_sample"]


def test_render_names_the_machine_command_and_flags():
    rows = [_row("demo_a", "pydeseq2", 10.0, fitted=50), _row("demo_a", "blocks", 0.5)]
    speedups(rows)
    machine = {"cpu": "Test CPU", "nproc": "2", "memory_gib": "24.0", "load": "0.10 0.20 0.30"}
    text = render(rows, [], target_rows(rows), machine, machine, "cmd --x")
    assert "Machine: Test CPU; nproc 2; memory 24.0 GiB" in text and "Command: `cmd --x`" in text
    assert "| ~100 (10.0 s on 50 genes) |" in text
    assert "200.0x (pydeseq2 extrapolated)" in text and "| yes |" in text


# --------------------------------------------------------------------------- end to end


@pytest.mark.benchmark
def test_script_runs_every_design_with_every_engine(tmp_path, request):
    """The script on a tiny generated demo, its resampled cohort and (if present) GSE202295."""
    if "benchmark" not in (request.config.getoption("markexpr") or ""):
        pytest.skip("run on purpose: pytest -m benchmark")
    with_r = r_deseq2_available()
    designs = "demo,resampled" + (",real" if (GSE / "counts.csv.gz").exists() else "")
    out, js = tmp_path / "engine.md", tmp_path / "engine.json"
    out.write_text("# Engine\n\nprose kept\n")
    cmd = [sys.executable, str(SCRIPT), "--demo-participants", "8", "--demo-genes", "600",
           "--resample-size", "40", "--large-samples", "20", "--pydeseq2-genes-large", "40",
           "--genes", "300", "--designs", designs, "--budget", "600", "--r-budget", "300",
           "--workdir", str(tmp_path / "w"), "--out", str(out), "--json", str(js),
           *(() if with_r else ("--no-r",))]  # fmt: skip
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=3600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    result = json.loads(js.read_text())
    rows = {(r["design"], r["engine"]): r for r in result["rows"]}
    names = {d for d, _ in rows}
    assert {"demo_treatment", "demo_insulin", "demo_insulin_groups"} <= names
    assert {"resampled_40_treatment", "resampled_40_insulin"} <= names
    engines = {"pydeseq2", "blocks", *(("R",) if with_r else ())}
    for name in names:
        assert {e for d, e in rows if d == name} >= engines
        for engine in engines:
            assert rows[(name, engine)]["status"] == "ok"
        assert rows[(name, "blocks")]["fit_speedup"] > 0
    for name in ("resampled_40_treatment", "resampled_40_insulin"):
        assert rows[(name, "pydeseq2")]["extrapolated"] and (name, BLOCKS_ON_SAMPLE) in rows
    for a in result["agreement"]:
        assert a["spearman_log2fc"] > 0.99, a
        if a["comparison"] == "blocks vs pydeseq2":
            assert a["spearman_stat"] > 0.999, a
    if with_r:
        assert {a["comparison"] for a in result["agreement"]} >= {"blocks vs R", "pydeseq2 vs R"}
    assert {t["design"] for t in result["targets"]} >= {"demo_treatment", "resampled_40_insulin"}
    text = out.read_text()
    assert text.startswith("# Engine\n\nprose kept\n") and "benchmark:engine:start" in text
    assert "#### Issue 10 targets" in text and "(pydeseq2's 40 genes)" in text


@pytest.mark.benchmark
def test_script_stops_a_fit_over_budget(tmp_path, request):
    if "benchmark" not in (request.config.getoption("markexpr") or ""):
        pytest.skip("run on purpose: pytest -m benchmark")
    js = tmp_path / "engine.json"
    cmd = [sys.executable, str(SCRIPT), "--demo-participants", "8", "--demo-genes", "600",
           "--designs", "demo_treatment", "--engines", "pydeseq2", "--no-r", "--budget", "2",
           "--workdir", str(tmp_path / "w"), "--json", str(js)]  # fmt: skip
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    (row,) = json.loads(js.read_text())["rows"]
    assert row["status"] == "timeout" and "> 2 s (stopped)" in proc.stdout
