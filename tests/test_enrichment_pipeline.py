"""The enrichment job end to end on a small simulated trial: the DE job's design file, the set tests
on the counts with that design, the prerank table labelled, the plots; offline and seeded."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from myoclamp.de.design import build_design
from myoclamp.de.designfile import fitted_design, read_design_matrix, write_design_matrix
from myoclamp.de.pipeline import PLOTS, write_design
from myoclamp.enrichment.permutation import permutation_scheme
from myoclamp.enrichment.pipeline import PRERANK_COLUMNS, PRERANK_NOTE, write_design_enrichment
from myoclamp.enrichment.prerank import RESULT_COLUMNS
from myoclamp.enrichment.settests import SET_TEST_COLUMNS
from myoclamp_tools.simulate import simulate_trial, simulation_config

PNGS = ("dot", "running_top", "running_curated")


@pytest.fixture
def offline(monkeypatch):
    """Make every network connection fail, loudly."""

    def refuse(*args, **kwargs):
        raise AssertionError(f"network access attempted: {args[:2]}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


def write_gmt(path: Path, sets: dict[str, list[str]]) -> str:
    path.write_text("".join(f"{n}\tset {n}\t" + "\t".join(g) + "\n" for n, g in sets.items()))
    return str(path)


@pytest.fixture(scope="module")
def trial(tmp_path_factory):
    """counts.h5ad, the insulin design's DE outputs (design file, meta, table) and GMT files."""
    root = tmp_path_factory.mktemp("enrichment")
    adata, truth = simulate_trial((6, 6), 400, insulin_genes=30, insulin_lfc=1.5, seed=7)
    adata.write_h5ad(root / "counts.h5ad")
    config = {
        **simulation_config(shrink=False),
        "seed": 11,
        "enrichment": {"permutations": 200, "set_permutations": 199, "min_size": 5},
    }
    paths = {"tsv": root / "insulin.tsv", "meta": root / "meta" / "insulin.json"}
    paths.update({p: root / "plots" / f"{p}.png" for p in PLOTS})
    design_path = root / "designs" / "insulin.tsv"
    outputs = {"insulin": {k: str(v) for k, v in paths.items()}}
    write_design(str(root / "counts.h5ad"), "insulin", config, outputs, matrix=str(design_path))
    up = list(truth["insulin"].index[truth["insulin"] > 0])
    rng = np.random.default_rng(0)
    genes = list(adata.var_names)
    gmt = {
        "planted": write_gmt(root / "planted.gmt", {"INSULIN_UP": up}),
        "go_bp": write_gmt(
            root / "random.gmt",
            {f"GO:{j:07d}": list(rng.choice(genes, 25, replace=False)) for j in range(20)},
        ),
    }
    inputs = {"adata": str(root / "counts.h5ad"), "design": str(design_path),
              "meta": str(paths["meta"]), "de": str(paths["tsv"])}  # fmt: skip
    return root, config, inputs, gmt


def run(root: Path, config: dict, inputs: dict, gmt: dict, tag: str) -> dict[str, Path]:
    out = {"sets": root / tag / "insulin.tsv", "meta": root / tag / "meta.json",
           "prerank": root / tag / "insulin.prerank.tsv"}  # fmt: skip
    out.update({p: root / tag / f"{p}.png" for p in PNGS})
    contrasts = {"insulin": {"meta": inputs["meta"], "de": inputs["de"]}}
    outputs = {"insulin": {k: str(v) for k, v in out.items()}}
    write_design_enrichment(inputs["adata"], inputs["design"], contrasts, gmt, config, outputs)
    return out


def test_the_job_calls_the_planted_set_with_the_fits_design(trial, offline):
    root, config, inputs, gmt = trial
    out = run(root, config, inputs, gmt, "a")
    table = pd.read_csv(out["sets"], sep="\t")
    assert list(table.columns) == SET_TEST_COLUMNS
    assert list(table["collection"].unique()) == ["planted", "go_bp"]  # as configured
    row = table.set_index("set").loc["INSULIN_UP"]
    assert row["enriched"] and row["direction"] == "Up" and row["mean_log2FC"] > 0.5
    assert table.loc[table["collection"] == "go_bp", "description"].str.startswith("set GO:").all()
    meta = json.loads(out["meta"].read_text())
    de_meta = json.loads(Path(inputs["meta"]).read_text())
    assert meta["genes"] == meta["genes_fitted_by_de"] == de_meta["genes_fitted"]
    assert meta["samples"] == de_meta["samples"] and meta["seed"] == 11
    assert meta["camera_variance"] == "limma" and meta["permutations"] == 199
    assert meta["permutation_scheme"] == "flip" and meta["permutation_exact"] is True
    assert meta["collections"]["planted"] == {"sets": 1, "camera_fdr": 1, "permutation_fdr": 1,
                                              "enriched": 1}  # fmt: skip
    prerank = pd.read_csv(out["prerank"], sep="\t")
    assert list(prerank.columns) == PRERANK_COLUMNS == [*RESULT_COLUMNS, "note"]
    assert (prerank["note"] == PRERANK_NOTE).all() and "gene correlation" in PRERANK_NOTE
    for name in PNGS:
        assert out[name].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_same_seed_same_files_another_seed_other_permutations(trial):
    root, config, inputs, gmt = trial
    a = run(root, config, inputs, gmt, "a2")
    b = run(root, config, inputs, gmt, "b2")
    for key in ("sets", "prerank", "meta"):
        assert a[key].read_bytes() == b[key].read_bytes()
    c = run(root, {**config, "seed": 12}, inputs, gmt, "c2")
    ta, tc = (pd.read_csv(x["sets"], sep="\t").set_index("set") for x in (a, c))
    pd.testing.assert_series_equal(ta["camera_pvalue"], tc["camera_pvalue"])  # no randomness
    assert not ta["permutation_pvalue"].equals(tc["permutation_pvalue"].reindex(ta.index))


def test_design_file_round_trips_the_fitted_design_with_unwanted_columns(tmp_path):
    adata, _ = simulate_trial((4, 4), 120, seed=3)
    design = build_design(adata.obs, "insulin", simulation_config())
    rng = np.random.default_rng(1)
    design.add_columns(
        pd.DataFrame({"unwanted_1": rng.normal(size=design.n_samples) / 3}, design.matrix.index)
    )
    write_design_matrix(design, tmp_path / "insulin.tsv")
    matrix = read_design_matrix(tmp_path / "insulin.tsv")
    pd.testing.assert_frame_equal(matrix, design.matrix, check_exact=True)  # full precision
    vector = design.contrasts["insulin"]
    meta = {
        "design": "insulin", "contrast": "insulin", "formula": design.formula,
        "estimable": True, "count_filter_min_samples": 4,
        "contrast_vector": {c: w for c, w in zip(matrix.columns, vector, strict=True) if w},
    }  # fmt: skip
    back = fitted_design(matrix, meta, adata.obs)
    np.testing.assert_array_equal(back.contrasts["insulin"], vector)
    assert back.min_group == 4 and list(back.metadata.index) == list(matrix.index)
    ours, theirs = permutation_scheme(back, "insulin"), permutation_scheme(design, "insulin")
    assert ours.kind == theirs.kind == "flip"
    np.testing.assert_array_equal(ours.pairs, theirs.pairs)
    with pytest.raises(ValueError, match="lacks"):
        fitted_design(matrix, {**meta, "contrast_vector": {"nope": 1.0}}, adata.obs)
    none = fitted_design(
        pd.DataFrame(index=pd.Index([], name="sample")),
        {"design": "insulin", "contrast": "insulin", "estimable": False, "reason": "no clamp"},
        adata.obs,
    )
    assert none.matrix is None and none.not_estimable == {"insulin": "no clamp"}


def test_a_contrast_that_was_not_estimable_writes_empty_tables_with_the_reason(tmp_path):
    adata, _ = simulate_trial((3, 3), 150, clamp_per_arm=(3, 0), seed=7)
    adata.write_h5ad(tmp_path / "counts.h5ad")
    config = {**simulation_config(shrink=False), "enrichment": {"set_permutations": 19}}
    files = {"tsv": tmp_path / "x.tsv", "meta": tmp_path / "x.json"}
    files.update({p: tmp_path / f"{p}.png" for p in PLOTS})
    write_design(str(tmp_path / "counts.h5ad"), "insulin_groups", config,
                 {"treatment_x_insulin": {k: str(v) for k, v in files.items()}},
                 matrix=str(tmp_path / "design.tsv"))  # fmt: skip
    gmt = {"go_bp": write_gmt(tmp_path / "s.gmt", {"S": [f"G{i:05d}" for i in range(20)]})}
    inputs = {"adata": str(tmp_path / "counts.h5ad"), "design": str(tmp_path / "design.tsv"),
              "meta": str(files["meta"]), "de": str(files["tsv"])}  # fmt: skip
    out = run(tmp_path, config, inputs, gmt, "e")
    assert pd.read_csv(out["sets"], sep="\t").empty
    assert "not estimable" in json.loads(out["meta"].read_text())["reason"]
    assert pd.read_csv(out["prerank"], sep="\t").empty
