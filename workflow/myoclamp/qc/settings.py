"""The ``qc`` section of the config (defaults from the schema)."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from myoclamp.config import section


@dataclass(frozen=True)
class QCSettings:
    """Settings of the QC stage (``config["qc"]`` and ``seed``, defaults from the schema)."""

    n_top_genes: int
    n_pcs: int
    vst_nsub: int
    outlier_z: float
    min_library_size: int
    pairing_neighbours: int
    pairing_rank_share: float
    pairing_adjust: tuple[str, ...]
    sex_margin: float
    #: slow-twitch / oxidative markers (type I myosins, slow troponins, SERCA2, myoglobin)
    slow_genes: tuple[str, ...]
    #: fast-twitch / glycolytic markers (type IIa/IIx myosins, fast troponins, SERCA1, ACTN3)
    fast_genes: tuple[str, ...]
    #: female-specific transcript (X inactivation)
    female_genes: tuple[str, ...]
    #: broadly expressed Y-linked genes
    male_genes: tuple[str, ...]
    #: immediate-early genes: biopsy stress (and part of the insulin response)
    ieg_genes: tuple[str, ...]
    factors: tuple[str, ...]
    seed: int

    @classmethod
    def from_config(cls, config: dict | None = None, **overrides: Any) -> QCSettings:
        """``config["qc"]`` and the top-level ``seed``, with the schema's defaults; ``overrides``
        replace single fields (tests)."""
        values = {**section(config, "qc"), "seed": section(config, "seed"), **overrides}
        return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in values.items()})

    def as_dict(self) -> dict[str, Any]:
        """Plain dict (lists, not tuples) for ``uns`` and logs."""
        out = {}
        for f in fields(self):
            v = getattr(self, f.name)
            out[f.name] = list(v) if isinstance(v, tuple) else v
        return out
