"""de_summary: one row per contrast, and the trajectories of the genes of interest."""

from myoclamp.de.pipeline import write_overview
from myoclamp.logs import rule_logging

with rule_logging(snakemake.log[0], snakemake.rule, snakemake.threads):
    write_overview(
        list(snakemake.input.meta),
        list(snakemake.input.tsv),
        snakemake.input.adata,
        snakemake.params.settings,
        snakemake.output.tsv,
        snakemake.output.genes_of_interest,
    )
