"""One pydeseq2 fit per design: count filter, size factors, dispersions, LFCs, Cook's refit."""

from __future__ import annotations

import logging
import time
import warnings
from dataclasses import dataclass

import pandas as pd
from pydeseq2.dds import DeseqDataSet
from pydeseq2.default_inference import DefaultInference
from pydeseq2.inference import Inference
from threadpoolctl import threadpool_limits

from myoclamp.adata import expression_filter
from myoclamp.de.design import Design
from myoclamp.de.settings import unwanted_factors
from myoclamp.de.unwanted import control_factors

log = logging.getLogger(__name__)


@dataclass
class Fit:
    """A fitted design: the design, the DeseqDataSet (None if not estimable), and its cost."""

    design: Design
    dds: DeseqDataSet | None
    genes_before_filter: int
    min_samples: int
    seconds: float = 0.0

    @property
    def reason(self) -> str | None:
        return self.design.reason


def make_inference(solver: str, n_cpus: int = 1) -> Inference:
    """pydeseq2's per-gene inference, or the batched participant-block engine (``blocks``)."""
    if solver == "blocks":
        from myoclamp.de.engine import BlockInference

        return BlockInference(n_cpus=n_cpus)
    if solver == "pydeseq2":
        return DefaultInference(n_cpus=n_cpus)
    raise ValueError(f"de.solver must be pydeseq2 or blocks, not {solver!r}")


def fit_design(
    design: Design,
    counts: pd.DataFrame,
    *,
    settings: dict,
    n_cpus: int = 1,
    inference: Inference | None = None,
    control: list[str] | None = None,
) -> Fit:
    """Filter genes and run pydeseq2's ``deseq2()`` on ``design`` (full-rank DataFrame).

    ``inference`` replaces pydeseq2's ``DefaultInference(n_cpus)`` (e.g. a faster engine). With
    ``settings["unwanted"]["factors"]`` = k > 0 (for this design), k factors of the
    negative-control genes ``control`` (columns of ``counts``) are added to the design first
    (:mod:`myoclamp.de.unwanted`).
    """
    min_samples = settings["min_samples"] or design.min_group
    if design.matrix is None or design.reason:
        return Fit(design, None, counts.shape[1], int(min_samples or 0))
    sub = counts.loc[design.matrix.index]
    keep = expression_filter(sub, settings["min_count"], min_samples)
    sub = sub.loc[:, keep]
    log.info(
        "design %s: %d of %d genes with >= %d counts in >= %d samples",
        design.name,
        sub.shape[1],
        counts.shape[1],
        settings["min_count"],
        min_samples,
    )
    if sub.shape[1] == 0:
        design.reason = "no gene passes the count filter"
        design.not_estimable = {**dict.fromkeys(design.contrasts, design.reason)}
        design.contrasts = {}
        return Fit(design, None, counts.shape[1], int(min_samples))
    add_unwanted_factors(design, sub, settings, control)
    meta = design.metadata.loc[sub.index, ["participant"]].astype(str)
    if inference is None:
        inference = make_inference(settings["solver"], n_cpus)
    start = time.perf_counter()
    # tiny per-gene solves: multi-threaded BLAS only adds contention (2.5x slower measured)
    with warnings.catch_warnings(), threadpool_limits(limits=1):
        warnings.simplefilter("ignore", UserWarning)
        dds = DeseqDataSet(
            counts=sub,
            metadata=meta,
            design=design.matrix,
            fit_type=settings["fit_type"],
            refit_cooks=settings["refit_cooks"],
            inference=inference,
            quiet=True,
        )
        dds.deseq2()
    seconds = time.perf_counter() - start
    log.info(
        "design %s: fitted %d samples x %d genes x %d coefficients in %.1f s on %d cpu(s) (%s)",
        design.name,
        dds.n_obs,
        dds.n_vars,
        design.matrix.shape[1],
        seconds,
        n_cpus,
        type(inference).__name__,
    )
    return Fit(design, dds, counts.shape[1], int(min_samples), seconds)


def add_unwanted_factors(
    design: Design, counts: pd.DataFrame, settings: dict, control: list[str] | None
) -> None:
    """Add ``de.unwanted``'s factors for ``design`` (if any) to it, from the filtered ``counts``."""
    k = unwanted_factors(settings, design.name)
    if k <= 0:
        return
    contrasts = list(design.contrasts.values())
    start = time.perf_counter()
    unwanted = control_factors(counts, design.matrix, contrasts, list(control or []), k)
    seconds = time.perf_counter() - start
    if unwanted.reason:
        log.warning("design %s: no unwanted-variation factor: %s", design.name, unwanted.reason)
    else:
        log.info(
            "design %s: %d unwanted-variation factor(s) from %d control genes; the first "
            "explains %.0f %% of their variation (random sets of their abundance, median / "
            "95th percentile: %s); the design explains %.0f %% of it (%.2f s)",
            design.name,
            k,
            len(unwanted.genes),
            100 * unwanted.variance_share[0],
            " / ".join(f"{100 * v:.0f} %" for v in unwanted.random_share) or "n/a",
            100 * unwanted.design_r2[0],
            seconds,
        )
    design.add_columns(unwanted.values)
    design.unwanted = unwanted.meta()
