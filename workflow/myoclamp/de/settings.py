"""The ``de`` config section (defaults from the schema), and the configured levels of the trial."""

from __future__ import annotations

import re
from typing import Any

from myoclamp.config import section

BUILTIN_DESIGNS = ("treatment", "insulin", "insulin_groups")


def de_settings(config: dict) -> dict[str, Any]:
    """The ``de`` section of ``config`` with the schema's defaults."""
    return section(config, "de")


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
