"""Load and validate a workflow config outside Snakemake (tests, scripts), defaults filled in;
the config sections each stage reads, as rule params (so that changing them reruns the stage)."""

from __future__ import annotations

import json
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


#: top-level config sections each stage's code reads (its inputs carry everything upstream)
STAGE_SECTIONS: dict[str, tuple[str, ...]] = {
    "ingest": ("inputs", "columns", "levels", "exclude", "clinical"),
    "qc": ("qc", "seed", "levels", "columns"),
    "de": ("de", "levels", "columns"),
    "enrichment": ("enrichment", "de", "seed"),
    "clinical": ("clinical", "de", "enrichment", "inputs", "levels", "columns", "seed"),
    "report": ("*",),
}


def stage_settings(config: dict, stage: str) -> str:
    """The config sections ``stage`` reads, as canonical JSON: a rule's ``params``, so that
    Snakemake's ``params`` rerun trigger reruns the stage's jobs when one of them changes."""
    sections = STAGE_SECTIONS[stage]
    chosen = config if sections == ("*",) else {k: config.get(k) for k in sections}
    return json.dumps(chosen, sort_keys=True, default=str)
