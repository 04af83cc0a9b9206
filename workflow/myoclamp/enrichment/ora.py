"""Over-representation analysis with gseapy's offline ``enrich`` (hypergeometric test).

Offline by construction: gseapy's ``enrich`` goes online only when given an Enrichr library
*name* (a string) as gene sets or a BioMart dataset name as background. Here gene sets are always
a dict and the background a set of genes, which takes its local path (``Enrichr.enrich_local``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence

import gseapy
import pandas as pd

log = logging.getLogger(__name__)

ORA_COLUMNS = [
    "direction",
    "set",
    "description",
    "collection",
    "size",
    "overlap",
    "query_size",
    "background_size",
    "odds_ratio",
    "pvalue",
    "FDR",
    "genes",
]


def _enrich(query: list[str], sets: dict[str, list[str]], background: set[str]) -> pd.DataFrame:
    """gseapy's local hypergeometric test; genes are upper-cased so gseapy never re-cases."""
    res = gseapy.enrich(
        gene_list=query, gene_sets=sets, background=background, outdir=None, no_plot=True, cutoff=1
    )
    return res.res2d if res.res2d is not None else pd.DataFrame()


def ora(
    table: pd.DataFrame,
    gene_sets: Mapping[str, Sequence[str]],
    *,
    collections: Mapping[str, str] | None = None,
    descriptions: Mapping[str, str] | None = None,
    alpha: float = 0.05,
    min_size: int = 15,
    max_size: int = 500,
) -> pd.DataFrame:
    """ORA of the up and down genes at FDR ``alpha`` against the tested genes.

    ``table`` is a ranking table (genesets.ranking_table): genes with a non-missing padj form
    the background; up = padj < alpha and log2FoldChange > 0, down likewise < 0. Sets are limited
    to the background and kept at ``min_size``..``max_size`` genes; BH FDR within each collection
    and direction.
    """
    collections = collections or {}
    descriptions = descriptions or {}
    tested = table[table["padj"].notna()]
    upper = {k.upper(): k for k in tested["key"]}
    if len(upper) != len(tested):
        raise ValueError("gene keys differ only by letter case; cannot run ORA on them")
    background = set(upper)
    restricted = {}
    for name, genes in gene_sets.items():
        members = sorted({g.upper() for g in genes} & background)
        if min_size <= len(members) <= max_size:
            restricted[name] = members
    significant = tested["padj"] < alpha
    queries = {
        "up": tested.loc[significant & (tested["log2FoldChange"] > 0), "key"],
        "down": tested.loc[significant & (tested["log2FoldChange"] < 0), "key"],
    }
    frames = []
    for direction, keys in queries.items():
        query = sorted(k.upper() for k in keys)
        log.info("ORA %s: %d genes, %d sets, background %d", direction, len(query),
                 len(restricted), len(background))  # fmt: skip
        for coll in sorted({collections.get(n, "") for n in restricted}):
            sets = {n: g for n, g in restricted.items() if collections.get(n, "") == coll}
            if not query or not sets:
                continue
            res = _enrich(query, sets, background)
            if res.empty:
                continue
            overlap = res["Overlap"].str.split("/", expand=True).astype(int)
            frames.append(
                pd.DataFrame(
                    {
                        "direction": direction,
                        "set": res["Term"].to_numpy(),
                        "description": [descriptions.get(t, "") for t in res["Term"]],
                        "collection": coll,
                        "size": overlap[1].to_numpy(),
                        "overlap": overlap[0].to_numpy(),
                        "query_size": len(query),
                        "background_size": len(background),
                        "odds_ratio": res["Odds Ratio"].to_numpy(),
                        "pvalue": res["P-value"].to_numpy(),
                        "FDR": res["Adjusted P-value"].to_numpy(),
                        "genes": [_restore(g, upper) for g in res["Genes"]],
                    }
                )
            )
    if not frames:
        return pd.DataFrame(columns=ORA_COLUMNS)
    out = pd.concat(frames, ignore_index=True)
    out = out.sort_values(
        ["direction", "collection", "pvalue", "set"], ascending=[False, True, True, True]
    )
    return out[ORA_COLUMNS].reset_index(drop=True)


def _restore(genes: str, upper: Mapping[str, str]) -> str:
    """Map gseapy's ';'-joined upper-case genes back to the original keys."""
    return ";".join(sorted(upper.get(g, g) for g in _split(genes)))


def _split(genes: str) -> Iterable[str]:
    return [g for g in str(genes).split(";") if g]
