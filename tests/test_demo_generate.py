"""The demo generator end to end, on small cohorts (12 participants x 1,500 genes)."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from myoclamp_tools.demo import generate
from myoclamp_tools.demo.effects import TREATMENT_GENES
from myoclamp_tools.demo.params import REPO

SMALL = {"n_participants": 12, "n_genes": 1500}


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    return generate(out / "null", seed=7, **SMALL), generate(
        out / "treated", seed=7, treatment_effect=True, **SMALL
    )


def _read(paths):
    counts = pd.read_csv(paths["counts"], sep="\t", index_col=0)
    samples = pd.read_csv(paths["samples"], sep="\t")
    truth = pd.read_csv(paths["truth_samples"], sep="\t", keep_default_na=False)
    genes = pd.read_csv(paths["truth_genes"], sep="\t", index_col=0)
    return counts, samples, truth, genes


def test_output_formats(small):
    paths, _ = small
    counts, samples, truth, genes = _read(paths)
    assert counts.index.name == "gene" and counts.index.is_unique
    assert len(counts) == 1500 and all(d.kind == "i" for d in counts.dtypes)
    assert list(counts.columns) == list(samples["sample"])
    assert list(samples.columns) == ["sample", "participant", "arm", "visit", "clamp", "site"]
    assert set(samples["arm"]) == {"placebo", "anakinra"} and set(samples["site"]) <= {
        "site1",
        "site2",
    }
    clin = pd.read_csv(paths["clinical"], sep="\t")
    assert list(clin.columns) == [
        "participant",
        "visit",
        "age",
        "sex",
        "bmi",
        "hba1c",
        "m_value",
        "c_peptide",
        "proinsulin_insulin_ratio",
        "il6",
        "crp",
    ]
    assert {"COX1", "RNR2", "TTN", "XIST", "RPS4Y1"} <= set(counts.index)
    assert list(genes.index) == list(counts.index)
    assert set(truth["defect"]) == {"", "sex_swap", "low_quality"}


def test_same_seed_same_bytes_other_seed_differs(small, tmp_path):
    paths, _ = small
    again = generate(tmp_path / "again", seed=7, **SMALL)
    for name, path in paths.items():
        assert path.read_bytes() == again[name].read_bytes(), name
    other = generate(tmp_path / "other", seed=8, **SMALL)
    assert other["counts"].read_bytes() != paths["counts"].read_bytes()


def test_sex_genes_match_the_table_except_the_swapped_tube(small):
    paths, _ = small
    counts, samples, truth, _ = _read(paths)
    clin = pd.read_csv(paths["clinical"], sep="\t").drop_duplicates("participant")
    sex = clin.set_index("participant")["sex"][samples["participant"]].to_numpy()
    y = counts.loc[["RPS4Y1", "DDX3Y", "KDM5D", "UTY", "EIF1AY"]].sum()
    seen = np.where(y > 20 * (counts.loc["XIST"] + 1), "M", "F")
    wrong = set(samples["sample"][seen != sex])
    assert wrong == set(truth.loc[truth["defect"] == "sex_swap", "sample"])


def test_low_quality_sample_is_shallow(small):
    paths, _ = small
    counts, _, truth, _ = _read(paths)
    low = truth.loc[truth["defect"] == "low_quality", "sample"].iloc[0]
    depth = counts.sum()
    assert depth[low] < 0.3 * depth.drop(low).median()


def test_insulin_response_in_planted_direction(small):
    paths, _ = small
    counts, samples, truth, genes = _read(paths)
    cpm = counts / counts.sum() * 1e6
    pairs = samples[samples["clamp"] == "insulin"].merge(
        samples[samples["clamp"] == "basal"], on=["participant", "visit"]
    )
    lfc = np.log2(cpm[pairs["sample_x"]].to_numpy() + 1) - np.log2(
        cpm[pairs["sample_y"]].to_numpy() + 1
    )
    lfc = pd.Series(lfc.mean(axis=1), index=counts.index)
    planted = genes["insulin_log2fc_planted"]
    strong = planted.index[(planted.abs() >= 0.6) & (cpm.median(axis=1) > 20)]
    assert len(strong) >= 8
    assert (np.sign(lfc[strong]) == np.sign(planted[strong])).mean() >= 0.9


def test_treatment_switch_changes_only_anakinra_week13(small):
    null, treated = small
    c0, samples, _, g0 = _read(null)
    c1, _, _, g1 = _read(treated)
    assert (g0["treatment_log2fc"] == 0).all()
    planted = g1["treatment_log2fc"]
    assert set(planted.index[planted != 0]) == set(TREATMENT_GENES) & set(c1.index)
    on = ((samples["arm"] == "anakinra") & (samples["visit"] == "week13")).to_numpy()
    tg = planted.index[planted != 0]
    shift = np.log2((c1.loc[tg] + 1) / (c0.loc[tg] + 1))
    assert np.corrcoef(shift.loc[:, on].mean(axis=1), planted[tg])[0, 1] > 0.8
    assert (c1.loc[:, ~on] == c0.loc[:, ~on]).all().all()  # other samples: the same draws
    assert pd.read_csv(null["samples"], sep="\t").equals(pd.read_csv(treated["samples"], sep="\t"))
    assert null["clinical"].read_bytes() == treated["clinical"].read_bytes()


def test_too_few_genes_is_a_clear_error(tmp_path):
    with pytest.raises(ValueError, match="n_genes=100 is too small"):
        generate(tmp_path, n_participants=12, n_genes=100)


def test_cli_writes_the_cohort(tmp_path):
    out = tmp_path / "cli"
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "myoclamp_tools.demo",
            "--out",
            str(out),
            "--participants",
            "10",
            "--genes",
            "1200",
            "--seed",
            "3",
            "--treatment-effect",
        ],
        capture_output=True,
        text=True,
        cwd=REPO / "workflow",
        check=False,
    )
    assert run.returncode == 0, run.stderr
    meta = pd.read_json(out / "truth" / "parameters.json", typ="series")
    assert meta["seed"] == 3 and bool(meta["treatment_effect"]) and meta["n_genes"] == 1200
