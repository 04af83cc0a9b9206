"""Power of the gene-set tests on the demo truth (``myoclamp_tools.demo``).

- ``insulin`` (bundled demo, ``resources/demo``): the curated CLAMP_RESPONSE_UP,
  CLAMP_RESPONSE_DOWN and INSULIN_REGULATED_TFS sets; the ``insulin_groups`` contrasts too.
- ``treatment``: the demo generated with the treatment switch on (same seed as the bundled one),
  which changes only the 40 planted genes (``effects.TREATMENT_GENES``) in the week-13 anakinra
  biopsies. The planted genes as one set (collection ``planted``), and the GO BP sets by the
  share of their tested genes that are planted: found ones with planted genes are hits, found
  ones without any planted gene are false (nothing else changed). The same on the bundled demo
  (switch off) counts false calls of a null treatment.
- ``m_value``: expression vs M-value at baseline (clamp participants' basal biopsies,
  covariates age, sex, BMI, site as in ``config.yaml``): the curated OXPHOS set (nuclear OXPHOS
  genes are planted to correlate with M).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from myoclamp.adata import counts_frame
from myoclamp.clinical.samples import baseline_samples
from myoclamp.clinical.settests import association_set_tests
from myoclamp.clinical.settings import clinical_settings
from myoclamp.config import section
from myoclamp.de.design import build_design
from myoclamp.enrichment.genesets import GeneSets
from myoclamp.enrichment.settests import set_tests
from myoclamp_tools.demo.effects import TREATMENT_GENES
from myoclamp_tools.rcompare import DEMO_CONFIG, demo_adata

CURATED_INSULIN = ("CLAMP_RESPONSE_UP", "CLAMP_RESPONSE_DOWN", "INSULIN_REGULATED_TFS")
CONFIG = {
    **DEMO_CONFIG,
    "de": {"designs": ["treatment", "insulin", "insulin_groups"]},
    "inputs": {"clinical": "clinical.tsv"},
    "clinical": {"m_value": "m_value", "covariates": ["age", "sex", "bmi", "site"]},
}
SHOW = [
    "set",
    "description",
    "collection",
    "size",
    "direction",
    "camera_correlation",
    "camera_FDR",
    "permutation_pvalue",
    "permutation_FDR",
    "enriched",
]


def demo_files(directory: str | Path) -> dict[str, Path]:
    """Paths of a demo cohort directory (bundled ``resources/demo`` or ``generate``'s output)."""
    d = Path(directory)
    return {
        "samples": d / "samples.tsv",
        "counts": d / "counts.tsv.gz",
        "clinical": d / "clinical.tsv",
        "truth_samples": d / "truth" / "samples.tsv",
        "truth_genes": d / "truth" / "genes.tsv",
    }


def demo_with_clinical(paths: dict[str, Path]):
    """The demo as AnnData (defective samples excluded) with site and the clinical columns."""
    adata = demo_adata(paths)
    sheet = pd.read_csv(paths["samples"], sep="\t", dtype=str).set_index("sample")
    clinical = pd.read_csv(paths["clinical"], sep="\t", dtype={"participant": str, "visit": str})
    obs = adata.obs.copy()
    obs["site"] = sheet["site"].reindex(obs.index).to_numpy()
    keys = pd.MultiIndex.from_arrays([obs["participant"].astype(str), obs["visit"].astype(str)])
    clin = clinical.set_index(["participant", "visit"]).reindex(keys)
    for col in ("age", "sex", "bmi", "m_value"):
        obs[col] = clin[col].to_numpy()
    adata.obs = obs
    return adata


SEED = int(section(None, "seed"))


def contrast_sets(
    adata, design_name: str, contrast: str, sets: GeneSets, cfg=None, threads: int = 1
):
    """The set-test table and metadata of one DE contrast of the demo (``cfg``: enrichment
    settings over the schema's defaults; seed: the schema's)."""
    design = build_design(adata.obs, design_name, CONFIG)
    return set_tests(
        counts_frame(adata),
        design,
        contrast,
        sets,
        cfg,
        symbols=adata.var["symbol"],
        seed=SEED,
        threads=threads,
    )


def m_value_sets(adata, sets: GeneSets, cfg=None, threads: int = 1):
    """The set-test table and metadata of expression vs M-value at baseline."""
    obs, cov, _ = baseline_samples(adata.obs, clinical_settings(CONFIG))
    counts = counts_frame(adata, obs.index)
    return association_set_tests(
        counts,
        obs,
        obs["m_value"].to_numpy(float),
        cov,
        sets,
        cfg,
        symbols=adata.var["symbol"],
        seed=SEED,
        threads=threads,
    )


def with_planted_set(sets: GeneSets, planted: list[str]) -> GeneSets:
    """``sets`` plus the planted treatment genes as one set in collection ``planted``."""
    out = GeneSets(dict(sets.genes), dict(sets.collection), dict(sets.description))
    out.add("PLANTED_TREATMENT_GENES", planted, "planted", "the demo's planted treatment genes")
    return out


def planted_share(table: pd.DataFrame, sets: GeneSets, planted: set[str], tested: set[str]):
    """Per set: number and share of its tested genes that are planted."""
    hits, share = [], []
    for name in table["set"]:
        genes = set(sets.genes[name]) & tested
        k = len(genes & planted)
        hits.append(k)
        share.append(k / len(genes) if genes else 0.0)
    return table.assign(planted=hits, planted_share=share)


def treatment_summary(table: pd.DataFrame, min_share: float = 0.1) -> dict[str, float]:
    """GO BP sets with planted genes: how many are found; how many found sets have none."""
    go = table[table["collection"] == "go_bp"]
    rich = go[(go["planted"] >= 3) & (go["planted_share"] >= min_share)]
    return {
        f"go_bp_sets_planted>=3_share>={min_share:g}": len(rich),
        "of_which_enriched": int(rich["enriched"].sum()),
        "of_which_camera_fdr05": int((rich["camera_FDR"] < 0.05).sum()),
        "of_which_permutation_fdr05": int((rich["permutation_FDR"] < 0.05).sum()),
        "go_bp_enriched": int(go["enriched"].sum()),
        "go_bp_enriched_with_planted": int((go["enriched"] & (go["planted"] > 0)).sum()),
        "go_bp_enriched_without_planted": int((go["enriched"] & (go["planted"] == 0)).sum()),
        "go_bp_camera_fdr05_without_planted": int(
            ((go["camera_FDR"] < 0.05) & (go["planted"] == 0)).sum()
        ),
    }


def m_value_genes(truth_genes: Path) -> list[str]:
    """Genes planted to correlate with the M-value (non-zero ``m_value_log2fc_per_sd``)."""
    truth = pd.read_csv(truth_genes, sep="\t", usecols=["gene", "m_value_log2fc_per_sd"])
    return truth.loc[truth["m_value_log2fc_per_sd"] != 0, "gene"].tolist()


def m_value_summary(table: pd.DataFrame) -> dict[str, int]:
    """Enriched GO BP sets with and without genes planted to correlate with the M-value."""
    go = table[table["collection"] == "go_bp"]
    return {
        "go_bp_enriched": int(go["enriched"].sum()),
        "go_bp_enriched_with_planted": int((go["enriched"] & (go["planted"] > 0)).sum()),
        "go_bp_enriched_without_planted": int((go["enriched"] & (go["planted"] == 0)).sum()),
        "go_bp_camera_fdr05": int((go["camera_FDR"] < 0.05).sum()),
    }


def planted_genes(truth_genes: Path) -> list[str]:
    """The treatment genes planted in a generated cohort (non-zero ``treatment_log2fc``)."""
    truth = pd.read_csv(truth_genes, sep="\t", usecols=["gene", "treatment_log2fc"])
    genes = truth.loc[truth["treatment_log2fc"] != 0, "gene"].tolist()
    missing = set(genes) - set(TREATMENT_GENES)
    if missing:
        raise ValueError(f"unexpected planted treatment genes: {sorted(missing)[:5]}")
    return genes
