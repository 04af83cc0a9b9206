"""de_fit_<design>: fit one design with DESeq2 and write the design matrix it used and each of its
contrasts (table with the equivalence columns, metadata, and the detectable effects and figures
when DESeq2 is the primary engine)."""

from myoclamp.de.pipeline import PLOTS, write_design
from myoclamp.logs import rule_logging

out = snakemake.output
# the outputs this job has (a Namedlist: `in` would test its files, not its names)
kinds = [
    k
    for k in ("tsv", "meta", "detectable", "distribution", *PLOTS)
    if k in out.keys()  # noqa: SIM118
]
outputs = {
    contrast: {kind: getattr(out, kind)[i] for kind in kinds}
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
