"""The ``clinical`` config section with defaults, and the trial levels it needs."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class ClinicalSettings:
    """What the clinical stage analyses, resolved from the config."""

    m_value: str | None
    variables: list[str] = field(default_factory=list)
    covariates: list[str] = field(default_factory=list)
    has_clinical: bool = True
    arm_ref: str = ""
    arm_test: str = ""
    visit_base: str = ""
    visit_follow: str = ""
    clamp_basal: str | None = None
    seed: int = 20070510
    alpha: float = 0.05

    @property
    def m_reason(self) -> str | None:
        """Why the expression-vs-M analyses cannot run (None when they can)."""
        if not self.has_clinical:
            return "no clinical table configured (inputs.clinical is null)"
        if not self.m_value:
            return "no M-value column configured (clinical.m_value is null)"
        return None


def clinical_settings(config: dict[str, Any]) -> ClinicalSettings:
    """Resolve the ``clinical`` section (defaults as in the schema) and the configured levels."""
    section = config.get("clinical") or {}
    levels = config["levels"]
    clamp = levels.get("clamp") or {}
    m_value = section.get("m_value", "m_value")
    covariates = [c for c in section.get("covariates", []) if c != m_value]
    return ClinicalSettings(
        m_value=m_value or None,
        variables=list(section.get("variables", [])),
        covariates=covariates,
        has_clinical=bool((config.get("inputs") or {}).get("clinical")),
        arm_ref=str(levels["arm"]["reference"]),
        arm_test=str(levels["arm"]["test"]),
        visit_base=str(levels["visit"]["baseline"]),
        visit_follow=str(levels["visit"]["followup"]),
        clamp_basal=str(clamp["basal"]) if clamp else None,
        seed=int(config.get("seed", 20070510)),
        alpha=float((config.get("de") or {}).get("alpha", 0.05)),
    )
