"""The report stage end to end, one function per rule."""

from __future__ import annotations

from pathlib import Path

from myoclamp.io import atomic_path, write_h5ad
from myoclamp.report.assemble import assemble
from myoclamp.report.render import ReportInputs, render


def write_h5ad_result(
    qc_h5ad: str,
    de_tables: list[str],
    de_summary: str | None,
    enrichment_tables: list[str],
    clinical_tables: list[str],
    config: dict,
    command: str,
    out: str,
    detectable_tables: list[str] = (),
    other_de_tables: list[str] = (),
    concordance: str | None = None,
) -> None:
    """Write ``results/myoclamp.h5ad``: the whole analysis in one AnnData (the second DE
    engine's tables and the engines' concordance too, when the run has them)."""
    adata = assemble(
        qc_h5ad=qc_h5ad,
        de_tables=de_tables,
        de_summary=de_summary,
        enrichment_tables=enrichment_tables,
        clinical_tables=clinical_tables,
        config=config,
        command=command,
        detectable_tables=detectable_tables,
        other_de_tables=other_de_tables,
        concordance=concordance,
    )
    write_h5ad(adata, out, compression="gzip")


def write_report(inputs: ReportInputs, config: dict, out: str) -> None:
    """Write ``results/report.html``: one self-contained file."""
    page = render(inputs, config)
    with atomic_path(out) as tmp:
        Path(tmp).write_text(page, encoding="utf-8")
