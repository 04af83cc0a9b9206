"""de_summary: one row per contrast and engine, the engines' concordance, and the trajectories
of the genes of interest."""

from myoclamp.de.pipeline import write_overview
from myoclamp.logs import rule_logging

inp, out = snakemake.input, snakemake.output
with rule_logging(snakemake.log[0], snakemake.rule, snakemake.threads):
    write_overview(
        list(inp.meta),
        list(inp.tsv),
        inp.adata,
        snakemake.params.settings,
        out.tsv,
        out.genes_of_interest,
        other_metas=list(inp.other_meta),
        other_tables=list(inp.other_tsv),
        concordance=out.concordance[0] if out.concordance else None,
    )
