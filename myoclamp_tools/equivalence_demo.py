"""Equivalence, detectable effects, sets and the M-value on a demo trial, end to end.

Until the lead wires these into rules, this runs the new functions on the DE stage's own fit of
the ``treatment`` design (the demo's samples planted as defective left out, as QC would): the
equivalence table, the detectable effects of the genes of interest and genome-wide, the curated
muscle sets, the M-value, the report's statement and figure. Used by
``scripts/equivalence_demo.py`` and by the tests.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import anndata as ad
import numpy as np
import pandas as pd
import yaml

from myoclamp.clinical.equivalence import DEFAULT_M_VALUE_MARGIN, endpoint_equivalence
from myoclamp.clinical.set_equivalence import log2_normalised, set_equivalence
from myoclamp.clinical.settings import clinical_settings
from myoclamp.de.equivalence import DEFAULT_MARGIN, equivalence_table
from myoclamp.de.fit import Fit
from myoclamp.de.power import DEFAULT_POWER, detectable_distribution, detectable_table
from myoclamp.de.settings import de_settings
from myoclamp.de.stats import wald_df
from myoclamp.enrichment.genesets import BUNDLED, load_collections
from myoclamp.io import write_tsv
from myoclamp.qc.normalise import normalised_counts, size_factors
from myoclamp.report.equivalence import (
    equivalence_plot,
    equivalence_sentence,
    equivalence_summary,
)
from myoclamp_tools.rcompare import DEMO_CONFIG, demo_adata

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[1]
BUNDLED_DEMO = ROOT / "resources" / "demo"
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


def demo_config(**de: object) -> dict:
    """The bundled config's levels, clinical section and DE settings (``de`` overrides)."""
    cfg = {k: WORKFLOW_CONFIG[k] for k in ("levels", "clinical")}
    cfg["inputs"] = {"clinical": "clinical.tsv"}
    cfg["de"] = {**WORKFLOW_CONFIG["de"], **DEMO_CONFIG["de"], "shrink": False, **de}
    return cfg


def demo_sheets(paths: dict[str, Path]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The demo's sample sheet and clinical table in canonical names (no validation needed)."""
    samples = pd.read_csv(paths["samples"], sep="\t", dtype=str)
    clinical = pd.read_csv(paths["clinical"], sep="\t", dtype={"participant": str, "visit": str})
    return samples, clinical


def arm_sizes(fit: Fit, config: dict) -> tuple[int, int]:
    """Participants per arm (reference, test) in the fitted design."""
    meta = fit.design.metadata.loc[fit.design.matrix.index]
    per_arm = meta.drop_duplicates("participant")["arm"].astype(str).value_counts()
    levels = config["levels"]["arm"]
    return int(per_arm.get(str(levels["reference"]), 0)), int(per_arm.get(str(levels["test"]), 0))


def log2_expression(adata: ad.AnnData, genes: pd.Index) -> pd.DataFrame:
    """``log2(normalised count + 1)`` (the QC stage's ``normalized`` layer: median-of-ratios
    size factors over every sample) with ``genes`` kept."""
    x = np.asarray(adata.X, dtype=float)
    values = log2_normalised(normalised_counts(x, size_factors(x)))
    return pd.DataFrame(values, index=adata.obs_names, columns=adata.var_names)[genes]


@dataclass
class EquivalenceRun:
    """Every table of one run, the statement and the settings used."""

    de: pd.DataFrame
    genes: pd.DataFrame
    detectable: pd.DataFrame
    distribution: pd.DataFrame
    sets: pd.DataFrame
    endpoint: pd.DataFrame
    statement: str
    settings: dict = field(default_factory=dict)


def run_equivalence(
    adata: ad.AnnData,
    samples: pd.DataFrame,
    clinical: pd.DataFrame,
    config: dict,
    *,
    margin: float = DEFAULT_MARGIN,
    m_value_margin: float = DEFAULT_M_VALUE_MARGIN,
    fold_change: float = DEFAULT_MARGIN,
    target_power: float = DEFAULT_POWER,
    n_cpus: int = 1,
    fit: Fit | None = None,
) -> EquivalenceRun:
    """Fit ``treatment`` (unless ``fit`` is given) and compute every equivalence table."""
    from myoclamp.de.pipeline import contrast_table, fit_from_adata

    de = de_settings(config)
    if fit is None:
        fit = fit_from_adata(adata, "treatment", config, n_cpus=n_cpus)
    table, _ = contrast_table(fit, "treatment", config, n_cpus=n_cpus)
    df = wald_df(fit.dds) if de["wald_distribution"] == "t" else None
    goi = list(de["genes_of_interest"])
    alpha = float(de["alpha"])
    genes = equivalence_table(
        table,
        margin,
        df=df,
        alpha=alpha,
        genes_of_interest=goi,
        independent_filter=bool(de["independent_filter"]),
    )
    n_ref, n_test = arm_sizes(fit, config)
    detect = detectable_table(
        table,
        n_ref=n_ref,
        n_test=n_test,
        df=df,
        margin=margin,
        fold_change=fold_change,
        alpha=alpha,
        target=target_power,
        genes_of_interest=goi,
    )
    dist = detectable_distribution(table, df=df, margin=margin, alpha=alpha, target=target_power)
    cfg = clinical_settings(config)
    expr = log2_expression(adata, pd.Index(fit.dds.var_names))
    gene_sets = load_collections({"muscle": ROOT / "resources" / BUNDLED["muscle"]})
    sets = set_equivalence(
        expr, adata.obs, adata.var["symbol"], gene_sets, cfg, margin, alpha=alpha
    )
    endpoint = endpoint_equivalence(
        samples, clinical, cfg, cfg.m_value or "m_value", m_value_margin, alpha
    )
    summary = equivalence_summary(genes, sets, endpoint, alpha)
    settings = {
        "margin": margin,
        "m_value_margin": m_value_margin,
        "fold_change": fold_change,
        "power": target_power,
        "alpha": alpha,
        "wald_distribution": de["wald_distribution"],
        "wald_df": df,
        "n_reference": n_ref,
        "n_test": n_test,
    }
    return EquivalenceRun(
        de=table,
        genes=genes,
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
        "genes": out / "treatment.equivalence.tsv",
        "detectable": out / "treatment.detectable.tsv",
        "distribution": out / "treatment.detectable_distribution.tsv",
        "sets": out / "sets_equivalence.tsv",
        "endpoint": out / "m_value_equivalence.tsv",
        "statement": out / "statement.txt",
        "plot": out / "equivalence.png",
    }
    write_tsv(run.genes, paths["genes"])
    write_tsv(run.detectable, paths["detectable"])
    write_tsv(run.distribution, paths["distribution"])
    write_tsv(run.sets, paths["sets"])
    write_tsv(run.endpoint, paths["endpoint"])
    paths["statement"].write_text(run.statement + "\n")
    equivalence_plot(run.genes, paths["plot"], sets=run.sets, endpoint=run.endpoint)
    return paths


def bundled_run(**kwargs) -> EquivalenceRun:
    """:func:`run_equivalence` on the bundled demo (null treatment) with its own config."""
    paths = bundled_paths()
    samples, clinical = demo_sheets(paths)
    return run_equivalence(demo_adata(paths), samples, clinical, demo_config(), **kwargs)
