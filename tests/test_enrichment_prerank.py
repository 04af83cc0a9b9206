"""GSEA prerank: agreement with gseapy, determinism, statistics on planted signals."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from myoclamp.enrichment.prerank import (
    enrichment_score,
    gsea_fdr,
    normalise,
    prerank,
    rank_genes,
    running_sum,
)


def synthetic(n: int = 2000, n_sets: int = 30, seed: int = 1):
    """A ranking with 8 sets planted at the top, 4 at the bottom, the rest random."""
    rng = np.random.default_rng(seed)
    genes = np.array([f"G{i}" for i in range(n)])
    stat = pd.Series(rng.standard_normal(n) * 2, index=genes)
    order = np.argsort(-stat.to_numpy())
    sets = {}
    for j in range(n_sets):
        k = int(rng.integers(15, 100))
        members = rng.choice(n, k, replace=False)
        if j < 8:
            members[: k // 2] = order[rng.choice(250, k // 2, replace=False)]
        elif j < 12:
            members[: k // 2] = order[::-1][rng.choice(250, k // 2, replace=False)]
        sets[f"S{j:02d}"] = sorted(set(genes[members]))
    return stat, sets


def reference_es(stat: pd.Series, genes: list[str]) -> float:
    """ES by walking all ranks one by one (GSEA's definition, first extreme of largest |.|)."""
    s = stat.sort_values(ascending=False)
    hit = s.index.isin(genes)
    w = np.abs(s.to_numpy()) * hit
    up, down = w / w.sum(), (~hit) / (~hit).sum()
    cur, best = 0.0, 0.0
    for a, b in zip(up, down, strict=True):
        cur += a - b
        if abs(cur) > abs(best):
            best = cur
    return best


def test_es_matches_walk_definition():
    stat, sets = synthetic(n=500, n_sets=6)
    ranked = rank_genes(stat)
    rank_of = {g: i for i, g in enumerate(ranked.genes)}
    for genes in sets.values():
        pos = np.array(sorted(rank_of[g] for g in genes))
        es, _ = enrichment_score(ranked, pos)
        assert es == pytest.approx(reference_es(stat, genes), abs=1e-12)
        rs = running_sum(ranked, pos)
        assert rs[np.argmax(np.abs(rs))] == pytest.approx(es, abs=1e-12)


def test_matches_gseapy():
    """ES and leading edges equal gseapy's; NES, p and FDR within Monte-Carlo error."""
    gseapy = pytest.importorskip("gseapy")
    stat, sets = synthetic()
    nperm = 1000
    mine = prerank(stat, sets, permutations=nperm, seed=5, min_size=15, max_size=500)
    mine = mine.set_index("set")
    ref = gseapy.prerank(
        rnk=stat.sort_values(ascending=False).reset_index(),
        gene_sets=sets,
        permutation_num=nperm,
        seed=5,
        min_size=15,
        max_size=500,
        outdir=None,
        no_plot=True,
        threads=1,
    ).res2d.set_index("Term")
    ref = ref.loc[mine.index]
    assert len(mine) == len(sets)
    np.testing.assert_allclose(mine["ES"], ref["ES"].astype(float), rtol=0, atol=1e-10)
    assert (mine["leading_edge"] == ref["Lead_genes"]).all()
    np.testing.assert_allclose(mine["NES"], ref["NES"].astype(float), rtol=0.06)
    p_ref = ref["NOM p-val"].astype(float)
    # each p is a proportion of ~nperm/2 same-signed draws: allow 4 SE of the difference of two
    se = np.sqrt(2 * np.maximum(p_ref * (1 - p_ref), 1 / nperm) / (nperm / 2))
    assert (np.abs(mine["pvalue"] - p_ref) <= 4 * se + 1 / nperm).all()
    fdr_ref = ref["FDR q-val"].astype(float)
    assert (np.abs(mine["FDR"] - fdr_ref) <= 0.1).all()
    planted = [f"S{j:02d}" for j in range(12)]
    assert (mine.loc[planted, "FDR"] < 0.01).all()
    assert (np.sign(mine.loc[planted, "NES"]) == [1] * 8 + [-1] * 4).all()


def test_same_seed_same_table_other_seed_differs():
    stat, sets = synthetic(n=800, n_sets=10)
    a = prerank(stat, sets, permutations=200, seed=11, min_size=15)
    b = prerank(stat, sets, permutations=200, seed=11, min_size=15, threads=2)
    c = prerank(stat, sets, permutations=200, seed=12, min_size=15)
    pd.testing.assert_frame_equal(a, b)
    assert not a["pvalue"].equals(c.set_index("set").loc[a["set"], "pvalue"].reset_index(drop=True))
    pd.testing.assert_series_equal(
        a["ES"], c.set_index("set").loc[a["set"], "ES"].reset_index(drop=True), check_names=False
    )


def test_result_of_a_set_independent_of_other_sets():
    stat, sets = synthetic(n=800, n_sets=10)
    full = prerank(stat, sets, permutations=300, seed=3, min_size=15).set_index("set")
    one = prerank(stat, {"S03": sets["S03"]}, permutations=300, seed=3, min_size=15)
    row = one.set_index("set").loc["S03"]
    assert row["NES"] == full.loc["S03", "NES"]
    assert row["pvalue"] == full.loc["S03", "pvalue"]


def test_null_ranking_gives_uniform_pvalues():
    rng = np.random.default_rng(7)
    n = 1500
    genes = [f"G{i}" for i in range(n)]
    stat = pd.Series(rng.standard_normal(n), index=genes)
    # sizes vary as in GO (sets of one size share a null sample; see docs/enrichment.md)
    sets = {
        f"R{j}": list(rng.choice(genes, int(rng.integers(15, 200)), replace=False))
        for j in range(200)
    }
    res = prerank(stat, sets, permutations=200, seed=1, min_size=15)
    assert 0.35 < res["pvalue"].mean() < 0.65
    assert (res["pvalue"] < 0.05).mean() < 0.12
    assert (res["FDR"] < 0.05).sum() <= 3


def test_size_filter_and_unmatched_genes():
    stat, sets = synthetic(n=600, n_sets=4)
    sets["tiny"] = list(stat.index[:5])
    sets["absent"] = ["NOPE1", "NOPE2"] * 10
    res = prerank(stat, sets, permutations=50, seed=1, min_size=15, max_size=80)
    assert "tiny" not in set(res["set"]) and "absent" not in set(res["set"])
    assert res["size"].between(15, 80).all()


def test_bad_rankings_are_rejected():
    with pytest.raises(ValueError, match="duplicated gene keys"):
        rank_genes(pd.Series([1.0, 2.0], index=["A", "A"]))
    with pytest.raises(ValueError, match="missing or infinite"):
        rank_genes(pd.Series([1.0, np.nan], index=["A", "B"]))


def test_normalise_and_fdr_conventions():
    null = np.array([-0.4, -0.2, 0.1, 0.3, 0.5])
    nes, p, nes_null = normalise(0.45, null)
    assert nes == pytest.approx(0.45 / 0.3)
    assert p == pytest.approx(1 / 3)  # 0.5 of {0.1, 0.3, 0.5}
    assert nes_null[0] == pytest.approx(-0.4 / 0.3)
    nes, p, _ = normalise(-0.3, null)
    assert nes == pytest.approx(-1.0) and p == pytest.approx(0.5)
    # FDR: one strong observed NES against a null that never reaches it
    fdr = gsea_fdr(np.array([3.0, 0.5, -0.5]), [np.array([-1.0, 0.2, 0.4, 1.0])], [3])
    assert fdr[0] == 0.0 and 0 < fdr[1] <= 1 and 0 < fdr[2] <= 1
