"""Statements the report makes, each computed from the run's own tables (never fixed text)."""

from __future__ import annotations

import numpy as np
import pandas as pd


def design_counts(obs: pd.DataFrame) -> pd.DataFrame:
    """Participants and biopsies per arm, visit and clamp state (excluded samples apart)."""
    keys = [c for c in ("arm", "visit", "clamp") if c in obs]
    used = obs[~obs["excluded"].astype(bool)]
    out = (
        used.groupby(keys, observed=True)
        .agg(biopsies=("participant", "size"), participants=("participant", "nunique"))
        .reset_index()
    )
    for k in keys:
        out[k] = out[k].astype(str)
    return out


def null_statement(table: pd.DataFrame, genes: list[str], alpha: float = 0.05) -> dict:
    """How strong a null is: counts at FDR 5 %/10 %, and the widest change the CIs allow.

    ``table`` is a DE result table (DESeq2 columns plus ci_low/ci_high); ``genes`` the genes of
    interest. Returns the counts and, for the genes of interest, the largest absolute CI bound:
    changes beyond 2**bound-fold in these genes are excluded at 95 % confidence.
    """
    padj = pd.to_numeric(table["padj"], errors="coerce")
    goi = table[table["symbol"].astype(str).isin(genes)]
    bounds = goi[["ci_low", "ci_high"]].abs().max(axis=1) if len(goi) else pd.Series(dtype=float)
    widest = float(bounds.max()) if len(bounds) else float("nan")
    return {
        "tested": int(padj.notna().sum()),
        "fdr05": int((padj < 0.05).sum()),
        "fdr10": int((padj < 0.10).sum()),
        "alpha_hits": int((padj < alpha).sum()),
        "goi_found": len(goi),
        "goi_widest_bound": widest,
        "goi_widest_gene": str(goi.loc[bounds.idxmax(), "symbol"]) if len(bounds) else "",
        "goi_fold": float(2**widest) if np.isfinite(widest) else float("nan"),
    }


def null_sentence(name: str, s: dict) -> str:
    """A plain-language sentence of a contrast's result, from :func:`null_statement`."""
    if s["tested"] == 0:
        return f"{name}: no gene could be tested."
    head = (
        f"{name}: of {s['tested']:,} genes tested, {s['fdr05']:,} had an adjusted p-value "
        f"below 0.05 and {s['fdr10']:,} below 0.10."
    )
    if s["goi_found"] and np.isfinite(s["goi_widest_bound"]):
        head += (
            f" For the {s['goi_found']} genes of interest, every 95 % confidence interval lies "
            f"within ±{s['goi_widest_bound']:.2f} log2 units (widest: {s['goi_widest_gene']}), so "
            f"changes larger than {s['goi_fold']:.2f}-fold in these genes are excluded."
        )
    return head


def goi_estimates(table: pd.DataFrame, genes: list[str]) -> pd.DataFrame:
    """Genes of interest with their estimate and 95 % CI, in the configured order."""
    cols = ["symbol", "baseMean", "log2FoldChange", "ci_low", "ci_high", "pvalue", "padj"]
    sub = table[table["symbol"].astype(str).isin(genes)]
    order = {g: i for i, g in enumerate(genes)}
    sub = sub.assign(_o=sub["symbol"].map(order)).sort_values("_o")
    return sub[[c for c in cols if c in sub]].reset_index(drop=True)


def top_genes(table: pd.DataFrame, n: int = 30) -> pd.DataFrame:
    """The ``n`` genes with the smallest adjusted p-values."""
    cols = [
        "symbol",
        "gene_id",
        "baseMean",
        "log2FoldChange",
        "lfcSE",
        "log2FoldChange_shrunk",
        "pvalue",
        "padj",
    ]
    t = table.dropna(subset=["padj"]).sort_values(["padj", "pvalue"]).head(n)
    return t[[c for c in cols if c in t]].reset_index(drop=True)


def set_names(table: pd.DataFrame) -> pd.DataFrame:
    """``table`` with a ``name`` column after ``set``: the GMT description (for GO sets the GO
    term name, e.g. GO:0036037 -> "CD8-positive, alpha-beta T cell activation")."""
    if "set" not in table or "name" in table:
        return table
    desc = table["description"] if "description" in table else pd.Series("", index=table.index)
    name = desc.where(desc.notna(), "").astype(str)
    out = table.drop(columns=[c for c in ("description",) if c in table])
    out.insert(list(out.columns).index("set") + 1, "name", name.to_numpy())
    return out


def top_sets(table: pd.DataFrame, n: int = 15) -> pd.DataFrame:
    """The ``n`` gene sets with the smallest FDR (ties by |NES|), named."""
    cols = ["set", "name", "collection", "size", "NES", "pvalue", "FDR"]
    if table.empty:
        return table
    t = set_names(table.assign(_a=-table["NES"].abs()).sort_values(["FDR", "_a"]).head(n))
    return t[[c for c in cols if c in t]].reset_index(drop=True)


def ora_view(table: pd.DataFrame, n: int = 60) -> pd.DataFrame:
    """Over-representation rows with the smallest FDR, named, without the gene lists."""
    cols = ["direction", "set", "name", "collection", "size", "overlap", "odds_ratio", "pvalue",
            "FDR"]  # fmt: skip
    if table.empty:
        return table
    t = set_names(table.sort_values(["FDR", "pvalue"]).head(n))
    return t[[c for c in cols if c in t]].reset_index(drop=True)


def _mean_sd(mean: float, sd: float, n) -> str:
    if pd.isna(mean):
        return "NA"
    return f"{mean:.3g} ({sd:.2g}), n={int(n)}" if pd.notna(sd) else f"{mean:.3g}, n={int(n)}"


def endpoints_view(t: pd.DataFrame) -> pd.DataFrame:
    """The endpoints table as a reader wants it: mean (SD) by arm and visit, effect [95 % CI], p."""
    rows = []
    for _, r in t.iterrows():
        ref, test = r["arm_reference"], r["arm_test"]
        effect = (
            f"{r['estimate']:.3g} [{r['ci_low']:.3g}, {r['ci_high']:.3g}]"
            if pd.notna(r.get("estimate"))
            else "NA"
        )
        rows.append(
            {
                "variable": r["variable"],
                f"baseline {ref}": _mean_sd(
                    r["mean_baseline_reference"],
                    r["sd_baseline_reference"],
                    r["n_baseline_reference"],
                ),
                f"baseline {test}": _mean_sd(
                    r["mean_baseline_test"], r["sd_baseline_test"], r["n_baseline_test"]
                ),
                f"follow-up {ref}": _mean_sd(
                    r["mean_followup_reference"],
                    r["sd_followup_reference"],
                    r["n_followup_reference"],
                ),
                f"follow-up {test}": _mean_sd(
                    r["mean_followup_test"], r["sd_followup_test"], r["n_followup_test"]
                ),
                f"{test} - {ref} at follow-up [95 % CI]": effect,
                "p": r.get("pvalue"),
                "note": r.get("note") if isinstance(r.get("note"), str) else "",
            }
        )
    return pd.DataFrame(rows)


def ci_excludes_zero(t: pd.DataFrame) -> list[str]:
    """Endpoints whose 95 % CI of the arm effect excludes zero."""
    ok = t.dropna(subset=["ci_low", "ci_high"])
    return ok.loc[(ok["ci_low"] > 0) | (ok["ci_high"] < 0), "variable"].astype(str).tolist()
