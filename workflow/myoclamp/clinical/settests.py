"""Gene-set tests of expression vs M-value: camera + M-values permuted between participants.

The design is the per-gene association's (``~ covariates + m_value_z`` on the baseline basal
biopsies, :func:`myoclamp.clinical.association.design_matrix`); the tests are the enrichment
stage's (:func:`myoclamp.enrichment.settests.run_set_tests`), with the permutation test permuting
the M-values between participants (Freedman-Lane on the covariates).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from myoclamp.clinical.association import M_COLUMN, default_min_samples, design_matrix
from myoclamp.clinical.samples import Covariates
from myoclamp.de.design import Design
from myoclamp.enrichment.genesets import GeneSets
from myoclamp.enrichment.logexpr import log_expression
from myoclamp.enrichment.permutation import ASSOCIATION
from myoclamp.enrichment.settests import run_set_tests


def association_design(obs: pd.DataFrame, m_value: np.ndarray, cov: Covariates) -> Design:
    """``~ covariates + m_value_z`` on the baseline samples, as a Design with contrast m_value."""
    matrix = design_matrix(np.asarray(m_value, float), cov, obs.index)
    vec = np.zeros(matrix.shape[1])
    vec[list(matrix.columns).index(M_COLUMN)] = 1.0
    meta = pd.DataFrame({"participant": obs["participant"].astype(str).to_numpy()}, index=obs.index)
    return Design(
        name=ASSOCIATION,
        formula="~ " + " + ".join(matrix.columns[1:]),
        metadata=meta,
        matrix=matrix,
        min_group=1,
        contrasts={ASSOCIATION: vec},
    )


def association_set_tests(
    counts: pd.DataFrame,
    obs: pd.DataFrame,
    m_value: np.ndarray,
    cov: Covariates,
    sets: GeneSets,
    cfg: Mapping[str, Any] | None = None,
    *,
    symbols: pd.Series | None = None,
    min_count: int = 10,
    min_samples: int | None = None,
    seed: int,
    threads: int = 1,
) -> tuple[pd.DataFrame, dict]:
    """Set tests of expression vs M-value (``~ covariates + m_value_z``) at baseline.

    ``obs``: one row per participant (the baseline basal biopsies), with ``participant``;
    ``m_value`` and ``cov`` as from ``clinical.samples.baseline_samples``. Genes pass the
    clinical stage's filter (``min_count`` reads in ``min_samples`` samples, default a third of
    the people, as :func:`myoclamp.clinical.association.tested_genes`). ``cfg``: the set tests'
    settings of the ``enrichment`` section (:data:`myoclamp.enrichment.settests.SETTINGS`).
    """
    design = association_design(obs, m_value, cov)
    expr = log_expression(
        counts.loc[obs.index],
        min_count=min_count,
        min_samples=int(min_samples or default_min_samples(len(obs))),
        symbols=symbols,
    )
    return run_set_tests(expr, design, ASSOCIATION, sets, cfg, seed=seed, threads=threads)
