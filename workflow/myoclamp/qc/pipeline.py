"""The QC object and tables (rule ``qc_adata``); the figures' rule function is
:func:`myoclamp.qc.plots.write_plots` (it needs none of the QC statistics)."""

from __future__ import annotations

from collections.abc import Mapping

import anndata as ad

from myoclamp.io import write_h5ad, write_tsv
from myoclamp.qc.run import run_qc, samples_table
from myoclamp.qc.settings import QCSettings


def write_qc(adata_path: str, config: dict, outputs: Mapping[str, str], n_cpus: int = 1) -> None:
    """counts.h5ad -> ``adata`` (metrics, layers, PCA, flags), the per-sample table
    (``samples``) and the variance explained by design factors (``variance``,
    ``variance_by_pc``)."""
    qc = run_qc(ad.read_h5ad(adata_path), QCSettings.from_config(config), n_cpus=n_cpus)
    write_h5ad(qc, outputs["adata"])
    write_tsv(samples_table(qc), outputs["samples"])
    write_tsv(qc.uns["qc"]["variance_explained"], outputs["variance"])
    write_tsv(qc.uns["qc"]["variance_by_pc"], outputs["variance_by_pc"])
