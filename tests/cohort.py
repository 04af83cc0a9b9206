"""A tiny trial cohort written in each input format the workflow accepts (test fixtures)."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

MITO = ["RNR1", "RNR2", "COX1", "COX2", "ND4", "CYTB", "ATP6"]
NAMED = [
    "TTN",
    "NEB",
    "MYH7",
    "MYH1",
    "MYH2",
    "ACTA1",
    "CKM",
    "GAPDH",
    "SLC2A4",
    "PDK4",
    "TXNIP",
    "HK2",
    "XIST",
    "RPS4Y1",
    "DDX3Y",
    "KDM5D",
    "UTY",
    "EIF1AY",
    "RPL13A",
    "RPS27A",
    "FOS",
    "EGR1",
    "JUN",  # negative-control genes of de.unwanted (biopsy stress)
    "DUSP1",
    "ZFP36",
    "IER2",
]

#: the real Ensembl ids of the control genes (so that featureCounts' bare ids find them too)
CONTROL_IDS = {
    "JUN": "ENSG00000177606",
    "DUSP1": "ENSG00000120129",
    "ZFP36": "ENSG00000128016",
    "IER2": "ENSG00000160888",
}


def cohort_tables(n_participants: int = 8, n_genes: int = 200, seed: int = 1) -> dict:
    """Counts (genes x samples), sample sheet and clinical table of a small two-arm clamp trial."""
    rng = np.random.default_rng(seed)
    genes = MITO + NAMED + [f"GENE{i:04d}" for i in range(n_genes - len(MITO) - len(NAMED))]
    ensembl = [
        f"{CONTROL_IDS.get(g, f'ENSG{900000 + i:011d}')}.{1 + i % 3}" for i, g in enumerate(genes)
    ]
    rows, clin = [], []
    for p in range(n_participants):
        pid = f"P{p + 1:02d}"
        arm = "placebo" if p % 2 == 0 else "anakinra"
        sex = "F" if p % 3 == 0 else "M"
        for visit in ("baseline", "week13"):
            for clamp in ("basal", "insulin"):
                rows.append(
                    {
                        "sample": f"{pid}_{visit[:2]}_{clamp[:3]}",
                        "participant": pid,
                        "arm": arm,
                        "visit": visit,
                        "clamp": clamp,
                        "site": f"site{1 + p % 2}",
                    }
                )
            clin.append(
                {
                    "participant": pid,
                    "visit": visit,
                    "age": 60 + p,
                    "sex": sex,
                    "bmi": 31.0 + p / 10,
                    "hba1c": 7.5 - (0.4 if arm == "anakinra" and visit == "week13" else 0),
                    "m_value": 4.0 + p / 5 if p != 3 else None,
                }
            )
    samples = pd.DataFrame(rows)
    base = rng.lognormal(3, 2, size=len(genes))
    person = rng.normal(0, 0.2, size=(n_participants, len(genes)))
    idx = [int(s["participant"][1:]) - 1 for _, s in samples.iterrows()]
    mu = base[None, :] * np.exp(person[idx])
    counts = rng.negative_binomial(10, 10 / (10 + mu)).T
    table = pd.DataFrame(counts, index=genes, columns=samples["sample"])
    return {"counts": table, "samples": samples, "clinical": pd.DataFrame(clin), "ensembl": ensembl}


def write_cohort(
    root: Path, fmt: str = "matrix", n_participants: int = 8, n_genes: int = 200, seed: int = 1
) -> Path:
    """Write the cohort's inputs and a config for ``fmt``; return the config path."""
    root.mkdir(parents=True, exist_ok=True)
    t = cohort_tables(n_participants, n_genes, seed)
    counts, samples = t["counts"], t["samples"]
    samples.to_csv(root / "samples.tsv", sep="\t", index=False)
    t["clinical"].to_csv(root / "clinical.csv", index=False)
    if fmt == "matrix":
        path = root / "counts.csv.gz"
        counts.rename_axis("gene").to_csv(path)
    elif fmt == "featurecounts":
        path = root / "featureCounts.txt"
        chrom = ["chrM" if g in MITO else "chr1" for g in counts.index]
        ann = pd.DataFrame(
            {
                "Geneid": t["ensembl"],
                "Chr": chrom,
                "Start": 1,
                "End": 1000,
                "Strand": "+",
                "Length": 1000,
            }
        )
        bams = [f"/data/star/{s}.sorted.bam" for s in counts.columns]
        body = pd.concat([ann, pd.DataFrame(counts.to_numpy(), columns=bams)], axis=1)
        with open(path, "w") as fh:
            fh.write('# Program:featureCounts v2.0.6; Command:"featureCounts" "-a" "genes.gtf"\n')
            body.to_csv(fh, sep="\t", index=False)
    elif fmt == "nfcore":
        path = root / "salmon.merged.gene_counts.tsv"
        est = counts.to_numpy() + np.where(counts.to_numpy() > 0, 0.37, 0.0)
        body = pd.DataFrame(est, columns=counts.columns)
        body.insert(0, "gene_name", counts.index)
        body.insert(0, "gene_id", t["ensembl"])
        body.to_csv(path, sep="\t", index=False, float_format="%.3f")
    else:
        raise ValueError(fmt)
    config = {
        "cohort": f"test cohort ({fmt})",
        "inputs": {
            "counts": str(path),
            "format": fmt,
            "samples": str(root / "samples.tsv"),
            "clinical": str(root / "clinical.csv"),
        },
        "columns": {
            "sample": "sample",
            "participant": "participant",
            "arm": "arm",
            "visit": "visit",
            "clamp": "clamp",
            "site": "site",
            "sex": "sex",
        },
        "levels": {
            "arm": {"reference": "placebo", "test": "anakinra"},
            "visit": {"baseline": "baseline", "followup": "week13"},
            "clamp": {"basal": "basal", "insulin": "insulin"},
        },
        "clinical": {
            "m_value": "m_value",
            "variables": ["hba1c", "m_value", "bmi"],
            "covariates": ["age", "sex", "bmi", "site"],
        },
    }
    cfg = root / "config.yaml"
    cfg.write_text(yaml.safe_dump(config, sort_keys=False))
    return cfg


def gzip_text(path: Path, text: str) -> Path:
    with gzip.open(path, "wt") as fh:
        fh.write(text)
    return path


def bundled_config(root: Path) -> Path:
    """The bundled config.yaml with its input paths made absolute (runs in any directory)."""
    repo = Path(__file__).resolve().parents[1]
    config = yaml.safe_load((repo / "config.yaml").read_text())
    for key in ("counts", "samples", "clinical"):
        config["inputs"][key] = str(repo / config["inputs"][key])
    root.mkdir(parents=True, exist_ok=True)
    cfg = root / "config.yaml"
    cfg.write_text(yaml.safe_dump(config, sort_keys=False))
    return cfg


def demo_config(root: Path, overrides: dict | None = None, **generate_kwargs) -> Path:
    """A small demo trial (myoclamp_tools.demo) with the bundled config pointed at it.

    ``overrides`` maps top-level config sections to keys replaced in them (e.g. a lean
    ``{"de": {"shrink": False}}`` for fast integration tests).
    """
    from myoclamp_tools.demo import generate

    paths = generate(root / "demo", **generate_kwargs)
    config = yaml.safe_load((Path(__file__).resolve().parents[1] / "config.yaml").read_text())
    for key in ("counts", "samples", "clinical"):
        config["inputs"][key] = str(paths[key])
    for section, values in (overrides or {}).items():
        if isinstance(values, dict):
            config.setdefault(section, {}).update(values)
        else:
            config[section] = values
    cfg = root / "config.yaml"
    cfg.write_text(yaml.safe_dump(config, sort_keys=False))
    return cfg


# A fast configuration for integration tests of the whole workflow on a small demo trial.
LEAN = {
    "de": {"designs": ["treatment", "insulin"], "shrink": False},
    "enrichment": {"collections": ["muscle"], "permutations": 200},
    "clinical": {"covariates": ["sex"]},
}
