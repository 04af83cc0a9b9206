"""de_fit_<design>: fit one design and write its design matrix and each of its contrasts (table
with the equivalence columns, metadata, detectable effects, plots)."""

from myoclamp.de.pipeline import PLOTS, write_design
from myoclamp.logs import rule_logging

out = snakemake.output
outputs = {
    contrast: {
        kind: getattr(out, kind)[i]
        for kind in ("tsv", "meta", "detectable", "distribution", *PLOTS)
    }
    for i, contrast in enumerate(snakemake.params.contrasts)
}
with rule_logging(snakemake.log[0], snakemake.rule, snakemake.threads):
    write_design(
        snakemake.input.adata,
        snakemake.params.design,
        snakemake.params.settings,
        outputs,
        matrix=out.design,
        n_cpus=snakemake.threads,
    )
