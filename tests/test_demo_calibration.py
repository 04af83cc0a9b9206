"""The committed demo cohort against real GSE202295 basal biopsies, and its planted biology."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from myoclamp_tools.demo import generate
from myoclamp_tools.demo.calibration import (
    TOLERANCES,
    compare,
    compare_cohorts,
    demo_basal_pairs,
    read_demo,
    within_tolerance,
)
from myoclamp_tools.demo.params import REPO, size_factors
from myoclamp_tools.demo.real import GSE202295

DEMO = REPO / "resources" / "demo"
needs_real = pytest.mark.skipif(
    not (GSE202295 / "counts.csv.gz").exists(), reason="../shared/data/gse202295 not present"
)


@pytest.fixture(scope="module")
def demo():
    return read_demo(DEMO)


def test_tolerance_kinds():
    assert within_tolerance("library_cv", 0.12, 0.10)
    assert not within_tolerance("library_cv", 0.2, 0.10)
    assert within_tolerance("cpm_GAPDH", 8000, 6000) and not within_tolerance(
        "cpm_GAPDH", 4000, 8000
    )
    real = dict.fromkeys(TOLERANCES, 1.0)
    table = compare({**real, "genes_cpm1_half": 2.0}, real)
    assert table.set_index("statistic").loc["genes_cpm1_half", "ok"] == np.False_
    assert table["ok"].sum() == len(TOLERANCES) - 1


@needs_real
def test_demo_matches_real_basal_muscle():
    table, repeat = compare_cohorts(DEMO, GSE202295)
    bad = table.loc[~table["ok"], ["statistic", "real_gse202295", "demo"]]
    assert bad.empty, bad.to_string()
    assert repeat["demo"]["same_person"] > repeat["demo"]["other_person"] + 0.2
    assert repeat["demo"]["same_person"] == pytest.approx(repeat["real"]["same_person"], abs=0.15)


def test_m_value_association_weak_per_gene_strong_for_oxphos(demo):
    counts, truth = demo
    genes = pd.read_csv(DEMO / "truth" / "genes.tsv", sep="\t", index_col=0)
    clin = pd.read_csv(DEMO / "clinical.tsv", sep="\t")
    m = clin[clin["visit"] == "baseline"].set_index("participant")["m_value"].dropna()
    base = truth[(truth["visit"] == "baseline") & (truth["clamp"] == "basal")]
    base = base[(base["defect"] == "") & base["participant"].isin(m.index)]
    x = counts[base["sample"]]
    x = x[x.mean(axis=1) >= 50]
    logx = np.log2(x / size_factors(x.to_numpy()) + 1)
    mv = m[base["participant"]].to_numpy()
    z = logx.sub(logx.mean(axis=1), axis=0)
    r = (
        z.to_numpy()
        @ (mv - mv.mean())
        / np.sqrt((z**2).sum(axis=1) * ((mv - mv.mean()) ** 2).sum())
    )
    r = pd.Series(r, index=x.index)
    ox = genes.index[genes["oxphos"]].intersection(r.index)
    assert genes["m_value_r"].abs().max() <= 0.3 + 1e-9
    assert len(ox) > 50
    assert r[ox].median() > r.drop(ox).median() + 0.1


def test_pairing_defects_and_missing_biopsies(demo):
    counts, truth = demo
    meta = json.loads((DEMO / "truth" / "parameters.json").read_text())
    assert meta["treatment_effect"] is False and meta["n_participants"] == 70
    assert len(meta["missing_biopsies"]) == 4
    genes = pd.read_csv(DEMO / "truth" / "genes.tsv", sep="\t", index_col=0)
    assert (genes["treatment_log2fc"] == 0).all()
    pairs = demo_basal_pairs(truth)
    assert len(pairs) == 70 - 2 - 2  # two missing week-13 basal, two defective samples
    assert counts.shape[1] == len(truth) == 206
    assert set(truth["defect"]) == {"", "sex_swap", "low_quality"}


@pytest.mark.slow
def test_committed_demo_is_what_the_generator_writes(tmp_path):
    paths = generate(tmp_path)
    for name, path in paths.items():
        committed = DEMO / path.relative_to(tmp_path)
        assert committed.read_bytes() == path.read_bytes(), name
