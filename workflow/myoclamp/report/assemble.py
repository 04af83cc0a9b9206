"""Assemble ``results/myoclamp.h5ad``: counts, QC layers and metrics, DE, enrichment, clinical."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import anndata as ad
import numpy as np
import pandas as pd

from myoclamp.enrichment.prerank import PRERANK_NOTE

log = logging.getLogger(__name__)

#: text columns of the prerank tables left out of the h5ad (the TSVs keep them): the gene lists,
#: the set names (in the set tests' table) and the note said once as ``prerank_note``
PRERANK_TEXT = ["leading_edge", "description", "note"]
#: DESeq2's result columns; of the second engine's tables the h5ad keeps these (the full tables
#: are results/de/<engine>/)
DE_NUMERIC = ["baseMean", "log2FoldChange", "lfcSE", "stat", "pvalue", "padj"]


def stem(path: str | Path) -> str:
    """Contrast or table name of a result file: results/de/insulin.tsv -> insulin."""
    name = Path(path).name
    for suffix in (".prerank.tsv", ".tsv", ".json"):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return Path(path).stem


def read_tsv(path: str | Path) -> pd.DataFrame:
    return pd.read_csv(path, sep="\t", keep_default_na=True)


def uns_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A table that h5py can store: text columns as strings (missing as ''), index reset."""
    out = df.reset_index(drop=True).copy()
    for col in out.columns:
        if out[col].dtype == object or str(out[col].dtype) in ("category", "string"):
            out[col] = out[col].astype(object).where(out[col].notna(), "").astype(str)
        elif out[col].dtype == bool:
            out[col] = out[col].astype(bool)
    out.columns = [str(c) for c in out.columns]
    out.index = out.index.astype(str)
    return out


BOOLEAN = {True: 1.0, False: 0.0, "True": 1.0, "False": 0.0}


def de_varm(table: pd.DataFrame, var_names: pd.Index) -> pd.DataFrame:
    """One contrast's numeric and boolean (1/0) columns aligned to every gene, float32 (NaN where
    the gene was not tested). Text columns (e.g. the equivalence ``verdict``, which follows from
    ``eq_padj`` and ``padj``) stay in the TSV."""
    t = table.set_index(table["gene_id"].astype(str))
    out = pd.DataFrame(index=var_names)
    for col in t.columns:
        if col in ("gene_id", "symbol", "method", "engine"):
            continue
        values = t[col].reindex(var_names)
        if values.dtype == object or values.dtype == bool:
            known = t[col].dropna()
            if len(known) and not known.isin(list(BOOLEAN)).all():
                continue
            values = values.map(BOOLEAN)
        out[col] = pd.to_numeric(values, errors="coerce").astype(np.float32)
    return out


#: layers that are one line from X: log2(X / library size * 1e6 + 1); kept in qc.h5ad
DERIVED_LAYERS = ("logcpm",)


def analysed_genes_only(adata: ad.AnnData, genes: np.ndarray) -> None:
    """Keep the normalised layers (``normalized``, ``vst``) of ``genes`` only (a mask of the genes
    some analysis used); the others' values become NaN, recorded in ``var["layers_stored"]``.
    X keeps every gene's raw counts, from which they can be recomputed (``obs["size_factor"]``);
    ``logcpm`` is left out (log2(CPM + 1) of X). Together they halve the file of a cohort."""
    for name in DERIVED_LAYERS:
        if name in adata.layers:
            del adata.layers[name]
    for name in list(adata.layers):
        values = np.asarray(adata.layers[name], dtype=np.float32).copy()
        values[:, ~genes] = np.nan
        adata.layers[name] = values
    adata.var["layers_stored"] = genes


def assemble(
    qc_h5ad: str | Path,
    de_tables: list[str],
    de_summary: str | None,
    enrichment_tables: list[str],
    clinical_tables: list[str],
    config: dict,
    command: str,
    detectable_tables: list[str] = (),
    other_de_tables: list[str] = (),
    concordance: str | None = None,
) -> ad.AnnData:
    """The whole analysis in one AnnData (X = raw counts). ``other_de_tables`` are the second
    engine's tables (``results/de/<engine>/{contrast}.tsv``), stored as ``de_<engine>_<contrast>``
    in varm beside the run's own ``de_<contrast>``; ``concordance`` and the detectable-effect
    tables (``results/de/detectable/``) go to ``uns["de"]``."""
    adata = ad.read_h5ad(qc_h5ad)
    for path in de_tables:
        name = stem(path)
        table = read_tsv(path)
        adata.varm[f"de_{name}"] = de_varm(table, adata.var_names)
        tested = adata.varm[f"de_{name}"]["padj"].notna()
        adata.var[f"tested_{name}"] = tested.to_numpy()
    for path in other_de_tables:  # the columns a comparison reads; the rest stays in the TSV
        engine = Path(path).parent.name
        table = read_tsv(path)
        table = table[[c for c in ("gene_id", *DE_NUMERIC) if c in table.columns]]
        adata.varm[f"de_{engine}_{stem(path)}"] = de_varm(table, adata.var_names)
    analysed = np.zeros(adata.n_vars, dtype=bool)
    for name in [k for k in adata.varm if k.startswith("de_")]:
        analysed |= adata.varm[name]["baseMean"].notna().to_numpy()
    analysed_genes_only(adata, analysed)
    uns_de = {}
    if de_summary:
        uns_de["summary"] = uns_frame(read_tsv(de_summary))
    if detectable_tables:
        uns_de["detectable"] = {
            stem(p).replace(".", "_"): uns_frame(read_tsv(p)) for p in detectable_tables
        }
    if concordance:
        uns_de["concordance"] = uns_frame(read_tsv(concordance))
    adata.uns["de"] = uns_de
    adata.uns["enrichment"] = {}
    for p in enrichment_tables:
        table = read_tsv(p)
        if p.endswith(".prerank.tsv"):  # its text lives once: sets' names in the set tests'
            table = table.drop(columns=PRERANK_TEXT, errors="ignore")  # table, the rest the TSV
            adata.uns["enrichment"]["prerank_note"] = PRERANK_NOTE
        name = stem(p).replace(".", "_") + ("_prerank" if p.endswith(".prerank.tsv") else "")
        adata.uns["enrichment"][name] = uns_frame(table)
    adata.uns["clinical"] = {}
    for path in clinical_tables:
        name, table = stem(path), read_tsv(path)
        if name == "genes":  # per gene and method: gene-aligned, as the DE results
            for method, rows in table.groupby("method", sort=True):
                adata.varm[f"clinical_m_value_{method}"] = de_varm(rows, adata.var_names)
        elif name == "change_genes":
            adata.varm["clinical_change_m_value"] = de_varm(table, adata.var_names)
        else:
            adata.uns["clinical"][name] = uns_frame(table)
    prov = dict(adata.uns.get("provenance", {}))
    prov["command"] = command
    prov["config_json"] = json.dumps(config, sort_keys=True, default=str)
    adata.uns["provenance"] = prov
    adata.uns["config_json"] = prov["config_json"]
    log.info(
        "myoclamp.h5ad: %d samples x %d genes, %d layers, %d DE contrasts, %d enrichment tables, "
        "%d clinical tables",
        adata.n_obs,
        adata.n_vars,
        len(adata.layers),
        len(de_tables),
        len(enrichment_tables),
        len(clinical_tables),
    )
    return adata
