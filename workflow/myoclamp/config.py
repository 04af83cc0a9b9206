"""Load and validate a workflow config outside Snakemake (tests, scripts), defaults filled in."""

from __future__ import annotations

from pathlib import Path

import yaml
from snakemake.utils import validate

SCHEMA = Path(__file__).resolve().parents[1] / "schemas" / "config.schema.yaml"


def validated(config: dict) -> dict:
    """Validate ``config`` against the workflow's schema, filling in defaults (in place)."""
    validate(config, str(SCHEMA), set_default=True)
    return config


def load_config(path: str | Path) -> dict:
    """Read a YAML config file and validate it."""
    with open(path) as fh:
        return validated(yaml.safe_load(fh))
