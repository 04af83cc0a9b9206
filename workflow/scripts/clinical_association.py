"""clinical_association: expression vs M-value at baseline, per gene and per set, and plots."""

from myoclamp.clinical.pipeline import write_association
from myoclamp.logs import rule_logging

with rule_logging(snakemake.log[0], snakemake.rule, snakemake.threads):
    write_association(
        snakemake.input.adata,
        dict(snakemake.params.gmt),
        snakemake.params.settings,
        dict(snakemake.output.items()),
        n_cpus=snakemake.threads,
    )
