"""Synthetic trial-shaped counts and designs for the DE engine tests (seeded)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from formulaic import model_matrix


def trial_sheet(
    n_people: int, times: int = 3, p_missing: float = 0.15, arms_ratio: float = 0.5, seed: int = 0
) -> pd.DataFrame:
    """Participants in two arms with up to ``times`` biopsies each (some missing, >= 2 kept)."""
    rng = np.random.default_rng(seed)
    rows = []
    n_b = max(1, min(n_people - 1, round(n_people * arms_ratio)))
    for i in range(n_people):
        arm = "b" if i < n_b else "a"
        visits = [t for t in range(times) if rng.random() >= p_missing]
        if len(visits) < 2:
            visits = [0, 1]
        rows += [(f"P{i:03d}", arm, f"t{t}") for t in visits]
    sheet = pd.DataFrame(rows, columns=["id", "arm", "time"])
    sheet.index = [f"S{i:04d}" for i in range(len(sheet))]
    num = {}
    for _, grp in sheet.groupby("arm"):
        for k, p in enumerate(sorted(grp["id"].unique())):
            num[p] = f"{k:03d}"
    sheet["idn"] = sheet["id"].map(num)
    return sheet


def design(sheet: pd.DataFrame, formula: str) -> pd.DataFrame:
    """Full-rank design matrix: all-zero and dependent columns dropped (as the DE stage does)."""
    mm = model_matrix(formula, sheet)
    full = pd.DataFrame(np.asarray(mm, dtype=float), index=sheet.index, columns=list(mm.columns))
    full = full.loc[:, full.any(axis=0)]
    kept: list[str] = []
    for col in full.columns:
        if np.linalg.matrix_rank(full[[*kept, col]].to_numpy()) == len(kept) + 1:
            kept.append(col)
    return full[kept]


def nb_counts(
    sheet: pd.DataFrame, n_genes: int, effect_col: str = "time", seed: int = 0
) -> tuple[pd.DataFrame, np.ndarray]:
    """NB counts with participant effects and a planted ``t1`` effect in 15 % of genes (in arm
    ``b`` at full size, in arm ``a`` at a quarter: arms differ in their change)."""
    rng = np.random.default_rng(seed)
    base = rng.lognormal(5.0, 1.5, n_genes)
    disp = 0.02 + 2.0 / base + rng.lognormal(-3.5, 0.5, n_genes)
    people = sheet["id"].unique()
    person = dict(zip(people, rng.normal(0, 0.3, (len(people), n_genes)), strict=True))
    planted = rng.random(n_genes) < 0.15
    effect = np.where(planted, rng.choice([-1.0, 1.0], n_genes) * rng.uniform(0.5, 1.5), 0.0)
    sf = rng.lognormal(0, 0.2, len(sheet))
    log_mu = np.log(base)[None, :] + np.stack([person[p] for p in sheet["id"]])
    size = np.where(sheet["arm"].to_numpy() == "b", 1.0, 0.25)
    log_mu += ((sheet[effect_col].to_numpy() == "t1") * size)[:, None] * effect[None, :]
    mu = sf[:, None] * np.exp(log_mu)
    r = 1.0 / disp
    counts = rng.negative_binomial(r[None, :], r[None, :] / (r[None, :] + mu))
    frame = pd.DataFrame(counts, index=sheet.index, columns=[f"g{i:04d}" for i in range(n_genes)])
    keep = (frame >= 5).sum(axis=0) >= 3
    return frame.loc[:, keep], planted[keep.to_numpy()]
