"""The trial's clinical endpoints by arm, and the arm effect at follow-up by ANCOVA.

For each configured variable: mean, SD and n by arm at the baseline and follow-up visits (every
available value), and the ANCOVA ``followup ~ baseline + arm [+ site]`` on participants with
both values (statsmodels OLS), giving the arm effect (test minus reference) with its 95 % CI and
p-value. For a variable with only positive values the same model on the natural log gives the
ratio test/reference (``ratio*`` columns). Site enters when the trial has more than one. The
M-value (``clinical.m_value``) also gets its equivalence test against ``clinical.m_value_margin``
(``margin``, ``tost_*``, ``verdict``: :mod:`myoclamp.clinical.equivalence`); it is analysed even
when ``clinical.variables`` does not list it.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import statsmodels.api as sm

from myoclamp.clinical.equivalence import ENDPOINT_TOST_COLUMNS, endpoint_tost
from myoclamp.clinical.settings import ClinicalSettings, clinical_settings
from myoclamp.ingest.sheets import load_sheets
from myoclamp.io import write_tsv

log = logging.getLogger(__name__)

ENDPOINT_COLUMNS = [
    "variable",
    "arm_reference",
    "arm_test",
    *[
        f"{stat}_{visit}_{arm}"
        for visit in ("baseline", "followup")
        for arm in ("reference", "test")
        for stat in ("n", "mean", "sd")
    ],
    "n_ancova",
    "adjusted_for",
    "estimate",
    "se",
    "df",
    "ci_low",
    "ci_high",
    "pvalue",
    "ratio",
    "ratio_ci_low",
    "ratio_ci_high",
    "ratio_pvalue",
    *ENDPOINT_TOST_COLUMNS,
    "note",
]


def participant_table(
    samples: pd.DataFrame, clinical: pd.DataFrame, cfg: ClinicalSettings
) -> pd.DataFrame:
    """Clinical rows with each participant's arm (and site) from the sample sheet."""
    keep = ["arm", "site"] if "site" in samples.columns else ["arm"]
    per_person = samples.drop_duplicates("participant").set_index("participant")[keep]
    out = clinical.drop(columns=[c for c in keep if c in clinical.columns]).merge(
        per_person, left_on="participant", right_index=True, how="left"
    )
    out["arm"] = out["arm"].astype(str)
    out["visit"] = out["visit"].astype(str)
    return out[out["arm"].isin([cfg.arm_ref, cfg.arm_test])]


def describe(values: pd.Series) -> tuple[int, float, float]:
    """n, mean and SD (n - 1) of the known values."""
    v = values.dropna().astype(float)
    return (
        len(v),
        float(v.mean()) if len(v) else np.nan,
        float(v.std(ddof=1)) if len(v) > 1 else np.nan,
    )


def ancova(
    follow: np.ndarray, base: np.ndarray, test: np.ndarray, site: pd.Series | None = None
) -> dict:
    """OLS ``follow ~ 1 + base + test [+ site dummies]``: the ``test`` coefficient.

    Returns estimate, se, ci_low, ci_high (95 %, t distribution), pvalue and the residual
    degrees of freedom ``df``; NaN when the model has no residual degrees of freedom or an arm is
    empty.
    """
    cols = {"const": np.ones(len(follow)), "baseline": base, "arm": test.astype(float)}
    if site is not None:
        levels = sorted(pd.unique(site.astype(str)))
        for level in levels[1:]:
            cols[f"site_{level}"] = (site.astype(str) == level).to_numpy(float)
    x = pd.DataFrame(cols)
    nan = dict.fromkeys(["estimate", "se", "ci_low", "ci_high", "pvalue", "df"], np.nan)
    if test.all() or not test.any() or len(follow) <= np.linalg.matrix_rank(x.to_numpy()):
        return nan
    fit = sm.OLS(np.asarray(follow, dtype=float), x).fit()
    low, high = fit.conf_int(0.05).loc["arm"]
    return {
        "estimate": float(fit.params["arm"]),
        "se": float(fit.bse["arm"]),
        "ci_low": float(low),
        "ci_high": float(high),
        "pvalue": float(fit.pvalues["arm"]),
        "df": float(fit.df_resid),
    }


def ancova_inputs(
    table: pd.DataFrame, values: pd.Series, cfg: ClinicalSettings
) -> tuple[np.ndarray, np.ndarray, np.ndarray, pd.Series | None]:
    """Baseline and follow-up values, test-arm flags and site (None if one) of the participants
    with both values of ``values`` (a numeric column of ``table``)."""
    wide = (
        table.assign(_v=values)
        .pivot_table(index="participant", columns="visit", values="_v", aggfunc="first")
        .reindex(columns=[cfg.visit_base, cfg.visit_follow])
        .dropna()
    )
    people = table.drop_duplicates("participant").set_index("participant")
    test = (people.loc[wide.index, "arm"] == cfg.arm_test).to_numpy()
    site = None
    if "site" in people.columns and people.loc[wide.index, "site"].nunique() > 1:
        site = people.loc[wide.index, "site"].reset_index(drop=True)
    return wide[cfg.visit_base].to_numpy(), wide[cfg.visit_follow].to_numpy(), test, site


def endpoint_row(table: pd.DataFrame, variable: str, cfg: ClinicalSettings) -> dict:
    """One variable: descriptives by visit and arm, and the ANCOVA arm effect."""
    row: dict = {"variable": variable, "arm_reference": cfg.arm_ref, "arm_test": cfg.arm_test}
    if variable not in table.columns:
        return {**row, "note": "not in the clinical table or sample sheet"}
    values = pd.to_numeric(table[variable], errors="coerce")
    for visit, level in (("baseline", cfg.visit_base), ("followup", cfg.visit_follow)):
        for arm, name in (("reference", cfg.arm_ref), ("test", cfg.arm_test)):
            mask = (table["visit"] == level) & (table["arm"] == name)
            n, mean, sd = describe(values[mask])
            row.update(
                {f"n_{visit}_{arm}": n, f"mean_{visit}_{arm}": mean, f"sd_{visit}_{arm}": sd}
            )
    base, follow, test, site = ancova_inputs(table, values, cfg)
    row["n_ancova"] = len(base)
    row["adjusted_for"] = "baseline" + (" + site" if site is not None else "")
    row.update(ancova(follow, base, test, site))
    if len(base) and (base > 0).all() and (follow > 0).all():
        logfit = ancova(np.log(follow), np.log(base), test, site)
        row["ratio"] = np.exp(logfit["estimate"])
        row["ratio_ci_low"] = np.exp(logfit["ci_low"])
        row["ratio_ci_high"] = np.exp(logfit["ci_high"])
        row["ratio_pvalue"] = logfit["pvalue"]
    if not np.isfinite(row.get("estimate", np.nan)):
        row["note"] = "arm effect not estimable (too few participants with both visits per arm)"
    log.info(
        "endpoint %s: %d participants with both visits, %d missing values",
        variable,
        len(base),
        int(values.isna().sum()),
    )
    return row


def endpoint_table(
    samples: pd.DataFrame, clinical: pd.DataFrame | None, cfg: ClinicalSettings
) -> pd.DataFrame:
    """``results/clinical/endpoints.tsv``: one row per configured variable (and the M-value when
    it has a margin), the M-value with its equivalence test."""
    variables = list(cfg.variables)
    if cfg.m_value and cfg.m_value_margin is not None and cfg.m_value not in variables:
        variables.append(cfg.m_value)
    if clinical is None:
        return pd.DataFrame(
            [{"variable": v, "note": cfg.m_reason or "no clinical table"} for v in variables],
            columns=ENDPOINT_COLUMNS,
        )
    table = participant_table(samples, clinical, cfg)
    rows = []
    for v in variables:
        row = endpoint_row(table, v, cfg)
        if v == cfg.m_value and cfg.m_value_margin is not None:
            row.update(endpoint_tost(row, cfg.m_value_margin))
        rows.append(row)
    return pd.DataFrame(rows, columns=ENDPOINT_COLUMNS)


def write_endpoints(config: dict, samples: str, clinical: str | None, out: str) -> None:
    """``results/clinical/endpoints.tsv`` from the sample sheet and clinical table (every
    participant's clinical values, biopsy or not)."""
    cfg = clinical_settings(config)
    inputs = {**config["inputs"], "samples": samples, "clinical": clinical}
    sheets = load_sheets({**config, "inputs": inputs})
    write_tsv(endpoint_table(sheets.samples, sheets.clinical, cfg), out)
