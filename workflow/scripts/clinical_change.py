"""clinical_change: change in expression vs change in M-value, per gene and per set."""

from myoclamp.clinical.pipeline import write_change
from myoclamp.logs import rule_logging

with rule_logging(snakemake.log[0], snakemake.rule, snakemake.threads):
    write_change(
        snakemake.input.adata,
        dict(snakemake.params.gmt),
        snakemake.params.settings,
        dict(snakemake.output.items()),
    )
