"""Equivalence of a clinical endpoint between arms: TOST beside the ANCOVA arm effect.

The arm effect at follow-up (test minus reference) is the ANCOVA of :mod:`endpoints`
(``followup ~ baseline + arm [+ site]``, OLS). Against a margin ``m`` in the variable's units, the
two one-sided t-tests (Schuirmann 1987) of ``H0: |effect| >= m`` give

    pvalue = max(t_df.sf((m - est) / se), t_df.sf((est + m) / se))

with the ANCOVA's residual degrees of freedom; ``pvalue < alpha`` exactly when the ``1 - 2 alpha``
(90 % at alpha 0.05) interval lies inside ``(-m, m)``. Verdict (one pre-specified endpoint, no
multiplicity adjustment): ``equivalent`` (TOST p < alpha), ``different`` (not equivalent and the
ANCOVA's 95 % test of no effect rejects), else ``inconclusive``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from myoclamp.clinical.endpoints import ancova, ancova_inputs, participant_table
from myoclamp.clinical.settings import ClinicalSettings
from myoclamp.de.equivalence import lessabs_test, tost_interval, verdicts

#: default margin of the M-value (mg/kg/min): see docs/equivalence.md
DEFAULT_M_VALUE_MARGIN = 1.0

ENDPOINT_EQUIVALENCE_COLUMNS = [
    "variable",
    "n_ancova",
    "adjusted_for",
    "estimate",
    "se",
    "df",
    "ci_low",
    "ci_high",
    "pvalue",
    "margin",
    "tost_ci_low",
    "tost_ci_high",
    "tost_pvalue",
    "verdict",
    "note",
]


def tost(
    estimate: np.ndarray | float,
    se: np.ndarray | float,
    df: float | None,
    margin: float,
    alpha: float = 0.05,
) -> dict[str, np.ndarray]:
    """TOST p-value and ``1 - 2 alpha`` interval of estimates with SE and t df (None: normal)."""
    est = np.atleast_1d(np.asarray(estimate, dtype=float))
    s = np.atleast_1d(np.asarray(se, dtype=float))
    ok = np.isfinite(est) & np.isfinite(s) & (s > 0)
    dof = None if df is None or not np.isfinite(df) else int(round(df))
    if dof is not None and dof < 1:
        ok[:] = False
        dof = None
    _, p = lessabs_test(np.where(ok, est, 0.0), np.where(ok, s, 1.0), margin, dof)
    low, high = tost_interval(est, s, alpha, dof)
    nan = np.full(est.shape, np.nan)
    return {
        "tost_pvalue": np.where(ok, p, nan),
        "tost_ci_low": np.where(ok, low, nan),
        "tost_ci_high": np.where(ok, high, nan),
    }


def endpoint_equivalence(
    samples: pd.DataFrame,
    clinical: pd.DataFrame | None,
    cfg: ClinicalSettings,
    variable: str,
    margin: float,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """One row: the ANCOVA arm effect of ``variable`` and its TOST against ``margin``.

    ``samples`` and ``clinical`` are the validated sheets, as for :func:`endpoint_table`.
    """
    row: dict = {"variable": variable, "margin": float(margin)}
    if not margin > 0:
        raise ValueError(f"the equivalence margin of {variable} must be positive")
    if clinical is None or variable not in clinical.columns:
        row["note"] = "not in the clinical table" if clinical is not None else "no clinical table"
        return pd.DataFrame([row], columns=ENDPOINT_EQUIVALENCE_COLUMNS)
    table = participant_table(samples, clinical, cfg)
    values = pd.to_numeric(table[variable], errors="coerce")
    base, follow, test, site = ancova_inputs(table, values, cfg)
    row["n_ancova"] = len(base)
    row["adjusted_for"] = "baseline" + (" + site" if site is not None else "")
    fit = ancova(follow, base, test, site)
    row.update(fit)
    res = tost(fit["estimate"], fit["se"], fit["df"], margin, alpha)
    row.update({k: float(v[0]) for k, v in res.items()})
    row["verdict"] = str(verdicts([row["tost_pvalue"]], [row["pvalue"]], alpha)[0])
    if not np.isfinite(row["estimate"]):
        row["note"] = "arm effect not estimable (too few participants with both visits per arm)"
    return pd.DataFrame([row], columns=ENDPOINT_EQUIVALENCE_COLUMNS)
