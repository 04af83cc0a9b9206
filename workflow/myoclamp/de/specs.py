"""Contrast specifications: every contrast the workflow runs, the design it is read from and its
weights on that design's columns. Read at parse time (``DE_CONTRASTS``), so it stays light.

Built-in designs (names fixed, levels from ``config["levels"]``):

- ``treatment``: contrast ``treatment`` = ``arm[test]:visit[T.followup] -
  arm[ref]:visit[T.followup]``: the difference between arms in the within-person change from
  baseline (basal biopsies).
- ``insulin``: contrast ``insulin`` = ``clamp[T.insulin]`` (insulin vs basal within person).
- ``insulin_groups``: one insulin effect per arm and visit, from which ``insulin_<arm>`` (mean
  over visits), ``insulin_<visit>`` (mean over arms) and ``treatment_x_insulin`` (difference
  between arms of the change in the insulin response) are read without refitting.

Configured contrasts (``de.contrasts``) are one design each, testing ``factor[T.test]``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

from myoclamp.de.settings import BUILTIN_DESIGNS, ENGINES, de_settings, slug, trial_levels
from myoclamp.errors import InputError, preview

CONFIG = "config.yaml (de section)"


@dataclass(frozen=True)
class ContrastSpec:
    """A named contrast: weights on design columns of one design.

    With ``average=True`` the contrast is the mean of the estimable columns among ``weights``
    (e.g. the insulin effect of an arm averaged over the visits that have clamps); otherwise every
    column must be estimable. ``between_arms``: the contrast compares the arms (a next trial's
    size is then a number of participants per arm).
    """

    name: str
    design: str
    weights: tuple[tuple[str, float], ...]
    description: str
    average: bool = False
    between_arms: bool = False


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
                between_arms=True,
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
                between_arms=True,
            )
        )
    reserved = {"summary", "meta", "fits", "plots", "concordance", *ENGINES}  # results/de/ names
    builtin = {s.name for s in specs} | set(BUILTIN_DESIGNS) | reserved
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
                between_arms=c["factor"] == "arm",
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


def design_specs(config: dict, design: str) -> list[ContrastSpec]:
    """The contrasts fitted by ``design``; refuses a design no contrast uses."""
    specs = [s for s in contrast_specs(config) if s.design == design]
    if not specs:
        raise InputError(
            CONFIG, "de", f"no contrast uses design {design!r}", "check de.designs / de.contrasts"
        )
    return specs
