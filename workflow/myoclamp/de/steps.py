"""Rule steps of the DE stage: each unpacks ``smk`` and calls one tested function."""

from __future__ import annotations

import anndata as ad

from myoclamp.de.fit import load_fit, save_fit
from myoclamp.de.pipeline import (
    PLOTS,
    fit_from_adata,
    write_contrast,
    write_genes_of_interest,
    write_summary,
)


def de_fit(smk) -> None:
    """Fit one design (``wildcards.design``) and pickle it."""
    adata = ad.read_h5ad(smk.input.adata)
    fit = fit_from_adata(adata, smk.wildcards.design, smk.config, n_cpus=smk.threads)
    save_fit(fit, smk.output.fit)


def de_contrast(smk) -> None:
    """Test one contrast on its design's fit: table, metadata and plots."""
    outputs = {"tsv": smk.output.tsv, "meta": smk.output.meta}
    outputs.update({name: getattr(smk.output, name) for name in PLOTS})
    fit = load_fit(smk.input.fit)
    write_contrast(fit, smk.wildcards.contrast, smk.config, outputs, n_cpus=smk.threads)


def de_summary(smk) -> None:
    """One row per contrast."""
    write_summary(list(smk.input.meta), list(smk.input.tsv), smk.output.tsv, smk.config)


def de_genes_of_interest(smk) -> None:
    """Trajectory panel of the genes of interest."""
    write_genes_of_interest(ad.read_h5ad(smk.input.adata), smk.config, smk.output.png)
