"""Step functions of the QC rules (see myoclamp.steps): unpack ``smk``, call tested code."""

from __future__ import annotations

import logging
from pathlib import Path

import anndata as ad

from myoclamp.io import write_h5ad, write_tsv
from myoclamp.qc import plots
from myoclamp.qc.run import run_qc, samples_table
from myoclamp.qc.settings import QCSettings

log = logging.getLogger(__name__)


def qc_adata(smk) -> None:
    """results/adata/counts.h5ad -> results/adata/qc.h5ad (metrics, layers, PCA, flags)."""
    adata = ad.read_h5ad(smk.input.adata)
    qc = run_qc(adata, QCSettings.from_config(smk.config), n_cpus=smk.threads)
    write_h5ad(qc, smk.output.adata)


def qc_tables(smk) -> None:
    """Per-sample QC table and the variance explained by design factors."""
    qc = ad.read_h5ad(smk.input.adata)
    write_tsv(samples_table(qc), smk.output.samples)
    write_tsv(qc.uns["qc"]["variance_explained"], smk.output.variance)
    write_tsv(qc.uns["qc"]["variance_by_pc"], smk.output.variance_by_pc)


def qc_plots(smk) -> None:
    """PCA by factor, variance explained, distance heatmap, metric panels (PNG + SVG)."""
    qc = ad.read_h5ad(smk.input.adata)
    for factor in plots.PCA_FACTORS:
        plots.plot_pca(qc, factor, getattr(smk.output, f"pca_{factor}"))
    plots.plot_variance_explained(qc.uns["qc"]["variance_explained"], smk.output.variance)
    plots.plot_distance_heatmap(qc, smk.output.distances)
    plots.plot_metrics(qc, smk.output.metrics)
    log.info("QC plots written to %s", Path(smk.output.metrics).parent)
