"""ingest_counts: count table, sample sheet and clinical table -> results/adata/counts.h5ad."""

from myoclamp.ingest.pipeline import write_counts
from myoclamp.logs import rule_logging

with rule_logging(snakemake.log[0], snakemake.rule, snakemake.threads):
    write_counts(
        snakemake.params.settings,
        counts=snakemake.input.counts,
        samples=snakemake.input.samples,
        clinical=snakemake.input.clinical or None,
        out=snakemake.output.adata,
    )
