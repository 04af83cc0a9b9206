"""enrichment_contrast: gene-set tests of one contrast (camera + permutation, the enriched call),
GSEA prerank of its DE statistic (ranking only) and the plots."""

from myoclamp.enrichment.pipeline import write_enrichment
from myoclamp.logs import rule_logging

with rule_logging(snakemake.log[0], snakemake.rule, snakemake.threads):
    write_enrichment(
        {k: snakemake.input[k] for k in ("adata", "design", "meta", "de")},
        dict(snakemake.params.gmt),
        snakemake.params.settings,
        dict(snakemake.output.items()),
        contrast=snakemake.wildcards.contrast,
        threads=snakemake.threads,
    )
