"""Which biopsies enter the expression-vs-M models, and their covariates.

Baseline analyses use one biopsy per participant: the basal biopsy (when the trial has a clamp
column) of the baseline visit, not excluded, with an M-value and every covariate known.
Covariates that are absent from the data or constant among these people are dropped, and each
drop is recorded as a note (names and counts only, never values).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from myoclamp.adata import analysed
from myoclamp.clinical.settings import ClinicalSettings

log = logging.getLogger(__name__)


@dataclass
class Covariates:
    """Covariates of one analysis: numeric columns and dummy-coded categorical columns."""

    used: list[str] = field(default_factory=list)
    numeric: pd.DataFrame = field(default_factory=pd.DataFrame)
    dummies: pd.DataFrame = field(default_factory=pd.DataFrame)
    notes: list[str] = field(default_factory=list)

    @property
    def columns(self) -> int:
        """Number of design columns (besides the intercept)."""
        return self.numeric.shape[1] + self.dummies.shape[1]


def basal(obs: pd.DataFrame, cfg: ClinicalSettings) -> pd.DataFrame:
    """Basal biopsies (all biopsies when the trial has no clamp column)."""
    if "clamp" in obs.columns and cfg.clamp_basal is not None:
        return obs[obs["clamp"].astype(str) == cfg.clamp_basal]
    return obs


def resolve_column(name: str, obs: pd.DataFrame, roles: Mapping[str, str] | None) -> str | None:
    """The obs column of a covariate: its own name, or the canonical role it was renamed to."""
    if name in obs.columns:
        return name
    for role, original in (roles or {}).items():
        if original == name and role in obs.columns:
            return role
    return None


def _is_numeric(values: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)


def covariate_columns(
    obs: pd.DataFrame, names: Sequence[str], roles: Mapping[str, str] | None = None
) -> tuple[list[str], list[str]]:
    """Obs columns of the configured covariates that exist, and notes on those that do not."""
    used, notes = [], []
    for name in names:
        col = resolve_column(name, obs, roles)
        if col is None:
            notes.append(f"covariate {name!r} dropped: not in the sample sheet or clinical table")
        elif col not in used:
            used.append(col)
    return used, notes


def complete_rows(
    obs: pd.DataFrame, columns: Sequence[str], what: str
) -> tuple[pd.DataFrame, list[str]]:
    """Rows with every value of ``columns`` known, and a note per column with missing values."""
    notes = []
    keep = pd.Series(True, index=obs.index)
    for col in columns:
        missing = obs[col].isna()
        if missing.any():
            notes.append(f"{int(missing.sum())} {what} without {col!r} left out")
        keep &= ~missing
    return obs[keep], notes


def build_covariates(obs: pd.DataFrame, columns: Sequence[str]) -> Covariates:
    """Numeric and dummy-coded covariates of ``obs``; constant ones dropped with a note.

    Categorical levels are sorted (categories in their order), the first is the reference.
    Dummy columns that are linear combinations of earlier columns are dropped as well.
    """
    cov = Covariates()
    numeric, dummies = {}, {}
    for col in columns:
        values = obs[col]
        if values.nunique(dropna=True) < 2:
            cov.notes.append(f"covariate {col!r} dropped: constant among the people analysed")
            continue
        cov.used.append(col)
        if _is_numeric(values):
            numeric[col] = values.astype(float).to_numpy()
        else:
            levels = (
                [c for c in values.cat.categories if c in set(values)]
                if isinstance(values.dtype, pd.CategoricalDtype)
                else sorted(values.astype(str).unique())
            )
            text = values.astype(str)
            for level in levels[1:]:
                dummies[f"{col}[T.{level}]"] = (text == str(level)).to_numpy(float)
    cov.numeric = pd.DataFrame(numeric, index=obs.index)
    cov.dummies = pd.DataFrame(dummies, index=obs.index)
    _drop_aliased(cov)
    return cov


def _drop_aliased(cov: Covariates) -> None:
    """Drop design columns that add nothing to the intercept and the columns before them."""
    n = len(cov.numeric.index)
    kept = np.ones((n, 1))
    for frame_name in ("numeric", "dummies"):
        frame = getattr(cov, frame_name)
        for col in list(frame.columns):
            trial = np.column_stack([kept, frame[col].to_numpy(float)])
            if np.linalg.matrix_rank(trial) == trial.shape[1]:
                kept = trial
            else:
                frame = frame.drop(columns=col)
                cov.notes.append(f"covariate column {col!r} dropped: aliased with earlier ones")
        setattr(cov, frame_name, frame)


def baseline_samples(
    obs: pd.DataFrame, cfg: ClinicalSettings, roles: Mapping[str, str] | None = None
) -> tuple[pd.DataFrame, Covariates, list[str]]:
    """Baseline basal biopsies with an M-value and complete covariates, and their covariates.

    Returns (obs rows, covariates, notes). Notes list every left-out group and dropped
    covariate by count and name.
    """
    if cfg.m_reason:
        return obs.iloc[:0], Covariates(), [cfg.m_reason]
    if cfg.m_value not in obs.columns:
        return obs.iloc[:0], Covariates(), [f"M-value column {cfg.m_value!r} not in the data"]
    notes = []
    sub = analysed(obs)
    if len(sub) < len(obs):
        notes.append(f"{len(obs) - len(sub)} excluded sample(s) left out")
    sub = basal(sub, cfg)
    sub = sub[sub["visit"].astype(str) == cfg.visit_base]
    columns, more = covariate_columns(sub, cfg.covariates, roles)
    notes += more
    sub, more = complete_rows(sub, [cfg.m_value, *columns], "baseline basal biopsies")
    notes += more
    if sub["participant"].duplicated().any():
        dup = sub.loc[sub["participant"].duplicated(), "participant"].iloc[0]
        raise ValueError(
            f"participant {dup!r} has two baseline basal biopsies in the AnnData; list one under "
            "exclude: in the config"
        )
    cov = build_covariates(sub, columns)
    notes += cov.notes
    log.info("baseline association: %d participants, covariates used %s", len(sub), cov.used)
    for note in notes:
        log.info("note: %s", note)
    return sub, cov, notes
