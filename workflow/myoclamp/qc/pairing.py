"""Within-participant pairing check: a person's biopsies should be each other's nearest
neighbours, because fibre type, sex and genotype-driven expression are personal.

Before distances are taken, each gene's VST is centred within every combination of the
within-person factors (visit, clamp state), which removes the average insulin or visit effect
that would otherwise pull an insulin biopsy towards other people's insulin biopsies.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from myoclamp.qc.pca import correlation_distances, top_variable_genes


def centre_within(values: np.ndarray, obs: pd.DataFrame, factors: list[str]) -> np.ndarray:
    """Subtract each gene's mean within each combination of ``factors`` present in ``obs``."""
    present = [f for f in factors if f in obs and obs[f].nunique(dropna=True) > 1]
    if not present:
        return values - values.mean(axis=0)
    key = obs[present].astype(str).agg("|".join, axis=1).to_numpy()
    out = np.empty_like(values, dtype=float)
    for k in np.unique(key):
        rows = key == k
        out[rows] = values[rows] - values[rows].mean(axis=0)
    return out


def person_specific_genes(
    values: np.ndarray, participants: pd.Series, n: int, candidates: np.ndarray | None = None
) -> np.ndarray:
    """Column positions of the ``n`` genes whose variance is most between participants.

    The score is the adjusted R^2 of a one-way ANOVA on participant (an intraclass
    correlation), over participants with at least two samples. Such genes (GSTM1 deletion,
    ERAP2, HLA alleles, fibre-type genes) carry identity rather than state. A single swapped
    sample barely moves this score when there are many participants.
    """
    part = participants.astype(str).to_numpy()
    sizes = pd.Series(part).value_counts()
    rows = np.isin(part, sizes.index[sizes >= 2])
    cols = np.flatnonzero(candidates) if candidates is not None else np.arange(values.shape[1])
    if rows.sum() < 3 or len(cols) == 0:
        return np.array([], dtype=int)
    y = values[np.ix_(rows, cols)]
    codes = pd.factorize(part[rows])[0]
    n_obs, k = len(codes), int(codes.max()) + 1
    if n_obs - k < 1 or k < 2:
        return np.array([], dtype=int)
    counts = np.bincount(codes).astype(float)
    means = np.zeros((k, y.shape[1]))
    np.add.at(means, codes, y)
    means /= counts[:, None]
    ss_within = ((y - means[codes]) ** 2).sum(axis=0)
    ss_total = ((y - y.mean(axis=0)) ** 2).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        adj = 1 - (ss_within / (n_obs - k)) / (ss_total / (n_obs - 1))
    adj = np.nan_to_num(adj, nan=-np.inf)
    order = np.argsort(-adj, kind="stable")[: min(n, len(cols))]
    return np.sort(cols[order])


def pairing_distances(
    vst: np.ndarray,
    obs: pd.DataFrame,
    adjust: list[str],
    n_genes: int,
    candidates: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Correlation distances on the most person-specific genes of the state-centred VST.

    Returns the distance matrix and the gene columns used.
    """
    centred = centre_within(vst, obs, adjust)
    cols = person_specific_genes(centred, obs["participant"], n_genes, candidates)
    if len(cols) < 2:
        cols = top_variable_genes(centred, n_genes)
    return correlation_distances(centred[:, cols]), cols


def pairing_check(
    dist: np.ndarray,
    samples: pd.Index,
    participants: pd.Series,
    neighbours: int = 3,
    rank_share: float = 0.05,
) -> pd.DataFrame:
    """Flag samples none of whose nearest neighbours is from their own participant.

    The ``k = max(neighbours, ceil(rank_share * (n - 1)))`` nearest other samples are looked
    at (n samples in the pool); if none is the participant's, the status is ``possible_swap``.
    In a large cohort a few people resemble each other by chance (same sex, similar fibre
    type), so a genuine biopsy's own partner ranks near the top but not always first; a swapped
    tube's own partner ranks like a random person's (about n / 2).

    Flags are set one at a time, most confident first (the largest rank of the closest own
    sample), and a flagged sample leaves the pool before the others are checked again:
    otherwise a swapped tube would also make its participant's genuine sample look unpaired.
    A participant with a single (remaining) sample cannot be checked (``single_sample``).
    ``pairing_own_rank`` is the rank of the closest own sample among all other samples in the
    pool (1 = nearest neighbour).
    """
    part = participants.astype(str).to_numpy()
    d = np.array(dist, dtype=float)
    np.fill_diagonal(d, np.inf)
    pool = np.ones(len(part), dtype=bool)
    flagged: dict[int, tuple] = {}
    while True:
        k = max(neighbours, int(np.ceil(rank_share * (pool.sum() - 1))))
        ranks = _own_ranks(d, part, pool, k)
        worst = [(rank, i) for i, (rank, k) in ranks.items() if rank is not None and rank > k]
        if not worst:
            break
        rank, i = max(worst)
        flagged[i] = (rank, ranks[i][1])
        pool[i] = False
    rows = []
    for i in range(len(part)):
        order = [j for j in np.argsort(d[i], kind="stable") if pool[j] and j != i]
        nearest = order[0] if order else i
        if i in flagged:
            rank, k = flagged[i]
            reason = (
                f"possible swap: none of the {k} nearest sample(s) is from participant "
                f"{part[i]} (closest own sample ranks {rank}; nearest is {samples[nearest]} "
                f"of participant {part[nearest]})"
            )
            rows.append(("possible_swap", rank, samples[nearest], part[nearest], reason))
        elif ranks[i][0] is None:
            rows.append(
                (
                    "single_sample",
                    np.nan,
                    samples[nearest],
                    part[nearest],
                    "participant has no other (unflagged) sample: pairing cannot be checked",
                )
            )
        else:
            rows.append(("ok", ranks[i][0], samples[nearest], part[nearest], ""))
    cols = [
        "pairing_status",
        "pairing_own_rank",
        "pairing_nearest",
        "pairing_nearest_participant",
        "pairing_reason",
    ]
    out = pd.DataFrame(rows, columns=cols, index=samples)
    out["pairing_own_rank"] = out["pairing_own_rank"].astype("Int64")
    return out


def _own_ranks(
    d: np.ndarray, part: np.ndarray, pool: np.ndarray, k: int
) -> dict[int, tuple[int | None, int]]:
    """For each sample in ``pool``: (rank of its closest own sample among the other pooled
    samples, or None when it has none; k neighbours looked at)."""
    out: dict[int, tuple[int | None, int]] = {}
    for i in np.flatnonzero(pool):
        others = np.flatnonzero(pool)
        others = others[others != i]
        order = others[np.argsort(d[i, others], kind="stable")]
        own = part[order] == part[i]
        if not own.any():
            out[i] = (None, 0)
        else:
            out[i] = (int(np.flatnonzero(own)[0]) + 1, k)
    return out
