"""DE outputs: contrast tables, metadata, summary rows, plots, and non-estimable contrasts."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from myoclamp.de.contrast_equivalence import EQUIVALENCE_COLUMNS
from myoclamp.de.pipeline import (
    PLOTS,
    fit_from_adata,
    write_contrast,
    write_genes_of_interest,
    write_summary,
)
from myoclamp.de.tables import TABLE_COLUMNS, summary_row
from myoclamp_tools.simulate import simulate_trial, simulation_config

GOI = ["G00003", "G00010", "NOT_A_GENE"]


@pytest.fixture(scope="module")
def trial():
    # clamps in the placebo arm only: treatment_x_insulin cannot be estimated
    adata, truth = simulate_trial(
        (3, 3), 150, clamp_per_arm=(3, 0), insulin_genes=20, insulin_lfc=2.0, seed=7
    )
    adata.var["symbol"] = adata.var_names
    return adata, truth


@pytest.fixture(scope="module")
def config():
    return simulation_config(genes_of_interest=GOI, shrink=False)


@pytest.fixture(scope="module")
def groups_fit(trial, config):
    return fit_from_adata(trial[0], "insulin_groups", config)


@pytest.fixture(scope="module")
def written(tmp_path_factory, groups_fit, config):
    out = tmp_path_factory.mktemp("de")
    paths = {}
    for contrast in ("insulin_placebo", "insulin_anakinra", "treatment_x_insulin"):
        files = {"tsv": out / f"{contrast}.tsv", "meta": out / "meta" / f"{contrast}.json"}
        files.update({p: out / "plots" / contrast / f"{p}.png" for p in PLOTS})
        write_contrast(groups_fit, contrast, config, {k: str(v) for k, v in files.items()})
        paths[contrast] = files
    return out, paths


def test_estimable_contrast_table(written, trial):
    _, paths = written
    _, truth = trial
    table = pd.read_csv(paths["insulin_placebo"]["tsv"], sep="\t")
    assert list(table.columns) == TABLE_COLUMNS + EQUIVALENCE_COLUMNS
    assert table["gene_id"].is_unique
    assert table["pvalue"].dropna().is_monotonic_increasing  # sorted by p-value
    sig = table.loc[table["padj"] < 0.05, "gene_id"]
    planted = set(truth["insulin"].index[truth["insulin"] != 0])
    assert len(set(sig) & planted) >= 0.7 * len(planted)
    assert table["log2FoldChange_shrunk"].isna().all()  # shrink: false in this config
    for plot in PLOTS:
        assert paths["insulin_placebo"][plot].stat().st_size > 5000


def test_not_estimable_contrast_is_an_empty_table_with_a_reason(written):
    _, paths = written
    table = pd.read_csv(paths["treatment_x_insulin"]["tsv"], sep="\t")
    assert list(table.columns) == TABLE_COLUMNS + EQUIVALENCE_COLUMNS and table.empty
    meta = json.loads(paths["treatment_x_insulin"]["meta"].read_text())
    assert meta["estimable"] is False
    assert "arm[anakinra]:visit[baseline]:clamp[T.insulin]" in meta["reason"]
    assert meta["formula"] == "~ arm + arm:participant_n + arm:visit + arm:visit:clamp"
    for plot in PLOTS:
        assert paths["treatment_x_insulin"][plot].exists()


def test_summary_has_one_row_per_contrast_with_reasons(written, config, tmp_path):
    _, paths = written
    names = list(paths)
    out = tmp_path / "summary.tsv"
    write_summary(
        [str(paths[c]["meta"]) for c in names],
        [str(paths[c]["tsv"]) for c in names],
        str(out),
        config,
    )
    summary = pd.read_csv(out, sep="\t").set_index("contrast")
    assert list(summary.index) == names
    assert summary.loc["insulin_placebo", "estimable"] == "yes"
    assert pd.isna(summary.loc["insulin_placebo", "reason"])
    assert summary.loc["insulin_placebo", "sig_fdr05"] >= 14
    assert summary.loc["insulin_placebo", "samples"] == 12
    assert summary.loc["insulin_placebo", "participants"] == 3
    assert summary.loc["treatment_x_insulin", "estimable"] == "no"
    assert summary.loc["treatment_x_insulin", "genes_tested"] == 0
    assert "no data for" in summary.loc["treatment_x_insulin", "reason"]
    assert summary.loc["insulin_anakinra", "estimable"] == "no"


def test_summary_row_counts():
    table = pd.DataFrame(
        {"padj": [0.01, 0.04, 0.07, 0.5, None], "log2FoldChange": [1.0, -2.0, 0.5, 3.0, 1.0]}
    )
    meta = {"contrast": "x", "estimable": True, "participants_left_out": [{"participant": "P1"}]}
    row = summary_row(meta, table, alpha=0.05)
    assert (row["genes_tested"], row["sig_fdr05"], row["sig_fdr10"]) == (4, 2, 3)
    assert (row["up"], row["down"], row["participants_left_out"]) == (1, 1, 1)


def test_genes_of_interest_panel(trial, config, tmp_path):
    out = tmp_path / "goi.png"
    write_genes_of_interest(trial[0], config, str(out))
    assert out.stat().st_size > 10000
