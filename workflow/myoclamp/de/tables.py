"""Tidy DE tables: one per contrast (DESeq2 column names), its metadata, and the summary."""

from __future__ import annotations

import numpy as np
import pandas as pd

from myoclamp.de.design import Design
from myoclamp.de.fit import Fit
from myoclamp.de.specs import ContrastSpec
from myoclamp.de.stats import RESULT_COLUMNS

#: the engine's name in metadata, the summary and the concordance table (``de.engine``'s value)
ENGINE = "deseq2"

#: ``unwanted_control``: a negative-control gene of ``de.unwanted``; its row is adjusted by a
#: factor it helped define, so its estimate is not a finding (docs/de.md)
TABLE_COLUMNS = ["gene_id", "symbol", *RESULT_COLUMNS, "unwanted_control"]

SUMMARY_COLUMNS = [
    "contrast",
    "engine",
    "design",
    "description",
    "formula",
    "estimable",
    "reason",
    "samples",
    "participants",
    "participants_one_biopsy",
    "participants_left_out",
    "coefficients",
    "unwanted_factors",
    "genes_fitted",
    "genes_tested",
    "sig_fdr05",
    "sig_fdr10",
    "up",
    "down",
    "alpha",
]


def result_table(
    res: pd.DataFrame, var: pd.DataFrame, controls: list[str] | None = None
) -> pd.DataFrame:
    """Results with ``gene_id`` (the unique gene key of ``var``) and ``symbol``, by p-value;
    ``unwanted_control`` marks the ``controls`` (gene keys) of the design's unwanted factors."""
    table = res.copy()
    table.insert(0, "symbol", var["symbol"].reindex(table.index).astype(str).to_numpy())
    table.insert(0, "gene_id", table.index.astype(str))
    table["unwanted_control"] = table["gene_id"].isin([str(g) for g in controls or []])
    table = table.sort_values(["pvalue", "gene_id"], na_position="last", kind="mergesort")
    return table[TABLE_COLUMNS].reset_index(drop=True)


def empty_table() -> pd.DataFrame:
    """The table of a contrast that could not be estimated: the columns, no rows."""
    return pd.DataFrame({c: pd.Series(dtype=float) for c in TABLE_COLUMNS})


def contrast_meta(fit: Fit, spec: ContrastSpec, reason: str | None) -> dict:
    """What was tested and on what: written beside each contrast table."""
    d = fit.design
    matrix = d.matrix
    return {
        "engine": ENGINE,
        "contrast": spec.name,
        "design": d.name,
        "description": spec.description,
        "formula": d.formula,
        "estimable": reason is None,
        "reason": reason or "",
        "samples": d.n_samples,
        "participants": d.n_participants,
        "participants_one_biopsy": one_biopsy(d),
        "participants_left_out": d.left_out.to_dict(orient="records"),
        "coefficients": 0 if matrix is None else int(matrix.shape[1]),
        "dropped_columns": list(d.dropped_columns),
        "unwanted": getattr(d, "unwanted", {}),
        "contrast_vector": (
            {}
            if reason is not None
            else {
                c: float(w)
                for c, w in zip(matrix.columns, d.contrasts[spec.name], strict=True)
                if w != 0
            }
        ),
        "genes_fitted": 0 if fit.dds is None else int(fit.dds.n_vars),
        "count_filter_min_samples": fit.min_samples,
    }


def one_biopsy(design: Design) -> int:
    """Participants with one biopsy among the design's samples (0 under participant blocks,
    which need two)."""
    if design.matrix is None or "participant" not in design.metadata:
        return 0
    sizes = design.metadata.loc[design.matrix.index].groupby("participant", observed=True).size()
    return int((sizes == 1).sum())


def summary_row(meta: dict, table: pd.DataFrame, alpha: float) -> dict:
    """One summary row: counts of significant genes at FDR 5 % and 10 %, up and down at alpha."""
    padj = pd.to_numeric(table["padj"], errors="coerce")
    lfc = pd.to_numeric(table["log2FoldChange"], errors="coerce")
    sig = padj < alpha
    row = {k: meta.get(k) for k in SUMMARY_COLUMNS if k in meta}
    row["participants_left_out"] = len(meta.get("participants_left_out", []))
    row["unwanted_factors"] = int((meta.get("unwanted") or {}).get("factors", 0))
    row.update(
        genes_tested=int(padj.notna().sum()),
        sig_fdr05=int((padj < 0.05).sum()),
        sig_fdr10=int((padj < 0.10).sum()),
        up=int((sig & (lfc > 0)).sum()),
        down=int((sig & (lfc < 0)).sum()),
        alpha=alpha,
    )
    return row


def summary_table(rows: list[dict]) -> pd.DataFrame:
    """The summary of all contrasts, in workflow order: one row per contrast and engine."""
    out = pd.DataFrame(rows, columns=SUMMARY_COLUMNS)
    if not out.empty:
        out["estimable"] = out["estimable"].map({True: "yes", False: "no"})
        out["reason"] = out["reason"].where(out["reason"] != "", np.nan)
    return out
