"""Rule steps of the clinical stage: each unpacks ``smk`` and calls one tested function."""

from __future__ import annotations

from myoclamp.clinical.pipeline import (
    write_change,
    write_endpoints,
    write_genes,
    write_plots,
    write_sets,
)


def clinical_endpoints(smk) -> None:
    """Endpoints by arm and visit, and the ANCOVA arm effect."""
    write_endpoints(smk.config, smk.output.tsv)


def clinical_genes(smk) -> None:
    """Per-gene expression vs M-value at baseline (pydeseq2 and partial Spearman)."""
    write_genes(smk.input.adata, smk.config, smk.output.tsv, smk.output.meta, smk.threads)


def clinical_sets(smk) -> None:
    """Set scores vs M-value and GSEA prerank of the per-gene statistic."""
    outputs = {"sets": smk.output.tsv, "gsea": smk.output.gsea, "meta": smk.output.meta}
    write_sets(smk.input.adata, smk.input.genes, dict(smk.params.gmt), smk.config, outputs,
               smk.threads)  # fmt: skip


def clinical_change(smk) -> None:
    """Change in expression vs change in M-value, per gene and per set."""
    outputs = {"genes": smk.output.genes, "sets": smk.output.sets, "meta": smk.output.meta}
    write_change(smk.input.adata, dict(smk.params.gmt), smk.config, outputs)


def clinical_plots(smk) -> None:
    """Scatter plots of top genes and curated set scores against the M-value."""
    outputs = {"genes": smk.output.genes, "sets": smk.output.sets}
    write_plots(smk.input.adata, smk.input.genes, smk.input.sets, dict(smk.params.gmt),
                smk.config, outputs)  # fmt: skip
