# myoclamp: skeletal-muscle RNA-seq of hyperinsulinemic-euglycemic clamp trials.
# Data path: ingest -> {qc -> clinical, de -> enrichment} -> report.
from snakemake.utils import min_version

min_version("9.0")


# The bundled demo config, unless --configfile names another trial's (then it is not merged in).
if not workflow.overwrite_configfiles:

    configfile: "config.yaml"


include: "workflow/rules/common.smk"
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
