"""enrichment_<design>: for each contrast of one DE design, gene-set tests (camera + permutation,
the enriched call), GSEA prerank of its DE statistic (ranking only) and the plots."""

from myoclamp.enrichment.pipeline import write_design_enrichment
from myoclamp.logs import rule_logging

inp, out = snakemake.input, snakemake.output
contrasts = snakemake.params.contrasts
kinds = ("sets", "meta", "prerank", "dot", "running_top", "running_curated")
with rule_logging(snakemake.log[0], snakemake.rule, snakemake.threads):
    write_design_enrichment(
        inp.adata,
        inp.design,
        {c: {"meta": inp.meta[i], "de": inp.de[i]} for i, c in enumerate(contrasts)},
        dict(snakemake.params.gmt),
        snakemake.params.settings,
        {c: {k: getattr(out, k)[i] for k in kinds} for i, c in enumerate(contrasts)},
        threads=snakemake.threads,
    )
