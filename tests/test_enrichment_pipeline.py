"""Enrichment stage end to end on a synthetic DE table: gene sets, GSEA, ORA, plots, offline."""

from __future__ import annotations

import socket
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from myoclamp.enrichment.genesets import collection_paths, load_collections, ranking_table, read_gmt
from myoclamp.enrichment.ora import ora
from myoclamp.enrichment.pipeline import write_gsea, write_ora, write_plots

ROOT = Path(__file__).resolve().parents[1]
RESOURCES = ROOT / "resources"


def de_table(seed: int = 0, n: int = 3000) -> pd.DataFrame:
    """A DE table in the DE stage's shape, with the curated clamp response planted."""
    rng = np.random.default_rng(seed)
    genes = pd.read_csv(RESOURCES / "genes" / "human_genes.tsv.gz", sep="\t")
    coding = genes.loc[genes["gene_type"] == "protein-coding"].drop_duplicates("symbol")
    muscle = read_gmt(RESOURCES / "genesets" / "muscle.gmt", "muscle")
    up, down = muscle.genes["CLAMP_RESPONSE_UP"], muscle.genes["CLAMP_RESPONSE_DOWN"]
    rest = coding.loc[~coding["symbol"].isin(up + down)].sample(n, random_state=seed)
    symbols = list(up) + list(down) + rest["symbol"].tolist()
    stat = rng.standard_normal(len(symbols))
    stat[: len(up)] += 4
    stat[len(up) : len(up) + len(down)] -= 4
    lfc = stat * 0.2
    pvalue = 2 * (1 - pd.Series(np.abs(stat)).rank(pct=True).to_numpy() * 0.999)
    padj = np.minimum(pvalue * 3, 1.0)
    padj[len(symbols) - 50 :] = np.nan  # independently filtered
    return pd.DataFrame(
        {
            "gene_id": [f"ENSG{i:011d}" for i in range(len(symbols))],
            "symbol": symbols,
            "baseMean": rng.gamma(2, 200, len(symbols)),
            "log2FoldChange": lfc,
            "lfcSE": 0.2,
            "stat": stat,
            "pvalue": pvalue,
            "padj": padj,
            "log2FoldChange_shrunk": lfc * 0.8,
            "filtered": np.isnan(padj),
            "outlier": False,
        }
    )


@pytest.fixture
def offline(monkeypatch):
    """Make every network connection fail, loudly."""

    def refuse(*args, **kwargs):
        raise AssertionError(f"network access attempted: {args[:2]}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


@pytest.fixture
def config():
    return {
        "seed": 42,
        "enrichment": {"collections": ["muscle", "go_cc"], "permutations": 300},
    }


def test_offline_guard_catches_a_library_name(offline):
    """The guard works: gseapy given an Enrichr library *name* tries the network."""
    import gseapy

    with pytest.raises(AssertionError, match="network access attempted"):
        gseapy.enrich(gene_list=["A", "B"], gene_sets="KEGG_2016", outdir=None, no_plot=True)


def test_stage_runs_offline_and_finds_planted_sets(tmp_path, offline, config):
    de = de_table()
    de_path = tmp_path / "insulin.tsv"
    de.to_csv(de_path, sep="\t", index=False)
    gmt = collection_paths(["muscle", "go_cc"], [], RESOURCES)
    write_gsea(str(de_path), gmt, str(tmp_path / "gsea.tsv"), config, threads=2)
    write_ora(str(de_path), gmt, str(tmp_path / "ora.tsv"), config)
    res = pd.read_csv(tmp_path / "gsea.tsv", sep="\t")
    assert list(res.columns[:8]) == [
        "set", "description", "collection", "size", "ES", "NES", "pvalue", "FDR"
    ]  # fmt: skip
    cur = res[res["collection"] == "muscle"].set_index("set")
    assert cur["FDR"].idxmin() in {"CLAMP_RESPONSE_UP", "CLAMP_RESPONSE_DOWN"}
    assert cur.loc["CLAMP_RESPONSE_UP", "NES"] > 0 and cur.loc["CLAMP_RESPONSE_UP", "FDR"] < 0.05
    assert cur.loc["CLAMP_RESPONSE_DOWN", "NES"] < 0
    assert cur.loc["CLAMP_RESPONSE_DOWN", "FDR"] < 0.05
    assert set(res["collection"]) == {"muscle", "go_cc"}
    assert res.loc[res["collection"] == "go_cc", "size"].between(15, 500).all()
    ora_res = pd.read_csv(tmp_path / "ora.tsv", sep="\t")
    up = ora_res[(ora_res["direction"] == "up") & (ora_res["set"] == "CLAMP_RESPONSE_UP")]
    assert len(up) == 1 and up["FDR"].iloc[0] < 0.05
    # background = genes with a padj: the 50 filtered genes are not in it
    assert (ora_res["background_size"] == len(de) - 50).all()

    outputs = {k: str(tmp_path / f"{k}.png") for k in ("dot", "running_top", "running_curated")}
    write_plots(str(de_path), str(tmp_path / "gsea.tsv"), gmt, outputs, config, "insulin")
    for path in outputs.values():
        assert Path(path).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_same_seed_gives_identical_files(tmp_path, config):
    de_path = tmp_path / "de.tsv"
    de_table(seed=3).to_csv(de_path, sep="\t", index=False)
    gmt = collection_paths(["muscle"], [], RESOURCES)
    write_gsea(str(de_path), gmt, str(tmp_path / "a.tsv"), config)
    write_gsea(str(de_path), gmt, str(tmp_path / "b.tsv"), config, threads=2)
    assert (tmp_path / "a.tsv").read_bytes() == (tmp_path / "b.tsv").read_bytes()
    config["seed"] = 43
    write_gsea(str(de_path), gmt, str(tmp_path / "c.tsv"), config)
    assert (tmp_path / "a.tsv").read_bytes() != (tmp_path / "c.tsv").read_bytes()


def test_ranking_table_keys_duplicates_and_missing_symbols():
    de = pd.DataFrame(
        {
            "gene_id": ["E1", "E2", "E3", "E4", "E5"],
            "symbol": ["TTN", "TTN", None, "DES", "MB"],
            "baseMean": [10.0, 500.0, 5.0, 50.0, 1.0],
            "log2FoldChange": [1.0, 2.0, 0.5, -1.0, 0.0],
            "stat": [1.0, 3.0, 0.2, -2.0, np.nan],
            "padj": [0.5, 0.01, 0.9, 0.04, np.nan],
        }
    )
    tab = ranking_table(de).set_index("gene_id")
    assert tab.loc["E2", "key"] == "TTN" and tab.loc["E1", "key"] == "E1"
    assert tab.loc["E3", "key"] == "E3" and "E5" not in tab.index
    with pytest.raises(ValueError, match=r"columns \['stat'\] missing"):
        ranking_table(de.drop(columns="stat"), source="x.tsv")


def test_gmt_errors_name_file_and_line(tmp_path):
    bad = tmp_path / "bad.gmt"
    bad.write_text("SET_A\tdesc\tTTN\tDES\nSET_B\tonly a description\n")
    with pytest.raises(ValueError, match=r"bad.gmt, line 2"):
        read_gmt(bad, "bad")
    dup = tmp_path / "dup.gmt"
    dup.write_text("OXPHOS\tmine\tTTN\n")
    with pytest.raises(ValueError, match="already defined in collection 'muscle'"):
        load_collections({"muscle": RESOURCES / "genesets" / "muscle.gmt", "dup": dup})
    with pytest.raises(ValueError, match="unknown gene-set collection 'kegg'"):
        collection_paths(["kegg"], [], RESOURCES)


def test_user_gmt_is_a_collection(tmp_path):
    user = tmp_path / "my_sets.gmt"
    user.write_text("MINE\tmy set\tTTN\tDES\tMB\n")
    paths = collection_paths(["muscle"], [user], RESOURCES)
    sets = load_collections(paths)
    assert sets.collection["MINE"] == "my_sets" and sets.genes["MINE"] == ["TTN", "DES", "MB"]


def test_ora_counts_by_hand():
    keys = [f"G{i}" for i in range(100)]
    table = pd.DataFrame(
        {
            "key": keys,
            "padj": [0.01] * 10 + [0.5] * 90,
            "log2FoldChange": [1.0] * 10 + [0.1] * 90,
        }
    )
    sets = {"HIT": keys[:8] + keys[50:60], "MISS": keys[60:80], "OUTSIDE": ["X1"] * 20}
    res = ora(table, sets, alpha=0.05, min_size=5, max_size=50).set_index("set")
    hit = res.loc["HIT"]
    assert hit["overlap"] == 8 and hit["size"] == 18 and hit["query_size"] == 10
    from scipy.stats import hypergeom

    assert hit["pvalue"] == pytest.approx(hypergeom.sf(7, 100, 18, 10))
    assert "OUTSIDE" not in res.index
    assert set(res["direction"]) == {"up"}  # no gene is significantly down
