"""The ``de`` config section (defaults from the schema), and the configured levels of the trial."""

from __future__ import annotations

import re
from typing import Any

from myoclamp.config import section

BUILTIN_DESIGNS = ("treatment", "insulin", "insulin_groups")
#: the DE engines (``de.engine``): DESeq2 with participants as fixed blocks, limma-voom with the
#: participant as a random effect
ENGINES = ("deseq2", "voom")
#: keys of the ``de`` section that one engine's fits alone read: the other engine's rules are not
#: given them, so that changing them does not rerun its fits
ENGINE_KEYS = {
    "deseq2": (
        "solver",
        "fit_type",
        "refit_cooks",
        "cooks_filter",
        "independent_filter",
        "wald_distribution",
        "shrink",
    ),
    "voom": ("voom",),
}
#: keys that decide where the fits write (rules' outputs), not what they compute
LAYOUT_KEYS = ("engine", "compare_engines")


def de_settings(config: dict) -> dict[str, Any]:
    """The ``de`` section of ``config`` with the schema's defaults."""
    return section(config, "de")


def engines(de: dict) -> list[str]:
    """The engines a run fits: the primary one (``de.engine``) first, then the other one when
    ``de.compare_engines``."""
    primary = de["engine"]
    return [primary, *([e for e in ENGINES if e != primary] if de["compare_engines"] else [])]


def engine_dir(engine: str, primary: str) -> str:
    """Where an engine's tables go: ``results/de`` for the primary engine (``de.engine``),
    ``results/de/<engine>`` for the other one."""
    return "results/de" if engine == primary else f"results/de/{engine}"


def engine_outputs(
    engine: str, primary: str, contrasts: list[str], figures: list[str]
) -> dict[str, list[str]]:
    """The files one engine's job for one design writes: each contrast's table (``tsv``) and
    metadata (``meta``), and for the primary engine the detectable effects of the genes of
    interest (``detectable``) and genome-wide (``distribution``) and each of ``figures`` per
    contrast."""
    where = engine_dir(engine, primary)
    out = {
        "tsv": [f"{where}/{c}.tsv" for c in contrasts],
        "meta": [f"{where}/meta/{c}.json" for c in contrasts],
    }
    if engine == primary:
        out |= {
            "detectable": [f"results/de/detectable/{c}.tsv" for c in contrasts],
            "distribution": [f"results/de/detectable/{c}.distribution.tsv" for c in contrasts],
        }
        out |= {f: [f"results/de/plots/{c}/{f}.png" for c in contrasts] for f in figures}
    return out


def engine_settings(settings: dict, engine: str) -> dict:
    """A rule's settings (:func:`myoclamp.config.settings` with ``de``) for the fits of
    ``engine``: without the other engine's keys (:data:`ENGINE_KEYS`) and the layout keys. Code
    that read a key left out would get the schema's default, so only keys no fit of ``engine``
    reads go (both engines' tables test the genes of interest as a family of their own)."""
    drop = {k for e, keys in ENGINE_KEYS.items() if e != engine for k in keys}
    drop |= set(LAYOUT_KEYS)
    return {**settings, "de": {k: v for k, v in settings["de"].items() if k not in drop}}


def unwanted_factors(de: dict, design: str) -> int:
    """Number of unwanted-variation factors for ``design`` (``de.unwanted``; 0 if not chosen)."""
    unwanted = de.get("unwanted") or {}
    chosen = unwanted.get("designs")
    if chosen is not None and design not in chosen:
        return 0
    return int(unwanted.get("factors") or 0)


def trial_levels(config: dict) -> dict[str, str | None]:
    """Reference/test arm, baseline/follow-up visit and basal/insulin clamp levels."""
    levels = config["levels"]
    clamp = levels.get("clamp") or {}
    return {
        "arm_ref": str(levels["arm"]["reference"]),
        "arm_test": str(levels["arm"]["test"]),
        "visit_base": str(levels["visit"]["baseline"]),
        "visit_follow": str(levels["visit"]["followup"]),
        "clamp_basal": str(clamp["basal"]) if clamp else None,
        "clamp_insulin": str(clamp["insulin"]) if clamp else None,
    }


def slug(text: str) -> str:
    """A level name made safe for file names and wildcards: ``Week 13`` -> ``Week_13``."""
    out = re.sub(r"[^A-Za-z0-9]+", "_", str(text)).strip("_")
    return out or "level"


#: the figures the primary engine draws per contrast (:mod:`myoclamp.de.plots`)
CONTRAST_FIGURES = ("volcano", "ma", "pvalues", "forest")
#: the per-contrast outputs of a DE job (:func:`engine_outputs`): each a list, one per contrast
CONTRAST_OUTPUTS = ("tsv", "meta", "detectable", "distribution", *CONTRAST_FIGURES)


def outputs_by_contrast(output, contrasts: list[str]) -> dict[str, dict[str, str]]:
    """A DE job's Snakemake ``output`` (named lists of :data:`CONTRAST_OUTPUTS`, in the order of
    ``contrasts``) as ``{contrast: {kind: path}}``, for the kinds this job has."""
    kinds = [k for k in CONTRAST_OUTPUTS if k in output.keys()]  # noqa: SIM118 (a Namedlist)
    return {c: {k: getattr(output, k)[i] for k in kinds} for i, c in enumerate(contrasts)}
