"""Cohorts of a chosen size resampled from a demo cohort: participants redrawn, new pseudonyms.

Participants are drawn arm by arm in turn (so the arms stay balanced), without replacement until
an arm's pool is used up, then from a fresh shuffle of it (each participant used about equally
often). Every drawn participant becomes a new participant (``R0001``...) with all of the source's
biopsies (new sample ids ``S00001``...) and clinical rows. Each sample's counts are binomially
thinned (``keep`` = 0.9 by default) so no two copies of a biopsy are identical. The last drawn
participant keeps only as many of its biopsies (in sheet order) as fill the cohort exactly.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from myoclamp.errors import InputError
from myoclamp.io import atomic_path, write_tsv

#: role -> column name in the demo cohort's sheets (config.yaml ``columns``)
DEMO_COLUMNS = {"sample": "sample", "participant": "participant", "arm": "arm"}


@dataclass
class Cohort:
    """Counts (genes x samples, gene key as index), sample sheet and clinical table."""

    counts: pd.DataFrame
    samples: pd.DataFrame
    clinical: pd.DataFrame


def read_cohort(folder: str | Path) -> Cohort:
    """The ``counts.tsv.gz``, ``samples.tsv`` and ``clinical.tsv`` of a demo cohort folder."""
    folder = Path(folder)
    paths = {n: folder / n for n in ("counts.tsv.gz", "samples.tsv", "clinical.tsv")}
    for path in paths.values():
        if not path.exists():
            raise InputError(
                path,
                "",
                "missing",
                "point --base at a folder written by myoclamp_tools.demo.generate",
            )
    samples = pd.read_csv(paths["samples.tsv"], sep="\t", dtype=str, keep_default_na=False)
    clinical = pd.read_csv(paths["clinical.tsv"], sep="\t", dtype=str, keep_default_na=False)
    counts = pd.read_csv(paths["counts.tsv.gz"], sep="\t", index_col=0)
    return Cohort(counts, samples, clinical)


def draw_participants(
    participants: pd.DataFrame, sizes: pd.Series, n_samples: int, rng: np.random.Generator
) -> list[tuple[str, int]]:
    """(source participant, samples taken) in draw order until ``n_samples`` are reached.

    ``participants`` has columns ``participant`` and ``arm``; ``sizes`` maps participant to its
    number of samples.
    """
    if n_samples < 1:
        raise ValueError(f"n_samples must be positive, got {n_samples}")
    usable = participants[participants["participant"].map(sizes).fillna(0) > 0]
    if usable.empty:
        raise ValueError("the cohort has no participant with samples")
    pools = {arm: grp["participant"].tolist() for arm, grp in usable.groupby("arm", sort=True)}
    queues: dict[str, list[str]] = {arm: [] for arm in pools}
    arms = list(pools)
    drawn: list[tuple[str, int]] = []
    total, turn = 0, 0
    while total < n_samples:
        arm = arms[turn % len(arms)]
        turn += 1
        if not queues[arm]:
            queues[arm] = list(rng.permutation(pools[arm]))
        source = str(queues[arm].pop())
        take = min(int(sizes[source]), n_samples - total)
        drawn.append((source, take))
        total += take
    return drawn


def resample(
    cohort: Cohort,
    n_samples: int,
    seed: int = 1,
    keep: float = 0.9,
    columns: dict[str, str] | None = None,
) -> tuple[Cohort, pd.DataFrame]:
    """A cohort of exactly ``n_samples`` samples; also the origin of every new sample.

    The origin table has columns ``sample, participant, source_sample, source_participant``.
    """
    col = {**DEMO_COLUMNS, **(columns or {})}
    for role, name in col.items():
        if name not in cohort.samples.columns:
            raise InputError(
                "samples.tsv", f"column {name!r}", f"the {role} column is missing", "check --base"
            )
    missing = set(cohort.samples[col["sample"]]) - set(cohort.counts.columns)
    if missing:
        raise InputError(
            "counts.tsv.gz",
            f"{len(missing)} sample(s)",
            "in the sheet but not counted",
            "regenerate",
        )
    if not 0 < keep <= 1:
        raise ValueError(f"keep must be in (0, 1], got {keep}")
    rng = np.random.default_rng(seed)
    sheet = cohort.samples
    sizes = sheet.groupby(col["participant"]).size()
    people = sheet[[col["participant"], col["arm"]]].drop_duplicates(col["participant"])
    people = people.rename(columns={col["participant"]: "participant", col["arm"]: "arm"})
    drawn = draw_participants(people, sizes, n_samples, rng)

    by_person = {p: grp for p, grp in sheet.groupby(col["participant"], sort=False)}
    clin_by_person = {p: grp for p, grp in cohort.clinical.groupby(col["participant"], sort=False)}
    width = max(4, len(str(len(drawn))))
    sheets, clinical, origin = [], [], []
    for i, (source, take) in enumerate(drawn, start=1):
        new_id = f"R{i:0{width}d}"
        rows = by_person[source].iloc[:take].copy()
        origin.append(
            pd.DataFrame(
                {"participant": new_id, "source_sample": rows[col["sample"]].to_numpy()}
            ).assign(source_participant=source)
        )
        rows[col["participant"]] = new_id
        sheets.append(rows)
        if source in clin_by_person:
            clinical.append(clin_by_person[source].assign(**{col["participant"]: new_id}))
    new_sheet = pd.concat(sheets, ignore_index=True)
    swidth = max(5, len(str(len(new_sheet))))
    names = [f"S{j:0{swidth}d}" for j in range(1, len(new_sheet) + 1)]
    origin_table = pd.concat(origin, ignore_index=True)
    origin_table.insert(0, "sample", names)
    source_counts = cohort.counts[origin_table["source_sample"]].to_numpy()
    thinned = rng.binomial(source_counts, keep) if keep < 1 else source_counts.copy()
    new_sheet[col["sample"]] = names
    counts = pd.DataFrame(thinned, index=cohort.counts.index, columns=names)
    new_clinical = (
        pd.concat(clinical, ignore_index=True) if clinical else cohort.clinical.iloc[:0].copy()
    )
    order = ["sample", "participant", "source_sample", "source_participant"]
    return Cohort(counts, new_sheet, new_clinical), origin_table[order]


def write_cohort(cohort: Cohort, folder: str | Path, origin: pd.DataFrame | None = None) -> dict:
    """Write the counts, sample sheet, clinical table (and origin table) atomically."""
    from myoclamp_tools.demo.generate import write_counts_gz

    folder = Path(folder)
    paths = {
        "counts": folder / "counts.tsv.gz",
        "samples": folder / "samples.tsv",
        "clinical": folder / "clinical.tsv",
    }
    write_counts_gz(
        cohort.counts.to_numpy(), cohort.counts.index.to_numpy(), list(cohort.counts.columns),
        paths["counts"],
    )  # fmt: skip
    write_tsv(cohort.samples, paths["samples"])
    with atomic_path(paths["clinical"]) as tmp:  # empty cells stay empty, as ingest expects
        cohort.clinical.to_csv(tmp, sep="\t", index=False, lineterminator="\n")
    if origin is not None:
        paths["origin"] = folder / "origin.tsv"
        write_tsv(origin, paths["origin"])
    return paths


def resample_folder(
    base: str | Path, out: str | Path, n_samples: int, seed: int = 1, keep: float = 0.9
) -> dict:
    """Resample the demo cohort in ``base`` into ``out``; the written paths by name."""
    cohort, origin = resample(read_cohort(base), n_samples, seed=seed, keep=keep)
    paths = write_cohort(cohort, out, origin)
    meta = {"base": str(base), "n_samples": n_samples, "seed": seed, "keep": keep}
    meta["participants"] = int(cohort.samples[DEMO_COLUMNS["participant"]].nunique())
    with atomic_path(Path(out) / "resample.json") as tmp:
        tmp.write_text(json.dumps(meta, indent=2) + "\n")
    return paths
