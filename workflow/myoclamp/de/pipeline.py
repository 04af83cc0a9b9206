"""The DE stage end to end, one function per rule."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import anndata as ad
import pandas as pd

from myoclamp.adata import analysed, counts_frame
from myoclamp.de import plots
from myoclamp.de.concordance import concordance, concordance_table
from myoclamp.de.contrast_equivalence import contrast_outputs
from myoclamp.de.design import build_design
from myoclamp.de.designfile import write_design_matrix
from myoclamp.de.fit import Fit, fit_design
from myoclamp.de.settings import de_settings, trial_levels
from myoclamp.de.specs import contrast_specs
from myoclamp.de.stats import contrast_results, wald_df
from myoclamp.de.tables import contrast_meta, empty_table, result_table, summary_row, summary_table
from myoclamp.de.unwanted import control_gene_keys
from myoclamp.io import write_json, write_tsv

log = logging.getLogger(__name__)

PLOTS = plots.CONTRAST_FIGURES


def fit_from_adata(adata: ad.AnnData, design: str, config: dict, n_cpus: int = 1) -> Fit:
    """Build design ``design`` from ``adata.obs`` and fit it on the raw counts."""
    de = de_settings(config)
    built = build_design(adata.obs, design, config)
    samples = built.matrix.index if built.matrix is not None else adata.obs_names[:0]
    counts = counts_frame(adata, samples)
    control = control_gene_keys(adata.var, de, design)
    fit = fit_design(built, counts, settings=de, n_cpus=n_cpus, control=control)
    if fit.dds is not None:
        fit.dds.var["symbol"] = adata.var["symbol"].reindex(fit.dds.var_names).astype(str)
    return fit


def contrast_table(
    fit: Fit, contrast: str, config: dict, n_cpus: int = 1
) -> tuple[pd.DataFrame, dict]:
    """Result table and metadata of ``contrast`` (an empty table with the reason if need be)."""
    de = de_settings(config)
    spec = next((s for s in contrast_specs(config) if s.name == contrast), None)
    if spec is None or spec.design != fit.design.name:
        raise ValueError(f"contrast {contrast!r} does not belong to design {fit.design.name!r}")
    reason = fit.design.not_estimable.get(contrast) or fit.design.reason
    if fit.dds is None and reason is None:
        reason = "design was not fitted"
    if reason is not None:
        log.warning("contrast %s is not estimable: %s", contrast, reason)
        return empty_table(), contrast_meta(fit, spec, reason)
    res = contrast_results(
        fit.dds,
        fit.design.contrasts[contrast],
        alpha=de["alpha"],
        cooks_filter=de["cooks_filter"],
        independent_filter=de["independent_filter"],
        shrink=de["shrink"],
        wald_distribution=de["wald_distribution"],
        n_cpus=n_cpus,
    )
    controls = (getattr(fit.design, "unwanted", None) or {}).get("control_genes", [])
    table = result_table(res, fit.dds.var, controls)
    meta = contrast_meta(fit, spec, None)
    meta["wald_distribution"] = de["wald_distribution"]
    meta["wald_df"] = wald_df(fit.dds) if de["wald_distribution"] == "t" else None
    log.info(
        "contrast %s: %d genes tested, %d at padj < %g",
        contrast,
        int(table["padj"].notna().sum()),
        int((table["padj"] < de["alpha"]).sum()),
        de["alpha"],
    )
    return table, meta


def with_equivalence(
    fit: Fit, contrast: str, config: dict, table: pd.DataFrame, meta: dict
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The contrast table with its equivalence and detectable-effect columns, the genes of
    interest's detectable effects and the genome-wide distribution
    (:func:`myoclamp.de.contrast_equivalence.contrast_outputs`); ``meta`` gets its
    ``equivalence`` entry."""
    spec = next(s for s in contrast_specs(config) if s.name == contrast)
    return contrast_outputs(table, meta, fit.design, spec.between_arms, config)


def write_contrast(
    fit: Fit, contrast: str, config: dict, outputs: dict[str, str], n_cpus: int = 1
) -> None:
    """Write ``outputs['tsv']`` (with the equivalence columns), ``outputs['meta']`` and, when
    ``outputs`` names them, the detectable effects (``detectable``, ``distribution``) and the
    plots of :data:`PLOTS`."""
    de = de_settings(config)
    table, meta = contrast_table(fit, contrast, config, n_cpus)
    meta["count_filter_min_count"] = int(de["min_count"])
    table, detect, dist = with_equivalence(fit, contrast, config, table, meta)
    write_tsv(table, outputs["tsv"])
    write_json(meta, outputs["meta"])
    if "detectable" in outputs:  # the primary engine's
        write_tsv(detect, outputs["detectable"])
        write_tsv(dist, outputs["distribution"])
    if all(name in outputs for name in PLOTS):  # the primary engine's tables only
        plots.contrast_figures(
            table, meta, outputs, alpha=de["alpha"], genes=list(de["genes_of_interest"])
        )


def write_design(
    adata_path: str,
    design: str,
    config: dict,
    outputs: dict[str, dict[str, str]],
    matrix: str,
    n_cpus: int = 1,
) -> None:
    """Fit ``design`` on counts.h5ad and write the design matrix it used (``matrix``,
    :mod:`myoclamp.de.designfile`) and each of its contrasts: ``outputs[contrast]`` names the
    contrast's ``tsv``, ``meta`` and the plots of :data:`PLOTS`."""
    fit = fit_from_adata(ad.read_h5ad(adata_path), design, config, n_cpus=n_cpus)
    write_design_matrix(fit.design, matrix)
    for contrast, paths in outputs.items():
        write_contrast(fit, contrast, config, paths, n_cpus=n_cpus)


def write_overview(
    metas: list[str],
    tables: list[str],
    adata_path: str,
    config: dict,
    summary: str,
    genes_of_interest_png: str,
    other_metas: list[str] = (),
    other_tables: list[str] = (),
    concordance: str | None = None,
) -> None:
    """The stage's overview: ``results/de/summary.tsv`` (one row per contrast and engine: the
    primary engine's ``metas``/``tables``, then the other engine's), the two engines' agreement
    per contrast (``concordance``: ``results/de/concordance.tsv``) and the trajectory panel of
    the genes of interest."""
    write_summary([*metas, *other_metas], [*tables, *other_tables], summary, config)
    if concordance is not None:
        write_concordance(metas, tables, other_metas, other_tables, concordance, config)
    write_genes_of_interest(ad.read_h5ad(adata_path), config, genes_of_interest_png)


def write_summary(metas: list[str], tables: list[str], path: str, config: dict) -> None:
    """``results/de/summary.tsv`` from the per-contrast metadata and tables."""
    alpha = de_settings(config)["alpha"]
    rows = []
    for meta_path, table_path in zip(metas, tables, strict=True):
        meta = json.loads(Path(meta_path).read_text())
        table = pd.read_csv(table_path, sep="\t")
        rows.append(summary_row(meta, table, alpha))
    write_tsv(summary_table(rows), path)


def write_concordance(
    metas: list[str],
    tables: list[str],
    other_metas: list[str],
    other_tables: list[str],
    path: str,
    config: dict,
) -> None:
    """``results/de/concordance.tsv``: per contrast, the primary engine's table (``tables``)
    against the other engine's (``other_tables``, the same contrasts), at ``de.alpha``."""
    alpha = de_settings(config)["alpha"]

    def by_contrast(meta_paths: list[str], table_paths: list[str]) -> dict:
        out = {}
        for meta_path, table_path in zip(meta_paths, table_paths, strict=True):
            meta = json.loads(Path(meta_path).read_text())
            out[meta["contrast"]] = (meta.get("engine", ""), pd.read_csv(table_path, sep="\t"))
        return out

    first, second = by_contrast(metas, tables), by_contrast(other_metas, other_tables)
    rows = []
    for contrast, (engine_a, a) in first.items():
        if contrast not in second:
            continue
        engine_b, b = second[contrast]
        rows.append(concordance(a, b, contrast, (engine_a, engine_b), alpha=alpha))
        log.info(
            "concordance %s (%s vs %s): %d genes significant under both, %d / %d under one only",
            contrast,
            engine_a,
            engine_b,
            rows[-1]["sig_both"],
            rows[-1]["sig_a_only"],
            rows[-1]["sig_b_only"],
        )
    write_tsv(concordance_table(rows), path)


def write_genes_of_interest(adata: ad.AnnData, config: dict, path: str) -> None:
    """Trajectories of the configured genes of interest by arm, visit and clamp state."""
    de = de_settings(config)
    lv = trial_levels(config)
    adata = adata[analysed(adata.obs).index]
    counts = counts_frame(adata)
    genes = list(de["genes_of_interest"])
    keys = adata.var.index[adata.var["symbol"].astype(str).isin(genes)]
    logc = plots.normalised_log_counts(counts)[keys] if len(keys) else counts.iloc[:, :0]
    plots.genes_of_interest_panel(
        logc,
        adata.obs,
        adata.var.loc[keys, "symbol"].astype(str),
        genes,
        path,
        arm_levels=[lv["arm_ref"], lv["arm_test"]],
    )
