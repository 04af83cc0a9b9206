# Parse-time code the rules files share: the validated config, the checked sample sheet, each
# rule's settings and resources. Everything imported here is light (no statistics packages).
import os
import re
import sys
from pathlib import Path

# The package of the rule scripts lives in workflow/; it goes on the path of this process and of every
# job's interpreter (a conda env or a cluster node may not have the project installed).
PACKAGE_DIR = str(Path(workflow.basedir) / "workflow")
sys.path.insert(0, PACKAGE_DIR)
os.environ.update(
    PYTHONPATH=os.pathsep.join(
        [
            PACKAGE_DIR,
            *[p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p],
        ]
    )
)

from myoclamp.config import settings as _settings
from myoclamp.ingest.validate import startup_check
from myoclamp.provenance import run_command
from myoclamp.resources import cohort_resources

# Config (defaults filled in from its schema), sheets, clinical table and the count table (its
# content in the main process) are checked here, before any job: a bad input prints one message
# and exits (myoclamp.ingest.validate).
SAMPLES = startup_check(config, workflow)
# mem_mb and runtime (minutes) of every rule: the benchmark's measurements at this cohort's size
# plus a margin (myoclamp.resources, workflow/resources.tsv; docs/running.md).
RESOURCES = cohort_resources(len(SAMPLES), config["de"]["solver"])
# Threads of the rules that can use two (DE fits, QC, the M-value association): two when four or
# more cores run jobs side by side (or on a cluster); one on a two-core machine, where
# one-thread jobs keep both cores busy while two-thread jobs leave one idle between them.
MULTI_THREADS = 2 if (workflow.resource_settings.cores or 4) >= 4 else 1
# How this analysis is reproduced, for the provenance of results/myoclamp.h5ad (no run-specific paths).
RUN_COMMAND = run_command(workflow.overwrite_configfiles)


def settings(*sections):
    """The config sections a rule reads, as its params (changing one of them reruns the rule),
    and the rule's code is given nothing else."""
    return _settings(config, sections)


def in_report(paths, caption, category):
    """``paths`` shown in Snakemake's report with ``caption`` (as they are when it is None)."""
    if caption is None:
        return paths
    return report(paths, caption=caption, category=category)


def pngs(targets):
    """The figures among a stage's targets."""
    return [t for t in targets if t.endswith(".png")]


def tables(targets, prefix):
    """The TSV tables under ``prefix`` among a stage's targets."""
    return [t for t in targets if t.startswith(prefix) and t.endswith(".tsv")]
