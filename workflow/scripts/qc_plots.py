"""qc_plots: PCA by factor, variance explained, sample distances, metric panels."""

from myoclamp.logs import rule_logging
from myoclamp.qc.pipeline import write_plots

with rule_logging(snakemake.log[0], snakemake.rule, snakemake.threads):
    write_plots(snakemake.input.adata, dict(snakemake.output.items()))
