"""Gene-set tests of one contrast: read the counts and the fit's design, test, rank, write, plot.

One job per DE design (rules ``enrichment_<design>``), for each of its contrasts:

- ``results/enrichment/{contrast}.tsv``: the set tests (:mod:`myoclamp.enrichment.settests`,
  camera + the design's permutation test) on the log2-CPM of the design's samples, with the exact
  design the DE fit used (:mod:`myoclamp.de.designfile`): what the workflow calls *enriched*;
  its metadata ``results/enrichment/meta/{contrast}.json``;
- ``results/enrichment/{contrast}.prerank.tsv``: GSEA prerank of the DE Wald statistic
  (:mod:`myoclamp.enrichment.prerank`), kept for its ranking and leading edges, labelled in its
  ``note`` column: gene permutation ignores gene correlation, so its FDR calls nothing;
- the dot plot of the set tests and the prerank running sums.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from myoclamp.config import section
from myoclamp.de.design import Design
from myoclamp.enrichment.genesets import CURATED, GeneSets, load_collections, ranking_table
from myoclamp.enrichment.prerank import PRERANK_NOTE, RESULT_COLUMNS, prerank_collections
from myoclamp.enrichment.settests import empty_table, run_set_tests
from myoclamp.io import write_json, write_tsv

log = logging.getLogger(__name__)

PRERANK_COLUMNS = [*RESULT_COLUMNS, "note"]


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


def prerank_table(table: pd.DataFrame, sets: GeneSets, cfg: Mapping, threads: int = 1):
    """:func:`gsea_table` with its ``note`` (:data:`PRERANK_NOTE`) in every row."""
    result = gsea_table(table, sets, cfg, threads)
    return result.assign(note=PRERANK_NOTE)[PRERANK_COLUMNS]


def design_expression(adata, design: Design, de_meta: Mapping):
    """log2-CPM of the design's samples, genes filtered as its DE fit filtered them."""
    from myoclamp.adata import counts_frame
    from myoclamp.enrichment.logexpr import log_expression

    return log_expression(
        counts_frame(adata, design.matrix.index),
        min_count=int(de_meta["count_filter_min_count"]),
        min_samples=int(design.min_group or 1),
        symbols=adata.var["symbol"],
    )


def contrast_set_tests(
    expr, design: Design, de_meta: Mapping, sets: GeneSets, cfg: Mapping, threads: int = 1
) -> tuple[pd.DataFrame, dict]:
    """The set tests of one contrast (``de_meta["contrast"]``) of ``design`` on ``expr``."""
    contrast = str(de_meta["contrast"])
    if design.matrix is None:
        reason = design.reason or "not estimable"
        log.warning("%s: no set tests: %s", contrast, reason)
        return empty_table(), {"contrast": contrast, "design": design.name, "reason": reason}
    table, meta = run_set_tests(
        expr, design, contrast, sets, cfg, seed=cfg["seed"], threads=threads
    )
    meta["genes_fitted_by_de"] = de_meta.get("genes_fitted")
    if meta["genes_fitted_by_de"] is not None and meta["genes"] != meta["genes_fitted_by_de"]:
        log.warning(
            "%s: %d genes in the set tests, %d in the DE fit", contrast, meta["genes"],
            meta["genes_fitted_by_de"],
        )  # fmt: skip
    return table, meta


def write_design_enrichment(
    adata_path: str,
    design_path: str,
    contrasts: Mapping[str, Mapping[str, str]],
    gmt: Mapping[str, str],
    config: Mapping,
    outputs: Mapping[str, Mapping[str, str]],
    threads: int = 1,
) -> None:
    """Enrichment of every contrast of one design: the counts, the gene sets and the design's
    log-expression are read and computed once. ``contrasts[c]``: the contrast's DE ``meta``
    JSON and ``de`` table; ``outputs[c]``: its ``sets``, ``meta``, ``prerank`` and plots
    (``dot``, ``running_top``, ``running_curated``)."""
    import anndata as ad

    from myoclamp.de.designfile import fitted_design, read_design_matrix

    cfg = settings(config)
    sets = load_collections(gmt)
    matrix = read_design_matrix(design_path)
    adata = ad.read_h5ad(adata_path)
    expr = None
    for contrast, paths in contrasts.items():
        de_meta = json.loads(Path(paths["meta"]).read_text())
        design = fitted_design(matrix, de_meta, adata.obs)
        if design.matrix is not None and expr is None:  # same samples and filter per design
            expr = design_expression(adata, design, de_meta)
        table, meta = contrast_set_tests(expr, design, de_meta, sets, cfg, threads)
        write_contrast_enrichment(table, meta, paths["de"], sets, cfg, outputs[contrast],
                                  contrast, threads)  # fmt: skip


def write_contrast_enrichment(
    table: pd.DataFrame,
    meta: dict,
    de_path: str,
    sets: GeneSets,
    cfg: Mapping,
    outputs: Mapping[str, str],
    contrast: str,
    threads: int = 1,
) -> None:
    """Write one contrast's set tests (``sets``, ``meta``), its GSEA prerank (``prerank``) and
    the plots (``dot``, ``running_top``, ``running_curated``)."""
    write_tsv(table, outputs["sets"])
    write_json(meta, outputs["meta"])
    ranking = read_de(de_path)
    prerank = prerank_table(ranking, sets, cfg, threads)
    write_tsv(prerank, outputs["prerank"])
    log.info(
        "%s: %d sets tested, %d enriched; prerank (ignores gene correlation) %d at its FDR < 0.05",
        contrast,
        len(table),
        int(table["enriched"].astype(bool).sum()) if len(table) else 0,
        int((prerank["FDR"] < 0.05).sum()),
    )
    plots = {k: outputs[k] for k in ("dot", "running_top", "running_curated")}
    write_plots(ranking, table, prerank, sets, plots, cfg, contrast, meta)


def write_plots(
    ranking: pd.DataFrame,
    tests: pd.DataFrame,
    prerank: pd.DataFrame,
    sets: GeneSets,
    outputs: Mapping[str, str],
    cfg: Mapping,
    contrast: str,
    meta: Mapping,
) -> None:
    """Dot plot of the set tests' top sets; prerank running sums of the same top sets and of
    the curated sets, annotated with the set tests' call."""
    from myoclamp.enrichment.plots import dot_plot, running_sum_plot, top_sets

    reason = meta.get("reason")
    dot_plot(
        tests,
        outputs["dot"],
        title=f"{contrast}: gene sets with the smallest camera p-values",
        alpha=float(cfg["alpha"]),
        n=int(cfg["top_sets"]),
        empty=f"no set tests: {reason}" if reason else "no gene set tested",
    )
    stat = pd.Series(ranking["stat"].to_numpy(), index=ranking["key"].to_numpy())
    top = top_sets(tests, int(cfg["running_sum_top"]))["set"].tolist()
    title = "GSEA prerank running sums (gene permutation: ignores gene correlation)"
    running_sum_plot(stat, sets.genes, top, prerank, tests, outputs["running_top"],
                     title=f"{contrast}: top sets by the set tests; {title}",
                     weight=float(cfg["weight"]))  # fmt: skip
    curated = [n for n in sets.genes if sets.collection[n] in CURATED]
    running_sum_plot(stat, sets.genes, curated, prerank, tests, outputs["running_curated"],
                     title=f"{contrast}: curated muscle sets; {title}",
                     weight=float(cfg["weight"]))  # fmt: skip
