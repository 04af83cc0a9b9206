"""Generate the demo cohort and write its files (counts, sample sheet, clinical table, truth)."""

from __future__ import annotations

import gzip
import hashlib
import json
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from myoclamp.io import atomic_path, write_tsv
from myoclamp_tools.demo import cohort, counts, effects, params, truth

#: independent random streams, so switching the treatment effect or the gene count leaves the
#: design, clinical table and latent states unchanged
STREAMS = {"participants": 1, "samples": 2, "clinical": 3, "effects": 4, "genes": 5, "counts": 6}


def _rng(seed: int, stream: str) -> np.random.Generator:
    return np.random.default_rng([seed, STREAMS[stream]])


def select_genes(
    table: pd.DataFrame, gene_effects: pd.DataFrame, n_genes: int | None, rng: np.random.Generator
) -> np.ndarray:
    """Genes kept in the output (boolean mask in table order).

    All genes by default. With ``n_genes``: every planted gene (insulin, M-value, treatment, sex,
    fibre markers, immediate-early), the 200 most abundant and mitochondrial genes, then a random
    draw of the rest, 85 % from genes with a mean of 20+ reads.
    """
    n = len(table)
    if n_genes is None or n_genes >= n:
        return np.ones(n, dtype=bool)
    eff = gene_effects
    key = (
        (eff["insulin_log2fc_healthy"] != 0)
        | (eff["m_value_log2fc_per_sd"] != 0)
        | (eff["treatment_log2fc_if_on"] != 0)
        | (eff["female_log2fc"] != 0)
        | eff["ieg"]
        | table["gene"].isin(params.SLOW_GENES + params.FAST_GENES + effects.LONG_GENES).to_numpy()
        | table["gene"].isin(["RNR1", "RNR2", "COX1", "COX2", "COX3", "ND4", "CYTB"]).to_numpy()
    ).to_numpy()
    key[np.argsort(-table["share"].to_numpy())[:200]] = True
    if n_genes < key.sum() + 50:
        raise ValueError(f"n_genes={n_genes} is too small: the planted genes alone are {key.sum()}")
    expressed = table["share"].to_numpy() * params.load_library()["median"] >= 20
    extra = n_genes - key.sum()
    n_high = int(round(0.85 * extra))
    pool_high = np.flatnonzero(expressed & ~key)
    pool_low = np.flatnonzero(~expressed & ~key)
    chosen = np.concatenate(
        [
            rng.choice(pool_high, n_high, replace=False),
            rng.choice(pool_low, extra - n_high, replace=False),
        ]
    )
    keep = key.copy()
    keep[chosen] = True
    return keep


def write_text_gz(text: str, path: str | Path) -> None:
    """Write text gzipped and atomically, no name or time in the header (reproducible bytes)."""
    with (
        atomic_path(path) as tmp,
        open(tmp, "wb") as raw,
        gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=6) as gz,
    ):
        gz.write(text.encode())


def write_counts_gz(matrix: np.ndarray, genes: np.ndarray, samples: list[str], path: Path) -> None:
    """Write a genes x samples integer table as gzipped TSV, byte-identical for the same input."""
    frame = pd.DataFrame(matrix, columns=samples)
    frame.insert(0, "gene", genes)
    write_text_gz(frame.to_csv(sep="\t", index=False, lineterminator="\n"), path)


def generate(
    out_dir: str | Path,
    seed: int = 20070510,
    n_participants: int = 70,
    n_genes: int | None = None,
    treatment_effect: bool = False,
    treatment_sizes: Mapping[str, float] | None = None,
) -> dict[str, Path]:
    """Generate the demo cohort into ``out_dir``; return the written paths by name.

    Names: counts, samples, clinical, truth_genes, truth_participants, truth_samples, parameters.
    ``treatment_sizes`` (gene symbol -> log2FC) replaces the planted treatment effects of
    ``effects.TREATMENT_GENES`` by exactly these (every other gene unchanged) and switches the
    treatment effect on; the random streams are the same as without it (with ``n_genes``, the
    chosen genes are kept in place of ``TREATMENT_GENES``).
    """
    out = Path(out_dir)
    table = effects.with_female_xist(params.load_params())
    library = params.load_library()
    gene_effects = effects.gene_effects(table, _rng(seed, "effects"))
    if treatment_sizes is not None:
        gene_effects = effects.with_treatment_sizes(gene_effects, treatment_sizes)
        treatment_effect = True
    keep = select_genes(table, gene_effects, n_genes, _rng(seed, "genes"))

    participants = cohort.make_participants(n_participants, _rng(seed, "participants"))
    sample_rng = _rng(seed, "samples")
    samples = cohort.make_samples(participants, sample_rng)
    # the swapped tube holds a biopsy of a person outside the trial, of the opposite sex
    swap = samples.index[samples["defect"] == "sex_swap"][0]
    owner = participants.set_index("participant").loc[samples.at[swap, "participant"]]
    outsider = pd.DataFrame(
        {
            "participant": ["outsider"],
            "arm": [owner["arm"]],
            "site": [owner["site"]],
            "sex": ["M" if owner["sex"] == "F" else "F"],
            "clamp": [False],
            "m_value_latent": [float(np.round(np.exp(sample_rng.normal(np.log(4.0), 0.4)), 4))],
            "fibre": [float(np.round(sample_rng.normal(), 4))],
        }
    )
    persons = pd.concat([participants, outsider], ignore_index=True)
    row_of = {p: i for i, p in enumerate(persons["participant"])}
    samples["source"] = [row_of[p] for p in samples["participant"]]
    samples.loc[swap, "source"] = len(persons) - 1

    matrix, latent = counts.simulate_counts(
        table,
        gene_effects,
        persons,
        samples,
        library["median"],
        library["cv"],
        _rng(seed, "counts"),
        keep,
        treatment_effect=treatment_effect,
    )
    clinical = cohort.make_clinical(participants, _rng(seed, "clinical"))

    paths = {
        "counts": out / "counts.tsv.gz",
        "samples": out / "samples.tsv",
        "clinical": out / "clinical.tsv",
        "truth_genes": out / "truth" / "genes.tsv",
        "truth_participants": out / "truth" / "participants.tsv",
        "truth_samples": out / "truth" / "samples.tsv",
        "parameters": out / "truth" / "parameters.json",
    }
    genes = table["gene"].to_numpy()[keep]
    write_counts_gz(matrix, genes, samples["sample"].tolist(), paths["counts"])
    write_tsv(samples[["sample", "participant", "arm", "visit", "clamp", "site"]], paths["samples"])
    # missing values (M-value of non-clamp participants) as empty cells, as ingest expects
    with atomic_path(paths["clinical"]) as tmp:
        clinical.to_csv(tmp, sep="\t", index=False, na_rep="", lineterminator="\n")
    write_tsv(
        truth.gene_truth(table, gene_effects, participants, keep, treatment_effect),
        paths["truth_genes"],
    )
    write_tsv(truth.participant_truth(participants, gene_effects), paths["truth_participants"])
    write_tsv(truth.sample_truth(samples, persons, latent), paths["truth_samples"])
    meta = {
        "generator": "myoclamp_tools.demo.generate",
        "seed": seed,
        "n_participants": n_participants,
        "n_genes": int(keep.sum()),
        "n_genes_requested": n_genes,
        "n_samples": len(samples),
        "treatment_effect": treatment_effect,
        "treatment_genes": [
            g
            for g in (effects.TREATMENT_GENES if treatment_sizes is None else treatment_sizes)
            if g in set(genes)
        ],
        "missing_biopsies": [
            {"participant": p, "visit": v, "clamp": c} for p, v, c in samples.attrs["missing"]
        ],
        "clinical_effects_week13_anakinra_vs_placebo": cohort.CLINICAL_EFFECTS,
        "m_value": {"mean": effects.M_MEAN, "sd": effects.M_SD, "healthy": effects.M_HEALTHY},
        "variance": {
            "person_share": counts.PERSON_SHARE,
            "fibre_person_share": counts.FIBRE_PERSON_SHARE,
            "ieg_stress_share": counts.IEG_STRESS_SHARE,
        },
        "library": library,
        "gene_params_sha256": hashlib.sha256(params.PARAMS_TSV.read_bytes()).hexdigest(),
    }
    with atomic_path(paths["parameters"]) as tmp:
        tmp.write_text(json.dumps(meta, indent=2) + "\n")
    return paths
