"""Step functions of the report rules (see myoclamp.steps)."""

from __future__ import annotations

from pathlib import Path

from myoclamp.io import atomic_path, write_h5ad
from myoclamp.report.assemble import assemble
from myoclamp.report.render import ReportInputs, render


def report_h5ad(smk) -> None:
    """Write results/myoclamp.h5ad: the whole analysis in one AnnData."""
    adata = assemble(
        qc_h5ad=smk.input.qc,
        de_tables=list(smk.input.de_tables),
        de_summary=smk.input.de_summary,
        enrichment_tables=list(smk.input.enrichment_tables),
        clinical_tables=list(smk.input.clinical_tables),
        config=smk.config,
        command=smk.params.command,
    )
    write_h5ad(adata, smk.output.h5ad)


def report_html(smk) -> None:
    """Write results/report.html: one self-contained file."""
    inputs = ReportInputs(
        adata=smk.input.h5ad,
        qc_samples=smk.input.qc_samples,
        qc_figures=list(smk.input.qc_figures),
        de_summary=smk.input.de_summary,
        de_tables=list(smk.input.de_tables),
        de_figures=list(smk.input.de_figures),
        enrichment_tables=list(smk.input.enrichment_tables),
        enrichment_figures=list(smk.input.enrichment_figures),
        clinical_tables=list(smk.input.clinical_tables),
        clinical_figures=list(smk.input.clinical_figures),
        manifest=smk.input.manifest,
    )
    page = render(inputs, smk.config)
    with atomic_path(smk.output.html) as tmp:
        Path(tmp).write_text(page, encoding="utf-8")
