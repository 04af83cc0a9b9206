"""enrichment_contrast: gene-set enrichment of one contrast's DE table (tables and plots)."""

from myoclamp.enrichment.pipeline import write_enrichment
from myoclamp.logs import rule_logging

with rule_logging(snakemake.log[0], snakemake.rule, snakemake.threads):
    write_enrichment(
        snakemake.input.de,
        dict(snakemake.params.gmt),
        snakemake.params.settings,
        dict(snakemake.output.items()),
        contrast=snakemake.wildcards.contrast,
        threads=snakemake.threads,
    )
