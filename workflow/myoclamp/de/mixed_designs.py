"""Designs of the voom engine: participant as a random effect, every usable biopsy kept.

The contrasts have the names and meaning of :func:`myoclamp.de.specs.contrast_specs`; the
designs differ from the DESeq2 engine's in that participants are not fixed blocks but a block
with a consensus within-participant correlation (:mod:`myoclamp.de.dupcor`), so a participant
with one visit, or an insulin biopsy without its basal partner, still informs the cell means:

- ``treatment``: the basal biopsies of every participant (of the two arms and visits), one
  column per arm x visit cell; ``treatment`` = (test, follow-up) - (test, baseline) -
  (reference, follow-up) + (reference, baseline): the arm difference of the change from baseline.
- ``insulin``: every biopsy of the participants with at least one insulin biopsy, one column per
  arm x visit cell plus the insulin indicator; ``insulin`` = the insulin indicator (a common
  insulin vs basal difference, as the DESeq2 design's ``clamp`` term).
- ``insulin_groups``: the same biopsies, one column per arm x visit x clamp cell; the insulin
  response of an arm x visit cell is its insulin minus its basal mean, and ``insulin_<arm>``,
  ``insulin_<visit>`` and ``treatment_x_insulin`` combine them as the DESeq2 engine does (means
  over the cells with both clamp states for the first two).
- configured contrasts (``de.contrasts``): ``~ covariates + factor`` on the configured subset
  (numeric covariates standardised), participant as a random block when the factor varies
  within participants (``block: auto``) or ``block: participant``; no participant is dropped for
  having one sample.

Only what the DESeq2 engine also drops is left out: biopsies outside the configured arms, visits
and clamp states, excluded samples, and samples missing a covariate.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from myoclamp.de.samples import configured_samples, standardised_covariates, trial_samples
from myoclamp.de.settings import de_settings, trial_levels
from myoclamp.de.specs import CONFIG, ContrastSpec, design_specs
from myoclamp.errors import InputError, preview

log = logging.getLogger(__name__)


@dataclass
class MixedDesign:
    """One voom fit: samples, full-rank design matrix, participant blocks, contrast vectors."""

    name: str
    formula: str
    metadata: pd.DataFrame
    matrix: pd.DataFrame | None
    block: pd.Series | None  # participant of each sample; None: no random effect
    contrasts: dict[str, np.ndarray] = field(default_factory=dict)
    not_estimable: dict[str, str] = field(default_factory=dict)
    reason: str | None = None
    min_group: int = 0
    filter_min_samples: int = 0  # min_samples of the count filter the fit used
    unwanted: dict = field(default_factory=dict)  # de.unwanted's factors (RUVg), if any
    descriptions: dict[str, str] = field(default_factory=dict)  # contrast -> what it tests
    left_out: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=["participant", "reason"])
    )

    @property
    def n_samples(self) -> int:
        return 0 if self.matrix is None else int(self.matrix.shape[0])

    @property
    def n_participants(self) -> int:
        if self.matrix is None:
            return 0
        return int(self.metadata.loc[self.matrix.index, "participant"].nunique())

    @property
    def n_single(self) -> int:
        """Participants with one biopsy in this design (they inform it through the cell means)."""
        if self.matrix is None:
            return 0
        sizes = self.metadata.loc[self.matrix.index].groupby("participant", observed=True).size()
        return int((sizes == 1).sum())


def participation(designs: list[MixedDesign]) -> pd.DataFrame:
    """Per contrast: design, samples, participants, participants with one biopsy, left out."""
    rows = []
    for d in designs:
        for name in [*d.contrasts, *d.not_estimable]:
            rows.append(
                {
                    "contrast": name,
                    "design": d.name,
                    "estimable": name in d.contrasts,
                    "samples": d.n_samples,
                    "participants": d.n_participants,
                    "participants_one_biopsy": d.n_single,
                    "participants_left_out": len(d.left_out),
                }
            )
    return pd.DataFrame(rows)


def _cells(meta: pd.DataFrame, factors: list[str], levels: dict[str, list[str]]) -> pd.DataFrame:
    """One indicator column per observed combination of ``factors`` (named ``f[level]:...``),
    in level order."""
    keys = meta[factors].astype(str).agg("|".join, axis=1)
    columns = {}
    for combo in pd.MultiIndex.from_product([levels[f] for f in factors]):
        key = "|".join(combo)
        hit = (keys == key).to_numpy()
        if hit.any():
            name = ":".join(f"{f}[{v}]" for f, v in zip(factors, combo, strict=True))
            columns[name] = hit.astype(float)
    return pd.DataFrame(columns, index=meta.index)


def _cell(**levels: str) -> str:
    return ":".join(f"{k}[{v}]" for k, v in levels.items())


def _vector(spec: ContrastSpec, weights: dict[str, float], columns: list[str]) -> np.ndarray | str:
    missing = [c for c in weights if c not in columns]
    if missing:
        return f"not estimable from these samples: no data for {preview(missing)}"
    vec = np.zeros(len(columns))
    for c, w in weights.items():
        vec[columns.index(c)] += w
    return vec


def _treatment_weights(lv: dict) -> dict[str, float]:
    ref, test, base, follow = lv["arm_ref"], lv["arm_test"], lv["visit_base"], lv["visit_follow"]
    return {
        _cell(arm=test, visit=follow): 1.0,
        _cell(arm=test, visit=base): -1.0,
        _cell(arm=ref, visit=follow): -1.0,
        _cell(arm=ref, visit=base): 1.0,
    }


def _insulin_response(arm: str, visit: str, lv: dict) -> dict[str, float]:
    return {
        _cell(arm=arm, visit=visit, clamp=lv["clamp_insulin"]): 1.0,
        _cell(arm=arm, visit=visit, clamp=lv["clamp_basal"]): -1.0,
    }


def _group_weights(spec: ContrastSpec, lv: dict, columns: list[str]) -> dict[str, float] | str:
    """Weights on arm x visit x clamp cells of an ``insulin_groups`` contrast."""
    ref, test, base, follow = lv["arm_ref"], lv["arm_test"], lv["visit_base"], lv["visit_follow"]

    def has(arm: str, visit: str) -> bool:
        return all(c in columns for c in _insulin_response(arm, visit, lv))

    if spec.name == "treatment_x_insulin":
        parts = [(test, follow, 1.0), (test, base, -1.0), (ref, follow, -1.0), (ref, base, 1.0)]
    else:  # insulin_<arm> / insulin_<visit>: the cells the DESeq2 spec names, those with data
        cells = {c for c, _ in spec.weights}
        chosen = [
            (arm, visit)
            for arm in (ref, test)
            for visit in (base, follow)
            if f"arm[{arm}]:visit[{visit}]:clamp[T.{lv['clamp_insulin']}]" in cells
        ]
        usable = [(a, v) for a, v in chosen if has(a, v)]
        if not usable:
            return f"no arm x visit with both clamp states among {preview(sorted(cells))}"
        parts = [(a, v, 1.0 / len(usable)) for a, v in usable]
    weights: dict[str, float] = {}
    for arm, visit, w in parts:
        for c, s in _insulin_response(arm, visit, lv).items():
            weights[c] = weights.get(c, 0.0) + w * s
    return weights


def _base_obs(obs: pd.DataFrame, lv: dict) -> pd.DataFrame:
    meta = trial_samples(obs, lv).copy()
    meta["participant"] = meta["participant"].astype(str)
    for col in ("arm", "visit", "clamp"):
        if col in meta.columns:
            meta[col] = meta[col].astype(str)
    return meta


def build_mixed_design(obs: pd.DataFrame, name: str, config: dict) -> MixedDesign:
    """Samples, design matrix, participant blocks and contrasts of design ``name``."""
    lv = trial_levels(config)
    de = de_settings(config)
    specs = design_specs(config, name)
    meta = _base_obs(obs, lv)
    levels = {
        "arm": [lv["arm_ref"], lv["arm_test"]],
        "visit": [lv["visit_base"], lv["visit_follow"]],
        "clamp": [lv["clamp_basal"], lv["clamp_insulin"]],
    }
    configured = {c["name"]: c for c in de["contrasts"]}
    if name in configured:
        return _configured(meta, configured[name], specs)
    has_clamp = "clamp" in meta.columns and lv["clamp_basal"] is not None
    if name == "treatment":
        if has_clamp:
            meta = meta[meta["clamp"] == lv["clamp_basal"]]
        matrix = _cells(meta, ["arm", "visit"], levels)
        formula = "~ 0 + arm:visit, participant random"
        weights = {s.name: _treatment_weights(lv) for s in specs}
        groups = ["arm", "visit"]
    elif name in ("insulin", "insulin_groups"):
        if not has_clamp:
            return _empty(name, "~ 0 + arm:visit + clamp", meta, specs, "no clamp column")
        meta = meta[meta["clamp"].isin(levels["clamp"])]
        # participants never clamped (another sub-study) are outside these designs, not left
        # out of them (as under the DESeq2 engine): no one with an insulin biopsy is left out
        clamped = meta.groupby("participant")["clamp"].agg(lambda s: lv["clamp_insulin"] in set(s))
        left = pd.DataFrame(columns=["participant", "reason"])
        meta = meta[meta["participant"].map(clamped)]
        if name == "insulin":
            matrix = _cells(meta, ["arm", "visit"], levels)
            matrix[f"clamp[T.{lv['clamp_insulin']}]"] = (
                meta["clamp"] == lv["clamp_insulin"]
            ).astype(float)
            formula = "~ 0 + arm:visit + clamp, participant random"
            weights = {s.name: {f"clamp[T.{lv['clamp_insulin']}]": 1.0} for s in specs}
            groups = ["clamp"]
        else:
            matrix = _cells(meta, ["arm", "visit", "clamp"], levels)
            formula = "~ 0 + arm:visit:clamp, participant random"
            weights = {}
            for s in specs:
                weights[s.name] = _group_weights(s, lv, list(matrix.columns))
            groups = ["arm", "visit", "clamp"]
        if meta.empty:
            return _empty(name, formula, meta, specs, "no samples fit this design", left)
        return _finish(name, formula, meta, matrix, specs, weights, groups, left)
    else:
        raise InputError(CONFIG, "de", f"unknown design {name!r}", "check de.designs")
    if meta.empty:
        return _empty(name, formula, meta, specs, "no samples fit this design")
    return _finish(name, formula, meta, matrix, specs, weights, groups, None)


def _empty(
    name: str,
    formula: str,
    meta: pd.DataFrame,
    specs: list[ContrastSpec],
    reason: str,
    left: pd.DataFrame | None = None,
) -> MixedDesign:
    log.warning("design %s is not estimable: %s", name, reason)
    design = MixedDesign(name, formula, meta.iloc[:0], None, None, reason=reason)
    design.not_estimable = {s.name: reason for s in specs}
    design.descriptions = {s.name: s.description for s in specs}
    if left is not None:
        design.left_out = left.reset_index(drop=True)
    return design


def _finish(
    name: str,
    formula: str,
    meta: pd.DataFrame,
    matrix: pd.DataFrame,
    specs: list[ContrastSpec],
    weights: dict[str, dict[str, float] | str],
    groups: list[str],
    left: pd.DataFrame | None,
    block: bool = True,
) -> MixedDesign:
    columns = list(matrix.columns)
    cells = meta.groupby(groups, observed=True).size()
    design = MixedDesign(
        name,
        formula,
        meta,
        matrix,
        meta["participant"] if block else None,
        min_group=int(cells.min()) if len(cells) else 0,
    )
    design.descriptions = {s.name: s.description for s in specs}
    if left is not None:
        design.left_out = left.reset_index(drop=True)
    rank = np.linalg.matrix_rank(matrix.to_numpy()) if matrix.shape[1] else 0
    if rank < matrix.shape[1]:
        design.reason = f"design matrix is not full rank ({rank} of {matrix.shape[1]} columns)"
    elif matrix.shape[0] - matrix.shape[1] < 1:
        design.reason = (
            f"no residual degrees of freedom ({matrix.shape[0]} samples, "
            f"{matrix.shape[1]} coefficients)"
        )
    for spec in specs:
        w = weights.get(spec.name, "no weights")
        vec = design.reason or (w if isinstance(w, str) else _vector(spec, w, columns))
        if isinstance(vec, str):
            design.not_estimable[spec.name] = vec
            log.warning("contrast %s is not estimable: %s", spec.name, vec)
        else:
            design.contrasts[spec.name] = vec
    log.info(
        "voom design %s: %d samples, %d participants (%d with one biopsy), %d coefficients",
        name,
        design.n_samples,
        design.n_participants,
        design.n_single,
        matrix.shape[1],
    )
    return design


def _configured(meta: pd.DataFrame, c: dict, specs: list[ContrastSpec]) -> MixedDesign:
    name, factor = c["name"], c["factor"]
    # the participant is a random effect: a participant with one sample stays in
    chosen = configured_samples(meta, c, drop_single=False)
    covariates, use_block, left = chosen.covariates, chosen.block, chosen.left_out
    sub = chosen.samples.copy()
    formula = (
        "~ " + " + ".join([*covariates, factor]) + (", participant random" if use_block else "")
    )
    if sub.empty:
        return _empty(name, formula, sub, specs, "no samples in the configured subset", left)
    standardised_covariates(sub, covariates)
    sub[factor] = pd.Categorical(
        sub[factor].astype(str), categories=[str(c["reference"]), str(c["test"])], ordered=True
    )
    from myoclamp.de.design import full_rank_matrix  # formulaic: only configured designs need it

    matrix, dropped = full_rank_matrix(sub, "~ " + " + ".join([*covariates, factor]))
    if dropped:
        log.info("design %s: dropped %d column(s): %s", name, len(dropped), preview(dropped))
    weights = {spec.name: dict(spec.weights) for spec in specs}
    return _finish(name, formula, sub, matrix, specs, weights, [factor], left, block=use_block)
