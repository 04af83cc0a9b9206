"""report_h5ad: the whole analysis in one AnnData, results/myoclamp.h5ad."""

from myoclamp.logs import rule_logging
from myoclamp.report.pipeline import write_h5ad_result

inp = snakemake.input
with rule_logging(snakemake.log[0], snakemake.rule, snakemake.threads):
    write_h5ad_result(
        qc_h5ad=inp.qc,
        de_tables=list(inp.de_tables),
        de_summary=inp.de_summary,
        enrichment_tables=list(inp.enrichment_tables),
        clinical_tables=list(inp.clinical_tables),
        config=snakemake.params.settings,
        command=snakemake.params.command,
        out=snakemake.output.h5ad,
        detectable_tables=list(inp.detectable_tables),
        other_de_tables=list(inp.other_de_tables),
        concordance=inp.concordance[0] if inp.concordance else None,
    )
