# myoclamp: skeletal-muscle RNA-seq of hyperinsulinemic-euglycemic clamp trials.
# Data path: ingest -> qc -> de -> enrichment -> clinical -> report.
import sys
from pathlib import Path

from snakemake.utils import min_version

min_version("9.0")


# The bundled demo config, unless --configfile names another trial's (then it is not merged in).
if not workflow.overwrite_configfiles:

    configfile: "config.yaml"


sys.path.insert(0, str(Path(workflow.basedir) / "workflow"))
from myoclamp.config import STAGE_SECTIONS, stage_settings  # noqa: E402
from myoclamp.ingest.validate import startup_check  # noqa: E402
from myoclamp.report.assemble import run_command  # noqa: E402
from myoclamp.resources import cohort_resources  # noqa: E402

# Config, sheets, clinical table and the count table (content in the main process) are checked
# here, before any job: a bad input prints one message and exits (myoclamp.ingest.validate).
SAMPLES = startup_check(config, workflow)
# mem_mb and runtime (minutes) of every rule: the benchmark's measurements at this cohort's size
# plus a margin (myoclamp.resources, workflow/resources.tsv; docs/running.md).
RESOURCES = cohort_resources(len(SAMPLES), config.get("de", {}).get("engine"))
# The config sections each stage reads, as every rule's params: changing them reruns the stage.
SETTINGS = {stage: stage_settings(config, stage) for stage in STAGE_SECTIONS}
# How this analysis is reproduced, for the provenance of results/myoclamp.h5ad (no run-specific paths).
RUN_COMMAND = run_command(workflow.overwrite_configfiles)


include: "workflow/rules/ingest.smk"
include: "workflow/rules/qc.smk"
include: "workflow/rules/de.smk"
include: "workflow/rules/enrichment.smk"
include: "workflow/rules/clinical.smk"
include: "workflow/rules/report.smk"


rule all:
    default_target: True
    input:
        INGEST_TARGETS,
        QC_TARGETS,
        DE_TARGETS,
        ENRICHMENT_TARGETS,
        CLINICAL_TARGETS,
        REPORT_TARGETS,
