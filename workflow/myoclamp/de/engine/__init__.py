"""Batched DESeq2 engine that exploits participant blocks (Schur complement of ``X'WX``)."""

from myoclamp.de.engine.fit import fit_deseq
from myoclamp.de.engine.inference import BlockInference

__all__ = ["BlockInference", "fit_deseq"]
