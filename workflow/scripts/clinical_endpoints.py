"""clinical_endpoints: each clinical variable by arm and visit, and the ANCOVA arm effect."""

from myoclamp.clinical.pipeline import write_endpoints
from myoclamp.logs import rule_logging

with rule_logging(snakemake.log[0], snakemake.rule, snakemake.threads):
    write_endpoints(
        snakemake.params.settings,
        samples=snakemake.input.samples,
        clinical=snakemake.input.clinical or None,
        out=snakemake.output.tsv,
    )
