"""Select targets of a stage by kind, for rules that gather the outputs of other stages."""

from __future__ import annotations


def pngs(targets: list[str]) -> list[str]:
    """The figures among a stage's targets."""
    return [t for t in targets if t.endswith(".png")]


def tables(targets: list[str], prefix: str) -> list[str]:
    """The TSV tables under ``prefix`` among a stage's targets."""
    return [t for t in targets if t.startswith(prefix) and t.endswith(".tsv")]
