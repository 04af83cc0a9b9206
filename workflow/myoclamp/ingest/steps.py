"""Step functions of the ingest rules (see myoclamp.steps)."""

from __future__ import annotations

from pathlib import Path

from myoclamp.ingest.build import build_anndata
from myoclamp.io import write_h5ad


def ingest_counts(smk) -> None:
    """Build results/adata/counts.h5ad from the configured inputs."""
    adata = build_anndata(smk.config, root=Path.cwd())
    write_h5ad(adata, smk.output.adata)
