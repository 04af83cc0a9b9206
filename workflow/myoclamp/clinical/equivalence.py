"""Equivalence of a clinical endpoint between arms: TOST beside the ANCOVA arm effect.

The arm effect at follow-up (test minus reference) is the ANCOVA of :mod:`endpoints`
(``followup ~ baseline + arm [+ site]``, OLS). Against a margin ``m`` in the variable's units, the
two one-sided t-tests (Schuirmann 1987) of ``H0: |effect| >= m`` give

    pvalue = max(t_df.sf((m - est) / se), t_df.sf((est + m) / se))

with the ANCOVA's residual degrees of freedom; ``pvalue < alpha`` exactly when the ``1 - 2 alpha``
(90 % at alpha 0.05) interval lies inside ``(-m, m)``. Verdict (one pre-specified endpoint, no
multiplicity adjustment): ``equivalent`` (TOST p < alpha), ``different`` (not equivalent and the
ANCOVA's test of no effect rejects at alpha), else ``inconclusive``. ``alpha`` is 5 %, the level
of the endpoints' 95 % intervals.
"""

from __future__ import annotations

import numpy as np

from myoclamp.de.equivalence import lessabs_test, tost_interval, verdicts

#: level of the endpoint TOST: the endpoints table's intervals are 95 %
ALPHA = 0.05
#: the endpoints table's equivalence columns (filled for the M-value)
ENDPOINT_TOST_COLUMNS = ["margin", "tost_ci_low", "tost_ci_high", "tost_pvalue", "verdict"]


def tost(
    estimate: np.ndarray | float,
    se: np.ndarray | float,
    df: float | None,
    margin: float,
    alpha: float = ALPHA,
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


def endpoint_tost(row: dict, margin: float, alpha: float = ALPHA) -> dict:
    """The equivalence columns of one endpoints row (its ANCOVA ``estimate``, ``se``, ``df`` and
    ``pvalue``) against ``margin`` (the variable's units); no verdict without an estimate."""
    if not margin > 0:
        raise ValueError(f"the equivalence margin of {row.get('variable')} must be positive")
    res = tost(row.get("estimate", np.nan), row.get("se", np.nan), row.get("df"), margin, alpha)
    out = {"margin": float(margin), **{k: float(v[0]) for k, v in res.items()}}
    if np.isfinite(out["tost_pvalue"]):
        out["verdict"] = str(verdicts([out["tost_pvalue"]], [row["pvalue"]], alpha)[0])
    return out
