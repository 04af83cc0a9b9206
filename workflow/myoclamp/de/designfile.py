"""The design a DE fit used, as small text files, and back: what the gene-set tests start from.

The DE job of a design writes ``results/de/designs/{design}.tsv``: one row per sample of the fit
(column ``sample``), one column per coefficient of its full-rank design matrix, in order,
including the factor columns of ``de.unwanted`` (``unwanted_1``, ...), at full precision (any
value read back equals the one fitted). Each contrast's meta JSON (``results/de/meta/{contrast}
.json``, :func:`myoclamp.de.tables.contrast_meta`) holds its weights on those columns
(``contrast_vector``, the non-zero ones), the formula and the count filter the fit applied
(``count_filter_min_count`` reads in ``count_filter_min_samples`` samples). No pickles: a reader
in any language can rebuild the fit's linear model from these two files.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from myoclamp.de.design import Design
from myoclamp.io import atomic_path

INDEX = "sample"


def write_design_matrix(design: Design, path: str | Path) -> None:
    """``design``'s matrix as a TSV (a header with only ``sample`` when it was not built)."""
    matrix = design.matrix if design.matrix is not None else pd.DataFrame(index=pd.Index([]))
    frame = matrix.copy()
    frame.index = pd.Index(frame.index.astype(str), name=INDEX)
    with atomic_path(path) as tmp:
        frame.to_csv(tmp, sep="\t", float_format="%.17g", na_rep="NA")


def read_design_matrix(path: str | Path) -> pd.DataFrame:
    """The design matrix written by :func:`write_design_matrix` (index: sample ids as text)."""
    frame = pd.read_csv(
        path, sep="\t", dtype={INDEX: str}, index_col=INDEX, float_precision="round_trip"
    )
    frame.index = frame.index.astype(str).rename(None)  # unnamed, as build_design's
    return frame.astype(float)


def fitted_design(matrix: pd.DataFrame, meta: dict, obs: pd.DataFrame) -> Design:
    """The design of contrast ``meta["contrast"]`` as its DE fit used it.

    ``matrix``: :func:`read_design_matrix`; ``meta``: the contrast's meta JSON; ``obs``: the
    samples' metadata (``counts.h5ad``'s obs: participant, arm, visit, clamp, configured
    factors), which the permutation test reads to find the exchangeable units.
    """
    name, contrast = str(meta["design"]), str(meta["contrast"])
    design = Design(name, str(meta.get("formula", "")), obs.iloc[:0].copy(), None)
    reason = meta.get("reason") or None
    if not meta.get("estimable", False) or matrix.shape[0] == 0:
        design.reason = reason or "the design was not fitted"
        design.not_estimable = {contrast: design.reason}
        return design
    weights = dict(meta["contrast_vector"])
    unknown = sorted(set(weights) - set(matrix.columns))
    if unknown:
        raise ValueError(
            f"contrast {contrast}: weights on {unknown}, which the design matrix of {name} lacks; "
            "rerun the DE stage"
        )
    missing = matrix.index.difference(obs.index)
    if len(missing):
        raise ValueError(
            f"design {name}: samples {list(missing[:5])} are not in the counts; rerun the DE stage"
        )
    design.matrix = matrix
    design.metadata = obs.loc[matrix.index].copy()
    design.contrasts = {contrast: np.array([float(weights.get(c, 0.0)) for c in matrix.columns])}
    design.min_group = int(meta.get("count_filter_min_samples") or 0)
    return design
