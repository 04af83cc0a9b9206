"""Unwanted variation from negative-control genes (RUVg) as covariates of a design.

Muscle biopsies differ in handling stress: the immediate-early genes vary several-fold from biopsy
to biopsy (``shared/reference/muscle_biology.md``), and that variance hides the insulin response
of the immediate-early genes that do respond (FOS, EGR1, JUNB, NR4A1/3, ATF3, MYC). As in RUVg
(Risso et al. 2014, Nat Biotechnol 32:896), the unwanted factors are the leading left singular
vectors of ``log2(normalised count + 1)`` of **negative-control genes**: genes that carry the
unwanted variation but do not respond to what the design tests. Before the decomposition,
everything the design explains apart from the tested contrasts is removed (person means, visit,
covariates) and each gene is scaled to unit variance, so that the factors describe
biopsy-to-biopsy variation, not differences between people. The tested directions are kept, so a
handling effect aligned with a tested effect (say more stress in the second, insulin biopsy) is
taken out of the estimate, which is the point. The factors enter the design as covariates; each
costs one residual degree of freedom.

The assumption is the method's: a control gene that does respond to the tested effect pulls part
of that effect into the factor and out of the estimates of the genes that load on it. The rows of
the control genes themselves in the result tables are adjusted by a factor they helped define.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from myoclamp.de.settings import unwanted_factors
from myoclamp.errors import InputError, preview

#: column names of the factors in the design matrix
PREFIX = "unwanted_"
#: a factor explained beyond this share by the design columns is refused (collinear with them)
MAX_DESIGN_R2 = 0.99
#: random expression-matched gene sets the control set's first-factor share is compared with
RANDOM_SETS = 200


@dataclass
class UnwantedFactors:
    """Factors of the control genes (``values``: samples x k) and how they were found."""

    values: pd.DataFrame
    genes: list[str] = field(default_factory=list)
    variance_share: list[float] = field(default_factory=list)
    reason: str | None = None
    random_share: list[float] = field(default_factory=list)
    design_r2: list[float] = field(default_factory=list)

    def meta(self) -> dict:
        """What the contrast metadata records: factors, control genes, their variance shares (and
        the first factor's share in random expression-matched sets: median, 95th percentile), the
        share of each factor the design columns explain (``design_r2``: how much it overlaps the
        tested effects), and each sample's factor values (``values``: factor -> sample -> value)."""
        return {
            "method": "RUVg",
            "factors": int(self.values.shape[1]),
            "control_genes": list(self.genes),
            "variance_share": [round(v, 4) for v in self.variance_share],
            "random_set_share": [round(v, 4) for v in self.random_share],
            "design_r2": [round(v, 4) for v in self.design_r2],
            "reason": self.reason or "",
            "values": {
                str(name): {str(s): round(float(v), 4) for s, v in col.items()}
                for name, col in self.values.items()
            },
        }


def control_gene_keys(var: pd.DataFrame, de: dict, design: str) -> list[str]:
    """Gene keys of the control genes (``de.unwanted.genes``: symbols or gene keys) when
    ``design`` gets unwanted factors; ``[]`` when it gets none.

    Raises when factors are asked for and none of the genes is in the counts.
    """
    if not unwanted_factors(de, design):
        return []
    wanted = {str(g) for g in de["unwanted"]["genes"]}
    symbols = var["symbol"].astype(str) if "symbol" in var else var.index
    hit = np.asarray(symbols.isin(wanted)) | np.asarray(var.index.isin(wanted))
    if not hit.any():
        raise InputError(
            "config.yaml (de section)",
            "de.unwanted.genes",
            f"none of the control genes ({preview(sorted(wanted))}) is among the genes of the "
            "counts (as symbol or gene id)",
            "list genes the counts have under de.unwanted.genes, or set de.unwanted.factors: 0",
        )
    return list(var.index[hit])


def normalised_counts(counts: pd.DataFrame) -> np.ndarray:
    """Counts (samples x genes) over the size factors pydeseq2's fit will use (median of ratios,
    or its iterative fallback when every gene has a zero). The median of ratios comes from
    ``pydeseq2.preprocessing``, the functions ``DeseqDataSet.fit_size_factors`` calls (same
    numbers, without importing the whole of pydeseq2: the voom engine's jobs stay light)."""
    values = np.asfortranarray(counts.to_numpy())  # the layout of the DeseqDataSet's X
    if not (values == 0).any(axis=0).all():
        from pydeseq2.preprocessing import deseq2_norm_fit, deseq2_norm_transform

        logmeans, usable = deseq2_norm_fit(values)
        return np.asarray(deseq2_norm_transform(values, logmeans, usable)[0])
    from pydeseq2.dds import DeseqDataSet

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        dds = DeseqDataSet(
            counts=counts, metadata=pd.DataFrame(index=counts.index), design="~1", quiet=True
        )
        dds.fit_size_factors()
    return np.asarray(dds.layers["normed_counts"])


def control_factors(
    counts: pd.DataFrame,
    design: pd.DataFrame,
    contrasts: list[np.ndarray],
    control: list[str],
    k: int,
) -> UnwantedFactors:
    """The ``k`` leading factors of the ``control`` genes (columns of ``counts``).

    ``counts``: samples x genes (the genes that passed the count filter); ``design``: the full-rank
    design matrix on the same samples; ``contrasts``: the design's contrast vectors. Removed from
    the control genes' log expression first: everything the design explains except the tested
    directions ``X (X'X)^-1 c`` (person means, visit, covariates go; the contrasts stay).
    Factors are scaled to unit standard deviation and signed so that the control genes load
    positively on average (higher = more of the unwanted signal). With fewer than ``k + 1`` control
    genes, or fewer residual degrees of freedom than ``k + 1``, no factor is returned and
    ``reason`` says why.
    """
    none = pd.DataFrame(index=counts.index)
    if k <= 0:
        return UnwantedFactors(none)
    genes = [g for g in control if g in counts.columns]
    if len(genes) < k + 1:
        return UnwantedFactors(
            none, genes, reason=f"{len(genes)} control genes passed the count filter, need {k + 1}"
        )
    x = design.loc[counts.index].to_numpy(dtype=float)
    residual_df = x.shape[0] - x.shape[1]
    if residual_df < k + 1:
        return UnwantedFactors(
            none, genes, reason=f"{residual_df} residual degrees of freedom, need {k + 1}"
        )
    logc = np.log2(normalised_counts(counts) + 1.0)
    resid = logc - nuisance_fit(x, contrasts, logc)  # every gene: the random sets use them too
    columns = np.array([counts.columns.get_loc(g) for g in genes])
    u, s, vt = np.linalg.svd(standardised(resid[:, columns]), full_matrices=False)
    if np.sum(s[:k] ** 2) <= 1e-12 * len(x):
        return UnwantedFactors(
            none, genes, reason="the control genes do not vary once the design is accounted for"
        )
    share = s**2 / np.sum(s**2)
    sign = np.where(vt[:k].sum(axis=1) < 0, -1.0, 1.0)
    w = u[:, :k] * sign
    w = w / w.std(axis=0, ddof=1)
    beyond = w - x @ np.linalg.lstsq(x, w, rcond=None)[0]
    design_r2 = 1.0 - np.sum(beyond**2, axis=0) / np.sum((w - w.mean(axis=0)) ** 2, axis=0)
    if (design_r2 > MAX_DESIGN_R2).any():
        return UnwantedFactors(
            none,
            genes,
            reason=f"the factor is {100 * design_r2.max():.1f} % explained by the design: the "
            "control genes move with what is tested; choose other control genes",
        )
    names = [f"{PREFIX}{i + 1}" for i in range(k)]
    return UnwantedFactors(
        pd.DataFrame(w, index=counts.index, columns=names),
        genes,
        [float(v) for v in share[:k]],
        random_share=matched_set_shares(logc.mean(axis=0), resid, columns),
        design_r2=[float(v) for v in design_r2],
    )


def matched_set_shares(
    mean: np.ndarray,
    resid: np.ndarray,
    columns: np.ndarray,
    n_sets: int = RANDOM_SETS,
    seed: int = 0,
) -> list[float]:
    """First-factor variance share of random gene sets like the control set (``columns`` of
    ``resid``, the genes' residuals of :func:`nuisance_fit`): median and 95th percentile over
    ``n_sets`` sets of the same size, each gene drawn from the control gene's tenth of mean log
    expression ``mean`` (seeded). Tells whether the controls share more variation than any genes
    of their abundance do."""
    decile = np.searchsorted(np.quantile(mean, np.linspace(0.1, 0.9, 9)), mean)
    others = np.setdiff1d(np.arange(resid.shape[1]), columns)
    pools = {d: others[decile[others] == d] for d in np.unique(decile[columns])}
    if any(len(p) < len(columns) for p in pools.values()):
        return []
    rng = np.random.default_rng(seed)
    shares = []
    for _ in range(n_sets):
        picked = np.concatenate(
            [
                rng.choice(pools[d], int((decile[columns] == d).sum()), replace=False)
                for d in sorted(pools)
            ]
        )
        sv = np.linalg.svd(standardised(resid[:, picked]), compute_uv=False)
        shares.append(sv[0] ** 2 / np.sum(sv**2))
    return [float(np.median(shares)), float(np.quantile(shares, 0.95))]


def standardised(resid: np.ndarray) -> np.ndarray:
    """Each gene (column) scaled to unit variance, so that every gene weighs the same whatever
    its abundance and noise."""
    sd = resid.std(axis=0)
    return resid / np.where(sd > 0, sd, 1.0)


def nuisance_fit(x: np.ndarray, contrasts: list[np.ndarray], y: np.ndarray) -> np.ndarray:
    """Least-squares fit of ``y`` on the design ``x`` without its tested directions.

    With ``D = X (X'X)^-1 C'`` (one column per contrast, inside the column space of ``X``), the
    projection on the rest of that space is ``P_X - P_D``; an intercept is always in it.
    """
    x1 = np.column_stack([np.ones(len(x)), x])  # centred even when the design has no intercept
    fitted = x1 @ np.linalg.lstsq(x1, y, rcond=None)[0]
    if contrasts:
        c = np.column_stack([np.asarray(v, dtype=float) for v in contrasts])
        d = x @ np.linalg.solve(x.T @ x, c)
        fitted = fitted - d @ np.linalg.lstsq(d, y, rcond=None)[0]
    return fitted
