"""The design of one fit: its samples' metadata, full-rank design matrix and contrast vectors.

- ``treatment``: basal biopsies of participants with both visits,
  ``~ arm + arm:participant_n + arm:visit`` (DESeq2's "individuals nested within groups";
  ``participant_n`` numbers participants within arm).
- ``insulin``: every (participant, visit) with a basal and an insulin biopsy,
  ``~ participant + visit + clamp``.
- ``insulin_groups``: the same samples, ``~ arm + arm:participant_n + arm:visit + arm:visit:clamp``.
- configured contrasts: ``~ [participant +] covariates + factor`` on the configured subset.

Matrices are built with formulaic; all-zero columns (unbalanced nesting) and columns that are
linear combinations of earlier ones are dropped and recorded, so the matrix is full rank.
Which samples enter is :mod:`myoclamp.de.samples`; the contrasts' weights :mod:`myoclamp.de.specs`.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from myoclamp.de.samples import (
    configured_samples,
    insulin_samples,
    standardised_covariates,
    treatment_samples,
    trial_samples,
)
from myoclamp.de.settings import de_settings, trial_levels
from myoclamp.de.specs import CONFIG, ContrastSpec, design_specs
from myoclamp.errors import InputError, preview

log = logging.getLogger(__name__)


@dataclass
class Design:
    """One fit: its samples, full-rank design matrix and contrast vectors (or why not)."""

    name: str
    formula: str
    metadata: pd.DataFrame
    matrix: pd.DataFrame | None
    dropped_columns: list[str] = field(default_factory=list)
    left_out: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=["participant", "reason"])
    )
    min_group: int = 0
    groups: list[str] = field(default_factory=list)
    contrasts: dict[str, np.ndarray] = field(default_factory=dict)
    not_estimable: dict[str, str] = field(default_factory=dict)
    reason: str | None = None
    unwanted: dict = field(default_factory=dict)

    def add_columns(self, extra: pd.DataFrame) -> None:
        """Append nuisance columns (weight 0 in every contrast) to the design matrix."""
        if extra.shape[1] == 0:
            return
        self.matrix = pd.concat([self.matrix, extra.loc[self.matrix.index]], axis=1)
        zeros = np.zeros(extra.shape[1])
        self.contrasts = {k: np.concatenate([v, zeros]) for k, v in self.contrasts.items()}

    @property
    def n_samples(self) -> int:
        return 0 if self.matrix is None else int(self.matrix.shape[0])

    @property
    def n_participants(self) -> int:
        if self.matrix is None or "participant" not in self.metadata:
            return 0
        return int(self.metadata.loc[self.matrix.index, "participant"].nunique())


def natural_key(text: str) -> list:
    """Sort key in which ``P2`` comes before ``P10``."""
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", str(text))]


def _participant_categorical(values: pd.Series) -> pd.Categorical:
    levels = sorted(pd.unique(values.astype(str)), key=natural_key)
    return pd.Categorical(values.astype(str), categories=levels)


def _number_within_arm(meta: pd.DataFrame) -> pd.Categorical:
    """``participant_n``: participants numbered 1..n within their arm, zero-padded."""
    numbers = pd.Series(index=meta.index, dtype=object)
    width = 1
    for _, grp in meta.groupby("arm", observed=True):
        order = sorted(pd.unique(grp["participant"].astype(str)), key=natural_key)
        width = max(width, len(str(len(order))))
    for _, grp in meta.groupby("arm", observed=True):
        order = sorted(pd.unique(grp["participant"].astype(str)), key=natural_key)
        rank = {p: i + 1 for i, p in enumerate(order)}
        numbers[grp.index] = [f"{rank[p]:0{width}d}" for p in grp["participant"].astype(str)]
    return pd.Categorical(numbers.astype(str), categories=sorted(set(numbers.astype(str))))


def _set_levels(meta: pd.DataFrame, column: str, levels: list[str]) -> None:
    """Restrict ``column`` to ``levels`` (in that order), as strings."""
    meta[column] = pd.Categorical(meta[column].astype(str), categories=levels, ordered=True)


RANK_TOL = 1e-9  # a column adds rank when its residual keeps this share of its norm


def full_rank_matrix(meta: pd.DataFrame, formula: str) -> tuple[pd.DataFrame, list[str]]:
    """Design matrix of ``formula`` with all-zero and linearly dependent columns dropped.

    Columns are kept greedily in formula order, so the dropped ones are those that add nothing to
    the columns before them (as R's ``lm`` aliases them). Returns the matrix and dropped names.
    """
    from formulaic import model_matrix  # 0.6 s to import: only where a matrix is built

    mm = model_matrix(formula, meta)
    full = pd.DataFrame(np.asarray(mm, dtype=float), index=meta.index, columns=list(mm.columns))
    dropped = [c for c in full.columns if not full[c].any()]
    kept: list[str] = []
    basis = np.empty((len(full), 0))  # orthonormal basis of the kept columns
    for col in full.columns:
        if col in dropped:
            continue
        x = full[col].to_numpy()
        r = x - basis @ (basis.T @ x)
        r -= basis @ (basis.T @ r)  # second pass: Gram-Schmidt kept orthogonal in floating point
        norm = np.linalg.norm(r)
        if norm > RANK_TOL * max(1.0, np.linalg.norm(x)):
            kept.append(col)
            basis = np.column_stack([basis, r / norm])
        else:
            dropped.append(col)
    return full[kept], dropped


def _vector(spec: ContrastSpec, columns: list[str], all_columns: list[str]) -> np.ndarray | str:
    """Contrast vector over ``columns`` or the reason it cannot be estimated."""
    unknown = [c for c, _ in spec.weights if c not in all_columns]
    if unknown:
        return f"design has no column(s) {preview(unknown)}"
    present = [(c, w) for c, w in spec.weights if c in columns]
    missing = [c for c, _ in spec.weights if c not in columns]
    if spec.average:
        if not present:
            return f"no samples for any of {preview(c for c, _ in spec.weights)}"
        present = [(c, 1.0 / len(present)) for c, _ in present]
    elif missing:
        return f"not estimable from these samples: no data for {preview(missing)}"
    vec = np.zeros(len(columns))
    for c, w in present:
        vec[columns.index(c)] = w
    return vec


def _prepare(obs: pd.DataFrame, lv: dict) -> pd.DataFrame:
    meta = obs.copy()
    meta["participant"] = _participant_categorical(meta["participant"])
    _set_levels(meta, "arm", [lv["arm_ref"], lv["arm_test"]])
    _set_levels(meta, "visit", [lv["visit_base"], lv["visit_follow"]])
    if "clamp" in meta.columns and lv["clamp_basal"] is not None:
        _set_levels(meta, "clamp", [lv["clamp_basal"], lv["clamp_insulin"]])
    meta["participant_n"] = _number_within_arm(meta)
    return meta


def build_design(obs: pd.DataFrame, name: str, config: dict) -> Design:
    """Samples, design matrix and contrast vectors of design ``name`` (built-in or configured)."""
    lv = trial_levels(config)
    de = de_settings(config)
    specs = design_specs(config, name)
    obs = trial_samples(obs, lv)
    configured = {c["name"]: c for c in de["contrasts"]}

    if name == "treatment":
        sub, left = treatment_samples(obs, lv)
        formula = "~ arm + arm:participant_n + arm:visit"
        groups = ["arm", "visit"]
    elif name in ("insulin", "insulin_groups"):
        if "clamp" not in obs.columns or lv["clamp_insulin"] is None:
            return _empty(name, "~ participant + visit + clamp", obs, specs, "no clamp column")
        sub, left = insulin_samples(obs, lv)
        if name == "insulin":
            formula, groups = "~ participant + visit + clamp", ["clamp"]
        else:
            formula = "~ arm + arm:participant_n + arm:visit + arm:visit:clamp"
            groups = ["arm", "visit", "clamp"]
    elif name in configured:
        return _configured_design(obs, configured[name], specs, lv)
    else:
        raise InputError(CONFIG, "de", f"unknown design {name!r}", "check de.designs")
    if sub.empty:
        return _empty(name, formula, obs, specs, "no samples fit this design", left)
    meta = _prepare(sub, lv)
    return _finish(name, formula, meta, specs, groups, left)


def _empty(
    name: str,
    formula: str,
    obs: pd.DataFrame,
    specs: list[ContrastSpec],
    reason: str,
    left: pd.DataFrame | None = None,
) -> Design:
    log.warning("design %s is not estimable: %s", name, reason)
    design = Design(name, formula, obs.iloc[:0].copy(), None, reason=reason)
    if left is not None:
        design.left_out = left
    design.not_estimable = {s.name: reason for s in specs}
    return design


def _finish(
    name: str,
    formula: str,
    meta: pd.DataFrame,
    specs: list[ContrastSpec],
    groups: list[str],
    left: pd.DataFrame,
) -> Design:
    matrix, dropped = full_rank_matrix(meta, formula)
    all_columns = [*matrix.columns, *dropped]
    if dropped:
        log.info("design %s: dropped %d column(s): %s", name, len(dropped), preview(dropped))
    cells = meta.groupby(groups, observed=True).size()
    design = Design(
        name,
        formula,
        meta,
        matrix,
        dropped_columns=dropped,
        left_out=left,
        min_group=int(cells.min()) if len(cells) else 0,
        groups=groups,
    )
    residual_df = matrix.shape[0] - matrix.shape[1]
    if residual_df < 1:
        design.reason = (
            f"no residual degrees of freedom ({matrix.shape[0]} samples, "
            f"{matrix.shape[1]} coefficients)"
        )
    for spec in specs:
        vec = design.reason or _vector(spec, list(matrix.columns), all_columns)
        if isinstance(vec, str):
            design.not_estimable[spec.name] = vec
            log.warning("contrast %s is not estimable: %s", spec.name, vec)
        else:
            design.contrasts[spec.name] = vec
    log.info(
        "design %s: %d samples, %d participants, %d coefficients, %d participant(s) left out",
        name,
        design.n_samples,
        design.n_participants,
        matrix.shape[1],
        len(left),
    )
    return design


def _configured_design(obs: pd.DataFrame, c: dict, specs: list[ContrastSpec], lv: dict) -> Design:
    chosen = configured_samples(obs, c)
    name, factor, formula = c["name"], c["factor"], chosen.formula
    if chosen.samples.empty:
        reason = "no samples in the configured subset"
        return _empty(name, formula, obs, specs, reason, chosen.left_out)
    meta = standardised_covariates(_prepare(chosen.samples, lv), chosen.covariates)
    _set_levels(meta, factor, [str(c["reference"]), str(c["test"])])
    return _finish(name, formula, meta, specs, [factor], chosen.left_out)
