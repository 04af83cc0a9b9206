"""Designs and contrasts: which samples enter each fit, its design matrix, its contrast vectors.

Built-in designs (names are fixed, the levels come from ``config["levels"]``):

- ``treatment``: basal biopsies of participants with both visits,
  ``~ arm + arm:participant_n + arm:visit`` (DESeq2's "individuals nested within groups";
  ``participant_n`` numbers participants within arm). Contrast ``treatment`` =
  ``arm[test]:visit[T.followup] - arm[ref]:visit[T.followup]``: the difference between arms in the
  within-person change from baseline.
- ``insulin``: every (participant, visit) with a basal and an insulin biopsy,
  ``~ participant + visit + clamp``; contrast ``insulin`` = ``clamp[T.insulin]``.
- ``insulin_groups``: the same samples, ``~ arm + arm:participant_n + arm:visit + arm:visit:clamp``:
  one insulin effect per arm and visit, from which ``insulin_<arm>`` (mean over visits),
  ``insulin_<visit>`` (mean over arms) and ``treatment_x_insulin`` (difference between arms of the
  change in the insulin response) are read without refitting.

Configured contrasts (``de.contrasts``) are one design each: ``~ [participant +] covariates +
factor`` on the configured subset, testing ``factor[T.test]``.

Design matrices are built with formulaic; all-zero columns (unbalanced nesting) and columns that
are linear combinations of earlier ones are dropped and recorded, so the matrix is full rank.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from formulaic import model_matrix

from myoclamp.de.settings import BUILTIN_DESIGNS, de_settings, slug, trial_levels
from myoclamp.errors import InputError, preview

log = logging.getLogger(__name__)

CONFIG = "config.yaml (de section)"


@dataclass(frozen=True)
class ContrastSpec:
    """A named contrast: weights on design columns of one design.

    With ``average=True`` the contrast is the mean of the estimable columns among ``weights``
    (e.g. the insulin effect of an arm averaged over the visits that have clamps); otherwise every
    column must be estimable.
    """

    name: str
    design: str
    weights: tuple[tuple[str, float], ...]
    description: str
    average: bool = False


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


# --------------------------------------------------------------------------- contrast names


def contrast_specs(config: dict, samples: pd.DataFrame | None = None) -> list[ContrastSpec]:
    """Every contrast the workflow runs, from the config and (if given) the sample sheet.

    The sheet decides whether the trial has clamp biopsies: without a ``clamp`` column the insulin
    designs are skipped. Configured contrasts are validated against the sheet here, before any fit.
    """
    de = de_settings(config)
    lv = trial_levels(config)
    has_clamp = lv["clamp_insulin"] is not None and (samples is None or "clamp" in samples.columns)
    ref, test = lv["arm_ref"], lv["arm_test"]
    base, follow = lv["visit_base"], lv["visit_follow"]
    unknown = sorted(set(de["designs"]) - set(BUILTIN_DESIGNS))
    if unknown:
        raise InputError(
            CONFIG,
            "de.designs",
            f"unknown design(s) {preview(unknown)}",
            f"use any of {', '.join(BUILTIN_DESIGNS)}",
        )
    specs: list[ContrastSpec] = []
    if "treatment" in de["designs"]:
        specs.append(
            ContrastSpec(
                "treatment",
                "treatment",
                ((f"arm[{test}]:visit[T.{follow}]", 1.0), (f"arm[{ref}]:visit[T.{follow}]", -1.0)),
                f"{test} vs {ref}: difference in the {follow} vs {base} change (basal biopsies)",
            )
        )
    if has_clamp and "insulin" in de["designs"]:
        ins = lv["clamp_insulin"]
        specs.append(
            ContrastSpec(
                "insulin",
                "insulin",
                ((f"clamp[T.{ins}]", 1.0),),
                f"{ins} vs {lv['clamp_basal']} within person (all arms and visits)",
            )
        )
    if has_clamp and "insulin_groups" in de["designs"]:
        ins = lv["clamp_insulin"]

        def cell(arm: str, visit: str) -> str:
            return f"arm[{arm}]:visit[{visit}]:clamp[T.{ins}]"

        g = "insulin_groups"
        for arm in (ref, test):
            specs.append(
                ContrastSpec(
                    f"insulin_{slug(arm)}",
                    g,
                    ((cell(arm, base), 0.5), (cell(arm, follow), 0.5)),
                    f"insulin response in the {arm} arm (mean over visits with clamps)",
                    average=True,
                )
            )
        for visit in (base, follow):
            specs.append(
                ContrastSpec(
                    f"insulin_{slug(visit)}",
                    g,
                    ((cell(ref, visit), 0.5), (cell(test, visit), 0.5)),
                    f"insulin response at {visit} (mean over arms with clamps)",
                    average=True,
                )
            )
        specs.append(
            ContrastSpec(
                "treatment_x_insulin",
                g,
                (
                    (cell(test, follow), 1.0),
                    (cell(test, base), -1.0),
                    (cell(ref, follow), -1.0),
                    (cell(ref, base), 1.0),
                ),
                f"{test} vs {ref}: difference in the {follow} vs {base} change of the insulin "
                "response",
            )
        )
    builtin = {s.name for s in specs} | set(BUILTIN_DESIGNS) | {"summary", "meta", "fits", "plots"}
    seen: set[str] = set()
    for i, c in enumerate(de["contrasts"]):
        where = f"de.contrasts[{i}]"
        for key in ("name", "factor", "reference", "test"):
            if key not in c:
                raise InputError(CONFIG, where, f"missing key {key!r}", f"add {key}: ...")
        name = str(c["name"])
        if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", name):
            raise InputError(
                CONFIG, where, f"contrast name {name!r}", "use letters, digits and _ only"
            )
        if name in builtin or name in seen:
            raise InputError(
                CONFIG, where, f"contrast name {name!r} is used twice", "give it a unique name"
            )
        seen.add(name)
        if str(c["reference"]) == str(c["test"]):
            raise InputError(
                CONFIG, where, "reference and test are the same level", "choose two levels"
            )
        if samples is not None and c["factor"] in samples.columns:
            present = set(samples[c["factor"]].dropna().astype(str))
            missing = [lv_ for lv_ in (c["reference"], c["test"]) if str(lv_) not in present]
            if missing:
                raise InputError(
                    CONFIG,
                    f"{where} (factor {c['factor']!r})",
                    f"level(s) {preview(missing)} do not occur in the sample sheet",
                    f"use levels present in the sheet: {preview(sorted(present))}",
                )
        specs.append(
            ContrastSpec(
                name,
                name,
                ((f"{c['factor']}[T.{c['test']}]", 1.0),),
                f"{c['factor']}: {c['test']} vs {c['reference']}",
            )
        )
    _check_unwanted_designs(de, [*BUILTIN_DESIGNS, *seen])
    return specs


def _check_unwanted_designs(de: dict, known: list[str]) -> None:
    """``de.unwanted.designs`` names built-in designs or configured contrasts."""
    chosen = de["unwanted"].get("designs")
    unknown = sorted(set(chosen or []) - set(known))
    if unknown:
        raise InputError(
            CONFIG,
            "de.unwanted.designs",
            f"unknown design(s) {preview(unknown)}",
            f"use any of {', '.join(known)} (or leave it out for all designs)",
        )


def contrast_names(config: dict, samples: pd.DataFrame | None = None) -> list[str]:
    """Names of all contrasts (``DE_CONTRASTS`` of the workflow)."""
    return [s.name for s in contrast_specs(config, samples)]


def contrast_designs(config: dict, samples: pd.DataFrame | None = None) -> dict[str, str]:
    """Contrast name -> name of the design (fit) it is read from."""
    return {s.name: s.design for s in contrast_specs(config, samples)}


# --------------------------------------------------------------------------- helpers


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


# --------------------------------------------------------------------------- designs


def _paired_visits(obs: pd.DataFrame, basal: str, insulin: str) -> pd.Series:
    """Mask of samples whose (participant, visit) has both a basal and an insulin biopsy."""
    states = obs.groupby(["participant", "visit"], observed=True)["clamp"].agg(
        lambda s: {basal, insulin} <= set(s.astype(str))
    )
    keys = pd.MultiIndex.from_arrays([obs["participant"], obs["visit"]])
    return pd.Series(states.reindex(keys).fillna(False).to_numpy(bool), index=obs.index)


def _treatment_samples(obs: pd.DataFrame, lv: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    sub = obs
    if "clamp" in obs.columns and lv["clamp_basal"] is not None:
        sub = sub[sub["clamp"].astype(str) == lv["clamp_basal"]]
    visits = sub.groupby("participant", observed=True)["visit"].agg(lambda s: set(s.astype(str)))
    left = []
    for p, vs in visits.items():
        if lv["visit_base"] not in vs:
            left.append((p, f"no {lv['visit_base']} basal biopsy"))
        elif lv["visit_follow"] not in vs:
            left.append((p, f"no {lv['visit_follow']} basal biopsy"))
    drop = {p for p, _ in left}
    sub = sub[~sub["participant"].isin(drop)]
    return sub, pd.DataFrame(left, columns=["participant", "reason"])


def _insulin_samples(obs: pd.DataFrame, lv: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    paired = _paired_visits(obs, lv["clamp_basal"], lv["clamp_insulin"])
    has_insulin = obs.groupby("participant", observed=True)["clamp"].agg(
        lambda s: lv["clamp_insulin"] in set(s.astype(str))
    )
    kept = set(obs.loc[paired, "participant"])
    left = [
        (p, f"{lv['clamp_insulin']} biopsy without a basal biopsy at the same visit")
        for p, has in has_insulin.items()
        if has and p not in kept
    ]
    return obs[paired], pd.DataFrame(left, columns=["participant", "reason"])


def _prepare(obs: pd.DataFrame, lv: dict) -> pd.DataFrame:
    meta = obs.copy()
    meta["participant"] = _participant_categorical(meta["participant"])
    _set_levels(meta, "arm", [lv["arm_ref"], lv["arm_test"]])
    _set_levels(meta, "visit", [lv["visit_base"], lv["visit_follow"]])
    if "clamp" in meta.columns and lv["clamp_basal"] is not None:
        _set_levels(meta, "clamp", [lv["clamp_basal"], lv["clamp_insulin"]])
    meta["participant_n"] = _number_within_arm(meta)
    return meta


def analysed(obs: pd.DataFrame) -> pd.DataFrame:
    """Samples that enter analyses: ``excluded`` ones dropped."""
    if "excluded" in obs.columns:
        obs = obs[~obs["excluded"].astype(bool)]
    return obs


def build_design(obs: pd.DataFrame, name: str, config: dict) -> Design:
    """Samples, design matrix and contrast vectors of design ``name`` (built-in or configured)."""
    lv = trial_levels(config)
    de = de_settings(config)
    specs = [s for s in contrast_specs(config) if s.design == name]
    if not specs:
        raise InputError(
            CONFIG, "de", f"no contrast uses design {name!r}", "check de.designs / de.contrasts"
        )
    obs = analysed(obs)
    for col in ("participant", "arm", "visit"):
        if col not in obs.columns:
            raise InputError(
                "results/adata/counts.h5ad", f"obs column {col!r}", "missing", "rerun ingest"
            )
    obs = obs[obs["arm"].astype(str).isin([lv["arm_ref"], lv["arm_test"]])]
    obs = obs[obs["visit"].astype(str).isin([lv["visit_base"], lv["visit_follow"]])]
    configured = {c["name"]: c for c in de["contrasts"]}

    if name == "treatment":
        sub, left = _treatment_samples(obs, lv)
        formula = "~ arm + arm:participant_n + arm:visit"
        groups = ["arm", "visit"]
    elif name in ("insulin", "insulin_groups"):
        if "clamp" not in obs.columns or lv["clamp_insulin"] is None:
            return _empty(name, "~ participant + visit + clamp", obs, specs, "no clamp column")
        sub, left = _insulin_samples(obs, lv)
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
    name, factor = c["name"], c["factor"]
    where = f"de.contrasts ({name})"
    sub = obs
    for col, value in (c.get("subset") or {}).items():
        if col not in sub.columns:
            raise InputError(
                CONFIG, f"{where} subset", f"no column {col!r} in the samples", "fix the subset"
            )
        values = [str(v) for v in (value if isinstance(value, list) else [value])]
        sub = sub[sub[col].astype(str).isin(values)]
    covariates = list(c.get("covariates") or [])
    for col in [factor, *covariates]:
        if col not in sub.columns:
            raise InputError(
                CONFIG,
                where,
                f"column {col!r} is neither in the sample sheet nor in the clinical table",
                f"use one of {preview(sorted(map(str, obs.columns)), 12)}",
            )
    sub = sub[sub[factor].astype(str).isin([str(c["reference"]), str(c["test"])])]
    complete = sub[covariates].notna().all(axis=1) if covariates else pd.Series(True, sub.index)
    n_missing = int((~complete).sum())
    if n_missing:
        log.warning("%s: %d sample(s) without covariate values left out", name, n_missing)
    left = pd.DataFrame(
        [(p, "missing covariate value") for p in pd.unique(sub.loc[~complete, "participant"])],
        columns=["participant", "reason"],
    )
    sub = sub[complete]
    block = c.get("block", "auto")
    within = sub.groupby("participant", observed=True)[factor].nunique().gt(1).any()
    use_block = block == "participant" or (block == "auto" and bool(within))
    if use_block:
        counts = sub.groupby("participant", observed=True).size()
        single = counts.index[counts < 2]
        left = pd.concat(
            [left, pd.DataFrame({"participant": single, "reason": "one sample in this subset"})]
        )
        sub = sub[~sub["participant"].isin(single)]
    terms = (["participant"] if use_block else []) + covariates + [factor]
    formula = "~ " + " + ".join(terms)
    if sub.empty:
        return _empty(name, formula, obs, specs, "no samples in the configured subset", left)
    meta = _prepare(sub, lv)
    for col in covariates:
        if pd.api.types.is_numeric_dtype(meta[col]) and not pd.api.types.is_bool_dtype(meta[col]):
            sd = meta[col].std()
            meta[col] = (meta[col] - meta[col].mean()) / (sd if sd > 0 else 1.0)
        else:
            meta[col] = meta[col].astype(str)
    _set_levels(meta, factor, [str(c["reference"]), str(c["test"])])
    return _finish(name, formula, meta, specs, [factor], left.reset_index(drop=True))
