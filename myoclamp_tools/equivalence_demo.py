"""Equivalence, detectable effects, sets and the M-value on a demo trial, without the workflow.

The workflow writes all of it (the DE jobs' equivalence columns and detectable tables, the
clinical jobs' set and M-value tests, the report's statement and figure); this runs the same
functions on the DE stage's own fit of the ``treatment`` design (the demo's samples planted as
defective left out, as QC would), for the simulations, the R comparison and a quick look at a
generated trial. Used by ``scripts/equivalence_demo.py`` and by the tests.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import anndata as ad
import numpy as np
import pandas as pd
import yaml

from myoclamp.clinical.endpoints import endpoint_table
from myoclamp.clinical.set_equivalence import log2_normalised, set_equivalence
from myoclamp.clinical.settings import clinical_settings
from myoclamp.de.contrast_equivalence import arm_sizes
from myoclamp.de.fit import Fit
from myoclamp.de.settings import de_settings
from myoclamp.enrichment.genesets import BUNDLED, load_collections
from myoclamp.io import write_tsv
from myoclamp.qc.normalise import normalised_counts, size_factors
from myoclamp.report.equivalence import (
    endpoint_rows,
    equivalence_plot,
    equivalence_sentence,
    equivalence_summary,
)
from myoclamp_tools.rcompare import DEMO_CONFIG, demo_adata

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[1]
BUNDLED_DEMO = ROOT / "resources" / "demo"
#: the schema's default equivalence margin (log2; ``de.equivalence_margin``)
MARGIN = float(de_settings(None)["equivalence_margin"])
#: the bundled demo's own config (levels, clinical section, genes of interest, engine)
WORKFLOW_CONFIG = yaml.safe_load((ROOT / "config.yaml").read_text())


def bundled_paths(directory: str | Path = BUNDLED_DEMO) -> dict[str, Path]:
    """Paths of a demo directory in the names of ``myoclamp_tools.demo.generate``."""
    d = Path(directory)
    return {
        "counts": d / "counts.tsv.gz",
        "samples": d / "samples.tsv",
        "clinical": d / "clinical.tsv",
        "truth_genes": d / "truth" / "genes.tsv",
        "truth_samples": d / "truth" / "samples.tsv",
    }


def demo_config(clinical: dict | None = None, **de: object) -> dict:
    """The bundled config's levels, clinical section and DE settings (``de`` and ``clinical``
    override keys, e.g. ``equivalence_margin=0.4`` or ``clinical={"m_value_margin": 0.5}``)."""
    cfg = {k: WORKFLOW_CONFIG[k] for k in ("levels", "clinical")}
    cfg["clinical"] = {**cfg["clinical"], **(clinical or {})}
    cfg["inputs"] = {"clinical": "clinical.tsv"}
    cfg["de"] = {**WORKFLOW_CONFIG["de"], **DEMO_CONFIG["de"], "shrink": False, **de}
    return cfg


def demo_sheets(paths: dict[str, Path]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The demo's sample sheet and clinical table in canonical names (no validation needed)."""
    samples = pd.read_csv(paths["samples"], sep="\t", dtype=str)
    clinical = pd.read_csv(paths["clinical"], sep="\t", dtype={"participant": str, "visit": str})
    return samples, clinical


def log2_expression(adata: ad.AnnData, genes: pd.Index) -> pd.DataFrame:
    """``log2(normalised count + 1)`` (the QC stage's ``normalized`` layer: median-of-ratios
    size factors over every sample) with ``genes`` kept."""
    x = np.asarray(adata.X, dtype=float)
    values = log2_normalised(normalised_counts(x, size_factors(x)))
    return pd.DataFrame(values, index=adata.obs_names, columns=adata.var_names)[genes]


@dataclass
class EquivalenceRun:
    """Every table of one run, the statement and the settings used."""

    de: pd.DataFrame  # the contrast table with its equivalence columns
    detectable: pd.DataFrame
    distribution: pd.DataFrame
    sets: pd.DataFrame
    endpoint: pd.DataFrame  # endpoints.tsv rows with a margin (the M-value)
    statement: str
    settings: dict = field(default_factory=dict)


def run_equivalence(
    adata: ad.AnnData,
    samples: pd.DataFrame,
    clinical: pd.DataFrame,
    config: dict,
    *,
    n_cpus: int = 1,
    fit: Fit | None = None,
) -> EquivalenceRun:
    """Fit ``treatment`` (unless ``fit`` is given) and compute every equivalence table, with the
    workflow's functions and ``config``'s settings (``de.equivalence_margin``, ``de.power``,
    ``clinical.m_value_margin``)."""
    from myoclamp.de.pipeline import contrast_table, fit_from_adata, with_equivalence

    de = de_settings(config)
    if fit is None:
        fit = fit_from_adata(adata, "treatment", config, n_cpus=n_cpus)
    table, meta = contrast_table(fit, "treatment", config, n_cpus=n_cpus)
    table, detect, dist = with_equivalence(fit, "treatment", config, table, meta)
    alpha = float(de["alpha"])
    cfg = clinical_settings(config)
    expr = log2_expression(adata, pd.Index(fit.dds.var_names))
    gene_sets = load_collections({"muscle": ROOT / "resources" / BUNDLED["muscle"]})
    sets = set_equivalence(
        expr, adata.obs, adata.var["symbol"], gene_sets, cfg, float(de["equivalence_margin"]),
        alpha=alpha,
    )  # fmt: skip
    ends = endpoint_rows(endpoint_table(samples, clinical, cfg))
    endpoint = ends if ends is not None else pd.DataFrame()
    summary = equivalence_summary(table, sets, endpoint, alpha)
    n_ref, n_test = arm_sizes(fit.design, cfg.arm_ref, cfg.arm_test)
    settings = {
        **meta["equivalence"],
        "m_value_margin": cfg.m_value_margin,
        "wald_distribution": de["wald_distribution"],
        "wald_df": meta.get("wald_df"),
        "n_reference": n_ref,
        "n_test": n_test,
    }
    return EquivalenceRun(
        de=table,
        detectable=detect,
        distribution=dist,
        sets=sets,
        endpoint=endpoint,
        statement=equivalence_sentence(summary),
        settings=settings,
    )


def write_run(run: EquivalenceRun, out: str | Path) -> dict[str, Path]:
    """Write the tables, the statement and the figure of a run into ``out``."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    paths = {
        "de": out / "treatment.tsv",
        "detectable": out / "treatment.detectable.tsv",
        "distribution": out / "treatment.distribution.tsv",
        "sets": out / "sets_equivalence.tsv",
        "endpoint": out / "m_value_equivalence.tsv",
        "statement": out / "statement.txt",
        "plot": out / "equivalence.png",
    }
    write_tsv(run.de, paths["de"])
    write_tsv(run.detectable, paths["detectable"])
    write_tsv(run.distribution, paths["distribution"])
    write_tsv(run.sets, paths["sets"])
    write_tsv(run.endpoint, paths["endpoint"])
    paths["statement"].write_text(run.statement + "\n")
    equivalence_plot(run.de, paths["plot"], sets=run.sets, endpoint=run.endpoint)
    return paths


def bundled_run(**kwargs) -> EquivalenceRun:
    """:func:`run_equivalence` on the bundled demo (null treatment) with its own config."""
    paths = bundled_paths()
    samples, clinical = demo_sheets(paths)
    return run_equivalence(demo_adata(paths), samples, clinical, demo_config(), **kwargs)
