"""de_voom_<design>: fit one design with limma-voom (participant as a random effect) and write
each of its contrasts (table with the equivalence columns, metadata, and the detectable effects
and figures when voom is the primary engine)."""

from myoclamp.de.settings import outputs_by_contrast
from myoclamp.de.voom_pipeline import write_voom_design
from myoclamp.logs import rule_logging

out = snakemake.output
outputs = outputs_by_contrast(out, snakemake.params.contrasts)
with rule_logging(snakemake.log[0], snakemake.rule, snakemake.threads):
    write_voom_design(
        snakemake.input.adata,
        snakemake.params.design,
        snakemake.params.settings,
        outputs,
        threads=snakemake.threads,
    )
