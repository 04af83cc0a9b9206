"""de_fit_<design>: fit one design and write each of its contrasts (table, metadata, plots)."""

from myoclamp.de.pipeline import PLOTS, write_design
from myoclamp.logs import rule_logging

out = snakemake.output
outputs = {
    contrast: {kind: getattr(out, kind)[i] for kind in ("tsv", "meta", *PLOTS)}
    for i, contrast in enumerate(snakemake.params.contrasts)
}
with rule_logging(snakemake.log[0], snakemake.rule, snakemake.threads):
    write_design(
        snakemake.input.adata,
        snakemake.params.design,
        snakemake.params.settings,
        outputs,
        n_cpus=snakemake.threads,
    )
