"""de_fit_<design>: fit one design with DESeq2 and write the design matrix it used and each of its
contrasts (table with the equivalence columns, metadata, and the detectable effects and figures
when DESeq2 is the primary engine)."""

from myoclamp.de.pipeline import write_design
from myoclamp.de.settings import outputs_by_contrast
from myoclamp.logs import rule_logging

out = snakemake.output
outputs = outputs_by_contrast(out, snakemake.params.contrasts)
with rule_logging(snakemake.log[0], snakemake.rule, snakemake.threads):
    write_design(
        snakemake.input.adata,
        snakemake.params.design,
        snakemake.params.settings,
        outputs,
        matrix=out.design,
        n_cpus=snakemake.threads,
    )
