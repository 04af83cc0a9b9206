"""The voom engine: limma-voom with the participant as a random effect, one fit per design.

As limma's user guide runs it for repeated measures (and ``myoclamp_tools/r/limma_voom.R``):
TMM library sizes -> :func:`~myoclamp.de.voom.voom` -> consensus within-participant correlation
(:func:`~myoclamp.de.dupcor.duplicate_correlation`) -> voom again with that correlation ->
the correlation again -> generalised least squares per gene with it
(:func:`~myoclamp.de.gls.lm_fit`); per contrast :func:`~myoclamp.de.gls.contrasts_fit` and
:func:`~myoclamp.de.ebayes.ebayes`. Genes pass the DESeq2 engine's count filter
(``de.min_count`` reads in ``de.min_samples`` samples, default the design's smallest cell).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy import stats

from myoclamp.adata import expression_filter
from myoclamp.de.dupcor import duplicate_correlation
from myoclamp.de.ebayes import ebayes
from myoclamp.de.gls import LinearFit, contrasts_fit, lm_fit
from myoclamp.de.mixed_designs import MixedDesign, build_mixed_design
from myoclamp.de.settings import de_settings, unwanted_factors
from myoclamp.de.unwanted import control_gene_keys
from myoclamp.de.voom import Voom, tmm_factors, voom

log = logging.getLogger(__name__)

#: the engine's name in tables, metadata, the summary and the concordance table (``de.engine``)
ENGINE = "voom"
#: voom + correlation rounds (limma's guide: twice; ``de.voom.passes``)
PASSES = 2
#: voom's lowess span (limma 3.54; ``de.voom.span``)
SPAN = 0.5

#: result columns: DESeq2's names where they mean the same, then limma's own
VOOM_COLUMNS = [
    "baseMean",
    "log2FoldChange",
    "lfcSE",
    "stat",
    "pvalue",
    "padj",
    "ci_low",
    "ci_high",
    "AveExpr",
    "df_total",
    "B",
]


@dataclass
class VoomFit:
    """A fitted design: genes, TMM factors, voom weights, the correlation rounds, the GLS fit."""

    genes: pd.Index
    samples: pd.Index
    columns: list[str]
    norm_factors: np.ndarray
    voom: Voom
    fit: LinearFit
    correlations: list[float]
    base_mean: np.ndarray
    seconds: float = 0.0
    extra: dict = field(default_factory=dict)

    @property
    def correlation(self) -> float:
        return self.correlations[-1] if self.correlations else 0.0


def fit_voom(
    counts: pd.DataFrame,
    design: pd.DataFrame,
    block: pd.Series | np.ndarray | None,
    passes: int = PASSES,
    span: float = SPAN,
) -> VoomFit:
    """Fit ``design`` (samples x columns) to ``counts`` (samples x genes, filtered) with voom
    weights and, given ``block`` (participant per sample), the consensus correlation."""
    start = time.perf_counter()
    if not counts.index.equals(design.index):
        raise ValueError("counts and design must list the same samples in the same order")
    y = counts.to_numpy(dtype=float).T  # genes x samples
    x = design.to_numpy(dtype=float)
    nf = tmm_factors(y)
    lib = y.sum(axis=0) * nf
    blk = None if block is None else np.asarray(block).astype(str)
    correlations: list[float] = []
    rho = 0.0
    v = voom(y, x, lib, span=span)
    if blk is not None:
        for i in range(passes):
            rho = duplicate_correlation(v.E, x, blk, weights=v.weights).consensus
            correlations.append(rho)
            if i < passes - 1:
                v = voom(y, x, lib, block=blk, correlation=rho, span=span)
    fit = lm_fit(v.E, x, weights=v.weights, block=blk, correlation=rho)
    scaled = lib / np.exp(np.mean(np.log(lib)))
    seconds = time.perf_counter() - start
    log.info(
        "voom fit: %d samples x %d genes x %d coefficients, correlation %s, %.1f s",
        y.shape[1],
        y.shape[0],
        x.shape[1],
        " -> ".join(f"{r:.3f}" for r in correlations) or "none",
        seconds,
    )
    return VoomFit(
        genes=counts.columns,
        samples=counts.index,
        columns=list(design.columns),
        norm_factors=nf,
        voom=v,
        fit=fit,
        correlations=correlations,
        base_mean=(y / scaled).mean(axis=1),
        seconds=seconds,
    )


def bh_adjust(p: np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values (R's ``p.adjust(p, "BH")``), NaN kept."""
    p = np.asarray(p, dtype=float)
    out = np.full_like(p, np.nan)
    ok = np.flatnonzero(~np.isnan(p))
    if len(ok) == 0:
        return out
    q = p[ok]
    order = np.argsort(q)[::-1]
    n = len(q)
    ranks = np.arange(n, 0, -1)
    adj = np.minimum.accumulate(q[order] * n / ranks)
    res = np.empty(n)
    res[order] = np.minimum(adj, 1.0)
    out[ok] = res
    return out


def voom_contrast(
    fit: VoomFit, contrast: np.ndarray, robust: bool = False, level: float = 0.95
) -> pd.DataFrame:
    """Moderated t results of ``contrast`` (weights on the design columns), indexed by gene."""
    cf = contrasts_fit(fit.fit, np.asarray(contrast, dtype=float))
    eb = ebayes(cf, robust=robust)
    lfc = cf.coefficients[:, 0]
    se = cf.stdev_unscaled[:, 0] * np.sqrt(eb.s2_post)
    q = stats.t.ppf(0.5 + level / 2, eb.df_total)
    p = eb.p_value[:, 0]
    return pd.DataFrame(
        {
            "baseMean": fit.base_mean,
            "log2FoldChange": lfc,
            "lfcSE": se,
            "stat": eb.t[:, 0],
            "pvalue": p,
            "padj": bh_adjust(p),
            "ci_low": lfc - q * se,
            "ci_high": lfc + q * se,
            "AveExpr": fit.fit.amean,
            "df_total": eb.df_total,
            "B": eb.lods[:, 0],
        },
        index=fit.genes,
    )[VOOM_COLUMNS]


# --------------------------------------------------------------------------- designs of a trial


def fit_mixed_design(
    adata, name: str, config: dict, passes: int | None = None
) -> tuple[MixedDesign, VoomFit | None]:
    """Build design ``name`` from ``adata.obs`` (:mod:`myoclamp.de.mixed_designs`), filter genes
    as the DESeq2 engine does, and fit it (``de.voom``'s passes and span; ``passes`` overrides);
    the fit is None when the design is not estimable."""
    de = de_settings(config)
    options = de["voom"]
    design = build_mixed_design(adata.obs, name, config)
    if design.matrix is None or design.reason:
        return design, None
    counts = raw_counts(adata, design.matrix.index)
    min_samples = int(de.get("min_samples") or design.min_group)
    counts = counts.loc[:, expression_filter(counts, de["min_count"], min_samples)]
    design.filter_min_samples = min_samples
    if counts.shape[1] < 2:
        design.reason = "fewer than two genes pass the count filter"
        design.not_estimable.update(dict.fromkeys(design.contrasts, design.reason))
        design.contrasts = {}
        return design, None
    k = unwanted_factors(de, name)
    if k > 0:
        add_unwanted(design, counts, control_gene_keys(adata.var, de, name), k)
    return design, fit_voom(
        counts,
        design.matrix,
        design.block,
        passes=options["passes"] if passes is None else passes,
        span=options["span"],
    )


def raw_counts(adata, samples: pd.Index) -> pd.DataFrame:
    """Raw counts (samples x genes, int64) of ``samples``; raises on non-integer values (as
    ``myoclamp.de.fit.counts_frame``, with an exact integer check instead of ``allclose``)."""
    sub = adata[samples]
    x = sub.X.toarray() if sp.issparse(sub.X) else np.asarray(sub.X)
    if x.dtype.kind == "f" and not np.array_equal(x, np.floor(x)):
        raise ValueError("results/adata/counts.h5ad: X holds non-integer counts; rerun ingest")
    return pd.DataFrame(x.astype(np.int64), index=sub.obs_names, columns=sub.var_names)


def independent_columns(frame: pd.DataFrame, tol: float = 1e-9) -> pd.DataFrame:
    """The columns of ``frame`` that add rank, kept greedily in order (as R aliases them)."""
    kept: list[str] = []
    basis = np.empty((len(frame), 0))
    for col in frame.columns:
        v = frame[col].to_numpy(dtype=float)
        r = v - basis @ (basis.T @ v)
        r -= basis @ (basis.T @ r)
        norm = np.linalg.norm(r)
        if norm > tol * max(1.0, np.linalg.norm(v)):
            kept.append(col)
            basis = np.column_stack([basis, r / norm])
    return frame[kept]


def add_unwanted(design: MixedDesign, counts: pd.DataFrame, control: list[str], k: int) -> None:
    """Add ``k`` RUVg factors of the ``control`` genes (``de.unwanted``) as design columns.

    The factors come from :func:`myoclamp.de.unwanted.control_factors` with the design's columns
    plus participant indicators (those that add rank) as the nuisance design: as under the
    DESeq2 engine's fixed blocks, they describe biopsy-to-biopsy variation within participants,
    not differences between people.
    """
    from myoclamp.de.unwanted import control_factors

    matrix = design.matrix
    people = pd.get_dummies(design.metadata.loc[matrix.index, "participant"], dtype=float)
    people.columns = [f"participant[{c}]" for c in people.columns]
    nuisance = independent_columns(pd.concat([matrix, people], axis=1))
    extra = nuisance.shape[1] - matrix.shape[1]
    contrasts = [np.concatenate([v, np.zeros(extra)]) for v in design.contrasts.values()]
    unwanted = control_factors(counts, nuisance, contrasts, control, k)
    if unwanted.reason:
        log.warning("design %s: no unwanted-variation factor: %s", design.name, unwanted.reason)
    design.unwanted = unwanted.meta()
    if unwanted.values.shape[1] == 0:
        return
    design.matrix = pd.concat([matrix, unwanted.values.loc[matrix.index]], axis=1)
    zeros = np.zeros(unwanted.values.shape[1])
    design.contrasts = {c: np.concatenate([v, zeros]) for c, v in design.contrasts.items()}


def voom_table(
    design: MixedDesign,
    fit: VoomFit | None,
    contrast: str,
    var: pd.DataFrame,
    robust: bool = False,
) -> tuple[pd.DataFrame, dict]:
    """The result table of ``contrast`` (``gene_id``, ``symbol``, :data:`VOOM_COLUMNS`,
    ``engine``; by p-value) and its metadata; an empty table with the reason if not estimable."""
    reason = design.not_estimable.get(contrast) or design.reason
    if reason is None and (fit is None or contrast not in design.contrasts):
        reason = "design was not fitted"
    meta = {
        "engine": ENGINE,
        "contrast": contrast,
        "design": design.name,
        "description": design.descriptions.get(contrast, ""),
        "formula": design.formula,
        "estimable": reason is None,
        "reason": reason or "",
        "samples": design.n_samples,
        "participants": design.n_participants,
        "participants_one_biopsy": design.n_single,
        "participants_left_out": design.left_out.to_dict(orient="records"),
        "coefficients": 0 if design.matrix is None else int(design.matrix.shape[1]),
    }
    columns = ["gene_id", "symbol", *VOOM_COLUMNS, "unwanted_control", "engine"]
    if reason is not None:
        return pd.DataFrame({c: pd.Series(dtype=float) for c in columns}), meta
    vec = design.contrasts[contrast]
    res = voom_contrast(fit, vec, robust=robust)
    res.insert(0, "symbol", var["symbol"].reindex(res.index).astype(str).to_numpy())
    res.insert(0, "gene_id", res.index.astype(str))
    controls = {str(g) for g in design.unwanted.get("control_genes", [])}
    res["unwanted_control"] = res["gene_id"].isin(controls)
    res["engine"] = ENGINE
    res = res.sort_values(["pvalue", "gene_id"], na_position="last", kind="mergesort")
    meta.update(
        genes_fitted=int(len(fit.genes)),
        count_filter_min_samples=design.filter_min_samples,
        correlation_passes=[round(r, 6) for r in fit.correlations],
        correlation=round(fit.correlation, 6),
        contrast_vector={c: float(w) for c, w in zip(fit.columns, vec, strict=True) if w != 0},
        robust=robust,
        unwanted=design.unwanted,
    )
    return res[columns].reset_index(drop=True), meta
