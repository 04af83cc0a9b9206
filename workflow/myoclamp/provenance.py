"""How an analysis is reproduced: the command line recorded in the results' provenance."""

from __future__ import annotations

from pathlib import Path


def run_command(configfiles: list | tuple) -> str:
    """The command that reproduces the analysis: snakemake with its config file(s).

    Paths are made relative to the working directory so that the same analysis run anywhere,
    locally or through a cluster profile, records the same command.
    """
    parts = ["snakemake", "--cores", "N"]
    for path in configfiles:
        p = Path(path)
        rel = p.resolve().relative_to(Path.cwd()) if p.resolve().is_relative_to(Path.cwd()) else p
        parts += ["--configfile", str(rel)]
    return " ".join(parts)
