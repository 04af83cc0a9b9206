"""Gene sets: the arm difference in each participant's change of the set score, and its TOST.

Set score of a biopsy (here, unlike :mod:`sets`, not standardised, so that it stays on the log2
scale of the gene margin): the mean over the set's genes of their log2 expression,
``log2(normalised count + 1)`` (:func:`log2_normalised` of the QC stage's ``normalized`` layer),
restricted to the genes passing the DE count filter; genes are matched by symbol, the highest mean
wins among genes sharing one. Not the VST: it compresses changes at low and moderate counts
towards zero (a planted change of -0.585 log2 in every gene of a set came out as -0.51 to -0.58 by
set on GSE202295, -0.58 to -0.59 with ``log2(x + 1)``), which would favour "equivalent".

A participant's change is the follow-up minus the baseline score of their basal biopsies: the
mean log2 fold change of the set's genes within that person. The arm difference of the changes
(test minus reference) is the OLS coefficient of ``change ~ 1 + arm`` (pooled variance, ``n - 2``
df), with its 95 % interval and t-test (``pvalue``, BH over the sets: ``padj``); against the
margin ``m`` (log2) the TOST gives ``tost_pvalue`` and the ``1 - 2 alpha`` interval (90 % at
alpha 0.05), BH over the sets: ``tost_padj``. Verdict as for genes
(:func:`myoclamp.de.equivalence.verdicts`) on ``tost_padj`` and ``padj``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd
from scipy.stats import t as student_t

from myoclamp.clinical.equivalence import tost
from myoclamp.clinical.samples import analysed, basal
from myoclamp.clinical.sets import symbol_keys
from myoclamp.clinical.settings import ClinicalSettings
from myoclamp.de.equivalence import bh, verdicts
from myoclamp.enrichment.genesets import CURATED, GeneSets

log = logging.getLogger(__name__)

SET_EQUIVALENCE_COLUMNS = [
    "set",
    "collection",
    "description",
    "size",
    "n_reference",
    "n_test",
    "estimate",
    "se",
    "df",
    "ci_low",
    "ci_high",
    "pvalue",
    "padj",
    "margin",
    "tost_ci_low",
    "tost_ci_high",
    "tost_pvalue",
    "tost_padj",
    "verdict",
]


def log2_normalised(normalised: np.ndarray | pd.DataFrame, prior: float = 1.0):
    """``log2(normalised count + prior)``: log2 expression whose changes are log2 fold changes
    for all but the lowest counts."""
    return np.log2(normalised + prior)


def paired_basal(obs: pd.DataFrame, cfg: ClinicalSettings) -> pd.DataFrame:
    """Participants with an analysed basal biopsy at both visits: ``base``, ``follow`` (sample
    ids) and ``arm``, indexed by participant (sorted)."""
    sub = basal(analysed(obs), cfg)
    visit = sub["visit"].astype(str)
    frames = {}
    for key, level in (("base", cfg.visit_base), ("follow", cfg.visit_follow)):
        rows = sub[visit == level]
        dup = rows["participant"][rows["participant"].duplicated()]
        if len(dup):
            raise ValueError(
                f"participant {dup.iloc[0]!r} has two {level} basal biopsies in the AnnData; "
                "list one under exclude: in the config"
            )
        frames[key] = pd.Series(rows.index.astype(str), index=rows["participant"].astype(str))
    people = frames["base"].index.intersection(frames["follow"].index).sort_values()
    arm = sub.assign(_p=sub["participant"].astype(str)).groupby("_p", observed=True)["arm"].first()
    return pd.DataFrame(
        {
            "base": frames["base"].loc[people].to_numpy(),
            "follow": frames["follow"].loc[people].to_numpy(),
            "arm": arm.loc[people].astype(str).to_numpy(),
        },
        index=people,
    )


def set_log2_scores(
    expr: pd.DataFrame,
    symbols: pd.Series,
    gene_sets: Mapping[str, Sequence[str]],
    min_size: int = 5,
    max_size: int = 500,
) -> tuple[pd.DataFrame, pd.Series]:
    """Mean log2 expression of each set's genes per sample (samples x sets) and set sizes."""
    keys = symbol_keys(expr, symbols)
    col_of = {g: i for i, g in enumerate(expr.columns)}
    names, sizes = [], []
    weights = []
    for name, genes in gene_sets.items():
        idx = sorted({col_of[keys[g]] for g in genes if g in keys.index})
        if min_size <= len(idx) <= max_size:
            w = np.zeros(expr.shape[1])
            w[idx] = 1.0 / len(idx)
            names.append(name)
            sizes.append(len(idx))
            weights.append(w)
    if not names:
        return pd.DataFrame(index=expr.index), pd.Series(dtype=int)
    scores = expr.to_numpy(float) @ np.column_stack(weights)
    return (
        pd.DataFrame(scores, index=expr.index, columns=names),
        pd.Series(sizes, index=names, dtype=int),
    )


def arm_difference(
    change: pd.DataFrame, test: np.ndarray, margin: float, alpha: float = 0.05
) -> pd.DataFrame:
    """Per column of ``change`` (participants x sets): test minus reference mean, pooled-variance
    t-test and 95 % CI, TOST against ``margin``, BH over the columns, verdict."""
    y = change.to_numpy(float)
    test = np.asarray(test, dtype=bool)
    n1, n0 = int(test.sum()), int((~test).sum())
    df = n0 + n1 - 2
    out = pd.DataFrame({"set": change.columns.astype(str), "n_reference": n0, "n_test": n1})
    if n0 < 1 or n1 < 1 or df < 1:
        for col in SET_EQUIVALENCE_COLUMNS:
            if col not in out:
                out[col] = np.nan
        out["margin"] = margin
        out["verdict"] = "inconclusive"
        return out
    mean1, mean0 = y[test].mean(axis=0), y[~test].mean(axis=0)
    resid = np.concatenate([y[test] - mean1, y[~test] - mean0])
    pooled = (resid**2).sum(axis=0) / df
    est = mean1 - mean0
    se = np.sqrt(pooled * (1.0 / n0 + 1.0 / n1))
    q = float(student_t.ppf(0.975, df))
    with np.errstate(divide="ignore", invalid="ignore"):
        pvalue = 2.0 * student_t.sf(np.abs(est / se), df)
    res = tost(est, se, df, margin, alpha)
    out["estimate"] = est
    out["se"] = se
    out["df"] = df
    out["ci_low"] = est - q * se
    out["ci_high"] = est + q * se
    out["pvalue"] = pvalue
    out["padj"] = bh(pvalue)
    out["margin"] = float(margin)
    out["tost_ci_low"] = res["tost_ci_low"]
    out["tost_ci_high"] = res["tost_ci_high"]
    out["tost_pvalue"] = res["tost_pvalue"]
    out["tost_padj"] = bh(res["tost_pvalue"])
    out["verdict"] = verdicts(out["tost_padj"], out["padj"], alpha)
    return out


def set_equivalence(
    expr: pd.DataFrame,
    obs: pd.DataFrame,
    symbols: pd.Series,
    sets: GeneSets,
    cfg: ClinicalSettings,
    margin: float,
    *,
    alpha: float = 0.05,
    collections: Iterable[str] = tuple(CURATED),
    min_size: int = 5,
    max_size: int = 500,
) -> pd.DataFrame:
    """The set equivalence table (module docstring) for the sets of ``collections``.

    ``expr``: log2 expression, samples x genes (:func:`log2_normalised` of the ``normalized``
    layer, the tested genes);
    ``obs``: the AnnData's obs (participant, arm, visit, clamp, excluded).
    """
    if not margin > 0:
        raise ValueError("the equivalence margin must be positive (log2 units)")
    chosen = {n: g for c in collections for n, g in sets.subset(c).items()}
    pairs = paired_basal(obs, cfg)
    pairs = pairs[pairs["arm"].isin([cfg.arm_ref, cfg.arm_test])]
    scores, sizes = set_log2_scores(expr, symbols, chosen, min_size, max_size)
    log.info(
        "set equivalence: %d participants with basal biopsies at both visits, %d sets scored",
        len(pairs),
        scores.shape[1],
    )
    if scores.shape[1] == 0 or pairs.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in SET_EQUIVALENCE_COLUMNS})
    change = pd.DataFrame(
        scores.loc[pairs["follow"]].to_numpy() - scores.loc[pairs["base"]].to_numpy(),
        index=pairs.index,
        columns=scores.columns,
    )
    out = arm_difference(change, (pairs["arm"] == cfg.arm_test).to_numpy(), margin, alpha)
    out["collection"] = [sets.collection[s] for s in out["set"]]
    out["description"] = [sets.description.get(s, "") for s in out["set"]]
    out["size"] = sizes.reindex(out["set"]).to_numpy()
    return out[SET_EQUIVALENCE_COLUMNS]
