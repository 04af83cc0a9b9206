"""The ``qc`` section of the config, with its defaults and documented gene lists."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

#: slow-twitch / oxidative markers (type I myosin heavy and light chains, slow troponins,
#: SERCA2, myoglobin)
SLOW_GENES = ("MYH7", "MYL2", "MYL3", "TNNT1", "TNNI1", "TNNC1", "ATP2A2", "MB")
#: fast-twitch / glycolytic markers (type IIa/IIx myosins, fast troponins and light chain,
#: SERCA1, alpha-actinin-3)
FAST_GENES = ("MYH1", "MYH2", "MYL1", "TNNT3", "TNNI2", "TNNC2", "ATP2A1", "ACTN3")
#: female-specific transcript (X inactivation)
FEMALE_GENES = ("XIST",)
#: broadly expressed Y-linked genes
MALE_GENES = ("RPS4Y1", "DDX3Y", "KDM5D", "UTY", "EIF1AY")
#: immediate-early genes: biopsy stress (and part of the insulin response)
IEG_GENES = ("FOS", "EGR1", "ATF3", "NR4A3")


@dataclass(frozen=True)
class QCSettings:
    """Settings of the QC stage; every field has the default documented in the config schema."""

    n_top_genes: int = 500
    n_pcs: int = 10
    vst_nsub: int = 1000
    outlier_z: float = 3.5
    min_library_size: int = 1_000_000
    pairing_neighbours: int = 3
    pairing_rank_share: float = 0.05
    pairing_adjust: tuple[str, ...] = ("visit", "clamp")
    sex_margin: float = 2.0
    slow_genes: tuple[str, ...] = SLOW_GENES
    fast_genes: tuple[str, ...] = FAST_GENES
    female_genes: tuple[str, ...] = FEMALE_GENES
    male_genes: tuple[str, ...] = MALE_GENES
    ieg_genes: tuple[str, ...] = IEG_GENES
    factors: tuple[str, ...] = ("arm", "visit", "clamp", "site", "sex", "participant")
    seed: int = 20070510

    @classmethod
    def from_config(cls, config: dict | None) -> QCSettings:
        """Read ``config["qc"]`` (and the top-level ``seed``); unknown keys are an error."""
        config = config or {}
        section = dict(config.get("qc") or {})
        names = {f.name for f in fields(cls)} - {"seed"}
        unknown = sorted(set(section) - names)
        if unknown:
            raise ValueError(f"config: qc: unknown key(s) {unknown}; fix: use only {sorted(names)}")
        kwargs: dict[str, Any] = {}
        for key, value in section.items():
            kwargs[key] = tuple(value) if isinstance(value, list) else value
        if "seed" in config:
            kwargs["seed"] = int(config["seed"])
        return cls(**kwargs)

    def as_dict(self) -> dict[str, Any]:
        """Plain dict (lists, not tuples) for ``uns`` and logs."""
        out = {}
        for f in fields(self):
            v = getattr(self, f.name)
            out[f.name] = list(v) if isinstance(v, tuple) else v
        return out
