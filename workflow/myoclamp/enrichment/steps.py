"""Rule steps of the enrichment stage: each unpacks ``smk`` and calls one tested function."""

from __future__ import annotations

from myoclamp.enrichment.pipeline import write_gsea, write_ora, write_plots


def enrichment_gsea(smk) -> None:
    """GSEA prerank of one contrast."""
    write_gsea(smk.input.de, dict(smk.params.gmt), smk.output.tsv, smk.config, smk.threads)


def enrichment_ora(smk) -> None:
    """Over-representation of the up and down genes of one contrast."""
    write_ora(smk.input.de, dict(smk.params.gmt), smk.output.tsv, smk.config)


def enrichment_plots(smk) -> None:
    """Dot plot and running-sum plots of one contrast."""
    outputs = {k: getattr(smk.output, k) for k in ("dot", "running_top", "running_curated")}
    write_plots(smk.input.de, smk.input.gsea, dict(smk.params.gmt), outputs, smk.config,
                smk.wildcards.contrast)  # fmt: skip
