"""Where the sample sheet and the clinical table meet: join keys, and columns both tables hold.

Clinical rows join biopsies by participant and visit. A label written differently in the two
tables ('Week 13' vs 'week13') would leave every such biopsy without clinical values, so labels
of the clinical table that the sheet lacks are errors listing the sheet's labels. A column in both
tables is used once when the tables agree for every participant and visit, and is an error naming
both files, the column and the participants (never the values) when they do not.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from myoclamp.errors import InputError, preview
from myoclamp.ingest.tables import table_row

#: sheet columns that keep the sheet's own (text) values when the clinical table repeats them
SHEET_ROLES = ("arm", "clamp", "site", "sex", "bam")
#: columns constant within a participant: compared by participant, not by participant and visit
PER_PARTICIPANT = ("sex",)


def normalised(label: str) -> str:
    """A label without case, spaces, punctuation or leading zeros: 'Week 13' -> 'week13'."""
    text = re.sub(r"[^a-z0-9]", "", str(label).lower())
    return re.sub(r"(?<![0-9])0+(?=[0-9])", "", text)


def look_alikes(unknown: list[str], known: list[str]) -> list[str]:
    """Each unknown label that equals a known one once normalised: "'Week 13' as 'week13'"."""
    index: dict[str, str] = {}
    for k in known:
        index.setdefault(normalised(k), k)
    return [f"{u!r} as {index[normalised(u)]!r}" for u in unknown if normalised(u) in index]


def check_labels(
    clinical: pd.DataFrame,
    samples: pd.DataFrame,
    key: str,
    column: str,
    path: str,
    sheet_path: str,
) -> None:
    """Every ``key`` label (participant or visit) of the clinical table occurs in the sheet."""
    known = sorted(set(samples[key].dropna().astype(str)))
    labels = clinical[key].dropna().astype(str)  # a missing label is the schema check's
    unknown = sorted(set(labels) - set(known))
    if not unknown:
        return
    rows = labels.index[labels.isin(unknown)]
    alike = look_alikes(unknown, known)
    hint = f" (the sheet writes {', '.join(alike[:5])})" if alike else ""
    what = "participant" if key == "participant" else key
    raise InputError(
        path,
        f"column {column!r}, {len(rows)} row(s) from {table_row(rows[0])}",
        f"{what} label(s) {preview(unknown)} not in the sample sheet {sheet_path}{hint}; "
        f"the sheet's {what}s are {preview(known, 8)}",
        f"write each {what} exactly as the sample sheet does, or remove the rows of "
        f"{what}s without biopsies",
    )


def join_notes(samples: pd.DataFrame, clinical: pd.DataFrame) -> list[str]:
    """Biopsies with no clinical row, and clinical rows (of known participants and visits) with
    no biopsy, counted with the first few participant/visit labels."""
    keys = ["participant", "visit"]
    sheet_pairs = pd.MultiIndex.from_frame(samples[keys].astype(str))
    clin_pairs = pd.MultiIndex.from_frame(clinical[keys].astype(str))
    notes = []
    lonely = ~sheet_pairs.isin(clin_pairs)
    if lonely.any():
        pairs = sheet_pairs[lonely].unique()
        notes.append(
            f"{int(lonely.sum())} of {len(samples)} biopsies have no clinical row "
            f"({len(pairs)} participant/visit: {preview(['/'.join(p) for p in pairs])}); "
            "their clinical values are missing"
        )
    known = clin_pairs.get_level_values(0).isin(sheet_pairs.get_level_values(0)) & (
        clin_pairs.get_level_values(1).isin(sheet_pairs.get_level_values(1))
    )
    unbiopsied = known & ~clin_pairs.isin(sheet_pairs)
    if unbiopsied.any():
        pairs = clin_pairs[unbiopsied]
        notes.append(
            f"{int(unbiopsied.sum())} clinical row(s) have no biopsy (participant/visit: "
            f"{preview(['/'.join(p) for p in pairs])}); the clinical endpoints use them"
        )
    return notes


def shared_columns(
    samples: pd.DataFrame, clinical: pd.DataFrame, roles: dict[str, str]
) -> dict[str, str]:
    """Clinical column -> the sheet column holding the same variable (by name, or by the trial's
    own name of a sheet role, e.g. a clinical 'status' column when ``columns.arm: status``)."""
    by_original = {orig: role for role, orig in roles.items() if role in SHEET_ROLES}
    out = {}
    for col in clinical.columns:
        if col in ("participant", "visit"):
            continue
        if col in samples.columns:
            out[col] = col
        elif by_original.get(col) in samples.columns:
            out[col] = by_original[col]
    return out


def clinical_values(samples: pd.DataFrame, clinical: pd.DataFrame, col: str) -> pd.Series:
    """The clinical table's ``col`` for each sheet row (by participant and visit; by participant
    for columns constant within a participant), indexed like ``samples``."""
    if col in PER_PARTICIPANT:
        per = clinical.dropna(subset=[col]).drop_duplicates("participant")
        return samples["participant"].map(per.set_index("participant")[col])
    table = clinical.set_index(["participant", "visit"])[col]
    pairs = pd.MultiIndex.from_frame(samples[["participant", "visit"]].astype(str))
    return pd.Series(table.reindex(pairs).to_numpy(), index=samples.index)


def same_values(a: pd.Series, b: pd.Series) -> np.ndarray:
    """Cell by cell: equal (numbers compared as numbers), or missing on either side."""
    both = a.notna().to_numpy() & b.notna().to_numpy()
    na = pd.to_numeric(a, errors="coerce").to_numpy(dtype=float)
    nb = pd.to_numeric(b, errors="coerce").to_numpy(dtype=float)
    numeric = ~np.isnan(na) & ~np.isnan(nb)
    with np.errstate(invalid="ignore"):
        equal_num = np.isclose(na, nb, rtol=1e-9, atol=1e-12)
    equal_text = a.astype(str).str.strip().to_numpy() == b.astype(str).str.strip().to_numpy()
    return ~both | np.where(numeric, equal_num, equal_text)


def check_shared(
    samples: pd.DataFrame,
    clinical: pd.DataFrame,
    shared: dict[str, str],
    sheet_path: str,
    path: str,
) -> list[InputError]:
    """One error per shared column whose values differ, naming both files and the participants."""
    errors = []
    for col, sheet_col in shared.items():
        values = clinical_values(samples, clinical, col)
        differ = ~same_values(samples[sheet_col], values)
        if not differ.any():
            continue
        bad = samples.loc[differ, ["participant", "visit"]].astype(str).drop_duplicates()
        people = bad["participant"].unique()
        where = [f"{p} at {v}" for p, v in bad.itertuples(index=False)]
        name = col if col == sheet_col else f"{col}' (the sheet's '{sheet_col}"
        errors.append(
            InputError(
                f"{sheet_path} and {path}",
                f"column '{name}'",
                f"the two tables disagree for {len(people)} participant(s): {preview(where)} "
                "(values not shown: they may be clinical)",
                "make the two tables agree (the column is then used once), or keep it in one "
                "of them",
            )
        )
    return errors


def combine_shared(
    obs: pd.DataFrame, clinical: pd.DataFrame, shared: dict[str, str]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Use each shared (agreeing) column once: sheet roles keep the sheet's values, missing ones
    filled from the clinical table; other columns take the clinical table's typed values, missing
    ones filled from the sheet. Returns obs and the clinical table without those columns."""
    obs = obs.copy()
    for col, sheet_col in shared.items():
        values = clinical_values(obs, clinical, col)
        if sheet_col in SHEET_ROLES:
            obs[sheet_col] = obs[sheet_col].where(obs[sheet_col].notna(), values)
        else:
            own = obs[sheet_col]
            if pd.api.types.is_numeric_dtype(clinical[col]):
                own = pd.to_numeric(own, errors="coerce")
            obs[sheet_col] = values.where(values.notna(), own)
    return obs, clinical.drop(columns=list(shared))
