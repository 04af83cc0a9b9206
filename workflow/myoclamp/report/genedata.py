"""The gene explorer's data: every tested gene's statistics and expression, compactly encoded.

One JSON document embedded in the report (``<script type="application/json">``), read by
``report.js``. Numbers travel as base64 typed arrays (:mod:`myoclamp.report.encode`):

- per contrast and gene: ``baseMean``, ``log2FoldChange`` and -log10 of ``pvalue`` / ``padj``
  as float32 (the digits shown equal the tables'), ``lfcSE`` and the shrunk log2FC as float16,
  and one byte of flags (:data:`FLAGS`); the 95 % CI is ``log2FoldChange +/- q * lfcSE`` with
  the contrast's own ``q`` (the tables' CI quantile, constant within a contrast);
- per association with the M-value (``results/clinical/genes.tsv``, ``change_genes.tsv``):
  estimate, -log10 p and padj as float32, CI bounds as float16;
- per gene and analysed sample: log2(normalised count + 1) quantised to one byte per gene.

Size: at most ``genes x (21 x contrasts + 16 x associations + samples + 8)`` bytes before base64
(x 4/3; contrasts of one fit send their shared baseMean once), plus the gene names.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping

import anndata as ad
import numpy as np
import pandas as pd

from myoclamp.config import section
from myoclamp.report.encode import encode, f16_safe, neglog10, quantise

log = logging.getLogger(__name__)

FORMAT = 1
FLAGS = {"fitted": 1, "tested": 2, "filtered": 4, "outlier": 8, "unwanted_control": 16}
ASSOCIATIONS = {
    # name: (table, method filter, label, what the estimate is)
    "deseq2": (
        "genes",
        "deseq2",
        "DESeq2, baseline",
        "log2 fold change per SD of M-value, baseline basal biopsies, adjusted for covariates",
    ),
    "spearman": (
        "genes",
        "spearman",
        "partial Spearman, baseline",
        "partial Spearman rho of VST expression with M-value, baseline basal biopsies",
    ),
    "change": (
        "change_genes",
        None,
        "change vs change",
        "partial Spearman rho of the change in expression with the change in M-value, adjusted "
        "for arm",
    ),
}


def _truthy(series: pd.Series) -> np.ndarray:
    return series.astype(str).str.lower().isin(["true", "1", "yes"]).to_numpy()


def tested_keys(
    var_names: pd.Index, de_tables: Mapping[str, pd.DataFrame], clinical: Mapping[str, pd.DataFrame]
) -> pd.Index:
    """Genes with an estimate in any DE table or clinical gene table, in the AnnData's order."""
    keys: set[str] = set()
    for t in de_tables.values():
        keys |= set(t.loc[t["log2FoldChange"].notna(), "gene_id"].astype(str))
    for name in ("genes", "change_genes"):
        t = clinical.get(name)
        if t is not None and len(t):
            keys |= set(t.loc[t["estimate"].notna(), "gene_id"].astype(str))
    return var_names[var_names.isin(list(keys))]


def ci_quantile(table: pd.DataFrame) -> float:
    """The quantile ``q`` of a DE table's 95 % CI (``ci_high = log2FoldChange + q * lfcSE``)."""
    if not {"ci_high", "lfcSE"} <= set(table.columns):
        return float("nan")
    q = (table["ci_high"] - table["log2FoldChange"]) / table["lfcSE"]
    q = q[np.isfinite(q) & (table["lfcSE"] > 1e-3)]
    return float(np.median(q)) if len(q) else float("nan")


def contrast_block(table: pd.DataFrame, keys: pd.Index) -> dict:
    """One DE table's columns aligned to ``keys`` and encoded."""
    t = table.drop_duplicates("gene_id")
    t = t.set_index(t["gene_id"].astype(str)).reindex(keys)

    def col(name: str) -> np.ndarray:
        if name not in t:
            return np.full(len(keys), np.nan)
        return pd.to_numeric(t[name], errors="coerce").to_numpy(dtype=float)

    flags = np.zeros(len(keys), dtype=np.uint8)
    flags |= np.where(np.isfinite(col("log2FoldChange")), FLAGS["fitted"], 0).astype(np.uint8)
    flags |= np.where(np.isfinite(col("padj")), FLAGS["tested"], 0).astype(np.uint8)
    for name in ("filtered", "outlier", "unwanted_control"):
        if name in t:
            flags |= np.where(_truthy(t[name]), FLAGS[name], 0).astype(np.uint8)
    shrunk = col("log2FoldChange_shrunk")
    q = ci_quantile(table)
    return {
        "q": q if np.isfinite(q) else None,
        "baseMean": encode(col("baseMean"), "f32"),
        "lfc": encode(col("log2FoldChange"), "f32"),
        "lfcSE": encode(f16_safe(col("lfcSE")), "f16"),
        "lfcShrunk": encode(f16_safe(shrunk), "f16") if np.isfinite(shrunk).any() else None,
        "mlog10p": encode(neglog10(col("pvalue")), "f32"),
        "mlog10padj": encode(neglog10(col("padj")), "f32"),
        "flags": encode(flags, "u8"),
    }


def association_block(table: pd.DataFrame, keys: pd.Index) -> dict:
    """One per-gene association with the M-value (estimate, CI, p, padj) aligned to ``keys``."""
    t = table.drop_duplicates("gene_id")
    t = t.set_index(t["gene_id"].astype(str)).reindex(keys)

    def col(name: str) -> np.ndarray:
        return pd.to_numeric(t.get(name), errors="coerce").to_numpy(dtype=float)

    n = pd.to_numeric(table.get("n"), errors="coerce")
    return {
        "n": int(n.max()) if n is not None and n.notna().any() else None,
        "estimate": encode(col("estimate"), "f32"),
        "ciLow": encode(f16_safe(col("ci_low")), "f16"),
        "ciHigh": encode(f16_safe(col("ci_high")), "f16"),
        "mlog10p": encode(neglog10(col("pvalue")), "f32"),
        "mlog10padj": encode(neglog10(col("padj")), "f32"),
    }


def _levels(obs: pd.DataFrame, column: str) -> list[str]:
    s = obs[column]
    if hasattr(s, "cat"):
        present = set(s.astype(str))
        return [str(c) for c in s.cat.categories if str(c) in present]
    return sorted(s.astype(str).unique())


def sample_block(obs: pd.DataFrame, m_value: str | None) -> dict:
    """The analysed samples: ids, participants, arm/visit/clamp codes and levels, M-value."""
    out: dict = {"id": [str(i) for i in obs.index], "participant": obs["participant"].astype(str)}
    out["participant"] = out["participant"].tolist()
    levels = {}
    for role in ("arm", "visit", "clamp"):
        if role not in obs:
            continue
        levels[role] = _levels(obs, role)
        code = {lv: i for i, lv in enumerate(levels[role])}
        out[role] = [code[str(v)] for v in obs[role].astype(str)]
    out["levels"] = levels
    if m_value and m_value in obs:
        m = pd.to_numeric(obs[m_value], errors="coerce").to_numpy(dtype=float)
        out["m_value"] = encode(m, "f32")
    return out


def log_expression(adata: ad.AnnData, keys: pd.Index, samples: pd.Index) -> np.ndarray:
    """log2(normalised count + 1), genes x samples, from the ``normalized`` layer."""
    cols = adata.var_names.get_indexer(keys)
    rows = adata.obs_names.get_indexer(samples)
    layer = adata.layers["normalized"]
    block = layer[rows][:, cols]
    block = block.toarray() if hasattr(block, "toarray") else np.asarray(block)
    return np.log2(block.astype(np.float64) + 1.0).T


def _joined(values: pd.Series) -> str:
    text = values.astype(str).str.replace("\t", " ", regex=False)
    return "\t".join(text.tolist())


def names_block(var: pd.DataFrame, keys: pd.Index) -> dict:
    """Symbols, keys (only where neither the symbol nor the Ensembl id) and Ensembl ids.

    Text columns are tab-joined strings; Ensembl ids, when all are ``ENSG`` + 11 digits (or
    empty), travel as the int32 of their digits (0 = none).
    """
    sym = var.loc[keys, "symbol"]
    sym = sym.astype(str).where(sym.notna(), "")
    ens = var.loc[keys, "gene_id"] if "gene_id" in var else pd.Series("", index=keys)
    ens = ens.astype(str).where(ens.notna() & ~ens.astype(str).isin(["nan", "None"]), "")
    key = pd.Series(keys.astype(str), index=keys)
    key = key.where((key != sym) & (key != ens), "")
    out = {"symbol": _joined(sym), "key": _joined(key)}
    if ens.str.fullmatch(r"(ENSG\d{11})?").all():
        digits = pd.to_numeric(ens.str.slice(4), errors="coerce").fillna(0).astype(np.int64)
        out["ensg"] = encode(digits.to_numpy(), "i32")
    else:
        out["ensembl"] = _joined(ens)
    return out


def gene_payload(
    adata: ad.AnnData,
    de_tables: Mapping[str, pd.DataFrame],
    summary: pd.DataFrame | None,
    clinical: Mapping[str, pd.DataFrame],
    config: Mapping,
    groups: Mapping[str, str] | None = None,
) -> dict:
    """Everything the gene explorer, volcano and MA plots show, as one JSON-able dict.

    ``de_tables`` maps contrast name to its table (in display order), ``clinical`` maps
    ``genes`` / ``change_genes`` to the clinical gene tables (either may be absent), ``groups``
    maps contrast name to the report section it belongs to.
    """
    keys = tested_keys(adata.var_names, de_tables, clinical)
    others = adata.var_names[~adata.var_names.isin(keys)]
    names = names_block(adata.var, keys.append(others))
    alpha = float(section(config, "de")["alpha"])
    desc = {}
    if summary is not None and len(summary):
        desc = dict(
            zip(summary["contrast"].astype(str), summary["description"].astype(str), strict=True)
        )
    contrasts: list[dict] = []
    for name, table in de_tables.items():
        block = contrast_block(table, keys)
        same = [i for i, c in enumerate(contrasts) if c["baseMean"] == block["baseMean"]]
        if same:  # contrasts of one fit share their baseMean: sent once
            block["baseMean"], block["baseMeanFrom"] = None, same[0]
        block.update(name=name, description=desc.get(name, ""), alpha=alpha,
                     section=(groups or {}).get(name, ""))  # fmt: skip
        contrasts.append(block)
    associations = []
    for name, (table_name, method, label, what) in ASSOCIATIONS.items():
        t = clinical.get(table_name)
        if t is None or t.empty:
            continue
        if method is not None:
            if "method" not in t:
                continue
            t = t[t["method"].astype(str) == method]
            if t.empty:
                continue
        block = association_block(t, keys)
        block.update(name=name, label=label, what=what)
        associations.append(block)
    obs = adata.obs
    used = obs[~obs["excluded"].astype(bool)] if "excluded" in obs else obs
    m_value = section(config, "clinical")["m_value"]
    samples = sample_block(used, m_value)
    codes, lo, hi = quantise(log_expression(adata, keys, used.index))
    goi = [str(g) for g in section(config, "de")["genes_of_interest"]]
    symbols = adata.var.loc[keys, "symbol"].astype(str).tolist()
    symbol_index = {s: i for i, s in reversed(list(enumerate(symbols)))}
    levels = config.get("levels", {})
    return {
        "format": FORMAT,
        "names": names,
        "n_tested": len(keys),
        "goi": [symbol_index[g] for g in goi if g in symbol_index],
        "contrasts": contrasts,
        "associations": associations,
        "samples": samples,
        "reference": {
            "arm": levels.get("arm", {}).get("reference"),
            "baseline": levels.get("visit", {}).get("baseline"),
            "basal": levels.get("clamp", {}).get("basal"),
        },
        "expression": {
            "what": "log2(normalised count + 1)",
            "codes": encode(codes, "u8"),
            "lo": encode(lo, "f32"),
            "hi": encode(hi, "f32"),
        },
    }


def payload_json(payload: Mapping) -> str:
    """The payload as compact JSON safe inside ``<script type="application/json">``."""
    text = json.dumps(payload, separators=(",", ":"), allow_nan=False, default=_default)
    return text.replace("</", "<\\/")


def _default(value):
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value) if np.isfinite(value) else None
    raise TypeError(f"not JSON-serialisable: {type(value)}")


def sizes(payload: Mapping) -> dict[str, int]:
    """Bytes of each part of the payload's JSON (for the log and the docs)."""
    parts: dict[str, int] = {}
    for key, value in payload.items():
        parts[key] = len(payload_json({key: value}))
    return parts
