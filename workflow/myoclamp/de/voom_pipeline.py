"""The voom engine's rule, ``de_voom_<design>``: fit one design, write each of its contrasts.

Apart from :mod:`myoclamp.de.pipeline` (the DESeq2 engine's rules and the stage's summary) so
that the job imports neither pydeseq2 nor, unless the engine is the primary one and draws the
contrast figures, matplotlib.
"""

from __future__ import annotations

import logging

import anndata as ad
from threadpoolctl import threadpool_limits

from myoclamp.de.contrast_equivalence import contrast_outputs
from myoclamp.de.settings import de_settings
from myoclamp.de.specs import contrast_specs
from myoclamp.de.voom_engine import fit_mixed_design, voom_table
from myoclamp.io import write_json, write_tsv

log = logging.getLogger(__name__)


def write_voom_design(
    adata_path: str,
    design: str,
    config: dict,
    outputs: dict[str, dict[str, str]],
    threads: int = 1,
) -> None:
    """Fit ``design`` on counts.h5ad with the voom engine and write each of its contrasts:
    ``outputs[contrast]`` names the contrast's ``tsv`` (with the equivalence columns) and ``meta``
    and, for the primary engine, the detectable effects (``detectable``, ``distribution``) and the
    figures of :data:`myoclamp.de.settings.CONTRAST_FIGURES`."""
    de = de_settings(config)
    between_arms = {s.name: s.between_arms for s in contrast_specs(config)}
    adata = ad.read_h5ad(adata_path)
    with threadpool_limits(limits=max(int(threads), 1)):
        built, fit = fit_mixed_design(adata, design, config)
        for contrast, paths in outputs.items():
            table, meta = voom_table(built, fit, contrast, adata.var, robust=de["voom"]["robust"])
            table, detect, dist = contrast_outputs(
                table, meta, built, between_arms[contrast], config
            )
            write_tsv(table, paths["tsv"])
            write_json(meta, paths["meta"])
            if "detectable" in paths:  # the primary engine's
                write_tsv(detect, paths["detectable"])
                write_tsv(dist, paths["distribution"])
            log.info(
                "contrast %s (voom): %d samples of %d participants (%d with one biopsy), "
                "%d genes tested, %d at padj < %g",
                contrast,
                meta["samples"],
                meta["participants"],
                meta["participants_one_biopsy"],
                int(table["padj"].notna().sum()),
                int((table["padj"] < de["alpha"]).sum()),
                de["alpha"],
            )
            if "volcano" in paths:
                from myoclamp.de import plots

                plots.contrast_figures(
                    table, meta, paths, alpha=de["alpha"], genes=list(de["genes_of_interest"])
                )
