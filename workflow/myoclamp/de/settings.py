"""The ``de`` config section with its defaults, and the configured levels of the trial."""

from __future__ import annotations

import re
from typing import Any

BUILTIN_DESIGNS = ("treatment", "insulin", "insulin_groups")

GENES_OF_INTEREST = [
    "SLC2A4",
    "HSPA1A",
    "HSPA1B",
    "HSPB1",
    "HSP90AA1",
    "DNAJB1",
    "HSPD1",
    "SREBF1",
    "PPARGC1A",
    "HK2",
    "PDK4",
    "TXNIP",
    "HES1",
    "KLF10",
    "BHLHE40",
    "RRAD",
    "G0S2",
    "PPP1R3C",
    "KLF15",
    "CITED2",
    "DDIT4",
    "IRS2",
]

#: immediate-early (biopsy-stress) genes not reported to respond to the clamp in muscle: those in
#: ``shared/reference/insulin_responsive_genes.csv`` (FOS, JUNB, EGR1, ATF3, MYC, NR4A1, NR4A3)
#: are left out, as negative controls must be
BIOPSY_STRESS_CONTROLS = [
    "FOSB",
    "JUN",
    "EGR2",
    "EGR3",
    "NR4A2",
    "IER2",
    "IER3",
    "CYR61",
    "CCN1",
    "KLF2",
    "KLF4",
    "DUSP1",
    "ZFP36",
]

DEFAULTS: dict[str, Any] = {
    "designs": list(BUILTIN_DESIGNS),
    "contrasts": [],
    "alpha": 0.05,
    "min_count": 10,
    "min_samples": None,
    "fit_type": "parametric",
    "engine": "blocks",
    "refit_cooks": True,
    "cooks_filter": True,
    "independent_filter": True,
    "wald_distribution": "t",
    "shrink": True,
    "genes_of_interest": GENES_OF_INTEREST,
    "unwanted": {"factors": 0, "genes": BIOPSY_STRESS_CONTROLS, "designs": None},
}

CONTRAST_DEFAULTS: dict[str, Any] = {"subset": {}, "covariates": [], "block": "auto"}


def de_settings(config: dict) -> dict[str, Any]:
    """The ``de`` section of ``config`` with every missing key set to its default."""
    section = dict(DEFAULTS)
    section.update((config or {}).get("de") or {})
    section["unwanted"] = {**DEFAULTS["unwanted"], **(section.get("unwanted") or {})}
    section["contrasts"] = [{**CONTRAST_DEFAULTS, **c} for c in section["contrasts"] or []]
    return section


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
