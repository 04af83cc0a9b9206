"""report_html: results/report.html, one self-contained file."""

from myoclamp.logs import rule_logging
from myoclamp.report.pipeline import write_report
from myoclamp.report.render import ReportInputs

inp = snakemake.input
inputs = ReportInputs(
    adata=inp.adata,
    command=snakemake.params.command,
    qc_samples=inp.qc_samples,
    qc_figures=list(inp.qc_figures),
    de_summary=inp.de_summary,
    de_tables=list(inp.de_tables),
    de_figures=list(inp.de_figures),
    detectable_tables=list(inp.detectable_tables),
    enrichment_tables=list(inp.enrichment_tables),
    enrichment_figures=list(inp.enrichment_figures),
    clinical_tables=list(inp.clinical_tables),
    clinical_figures=list(inp.clinical_figures),
    manifest=inp.manifest,
    equivalence_figure=next(iter(snakemake.output.equivalence), None),
    concordance=inp.concordance[0] if inp.concordance else None,
)
with rule_logging(snakemake.log[0], snakemake.rule, snakemake.threads):
    write_report(inputs, snakemake.params.settings, snakemake.output.html)
