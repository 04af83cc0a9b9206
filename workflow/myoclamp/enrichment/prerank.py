"""GSEA prerank with gene-set permutations, vectorised in numpy.

Same statistic as gseapy's ``prerank`` (GSEA of Subramanian et al. 2005 with weight ``p``):
the weighted running sum, ES as its largest deviation from zero, NES as ES over the mean of the
same-signed null ES, the nominal p-value as the fraction of same-signed null ES at least as
extreme, and GSEA's FDR q-value computed from the normalised null of all sets of a collection.
ES and leading edges equal gseapy's; NES, p and FDR agree within Monte-Carlo error (tested).

The null differs in how it is drawn, not in what it is: the null ES of a set of size ``k`` is the
ES of a uniformly random ``k``-subset of the ranked genes, so every set of the same size shares
one null sample (as in fgsea). Permutation ``b`` draws one random ordered sample of ``max_size``
distinct genes and uses its first ``k`` genes for size ``k``. The cost is thus driven by the
number of distinct set sizes (at most ``max_size - min_size + 1``), not the number of sets, and
memory is ``O(permutations x distinct sizes)`` floats instead of gseapy's per-set indicator
vectors. A set's result depends only on the ranking, its size, the seed and ``max_size``, not on
which other sets are tested.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pandas as pd

log = logging.getLogger(__name__)

#: what the prerank tables say of themselves, in every row (their ``note``)
PRERANK_NOTE = "ignores gene correlation: ranking and leading edge only, not a test"
RESULT_COLUMNS = [
    "set",
    "description",
    "collection",
    "size",
    "ES",
    "NES",
    "pvalue",
    "FDR",
    "leading_edge_size",
    "leading_edge",
]


@dataclass(frozen=True)
class RankedGenes:
    """Genes sorted by decreasing statistic, with the GSEA weights ``|stat| ** weight``."""

    genes: np.ndarray  # gene keys, ranked
    stats: np.ndarray  # statistic, decreasing
    weights: np.ndarray  # |stat| ** weight

    @property
    def n(self) -> int:
        """Number of ranked genes."""
        return len(self.genes)


def rank_genes(ranking: pd.Series, weight: float = 1.0) -> RankedGenes:
    """Sort a statistic per gene (index = unique gene keys) decreasingly, ties by gene key.

    Raises ValueError on duplicated keys or non-finite statistics, which the caller must resolve.
    """
    if not ranking.index.is_unique:
        dups = ranking.index[ranking.index.duplicated()].unique()[:5].tolist()
        raise ValueError(f"ranking has duplicated gene keys, e.g. {dups}; make keys unique first")
    values = ranking.to_numpy(dtype=float)
    if not np.isfinite(values).all():
        raise ValueError("ranking has missing or infinite statistics; drop those genes first")
    keys = ranking.index.to_numpy(dtype=str)
    order = np.lexsort((keys, -values))
    stats = values[order]
    return RankedGenes(keys[order], stats, np.abs(stats) ** weight)


def _walk_extremes(
    positions: np.ndarray, weights: np.ndarray, n: int
) -> tuple[np.ndarray, np.ndarray]:
    """Running-sum values right after (tops) and right before (bottoms) each hit.

    ``positions``: (..., k) sorted hit ranks; ``weights``: their GSEA weights.
    """
    k = positions.shape[-1]
    norm = weights.sum(axis=-1, keepdims=True)
    uniform = norm == 0  # all hits have statistic 0: GSEA's walk degenerates to equal steps
    if uniform.any():
        weights = np.where(uniform, 1.0, weights)
        norm = weights.sum(axis=-1, keepdims=True)
    step = weights / norm
    misses_before = positions - np.arange(k)
    tops = np.cumsum(step, axis=-1) - misses_before / (n - k)
    return tops, tops - step


def _pick_es(tops: np.ndarray, bottoms: np.ndarray) -> np.ndarray:
    """ES as gseapy picks it: the first running-sum extreme of largest absolute value."""
    walk = np.stack([bottoms, tops], axis=-1).reshape(*tops.shape[:-1], -1)
    idx = np.argmax(np.abs(walk), axis=-1)
    return np.take_along_axis(walk, idx[..., None], axis=-1)[..., 0]


def enrichment_score(ranked: RankedGenes, positions: np.ndarray) -> tuple[float, np.ndarray]:
    """ES of one set (sorted hit ranks) and the ranks of its leading-edge genes.

    The leading edge follows gseapy: for ES >= 0 the hits up to the running-sum maximum, in rank
    order; for ES < 0 the hits from the minimum on, most negative first.
    """
    tops, bottoms = _walk_extremes(positions, ranked.weights[positions], ranked.n)
    es = float(_pick_es(tops, bottoms))
    if es >= 0:
        leading = positions[: int(np.argmax(tops)) + 1]
    else:
        leading = positions[int(np.argmin(bottoms)) :][::-1]
    return es, leading


def running_sum(ranked: RankedGenes, positions: np.ndarray) -> np.ndarray:
    """The full running enrichment score over all ranks (for plots)."""
    hit = np.zeros(ranked.n, dtype=bool)
    hit[positions] = True
    w = np.where(hit, ranked.weights, 0.0)
    total = w.sum()
    step_hit = w / total if total > 0 else hit / hit.sum()
    return np.cumsum(step_hit - (~hit) / (ranked.n - hit.sum()))


def draw_subsets(n: int, depth: int, permutations: int, seed: int) -> np.ndarray:
    """(permutations, depth) random ordered samples of distinct ranks, reproducible by seed."""
    rng = np.random.default_rng(seed)
    out = np.empty((permutations, depth), dtype=np.int32)
    for b in range(permutations):
        out[b] = rng.choice(n, size=depth, replace=False)
    return out


def null_es(ranked: RankedGenes, subsets: np.ndarray, size: int) -> np.ndarray:
    """Null ES of random sets of ``size`` genes: the first ``size`` of each subset row.

    Same walk as ``enrichment_score``, written in place for speed; an exact tie between the
    largest positive and negative deviation (probability zero for continuous statistics) counts
    as positive.
    """
    positions = np.sort(subsets[:, :size], axis=1)
    w = ranked.weights[positions]
    norm = w.sum(axis=1, keepdims=True)
    if (norm == 0).any():
        tops, bottoms = _walk_extremes(positions, w, ranked.n)
        return _pick_es(tops, bottoms)
    walk = np.cumsum(w, axis=1)
    walk /= norm
    positions -= np.arange(size, dtype=positions.dtype)  # misses before each hit
    walk -= positions * (1.0 / (ranked.n - size))
    top = walk.max(axis=1)
    w /= norm
    walk -= w  # now the running sum just before each hit
    bottom = walk.min(axis=1)
    return np.where(top >= -bottom, top, bottom)


def null_by_size(
    ranked: RankedGenes,
    sizes: Sequence[int],
    permutations: int,
    seed: int,
    depth: int,
    threads: int = 1,
) -> dict[int, np.ndarray]:
    """Null ES per distinct set size, computed in parallel over sizes."""
    sizes = sorted(set(int(s) for s in sizes))
    if not sizes:
        return {}
    depth = max(depth, sizes[-1])
    subsets = draw_subsets(ranked.n, depth, permutations, seed)
    with ThreadPoolExecutor(max_workers=max(1, threads)) as pool:
        nulls = list(pool.map(lambda k: null_es(ranked, subsets, k), sizes))
    return dict(zip(sizes, nulls, strict=True))


def normalise(es: float, null: np.ndarray) -> tuple[float, float, np.ndarray]:
    """NES, nominal p-value and the normalised null, with gseapy's conventions."""
    pos, neg = null[null >= 0], null[null < 0]
    pos_mean = pos.mean() if pos.size else es
    neg_mean = abs(neg.mean()) if neg.size else es
    nes = es / pos_mean if es >= 0 else es / neg_mean
    nes_null = np.where(null >= 0, null / pos_mean, null / neg_mean)
    if es < 0:
        denom, num = neg.size, int((null <= es).sum())
    else:
        denom, num = pos.size, int((null >= es).sum())
    pval = num / denom if denom else 1.0
    return float(nes), float(pval), nes_null


def gsea_fdr(nes: np.ndarray, nes_nulls: Sequence[np.ndarray], counts: Sequence[int]) -> np.ndarray:
    """GSEA FDR q-values of the observed NES of one collection.

    ``nes_nulls[i]`` is a normalised null shared by ``counts[i]`` sets of the collection; the
    pooled null is their concatenation, each repeated ``counts[i]`` times (as in gseapy).
    """
    nes = np.asarray(nes, dtype=float)
    sorted_nulls = [np.sort(x) for x in nes_nulls]
    w = np.asarray(counts, dtype=float)

    def pooled(count) -> np.ndarray:
        return sum(wi * count(x) for wi, x in zip(w, sorted_nulls, strict=True))

    null_ge = pooled(lambda x: x.size - np.searchsorted(x, nes, side="left"))
    null_le = pooled(lambda x: np.searchsorted(x, nes, side="right"))
    null_pos = pooled(lambda x: x.size - np.searchsorted(x, 0.0, side="left"))
    null_neg = pooled(lambda x: np.searchsorted(x, 0.0, side="left"))
    obs = np.sort(nes)
    obs_ge = obs.size - np.searchsorted(obs, nes, side="left")
    obs_le = np.searchsorted(obs, nes, side="right")
    obs_pos = obs.size - np.searchsorted(obs, 0.0, side="left")
    obs_neg = np.searchsorted(obs, 0.0, side="left")
    positive = nes >= 0
    with np.errstate(divide="ignore", invalid="ignore"):
        phi_norm = np.where(
            positive,
            np.where(null_pos > 0, null_ge / np.maximum(null_pos, 1), 0.0),
            np.where(null_neg > 0, null_le / np.maximum(null_neg, 1), 0.0),
        )
        phi_obs = np.where(
            positive,
            np.where(obs_pos > 0, obs_ge / np.maximum(obs_pos, 1), 0.0),
            np.where(obs_neg > 0, obs_le / np.maximum(obs_neg, 1), 0.0),
        )
        fdr = phi_norm / phi_obs
    return np.minimum(np.nan_to_num(fdr, nan=1.0), 1.0)


def prerank(
    ranking: pd.Series,
    gene_sets: Mapping[str, Sequence[str]],
    *,
    collections: Mapping[str, str] | None = None,
    descriptions: Mapping[str, str] | None = None,
    permutations: int = 1000,
    seed: int = 0,
    weight: float = 1.0,
    min_size: int = 15,
    max_size: int = 500,
    threads: int = 1,
    nulls: Mapping[int, np.ndarray] | None = None,
) -> pd.DataFrame:
    """GSEA prerank of ``ranking`` (statistic per unique gene key) on ``gene_sets``.

    ``collections`` maps set name -> collection (FDR is computed within each collection; default
    one collection ""). Sets are matched to the ranked keys; those with fewer than ``min_size``
    or more than ``max_size`` matched genes are skipped. Returns one row per tested set with
    RESULT_COLUMNS, sorted by collection, p-value, |NES| and name. ``nulls`` (null ES by set size,
    from ``null_by_size`` with the same ranking) may be passed to share them between calls.
    """
    if permutations < 1:
        raise ValueError(f"permutations must be at least 1, got {permutations}")
    if not 1 <= min_size <= max_size:
        raise ValueError(f"need 1 <= min_size <= max_size, got {min_size}, {max_size}")
    ranked = rank_genes(ranking, weight)
    rank_of = dict(zip(ranked.genes.tolist(), range(ranked.n), strict=True))
    collections = collections or {}
    descriptions = descriptions or {}
    cap = min(max_size, ranked.n - 1)

    tested: list[tuple[str, np.ndarray]] = []
    for name, genes in gene_sets.items():
        hits = {rank_of[g] for g in genes if g in rank_of}
        if min_size <= len(hits) <= cap:
            tested.append((name, np.array(sorted(hits), dtype=np.int64)))
    log.info(
        "prerank: %d genes, %d of %d sets of size %d-%d, %d permutations",
        ranked.n,
        len(tested),
        len(gene_sets),
        min_size,
        max_size,
        permutations,
    )
    if not tested:
        return pd.DataFrame(columns=RESULT_COLUMNS)

    missing = sorted({p.size for _, p in tested} - set(nulls or {}))
    nulls = {
        **(nulls or {}),
        **null_by_size(ranked, missing, permutations, seed, depth=cap, threads=threads),
    }
    rows = []
    nes_nulls: dict[int, np.ndarray] = {}
    for name, pos in tested:
        es, leading = enrichment_score(ranked, pos)
        nes, pval, nes_null = normalise(es, nulls[pos.size])
        rows.append(
            {
                "set": name,
                "description": descriptions.get(name, ""),
                "collection": collections.get(name, ""),
                "size": pos.size,
                "ES": es,
                "NES": nes,
                "pvalue": pval,
                "leading_edge_size": leading.size,
                "leading_edge": ";".join(ranked.genes[leading]),
            }
        )
        # the normalised null depends only on the size (the ES fallback of an empty sign side
        # never applies to the null values themselves)
        nes_nulls[pos.size] = nes_null
    table = pd.DataFrame(rows)
    table["FDR"] = np.nan
    for _, idx in table.groupby("collection", sort=True).groups.items():
        sub = table.loc[idx]
        counts = sub["size"].value_counts().sort_index()
        uniq, counts = counts.index.tolist(), counts.tolist()
        table.loc[idx, "FDR"] = gsea_fdr(
            sub["NES"].to_numpy(), [nes_nulls[u] for u in uniq], counts
        )
    table["_abs"] = table["NES"].abs()
    table = table.sort_values(
        ["collection", "pvalue", "_abs", "set"], ascending=[True, True, False, True]
    )
    return table[RESULT_COLUMNS].reset_index(drop=True)


def prerank_collections(
    ranking: pd.Series,
    sets,
    *,
    permutations: int,
    seed: int,
    min_size: int,
    max_size: int,
    curated_min_size: int,
    curated: frozenset[str] | set[str] = frozenset(),
    weight: float = 1.0,
    threads: int = 1,
) -> pd.DataFrame:
    """Prerank each collection of a ``genesets.GeneSets`` (curated ones with their own minimum).

    Every collection uses the same seed and ``max_size``, so sets of equal size share one null
    across collections and each set's result is independent of the other collections.
    """
    ranked = rank_genes(ranking, weight)
    cap = min(max_size, ranked.n - 1)
    keys = set(ranked.genes.tolist())
    sizes = {
        n
        for n in (sum(g in keys for g in set(genes)) for genes in sets.genes.values())
        if min(min_size, curated_min_size) <= n <= cap
    }
    nulls = null_by_size(ranked, sorted(sizes), permutations, seed, depth=cap, threads=threads)
    tables = [
        prerank(
            ranking,
            sets.subset(coll),
            collections=sets.collection,
            descriptions=sets.description,
            permutations=permutations,
            seed=seed,
            weight=weight,
            min_size=curated_min_size if coll in curated else min_size,
            max_size=max_size,
            threads=threads,
            nulls=nulls,
        )
        for coll in sets.collections
    ]
    tables = [t for t in tables if not t.empty]
    if not tables:
        return pd.DataFrame(columns=RESULT_COLUMNS)
    return pd.concat(tables, ignore_index=True)
