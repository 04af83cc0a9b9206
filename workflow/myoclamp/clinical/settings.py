"""The ``clinical`` config section (defaults from the schema), and the trial levels it needs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from myoclamp.config import section


@dataclass(frozen=True)
class ClinicalSettings:
    """What the clinical stage analyses, resolved from the config."""

    m_value: str | None
    variables: list[str]
    covariates: list[str]
    has_clinical: bool
    arm_ref: str
    arm_test: str
    visit_base: str
    visit_follow: str
    clamp_basal: str | None

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
    clinical = section(config, "clinical")
    levels = config["levels"]
    clamp = levels.get("clamp") or {}
    m_value = clinical["m_value"]
    covariates = [c for c in clinical["covariates"] if c != m_value]
    return ClinicalSettings(
        m_value=m_value or None,
        variables=list(clinical["variables"]),
        covariates=covariates,
        has_clinical=bool((config.get("inputs") or {}).get("clinical")),
        arm_ref=str(levels["arm"]["reference"]),
        arm_test=str(levels["arm"]["test"]),
        visit_base=str(levels["visit"]["baseline"]),
        visit_follow=str(levels["visit"]["followup"]),
        clamp_basal=str(clamp["basal"]) if clamp else None,
    )
