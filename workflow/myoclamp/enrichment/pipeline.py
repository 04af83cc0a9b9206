"""Enrichment of one contrast's DE table: read, test, write."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from myoclamp.config import section
from myoclamp.enrichment.genesets import CURATED, GeneSets, load_collections, ranking_table
from myoclamp.enrichment.prerank import prerank_collections
from myoclamp.io import write_tsv

log = logging.getLogger(__name__)


def settings(config: Mapping) -> dict:
    """The ``enrichment`` config section (defaults from the schema), plus the top-level seed."""
    return {**section(config, "enrichment"), "seed": int(section(config, "seed"))}


def read_de(path: str | Path) -> pd.DataFrame:
    """Read a DE table and turn it into the ranking table."""
    de = pd.read_csv(path, sep="\t", dtype={"gene_id": str, "symbol": str})
    return ranking_table(de, source=str(path))


def gsea_table(table: pd.DataFrame, sets: GeneSets, cfg: Mapping, threads: int = 1) -> pd.DataFrame:
    """GSEA prerank of a ranking table on every collection."""
    ranking = pd.Series(table["stat"].to_numpy(), index=table["key"].to_numpy())
    return prerank_collections(
        ranking,
        sets,
        permutations=int(cfg["permutations"]),
        seed=int(cfg["seed"]),
        min_size=int(cfg["min_size"]),
        max_size=int(cfg["max_size"]),
        curated_min_size=int(cfg["curated_min_size"]),
        curated=CURATED,
        weight=float(cfg["weight"]),
        threads=threads,
    )


def ora_table(table: pd.DataFrame, sets: GeneSets, cfg: Mapping) -> pd.DataFrame:
    """ORA of the up and down genes, each collection with its own size range."""
    from myoclamp.enrichment.ora import ora  # gseapy is slow to import: only where needed

    frames = []
    for coll in sets.collections:
        curated = coll in CURATED
        frames.append(
            ora(
                table,
                sets.subset(coll),
                collections=sets.collection,
                descriptions=sets.description,
                alpha=float(cfg["ora_alpha"]),
                min_size=int(cfg["curated_min_size"] if curated else cfg["min_size"]),
                max_size=int(cfg["max_size"]),
            )
        )
    frames = [f for f in frames if not f.empty]
    return pd.concat(frames, ignore_index=True) if frames else ora(table, {})


def write_gsea(
    de_path: str, gmt: Mapping[str, str], out: str, config: Mapping, threads: int = 1
) -> None:
    """GSEA prerank of one contrast -> ``results/enrichment/{contrast}.tsv``."""
    cfg = settings(config)
    result = gsea_table(read_de(de_path), load_collections(gmt), cfg, threads)
    log.info("%s: %d sets tested, %d at FDR < 0.05", de_path, len(result),
             int((result["FDR"] < 0.05).sum()))  # fmt: skip
    write_tsv(result, out)


def write_ora(de_path: str, gmt: Mapping[str, str], out: str, config: Mapping) -> None:
    """ORA of one contrast -> ``results/enrichment/{contrast}.ora.tsv``."""
    cfg = settings(config)
    write_tsv(ora_table(read_de(de_path), load_collections(gmt), cfg), out)


def write_plots(
    de_path: str,
    gsea_path: str,
    gmt: Mapping[str, str],
    outputs: Mapping[str, str],
    config: Mapping,
    contrast: str,
) -> None:
    """Dot plot of the top sets and running-sum plots (top sets; curated sets)."""
    from myoclamp.enrichment.plots import dot_plot, running_sum_plot, top_sets

    cfg = settings(config)
    table = read_de(de_path)
    ranking = pd.Series(table["stat"].to_numpy(), index=table["key"].to_numpy())
    result = pd.read_csv(gsea_path, sep="\t", keep_default_na=False, na_values=["NA"])
    result["description"] = result["description"].astype(str)
    sets = load_collections(gmt)
    floor = 1.0 / int(cfg["permutations"])
    dot_plot(result, outputs["dot"], title=f"{contrast}: top gene sets (GSEA prerank)",
             floor=floor, n=int(cfg["top_sets"]))  # fmt: skip
    top = top_sets(result, int(cfg["running_sum_top"]))["set"].tolist()
    running_sum_plot(ranking, sets.genes, top, result, outputs["running_top"],
                     title=f"{contrast}: top gene sets", weight=float(cfg["weight"]))  # fmt: skip
    curated = [n for n in sets.genes if sets.collection[n] in CURATED]
    title = f"{contrast}: curated muscle sets"
    running_sum_plot(ranking, sets.genes, curated, result, outputs["running_curated"],
                     title=title, weight=float(cfg["weight"]))  # fmt: skip


def write_enrichment(
    de_path: str,
    gmt: Mapping[str, str],
    config: Mapping,
    outputs: Mapping[str, str],
    contrast: str,
    threads: int = 1,
) -> None:
    """GSEA prerank (``gsea``), ORA (``ora``) and the plots (``dot``, ``running_top``,
    ``running_curated``) of one contrast."""
    write_gsea(de_path, gmt, outputs["gsea"], config, threads)
    write_ora(de_path, gmt, outputs["ora"], config)
    plots = {k: outputs[k] for k in ("dot", "running_top", "running_curated")}
    write_plots(de_path, outputs["gsea"], gmt, plots, config, contrast)
