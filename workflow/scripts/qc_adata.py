"""qc_adata: counts.h5ad -> qc.h5ad (metrics, layers, PCA, flags) and the QC tables."""

from myoclamp.logs import rule_logging
from myoclamp.qc.pipeline import write_qc

with rule_logging(snakemake.log[0], snakemake.rule, snakemake.threads):
    write_qc(
        snakemake.input.adata,
        snakemake.params.settings,
        dict(snakemake.output.items()),
        n_cpus=snakemake.threads,
    )
