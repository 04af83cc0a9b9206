"""Dispatch a Snakemake rule to the one package function that does its work.

A rule named ``<stage>_<what>`` runs ``myoclamp.<stage>.steps.<stage>_<what>(smk)``, where ``smk``
is the ``snakemake`` object of the script directive. Step functions only unpack ``smk`` and call
the tested functions of their stage.
"""

from __future__ import annotations

import importlib
import logging
from typing import Any

from myoclamp.logs import rule_logging

log = logging.getLogger(__name__)


def resolve(rule: str):
    """Return the step function for a rule name such as ``ingest_counts``."""
    stage = rule.split("_", 1)[0]
    module = importlib.import_module(f"myoclamp.{stage}.steps")
    try:
        return getattr(module, rule)
    except AttributeError as err:
        raise LookupError(f"rule {rule!r} has no step function in myoclamp.{stage}.steps") from err


def run_rule(smk: Any) -> None:
    """Run the step of ``smk.rule`` with logging to the rule's log file."""
    func = resolve(smk.rule)
    log_path = smk.log[0] if len(smk.log) else None
    with rule_logging(log_path):
        log.info("rule %s, %d thread(s)", smk.rule, smk.threads)
        func(smk)
        log.info("rule %s done", smk.rule)
