"""The equivalence tests on real counts at the boundary of their null: GSE202295, arms permuted,
effects of exactly the margin planted by binomial thinning.

Why this null. The equivalence test's null hypothesis is ``|effect| >= m``; its error is to call
equivalent a gene that moves by the margin or more, and the least favourable case is
``|effect| = m`` exactly. Permuting the arm labels between participants
(``myoclamp_tools.nulls.permute_arms``) makes every gene's arm difference an exact null of zero
with the real counts' variance, person and visit effects; calling those genes equivalent is the
test's power, not an error. So on top of the permutation an effect of exactly the margin is
planted by **binomial thinning**: keeping each read with probability ``2**-m`` turns a negative
binomial count NB(mu, phi) into NB(mu 2**-m, phi) (gamma-Poisson thinned: the gamma scale
shrinks, the shape stays), so the planted change is exact and the counts keep their real
dispersion. Down by ``m``: the genes of interest and the genes of the curated muscle sets are
thinned in the test arm's follow-up samples. Up by ``m``: as many other expressed genes
(mean count >= 20, drawn with the permutation's seed) are thinned in the test arm's baseline
samples, so that each sample loses reads in about the same number of genes and the size factors
stay balanced. Then the DE stage fits the ``treatment`` design (t reference) and the equivalence
tests run as in the workflow; every planted gene and set is at the boundary, so the share called
equivalent must not exceed alpha. The unplanted genes (true difference zero) give the power.
The same permutation without planting checks that the set-level difference test is uniform.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import anndata as ad
import numpy as np
import pandas as pd
import scipy.sparse as sp

from myoclamp.clinical.set_equivalence import set_equivalence
from myoclamp.clinical.settings import clinical_settings
from myoclamp.de.equivalence import equivalence_table
from myoclamp.de.settings import de_settings
from myoclamp.de.stats import wald_df
from myoclamp.enrichment.genesets import BUNDLED, GeneSets, load_collections
from myoclamp_tools.equivalence_demo import MARGIN, log2_expression
from myoclamp_tools.nulls import permute_arms
from myoclamp_tools.rcompare import GSE202295_CONFIG

ROOT = Path(__file__).resolve().parents[1]
CONFIG = {
    **GSE202295_CONFIG,
    "inputs": {"clinical": "none"},
    "de": {**GSE202295_CONFIG["de"], "shrink": False, "solver": "blocks", "wald_distribution": "t"},
}


def muscle_sets() -> GeneSets:
    """The bundled curated muscle sets."""
    return load_collections({"muscle": ROOT / "resources" / BUNDLED["muscle"]})


def thin(counts: np.ndarray, keep: float, rng: np.random.Generator) -> np.ndarray:
    """Binomial thinning: each read kept with probability ``keep``."""
    return rng.binomial(np.asarray(counts, dtype=np.int64), keep)


def plant_boundary(
    adata: ad.AnnData,
    margin: float,
    down: list[str],
    seed: int,
    test_arm: str,
    visits: tuple[str, str],
    min_mean: float = 20.0,
) -> tuple[ad.AnnData, dict[str, float]]:
    """A copy of ``adata`` with ``down`` genes (symbols) at ``-margin`` and as many random others
    at ``+margin`` in the test arm (module docstring); the planted log2FC per gene key."""
    x = adata.X.toarray() if sp.issparse(adata.X) else np.asarray(adata.X)
    x = x.astype(np.int64).copy()
    symbols = adata.var["symbol"].astype(str)
    down_keys = list(adata.var_names[symbols.isin(down).to_numpy()])
    rng = np.random.default_rng([seed, 7])
    means = x.mean(axis=0)
    pool = np.flatnonzero((means >= min_mean) & ~np.isin(adata.var_names, down_keys))
    up_idx = np.sort(rng.choice(pool, size=min(len(down_keys), len(pool)), replace=False))
    up_keys = list(adata.var_names[up_idx])
    test = (adata.obs["arm"].astype(str) == test_arm).to_numpy()
    visit = adata.obs["visit"].astype(str).to_numpy()
    keep = float(2.0**-margin)
    cols_down = adata.var_names.get_indexer(down_keys)
    rows_follow = np.flatnonzero(test & (visit == visits[1]))
    rows_base = np.flatnonzero(test & (visit == visits[0]))
    x[np.ix_(rows_follow, cols_down)] = thin(x[np.ix_(rows_follow, cols_down)], keep, rng)
    x[np.ix_(rows_base, up_idx)] = thin(x[np.ix_(rows_base, up_idx)], keep, rng)
    out = ad.AnnData(X=x, obs=adata.obs.copy(), var=adata.var.copy())
    planted = {k: -margin for k in down_keys} | {k: margin for k in up_keys}
    return out, planted


def run_permutation(
    real: ad.AnnData, seed: int, margin: float = MARGIN, n_cpus: int = 1
) -> tuple[dict, pd.DataFrame]:
    """One permutation: planted at the boundary, fitted and tested; figures and the set table
    (planted and unplanted rows, ``planted`` column)."""
    from myoclamp.de.pipeline import contrast_table, fit_from_adata

    levels = CONFIG["levels"]
    visits = (levels["visit"]["baseline"], levels["visit"]["followup"])
    test_arm = levels["arm"]["test"]
    sets = muscle_sets()
    set_genes = sorted({g for genes in sets.genes.values() for g in genes})
    goi = [g for g in de_settings(CONFIG)["genes_of_interest"] if g in set(real.var["symbol"])]
    perm = real.copy()
    perm.obs = permute_arms(real.obs, seed)
    planted_ad, planted = plant_boundary(
        perm, margin, sorted(set(goi) | set(set_genes)), seed, test_arm, visits
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = fit_from_adata(planted_ad, "treatment", CONFIG, n_cpus=n_cpus)
        table, _ = contrast_table(fit, "treatment", CONFIG, n_cpus=n_cpus)
    df = wald_df(fit.dds)
    eq = equivalence_table(table, margin, df=df, genes_of_interest=goi).set_index("gene_id")
    p_keys = eq.index.intersection(list(planted))
    free = eq.index.difference(p_keys)
    planted_eq = eq.loc[p_keys]
    claims = eq["padj"] < 0.05
    sign = pd.Series(planted).loc[p_keys].apply(np.sign)
    goi_rows = eq[eq["interest"]]
    figures = {
        "permutation": seed,
        "df": df,
        "tested": int(eq["padj"].notna().sum()),
        "planted_tested": int(planted_eq["pvalue"].notna().sum()),
        "planted_rate_p<0.05": float((planted_eq["pvalue"].dropna() < 0.05).mean()),
        "planted_rate_p<0.01": float((planted_eq["pvalue"].dropna() < 0.01).mean()),
        "planted_mean_signed_log2fc": float((sign * planted_eq["log2FoldChange"]).mean()),
        "planted_equivalent_bh": int(claims.loc[p_keys].sum()),
        "unplanted_equivalent_bh": int(claims.loc[free].sum()),
        "false_equivalence_share": float(claims.loc[p_keys].sum() / max(int(claims.sum()), 1)),
        "goi_tested": int(goi_rows["pvalue"].notna().sum()),
        "goi_rate_p<0.05": float((goi_rows["pvalue"].dropna() < 0.05).mean()),
        "goi_any_equivalent_bh": bool((goi_rows["padj_interest"] < 0.05).any()),
    }
    cfg = clinical_settings(CONFIG)
    genes = pd.Index(fit.dds.var_names)
    tables = []
    for label, data in (("planted", planted_ad), ("unplanted", perm)):
        expr = log2_expression(data, genes)
        res = set_equivalence(expr, data.obs, data.var["symbol"], sets, cfg, margin)
        tables.append(res.assign(permutation=seed, planted=label == "planted"))
    set_table = pd.concat(tables, ignore_index=True)
    sp_rows = set_table[set_table["planted"]]
    un_rows = set_table[~set_table["planted"]]
    figures.update(
        {
            "sets_planted_rate_tost<0.05": float((sp_rows["tost_pvalue"] < 0.05).mean()),
            "sets_planted_mean_estimate": float(sp_rows["estimate"].mean()),
            "sets_unplanted_rate_p<0.05": float((un_rows["pvalue"] < 0.05).mean()),
            "sets_unplanted_equivalent": int((un_rows["verdict"] == "equivalent").sum()),
            "sets": len(un_rows),
        }
    )
    return figures, set_table
