"""The ingest stage end to end: inputs -> ``results/adata/counts.h5ad``."""

from __future__ import annotations

from pathlib import Path

from myoclamp.ingest.build import build_anndata
from myoclamp.io import write_h5ad


def write_counts(
    config: dict, counts: str, samples: str, clinical: str | None, out: str, root: str = "."
) -> None:
    """Read and validate the count table, sample sheet and clinical table given (the rule's
    inputs) with the config's ``inputs`` options; write the counts AnnData to ``out``."""
    inputs = {**config["inputs"], "counts": counts, "samples": samples, "clinical": clinical}
    adata = build_anndata({**config, "inputs": inputs}, root=Path(root))
    write_h5ad(adata, out)
