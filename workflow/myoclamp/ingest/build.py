"""Build the validated AnnData object from the count table, the sheets and the config."""

from __future__ import annotations

import hashlib
import json
import logging
import platform
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

import anndata as ad
import numpy as np
import pandas as pd
from scipy import sparse

from myoclamp.config import SECTIONS_KEY
from myoclamp.errors import Problems
from myoclamp.ingest import joins
from myoclamp.ingest.counts import CountTable, header_columns, read_counts, sample_from_bam
from myoclamp.ingest.dates import restore_gene_keys, restore_symbols
from myoclamp.ingest.genes import (
    annotate,
    id_mixture,
    id_type,
    load_gene_map,
    merge_duplicate_rows,
)
from myoclamp.ingest.libraries import check_libraries
from myoclamp.ingest.sheets import Sheets, check_exclusions, load_sheets

log = logging.getLogger(__name__)

PACKAGES = (
    "myoclamp",
    "snakemake",
    "pydeseq2",
    "anndata",
    "scanpy",
    "gseapy",
    "numpy",
    "pandas",
    "scipy",
    "formulaic",
)
ORDERED_ROLES = {
    "arm": ("reference", "test"),
    "visit": ("baseline", "followup"),
    "clamp": ("basal", "insulin"),
}


def bam_map(config: dict, samples: pd.DataFrame | None) -> dict[str, str] | None:
    """BAM path (and its file name) -> sample id, from the sheet's BAM column if configured."""
    if samples is None or "bam" not in samples:
        return None
    pairs = samples["bam"].dropna()
    out = {path: sample for sample, path in pairs.items()}
    out.update({Path(path).name: sample for sample, path in pairs.items()})
    return out


def counted_samples(config: dict, samples: pd.DataFrame | None) -> list[str]:
    """Sample ids of the count table's columns, from its header only."""
    fmt = config["inputs"]["format"]
    cols = header_columns(config["inputs"]["counts"], fmt)
    if fmt != "featurecounts":
        return cols
    mapping = bam_map(config, samples)
    if mapping is None:
        return [sample_from_bam(c) for c in cols]
    return [mapping.get(c, mapping.get(Path(c).name, c)) for c in cols]


def sha256(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def provenance(config: dict, root: Path) -> dict:
    """Inputs (relative paths, sha256), package versions and the resolved config."""
    inputs = {}
    for key in ("counts", "samples", "clinical"):
        path = config["inputs"].get(key)
        if path:
            p = Path(path)
            rel = (
                p.resolve().relative_to(root.resolve())
                if p.resolve().is_relative_to(root.resolve())
                else p
            )
            inputs[key] = {"path": str(rel), "sha256": sha256(p)}
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    versions["python"] = platform.python_version()
    return {
        "inputs": inputs,
        "versions": versions,
        "config_json": json.dumps(
            {k: v for k, v in config.items() if k != SECTIONS_KEY}, sort_keys=True
        ),
    }


def _ordered(series: pd.Series, first: list[str]) -> pd.Categorical:
    rest = sorted(set(series.dropna()) - set(first))
    return pd.Categorical(series, categories=list(first) + rest, ordered=True)


def build_obs(sheets: Sheets, config: dict, samples: list[str], excluded: set[str]) -> pd.DataFrame:
    """Sheet rows of the counted samples joined with clinical values by participant and visit."""
    obs = sheets.samples.loc[samples].drop(columns=["sample"]).copy()
    clin = sheets.clinical
    if clin is not None:
        # a column in both tables (checked to agree by load_sheets) is used once
        shared = joins.shared_columns(sheets.samples, clin, sheets.columns)
        obs, clin = joins.combine_shared(obs, clin, shared)
        if "sex" in clin:  # sex in the clinical table only: each participant's, at every visit
            per_person = clin.dropna(subset=["sex"]).drop_duplicates("participant")
            obs["sex"] = obs["participant"].map(per_person.set_index("participant")["sex"])
            clin = clin.drop(columns=["sex"])
        obs = obs.reset_index(names="_sample").merge(clin, on=["participant", "visit"], how="left")
        obs = obs.set_index("_sample").rename_axis(None)
    for role, (a, b) in ORDERED_ROLES.items():
        if role in obs and role in config["levels"]:
            lv = config["levels"][role]
            obs[role] = _ordered(obs[role], [lv[a], lv[b]])
    for col in obs.columns:
        if obs[col].dtype == object:
            obs[col] = obs[col].astype("category")
    obs["participant"] = obs["participant"].astype(str)
    obs["excluded"] = obs.index.isin(excluded)
    reasons = {e["sample"]: e["reason"] for e in config.get("exclude", [])}
    obs["exclusion_reason"] = [reasons.get(s, "") for s in obs.index]
    return obs


@dataclass
class CheckedCounts:
    """The count table read and checked: counts (genes x samples) keyed like ``var``."""

    table: CountTable
    counts: pd.DataFrame
    var: pd.DataFrame
    kind: str
    report: dict
    notes: list[str] = field(default_factory=list)


def read_checked_counts(
    config: dict, samples: pd.DataFrame | None, excluded: set[str]
) -> CheckedCounts:
    """Read the count table and check its content: cells, gene keys (spreadsheet dates, mixed id
    types, duplicates) and libraries (empty or near zero, unless excluded); every problem found
    is raised together. ``samples`` (the sheet, or None) maps featureCounts BAM columns."""
    inputs = config["inputs"]
    problems = Problems()
    table: CountTable = read_counts(
        inputs["counts"],
        inputs["format"],
        round_counts=inputs.get("round_counts", False),
        bam_to_sample=bam_map(config, samples) if samples is not None else None,
        collect=problems,
    )
    cells_ok = not problems.found
    keys, notes = problems.run(restore_gene_keys, table.counts.index, table.path) or (
        table.counts.index,
        [],
    )
    genes = table.genes
    if "symbol" in genes:
        symbols, more = restore_symbols(genes["symbol"], table.path)
        genes = genes.assign(symbol=symbols.to_numpy())
        notes = [*notes, *more]
    configured = inputs.get("gene_ids", "auto")
    kind = id_type(keys, configured)
    notes += problems.run(id_mixture, keys, kind, configured, table.path) or []
    duplicates = inputs.get("duplicate_genes", "error")
    annotated = problems.run(annotate, keys, genes, kind, load_gene_map(), table.path, duplicates)
    if cells_ok:
        problems.run(check_libraries, table.counts.sum(axis=0), excluded, table.path)
    problems.raise_any()
    var, report = annotated
    counts = table.counts.set_axis(var.index, axis=0)
    if report["duplicated_keys"]:
        counts = merge_duplicate_rows(counts)
        var = var[~var.index.duplicated()]
        log.info("summed %d duplicated gene rows", len(report["duplicated_keys"]))
    for note in notes:
        log.warning(note)
    return CheckedCounts(table, counts, var, kind, report, notes)


def build_anndata(config: dict, root: str | Path = ".") -> ad.AnnData:
    """Read, validate and assemble the counts AnnData (X = raw integer counts, samples x genes)."""
    sheets = load_sheets(config)
    counted = counted_samples(config, sheets.samples)
    excluded = check_exclusions(config, sheets.samples, counted)
    checked = read_checked_counts(config, sheets.samples, excluded)
    table, counts, var, kind, report = (
        checked.table,
        checked.counts,
        checked.var,
        checked.kind,
        checked.report,
    )
    keep = [s for s in sheets.samples.index if s in counts.columns]
    obs = build_obs(sheets, config, keep, excluded)
    mat = counts[keep].to_numpy().T
    zero_share = float((mat == 0).mean())
    X = sparse.csr_matrix(mat) if zero_share > 0.5 else np.ascontiguousarray(mat)
    adata = ad.AnnData(
        X=X, obs=obs, var=var.astype({"mito": bool, "mito_rrna": bool, "ribo": bool})
    )
    adata.var_names = adata.var_names.astype(str)
    adata.var.index.name = None
    adata.uns["provenance"] = provenance(config, Path(root))
    adata.uns["levels"] = {k: dict(v) for k, v in config["levels"].items()}
    adata.uns["columns"] = {k: v for k, v in sheets.columns.items()}
    adata.uns["ingest"] = {
        "format": table.format,
        "id_type": kind,
        "non_integer_entries": table.notes["non_integer_entries"],
        "zero_share": zero_share,
        "sparse": bool(sparse.issparse(X)),
        "duplicated_symbols": report["duplicated_symbols"],
        "mito_genes": report["mito_genes"],
        "duplicated_keys_summed": [str(k) for k in report["duplicated_keys"]],
        "notes": [*sheets.notes, *checked.notes],
    }
    excl = config.get("exclude", [])
    adata.uns["exclusions"] = pd.DataFrame(excl, columns=["sample", "reason"]).astype(str)
    log.info(
        "AnnData: %d samples x %d genes (%s, %.0f%% zeros, %d excluded)",
        adata.n_obs,
        adata.n_vars,
        "sparse" if sparse.issparse(X) else "dense",
        100 * zero_share,
        int(obs["excluded"].sum()),
    )
    return adata
