"""A gene-set test that permutes what the design says is exchangeable.

Each permutation recomputes every gene's moderated t (as z, exactly as
:mod:`myoclamp.enrichment.camera` does for the observed data) from the log expression, then each
set's statistic: camera's two-sample t of the set's mean z against the other genes with no
variance inflation (``VIF = 1``). The permutations carry the inter-gene correlation into the null
distribution of that statistic, so no correlation needs to be estimated. Two-sided
``p = (1 + #{b : |T_b| >= |T|}) / (1 + B)`` (Phipson & Smyth 2010); BH within each collection.

Schemes (:func:`permutation_scheme`), each a random permutation of the samples:

- ``arms``: whole participants swap places (their arm labels are permuted between participants),
  among participants with the same sample layout (the same visits / clamp states); for
  ``treatment``, ``treatment_x_insulin``, the association with the M-value (M-values permuted
  between participants) and configured contrasts of a between-person factor.
- ``flip``: a random sign per participant; a participant drawn negative has the two samples of
  each of its pairs swapped (the sign of its within-person differences flipped, all its pairs
  together); for ``insulin``, ``insulin_<arm>``, ``insulin_<visit>`` (pairs = the basal and
  insulin biopsy of one visit; only the pairs that inform the contrast are flipped) and configured
  contrasts of a within-person factor with one sample per level and participant.

The permutation is applied as Freedman & Lane (1983): the residuals of the null model
(the design without the tested direction) are permuted and the full model refitted. When the
permutation maps the null model onto itself (participant blocks and visit terms under the
schemes above, without covariates), this is exactly relabelling the arms / flipping the signs and
the test is exact; otherwise (covariates of the M-value association, the arm-specific terms of
``insulin_groups``, unwanted-variation factors) it is Freedman-Lane's approximation, which
Winkler et al. (2014, NeuroImage 92:381) found the most robust of the permutation schemes with
nuisance variables. The result records which (``exact``).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from myoclamp.de.design import Design
from myoclamp.de.unwanted import PREFIX as UNWANTED_PREFIX
from myoclamp.enrichment.camera import bh_within, competitive_t
from myoclamp.enrichment.linear import ContrastModel, contrast_model, moderated_z
from myoclamp.enrichment.setindex import SetIndex

log = logging.getLogger(__name__)

ARM_CONTRASTS = ("treatment", "treatment_x_insulin")
INSULIN_DESIGNS = ("insulin", "insulin_groups")
#: design name of the expression-vs-M-value association
ASSOCIATION = "m_value"
WITHIN = ("visit", "clamp")
TOL = 1e-9


@dataclass(frozen=True)
class Scheme:
    """How to permute the samples (rows of the design) of one contrast.

    ``strata`` (kind ``arms``): per stratum an int array participants x layout of sample
    positions; rows swap places. ``pairs`` (kind ``flip``): int array pairs x 2 of sample
    positions, ``owner`` the participant index of each pair (one sign per participant).
    """

    kind: str  # "arms", "flip" or "none"
    description: str
    n_samples: int
    strata: tuple[np.ndarray, ...] = ()
    pairs: np.ndarray = field(default_factory=lambda: np.zeros((0, 2), int))
    owner: np.ndarray = field(default_factory=lambda: np.zeros(0, int))
    reason: str | None = None
    blocks: np.ndarray | None = None  # participant code per sample (both kinds keep its span)

    @property
    def units(self) -> int:
        """Number of exchangeable units that move (participants)."""
        if self.kind == "arms":
            return int(sum(len(s) for s in self.strata if len(s) > 1))
        if self.kind == "flip":
            return int(len(np.unique(self.owner)))
        return 0

    def draw(self, permutations: int, seed: int) -> np.ndarray:
        """``permutations`` x n sample indices: permuted data ``v[perm]`` (seeded, reproducible)."""
        if self.kind == "none":
            raise ValueError(f"no permutation test for this contrast: {self.reason}")
        rng = np.random.default_rng(seed)
        out = np.tile(np.arange(self.n_samples), (permutations, 1))
        if self.kind == "arms":
            for block in self.strata:
                if len(block) < 2:
                    continue
                order = rng.permuted(np.tile(np.arange(len(block)), (permutations, 1)), axis=1)
                # row i of the stratum takes the samples of row order[b, i], layout kept
                out[:, block.ravel()] = block[order].reshape(permutations, -1)
        else:
            n_owner = int(self.owner.max()) + 1 if len(self.owner) else 0
            flip = rng.integers(0, 2, size=(permutations, n_owner)).astype(bool)[:, self.owner]
            a, b = self.pairs[:, 0], self.pairs[:, 1]
            out[:, a] = np.where(flip, b, a)
            out[:, b] = np.where(flip, a, b)
        return out


def _samples(design: Design) -> pd.DataFrame:
    if design.matrix is None:
        raise ValueError(f"design {design.name!r} was not built: {design.reason}")
    return design.metadata.loc[design.matrix.index]


def _varying(meta: pd.DataFrame, columns: Sequence[str]) -> list[str]:
    """Columns among ``columns`` that vary within some participant."""
    out = []
    for col in columns:
        if col in meta.columns:
            n = meta.groupby("participant", observed=True)[col].nunique()
            if (n > 1).any():
                out.append(col)
    return out


def arms_scheme(meta: pd.DataFrame, description: str) -> Scheme:
    """Whole participants permuted among those with the same layout of ``visit``/``clamp``."""
    n = len(meta)
    cells = _varying(meta, WITHIN)
    frame = pd.DataFrame(
        {"pos": np.arange(n), "participant": meta["participant"].astype(str).to_numpy()}
    )
    frame["cell"] = (
        meta[cells].astype(str).agg("|".join, axis=1).to_numpy() if cells else np.full(n, "")
    )
    if frame.duplicated(["participant", "cell"]).any():
        return Scheme(
            "none",
            description,
            n,
            reason="a participant has two samples of the "
            f"same {'/'.join(cells) or 'kind'}; whole participants cannot swap places",
        )
    frame = frame.sort_values(["participant", "cell"])
    layout = frame.groupby("participant", sort=True)["cell"].agg(tuple)
    strata = []
    for _, people in layout.groupby(layout, sort=True):
        rows = frame[frame["participant"].isin(people.index)].sort_values(["participant", "cell"])
        strata.append(rows["pos"].to_numpy().reshape(len(people), -1))
    movable = sum(len(s) for s in strata if len(s) > 1)
    if movable < 2:
        return Scheme("none", description, n, reason="no two participants share a sample layout")
    text = f"{description}; {movable} participants in {len(strata)} layout(s)"
    return Scheme("arms", text, n, strata=tuple(strata), blocks=_codes(meta))


def flip_scheme(meta: pd.DataFrame, factor: str, active: np.ndarray, description: str) -> Scheme:
    """Sign flips per participant of the pairs (two levels of ``factor``) that inform the contrast.

    Pairs are the ``active`` samples of a participant at one value of the other within-person
    columns (``visit`` for the clamp designs).
    """
    n = len(meta)
    pair_by = [c for c in _varying(meta, WITHIN) if c != factor]
    frame = pd.DataFrame(
        {
            "pos": np.arange(n),
            "participant": meta["participant"].astype(str).to_numpy(),
            "level": meta[factor].astype(str).to_numpy(),
        }
    )
    frame["pair"] = meta[pair_by].astype(str).agg("|".join, axis=1).to_numpy() if pair_by else ""
    frame = frame[np.asarray(active, bool)]
    pairs, owners = [], []
    people = {p: i for i, p in enumerate(sorted(frame["participant"].unique()))}
    for (person, _), grp in frame.groupby(["participant", "pair"], sort=True):
        if len(grp) != 2 or grp["level"].nunique() != 2:
            return Scheme(
                "none",
                description,
                n,
                reason=f"participant {person} has "
                f"{len(grp)} sample(s) where a pair of {factor} levels is needed",
            )
        pairs.append(grp["pos"].to_numpy())
        owners.append(people[person])
    if len(people) < 2:
        return Scheme("none", description, n, reason="fewer than two participants with pairs")
    text = f"{description}; {len(people)} participants, {len(pairs)} pairs"
    return Scheme(
        "flip", text, n, pairs=np.array(pairs), owner=np.array(owners), blocks=_codes(meta)
    )


def _codes(meta: pd.DataFrame) -> np.ndarray:
    """Participant code (0..) per sample."""
    return pd.factorize(meta["participant"].astype(str))[0]


def _factor_of(design: Design, contrast: str) -> str | None:
    """The sample column a configured contrast tests (``factor[T.level]`` column name)."""
    vec = design.contrasts[contrast]
    cols = [c for c, w in zip(design.matrix.columns, vec, strict=True) if w != 0]
    names = {c.split("[", 1)[0] for c in cols}
    return names.pop() if len(names) == 1 else None


def permutation_scheme(design: Design, contrast: str) -> Scheme:
    """The exchangeable units of ``contrast`` of ``design`` and how to permute them.

    ``treatment``, ``treatment_x_insulin``: arm labels between participants. ``insulin``,
    ``insulin_<arm>``, ``insulin_<visit>``: sign flips of each participant's within-person
    (insulin - basal) differences. ``m_value`` (the association design): M-values between
    participants. Configured contrasts: between participants for a factor constant within
    participants, sign flips for one fitted with participants as blocks.
    """
    if contrast not in design.contrasts:
        raise ValueError(f"contrast {contrast!r} is not estimable in design {design.name!r}")
    meta = _samples(design)
    # which samples inform the contrast, judged on the design without unwanted-variation factors
    # (they are covariates of every sample and would make every pair look involved)
    base = ~design.matrix.columns.str.startswith(UNWANTED_PREFIX)
    model = contrast_model(
        design.matrix.loc[:, base].to_numpy(float), design.contrasts[contrast][base]
    )
    active = np.abs(model.x) > TOL * np.abs(model.x).max()
    if contrast in ARM_CONTRASTS:
        return arms_scheme(meta, "arm labels permuted between participants")
    if design.name in INSULIN_DESIGNS:
        return flip_scheme(meta, "clamp", active, "sign flips of the insulin - basal differences")
    if design.name == ASSOCIATION:
        return arms_scheme(meta, "M-values permuted between participants")
    factor = _factor_of(design, contrast)
    if factor is None or factor not in meta.columns:
        return Scheme("none", "", len(meta), reason="the contrast does not test a single factor")
    within = meta.groupby("participant", observed=True)[factor].nunique().gt(1).any()
    if not within:
        return arms_scheme(meta, f"{factor} labels permuted between participants")
    if "participant" not in design.formula:
        return Scheme(
            "none",
            "",
            len(meta),
            reason=f"{factor} varies within participants but the design has no participant blocks",
        )
    return flip_scheme(
        meta, factor, active, f"sign flips of the within-person {factor} differences"
    )


# --------------------------------------------------------------------------- the test


@dataclass
class PermutationResult:
    """Per set: the observed statistic, its two-sided permutation p-value and BH FDR."""

    statistic: np.ndarray
    pvalue: np.ndarray
    fdr: np.ndarray
    permutations: int
    exact: bool
    null: np.ndarray | None = None  # permutations x sets, when asked for


def movable_basis(model: ContrastModel, blocks: np.ndarray | None) -> np.ndarray:
    """Orthonormal basis of the part of the null model a permutation may move.

    Both schemes map the span of the participant indicators onto itself; when the null model
    contains that span (participant blocks), only its complement within the null model can leak.
    """
    q0 = model.null_basis
    if blocks is None or not q0.size:
        return q0
    ind = np.eye(int(blocks.max()) + 1)[blocks]  # n x participants
    inside = ind - q0 @ (q0.T @ ind)
    if np.abs(inside).max() > 1e-8:
        return q0  # no participant blocks in the null model
    counts = ind.sum(axis=0)
    within = q0 - ind @ ((ind.T @ q0) / counts[:, None])  # q0 minus its participant means
    u, s, _ = np.linalg.svd(within, full_matrices=False)
    return u[:, s > 1e-8 * max(1.0, s.max() if s.size else 1.0)]


def _null_model_leak(
    model: ContrastModel, basis: np.ndarray, perms: np.ndarray
) -> list[np.ndarray]:
    """Per permutation, the directions ``D`` with ``|Q0' P y0|^2 = |D' y0|^2`` (Freedman-Lane).

    ``y0`` (null-model residuals) is orthogonal to the null model; when the permutation maps the
    null model onto itself the term is zero and ``D`` is empty. ``basis``: the movable part of
    the null model (:func:`movable_basis`).
    """
    q0 = model.null_basis
    out = []
    for perm in perms:
        moved = np.empty_like(basis)
        moved[perm] = basis  # rows of P' Q
        leak = moved - q0 @ (q0.T @ moved)
        if not basis.size or np.abs(leak).max() <= 1e-10:
            out.append(np.zeros((model.n, 0)))
            continue
        u, s, _ = np.linalg.svd(leak, full_matrices=False)
        keep = s > 1e-10 * max(1.0, s.max())
        out.append(u[:, keep] * s[keep])
    return out


def _set_statistics(
    num: np.ndarray, rss: np.ndarray, xx: float, df: int, sets: SetIndex
) -> np.ndarray:
    """Rows of gene numerators and RSS -> camera's set t with VIF 1 (rows x sets)."""
    _, _, z, _, _ = moderated_z(num, xx, rss, df)
    sums = sets.sums(z.T).T
    return competitive_t(z, sums, sets.sizes, np.ones(len(sets)))


def permutation_test(
    y: np.ndarray,
    design: np.ndarray,
    contrast: np.ndarray,
    sets: SetIndex,
    scheme: Scheme,
    *,
    permutations: int = 1000,
    seed: int = 0,
    chunk: int = 200,
    keep_null: bool = False,
    threads: int = 1,
) -> PermutationResult:
    """Two-sided permutation p-values of every set (see the module docstring).

    ``y``: log expression, samples x genes (the columns of ``sets``); ``design`` n x p full rank;
    ``contrast`` p weights; ``scheme`` from :func:`permutation_scheme` on the same samples.
    ``threads``: BLAS threads (multi-threaded BLAS on a busy machine is slower than one thread).
    """
    with threadpool_limits(limits=max(1, int(threads))):
        return _permutation_test(
            y, design, contrast, sets, scheme, permutations, seed, chunk, keep_null
        )


def _permutation_test(
    y: np.ndarray,
    design: np.ndarray,
    contrast: np.ndarray,
    sets: SetIndex,
    scheme: Scheme,
    permutations: int,
    seed: int,
    chunk: int,
    keep_null: bool,
) -> PermutationResult:
    if permutations < 1:
        raise ValueError(f"permutations must be at least 1, got {permutations}")
    model = contrast_model(design, contrast)
    y0 = model.residualise(np.asarray(y, dtype=float))
    xx = float(model.x @ model.x)
    yy = np.einsum("ij,ij->j", y0, y0)
    df = model.df_residual
    basis = movable_basis(model, scheme.blocks)

    def stats_of(perms: np.ndarray) -> tuple[np.ndarray, bool]:
        a = np.zeros((len(perms), model.n))
        np.put_along_axis(a, perms, model.x[None, :], axis=1)  # a[b, perm[b, i]] = x[i]
        num = a @ y0
        rss = yy[None, :] - num**2 / xx
        leaks = _null_model_leak(model, basis, perms)
        width = np.array([d.shape[1] for d in leaks])
        exact = not width.any()
        if not exact:
            proj = np.hstack([d for d in leaks if d.shape[1]]).T @ y0  # (sum of widths) x genes
            proj *= proj
            rows = np.flatnonzero(width)
            starts = np.concatenate([[0], np.cumsum(width[rows])[:-1]])
            rss[rows] -= np.add.reduceat(proj, starts, axis=0)
        return _set_statistics(num, rss, xx, df, sets), exact

    observed, _ = stats_of(np.arange(model.n)[None, :])
    observed = observed[0]
    perms = scheme.draw(permutations, seed)
    extreme = np.zeros(len(sets), dtype=np.int64)
    exact = True
    null = [] if keep_null else None
    bound = np.abs(observed) * (1 - 1e-9)
    for start in range(0, permutations, chunk):
        t_b, ok = stats_of(perms[start : start + chunk])
        exact &= ok
        extreme += (np.abs(t_b) >= bound[None, :]).sum(axis=0)
        if null is not None:
            null.append(t_b)
    pvalue = (1.0 + extreme) / (1.0 + permutations)
    log.info(
        "permutation test: %d sets, %d permutations (%s), %s",
        len(sets),
        permutations,
        scheme.kind,
        "exact" if exact else "Freedman-Lane",
    )
    return PermutationResult(
        statistic=observed,
        pvalue=pvalue,
        fdr=bh_within(pvalue, sets.collection),
        permutations=permutations,
        exact=exact,
        null=np.vstack(null) if null is not None else None,
    )
