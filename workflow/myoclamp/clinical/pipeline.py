"""The clinical stage end to end, one function per rule (called from ``steps``)."""

from __future__ import annotations

import logging
from collections.abc import Mapping

import anndata as ad
import numpy as np
import pandas as pd

from myoclamp.adata import counts_frame
from myoclamp.clinical import plots
from myoclamp.clinical.association import (
    METHODS,
    deseq2_association,
    empty_gene_table,
    gene_table,
    spearman_association,
    tested_genes,
)
from myoclamp.clinical.change import (
    arm_covariate,
    change_genes,
    change_sets,
    empty_change_table,
    paired_samples,
)
from myoclamp.clinical.endpoints import endpoint_table
from myoclamp.clinical.samples import baseline_samples
from myoclamp.clinical.sets import (
    association_gsea,
    empty_set_table,
    score_association,
    set_min_sizes,
    set_scores,
)
from myoclamp.clinical.settings import clinical_settings
from myoclamp.de.settings import de_settings
from myoclamp.enrichment.genesets import CURATED, load_collections
from myoclamp.enrichment.pipeline import settings as enrichment_settings
from myoclamp.errors import InputError
from myoclamp.io import write_json, write_tsv

log = logging.getLogger(__name__)

#: minimum number of people for a correlation across people
MIN_PEOPLE = 5
MIN_RESIDUAL_DF = 3
TOP_GENES = 6


def vst_frame(adata: ad.AnnData, samples: pd.Index, genes: pd.Index, source: str) -> pd.DataFrame:
    """The ``vst`` layer (samples x genes) of the QC object."""
    if "vst" not in adata.layers:
        raise InputError(
            source, "layers", "no 'vst' layer", "use results/adata/qc.h5ad written by the QC stage"
        )
    sub = adata[samples, genes]
    return pd.DataFrame(np.asarray(sub.layers["vst"], dtype=float), index=samples, columns=genes)


def _too_few(n: int, notes: list[str], parameters: int = 2) -> bool:
    """Too few people for the model: under MIN_PEOPLE, or under MIN_RESIDUAL_DF residual df."""
    if n < MIN_PEOPLE:
        notes.append(f"only {n} participant(s) to analyse (at least {MIN_PEOPLE} needed)")
    elif n - parameters < MIN_RESIDUAL_DF:
        notes.append(
            f"{n} participant(s) for a model with {parameters} coefficients (M-value, intercept "
            f"and covariates): at least {MIN_RESIDUAL_DF} residual degrees of freedom are needed; "
            "use fewer clinical.covariates"
        )
    else:
        return False
    log.warning(notes[-1])
    return True


def baseline_genes(
    adata: ad.AnnData, config: dict, n_cpus: int = 1, source: str = "results/adata/qc.h5ad"
) -> tuple[pd.DataFrame, dict]:
    """The tidy genes table of the baseline association, and its metadata."""
    cfg = clinical_settings(config)
    obs, cov, notes = baseline_samples(adata.obs, cfg, adata.uns.get("columns"))
    meta = {"participants": len(obs), "covariates": cov.used, "notes": notes}
    if cfg.m_reason or _too_few(len(obs), notes, 2 + cov.columns):
        return empty_gene_table(), {**meta, "genes_tested": 0}
    de_cfg = de_settings(config)
    counts = counts_frame(adata, obs.index)
    genes = tested_genes(counts, de_cfg)
    m_value = obs[cfg.m_value].to_numpy(float)
    symbols = adata.var["symbol"]
    deseq = deseq2_association(counts[genes], m_value, cov, symbols, de_cfg, n_cpus=n_cpus)
    base_mean = pd.Series(deseq["baseMean"].to_numpy(), index=genes)
    vst = vst_frame(adata, obs.index, genes, source)
    rank = spearman_association(vst, m_value, cov, symbols, base_mean)
    table = gene_table([deseq, rank])
    meta["genes_tested"] = len(genes)
    for method in METHODS:
        sub = table[table["method"] == method]
        meta[f"{method}_fdr05"] = int((sub["padj"] < 0.05).sum())
        meta[f"{method}_abs_estimate_gt_0.3"] = int((sub["estimate"].abs() > 0.3).sum())
    log.info("genes vs M-value: %s", {k: v for k, v in meta.items() if k != "notes"})
    return table, meta


def write_endpoints(config: dict, samples: str, clinical: str | None, out: str) -> None:
    """``results/clinical/endpoints.tsv`` from the sample sheet and clinical table (every
    participant's clinical values, biopsy or not)."""
    from myoclamp.ingest.sheets import load_sheets

    cfg = clinical_settings(config)
    inputs = {**config["inputs"], "samples": samples, "clinical": clinical}
    sheets = load_sheets({**config, "inputs": inputs})
    write_tsv(endpoint_table(sheets.samples, sheets.clinical, cfg), out)


def write_association(
    adata_path: str,
    gmt: Mapping[str, str],
    config: dict,
    outputs: Mapping[str, str],
    n_cpus: int = 1,
) -> None:
    """Expression vs M-value at baseline: per gene (``genes``, ``genes_meta``), per set
    (``sets``, ``gsea``, ``sets_meta``) and the scatter plots (``top_genes``, ``set_scores``)."""
    write_genes(adata_path, config, outputs["genes"], outputs["genes_meta"], n_cpus)
    sets = {"sets": outputs["sets"], "gsea": outputs["gsea"], "meta": outputs["sets_meta"]}
    write_sets(adata_path, outputs["genes"], gmt, config, sets, n_cpus)
    plots = {"genes": outputs["top_genes"], "sets": outputs["set_scores"]}
    write_plots(adata_path, outputs["genes"], outputs["sets"], gmt, config, plots)


def write_genes(adata_path: str, config: dict, out: str, meta_out: str, n_cpus: int = 1) -> None:
    """``results/clinical/genes.tsv`` and its metadata."""
    table, meta = baseline_genes(ad.read_h5ad(adata_path), config, n_cpus, source=adata_path)
    write_tsv(table, out)
    write_json(meta, meta_out)


def _set_config(config: dict, gmt: Mapping[str, str]):
    ecfg = enrichment_settings(config)
    sets = load_collections(gmt)
    sizes = set_min_sizes(sets, int(ecfg["min_size"]), int(ecfg["curated_min_size"]))
    return ecfg, sets, sizes


def read_genes(path: str) -> pd.DataFrame:
    """Read ``results/clinical/genes.tsv`` (gene ids and symbols as text)."""
    return pd.read_csv(path, sep="\t", dtype={"gene_id": str, "symbol": str}, keep_default_na=False,
                       na_values=["NA"])  # fmt: skip


def write_sets(
    adata_path: str,
    genes_path: str,
    gmt: Mapping[str, str],
    config: dict,
    outputs: Mapping[str, str],
    threads: int = 1,
) -> None:
    """Set scores vs M-value (``sets``), GSEA prerank on the per-gene statistic (``gsea``)."""
    cfg = clinical_settings(config)
    adata = ad.read_h5ad(adata_path)
    genes = read_genes(genes_path)
    obs, cov, notes = baseline_samples(adata.obs, cfg, adata.uns.get("columns"))
    ecfg, sets, sizes = _set_config(config, gmt)
    meta = {"participants": len(obs), "covariates": cov.used, "notes": notes}
    if genes.empty and not cfg.m_reason:
        notes.append("no per-gene association to rank (see results/clinical/meta/genes.json)")
    if genes.empty or cfg.m_reason or _too_few(len(obs), notes, 2 + cov.columns):
        write_tsv(empty_set_table(), outputs["sets"])
        write_tsv(association_gsea(genes.iloc[:0], sets, ecfg), outputs["gsea"])
        write_json(meta, outputs["meta"])
        return
    tested = pd.Index(genes.loc[genes["method"] == "spearman", "gene_id"])
    vst = vst_frame(adata, obs.index, tested, adata_path)
    scores, size = set_scores(vst, adata.var["symbol"], sets.genes, sizes, int(ecfg["max_size"]))
    table = score_association(scores, size, obs[cfg.m_value].to_numpy(float), cov, sets)
    write_tsv(table, outputs["sets"])
    gsea = association_gsea(genes, sets, ecfg, threads)
    write_tsv(gsea, outputs["gsea"])
    meta.update(
        sets_scored=len(table),
        sets_fdr05=int((table["padj"] < 0.05).sum()),
        gsea_fdr05={m: int((g["FDR"] < 0.05).sum()) for m, g in gsea.groupby("method")},
        permutations=int(ecfg["permutations"]),
        seed=int(ecfg["seed"]),
    )
    write_json(meta, outputs["meta"])


def write_change(
    adata_path: str, gmt: Mapping[str, str], config: dict, outputs: Mapping[str, str]
) -> None:
    """Change vs change per gene (``genes``) and per set (``sets``)."""
    cfg = clinical_settings(config)
    adata = ad.read_h5ad(adata_path)
    base, follow, notes = paired_samples(adata.obs, cfg)
    meta = {"participants": len(base), "notes": notes}
    cov = arm_covariate(base) if len(base) else None
    if cfg.m_reason or _too_few(len(base), notes, 2 + (cov.columns if cov else 0)):
        write_tsv(empty_change_table(), outputs["genes"])
        write_tsv(empty_set_table(), outputs["sets"])
        write_json(meta, outputs["meta"])
        return
    meta["covariates"] = cov.used
    meta["notes"] += cov.notes
    base_ids, follow_ids = pd.Index(base["sample_id"]), pd.Index(follow["sample_id"])
    genes = tested_genes(counts_frame(adata, base_ids.append(follow_ids)), de_settings(config))
    vb = vst_frame(adata, base_ids, genes, adata_path).reset_index(drop=True)
    vf = vst_frame(adata, follow_ids, genes, adata_path).reset_index(drop=True)
    delta = pd.DataFrame(vf.to_numpy() - vb.to_numpy(), columns=genes)
    delta_m = follow[cfg.m_value].to_numpy(float) - base[cfg.m_value].to_numpy(float)
    symbols = adata.var["symbol"]
    table = change_genes(delta, delta_m, cov, symbols)
    write_tsv(table, outputs["genes"])
    ecfg, sets, sizes = _set_config(config, gmt)
    st = change_sets(vb, vf, delta_m, cov, symbols, sets, sizes, int(ecfg["max_size"]))
    write_tsv(st, outputs["sets"])
    meta.update(genes_tested=len(genes), genes_fdr05=int((table["padj"] < 0.05).sum()),
                sets_scored=len(st), sets_fdr05=int((st["padj"] < 0.05).sum()))  # fmt: skip
    write_json(meta, outputs["meta"])


def _label(row: pd.Series) -> str:
    name = row.get("symbol") or row.get("set")
    return f"{name}\nrho {row['estimate']:.2f}, p {row['pvalue']:.2g}, FDR {row['padj']:.2g}"


def write_plots(
    adata_path: str,
    genes_path: str,
    sets_path: str,
    gmt: Mapping[str, str],
    config: dict,
    outputs: Mapping[str, str],
) -> None:
    """Scatter plots of the top genes (``genes``) and curated set scores (``sets``) vs M."""
    cfg = clinical_settings(config)
    genes = read_genes(genes_path)
    adata = ad.read_h5ad(adata_path)
    obs, cov, notes = baseline_samples(adata.obs, cfg, adata.uns.get("columns"))
    titles = {"genes": "Top genes vs M-value (baseline, basal)",
              "sets": "Curated muscle set scores vs M-value (baseline, basal)"}  # fmt: skip
    if genes.empty or cfg.m_reason or len(obs) < MIN_PEOPLE:
        why = notes[0] if notes else "no participants with an M-value"
        for key in ("genes", "sets"):
            plots.placeholder(outputs[key], titles[key], why)
        return
    m_value = obs[cfg.m_value].to_numpy(float)
    arms = [cfg.arm_ref, cfg.arm_test]
    top = genes[genes["method"] == "spearman"].nsmallest(TOP_GENES, "pvalue")
    vst = vst_frame(adata, obs.index, pd.Index(top["gene_id"]), adata_path)
    labels = [_label(r) for _, r in top.iterrows()]
    plots.scatter_panels(vst, m_value, obs["arm"], arms, labels, outputs["genes"],
                         title=titles["genes"], ylabel="VST expression")  # fmt: skip
    table = pd.read_csv(sets_path, sep="\t", keep_default_na=False, na_values=["NA"])
    curated = table[table["collection"].isin(CURATED)]
    ecfg, sets, sizes = _set_config(config, gmt)
    tested = pd.Index(genes.loc[genes["method"] == "spearman", "gene_id"])
    scores, _ = set_scores(
        vst_frame(adata, obs.index, tested, adata_path),
        adata.var["symbol"],
        {s: sets.genes[s] for s in curated["set"]},
        sizes,
        int(ecfg["max_size"]),
    )
    curated = curated[curated["set"].isin(scores.columns)]
    plots.scatter_panels(scores[curated["set"]], m_value, obs["arm"], arms,
                         [_label(r) for _, r in curated.iterrows()], outputs["sets"],
                         title=titles["sets"], ylabel="set score (mean z of VST)")  # fmt: skip
