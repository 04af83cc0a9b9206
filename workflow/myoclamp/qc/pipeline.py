"""The QC stage end to end, one function per rule."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path

import anndata as ad

from myoclamp.io import write_h5ad, write_tsv
from myoclamp.qc.run import run_qc, samples_table
from myoclamp.qc.settings import QCSettings

log = logging.getLogger(__name__)


def write_qc(adata_path: str, config: dict, outputs: Mapping[str, str], n_cpus: int = 1) -> None:
    """counts.h5ad -> ``adata`` (metrics, layers, PCA, flags), the per-sample table
    (``samples``) and the variance explained by design factors (``variance``,
    ``variance_by_pc``)."""
    qc = run_qc(ad.read_h5ad(adata_path), QCSettings.from_config(config), n_cpus=n_cpus)
    write_h5ad(qc, outputs["adata"])
    write_tsv(samples_table(qc), outputs["samples"])
    write_tsv(qc.uns["qc"]["variance_explained"], outputs["variance"])
    write_tsv(qc.uns["qc"]["variance_by_pc"], outputs["variance_by_pc"])


def write_plots(adata_path: str, outputs: Mapping[str, str]) -> None:
    """PCA by factor (``pca_<factor>``), variance explained (``variance``), distance heatmap
    (``distances``) and metric panels (``metrics``), PNG + SVG."""
    from myoclamp.qc import plots

    qc = ad.read_h5ad(adata_path)
    for factor in plots.PCA_FACTORS:
        plots.plot_pca(qc, factor, outputs[f"pca_{factor}"])
    plots.plot_variance_explained(qc.uns["qc"]["variance_explained"], outputs["variance"])
    plots.plot_distance_heatmap(qc, outputs["distances"])
    plots.plot_metrics(qc, outputs["metrics"])
    log.info("QC plots written to %s", Path(outputs["metrics"]).parent)
