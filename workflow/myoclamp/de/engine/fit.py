"""``fit_deseq``: pydeseq2's ``deseq2()`` pipeline with the batched engine as its inference."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from pydeseq2.dds import DeseqDataSet

from myoclamp.de.engine.inference import DEFAULT_BATCH, BlockInference


def fit_deseq(
    counts: pd.DataFrame,
    design_matrix: pd.DataFrame,
    *,
    metadata: pd.DataFrame | None = None,
    fit_type: str = "parametric",
    refit_cooks: bool = True,
    n_cpus: int = 1,
    batch_size: int = DEFAULT_BATCH,
    path: str = "auto",
    boundary: str = "deseq2",
    quiet: bool = True,
) -> DeseqDataSet:
    """A fitted pydeseq2 ``DeseqDataSet`` (size factors, dispersions, LFCs, Cook's, refit).

    ``counts`` is samples x genes (integers), ``design_matrix`` a full-rank DataFrame on the same
    samples. The result is a real ``DeseqDataSet`` whose ``inference`` is the engine, so
    ``DeseqStats(dds, inference=dds.inference, ...)`` runs batched Wald tests as well.
    """
    if not counts.index.equals(design_matrix.index):
        raise ValueError(
            "fit_deseq: counts and design_matrix must have the same samples in the same order "
            f"(counts has {counts.shape[0]}, design {design_matrix.shape[0]}); "
            "reindex the design with counts.index"
        )
    x = design_matrix.to_numpy(dtype=float)
    if np.linalg.matrix_rank(x) < x.shape[1]:
        raise ValueError(
            f"fit_deseq: design matrix with columns {list(design_matrix.columns)} is not full "
            "rank; drop all-zero and linearly dependent columns first"
        )
    meta = metadata if metadata is not None else pd.DataFrame(index=counts.index)
    inference = BlockInference(n_cpus=n_cpus, batch_size=batch_size, path=path, boundary=boundary)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        dds = DeseqDataSet(
            counts=counts,
            metadata=meta.loc[counts.index],
            design=design_matrix.astype(float),
            fit_type=fit_type,
            refit_cooks=refit_cooks,
            inference=inference,
            quiet=quiet,
        )
        dds.deseq2()
    return dds
