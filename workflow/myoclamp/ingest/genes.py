"""Gene annotation: id type, Ensembl version stripping, symbols, duplicates and gene flags."""

from __future__ import annotations

import functools
import logging
import re
from pathlib import Path

import numpy as np
import pandas as pd

from myoclamp.errors import InputError, preview

log = logging.getLogger(__name__)

ENSEMBL_RE = re.compile(r"^(ENS[A-Z]*G\d{6,})(?:\.\d+)?(_PAR_Y)?$")
# The 37 genes of the mitochondrial genome as NCBI names them (no MT- prefix) and HGNC's MT- names.
MITO_NCBI = {
    "COX1",
    "COX2",
    "COX3",
    "ND1",
    "ND2",
    "ND3",
    "ND4",
    "ND4L",
    "ND5",
    "ND6",
    "CYTB",
    "ATP6",
    "ATP8",
    "RNR1",
    "RNR2",
}
MITO_RRNA = {"RNR1", "RNR2", "MT-RNR1", "MT-RNR2"}
MITO_CHROMOSOMES = {"chrM", "MT", "M", "chrMT"}
# org.Hs.eg.db carries no Ensembl id for the two mitochondrial rRNA genes.
MITO_RRNA_ENSEMBL = {"ENSG00000211459": "RNR1", "ENSG00000210082": "RNR2"}
RIBO_RE = re.compile(r"^RP[LS](\d+[A-Z]?\d*|P[0-2]|A)$")
GENE_MAP = Path(__file__).resolve().parents[3] / "resources" / "genes" / "human_genes.tsv.gz"


def id_type(ids: pd.Index, configured: str = "auto") -> str:
    """'ensembl' or 'symbol': configured, or recognised when most ids look like Ensembl ids."""
    if configured != "auto":
        return configured
    share = pd.Series(ids).astype(str).str.match(ENSEMBL_RE).mean()
    return "ensembl" if share >= 0.9 else "symbol"


def strip_version(ids: pd.Index) -> pd.Index:
    """ENSG00000141510.17 -> ENSG00000141510 (keeping a GENCODE _PAR_Y tag so keys stay unique)."""
    return pd.Index([_strip(i) for i in ids.astype(str)], name=ids.name)


def _strip(gene: str) -> str:
    m = ENSEMBL_RE.match(gene)
    return m.group(1) + (m.group(2) or "") if m else gene


def load_gene_map(path: Path = GENE_MAP) -> pd.DataFrame | None:
    """The bundled Ensembl/symbol/chromosome map (from org.Hs.eg.db), or None if absent (read
    once per process: the startup check and annotation share it; do not modify it)."""
    return _read_gene_map(Path(path))


@functools.cache
def _read_gene_map(path: Path) -> pd.DataFrame | None:
    if not path.exists():
        return None
    return pd.read_csv(path, sep="\t", dtype=str).fillna("")


def is_mito(symbols: pd.Series, chromosomes: pd.Series | None = None) -> np.ndarray:
    """Mitochondrial-genome genes: MT- names, NCBI names (COX1, ND4, CYTB, RNR2...) or chrM."""
    sym = symbols.fillna("").astype(str)
    flag = sym.str.upper().str.startswith("MT-") | sym.isin(MITO_NCBI)
    if chromosomes is not None:
        flag |= chromosomes.fillna("").astype(str).str.split(";").str[0].isin(MITO_CHROMOSOMES)
    return flag.to_numpy()


def annotate(
    keys: pd.Index,
    genes: pd.DataFrame,
    kind: str,
    gene_map: pd.DataFrame | None,
    path: Path | None = None,
    duplicates: str = "error",
) -> tuple[pd.DataFrame, dict]:
    """Build ``var``: unique key, gene_id, symbol, mito, mito_rrna, ribo.

    ``keys`` are the count table's gene column; ``genes`` the annotation columns it carried.
    Returns the var frame (indexed like the counts after any stripping) and a report dict.
    """
    report: dict = {"id_type": kind}
    genes = genes.copy()
    if kind == "ensembl":
        stripped = strip_version(keys)
        report["versions_stripped"] = int((stripped != keys).sum())
        genes.index = stripped
        genes["gene_id"] = stripped
        if "symbol" not in genes:
            genes["symbol"] = _map(stripped, gene_map, "ensembl_id", "symbol")
            rrna = stripped.map(MITO_RRNA_ENSEMBL).fillna("").to_numpy(dtype=object)
            genes["symbol"] = np.where(rrna != "", rrna, genes["symbol"])
    else:
        genes.index = keys
        genes["symbol"] = keys.astype(str)
        genes["gene_id"] = _map(keys, gene_map, "symbol", "ensembl_id")
    _check_duplicate_keys(genes.index, kind, path, duplicates, report)
    genes["symbol"] = genes["symbol"].fillna("").astype(str)
    dup_sym = genes["symbol"][(genes["symbol"] != "") & genes["symbol"].duplicated(keep=False)]
    report["duplicated_symbols"] = sorted(set(dup_sym))
    if report["duplicated_symbols"]:
        log.info(
            "%d symbols name more than one gene id (kept apart by id): %s",
            len(report["duplicated_symbols"]),
            preview(report["duplicated_symbols"]),
        )
    chrom = genes.get("chromosome")
    if chrom is None and gene_map is not None and kind == "ensembl":
        chrom = pd.Series(
            _map(genes.index, gene_map, "ensembl_id", "chromosome"), index=genes.index
        )
    genes["mito"] = is_mito(genes["symbol"], chrom)
    genes["mito_rrna"] = genes["symbol"].str.upper().isin(MITO_RRNA).to_numpy()
    genes["ribo"] = genes["symbol"].str.match(RIBO_RE).to_numpy()
    report["mito_genes"] = int(genes["mito"].sum())
    cols = ["gene_id", "symbol", "mito", "mito_rrna", "ribo"]
    cols += [c for c in genes.columns if c not in cols]
    return genes[cols], report


def _map(values: pd.Index, gene_map: pd.DataFrame | None, src: str, dst: str) -> np.ndarray:
    """Map ids through the bundled table; first match wins, unmapped give ''."""
    if gene_map is None:
        return np.full(len(values), "", dtype=object)
    table = gene_map[gene_map[src] != ""].drop_duplicates(src).set_index(src)[dst]
    return pd.Index(values).map(table).fillna("").to_numpy(dtype=object)


def _check_duplicate_keys(
    index: pd.Index, kind: str, path: Path | None, duplicates: str, report: dict
) -> None:
    dups = index[index.duplicated()].unique().tolist()
    report["duplicated_keys"] = dups
    if dups and duplicates == "error":
        what = "gene id" if kind == "ensembl" else "gene symbol"
        raise InputError(
            path,
            f"gene column, {len(dups)} duplicated {what}(s) {preview(dups)}",
            "the same gene occurs on more than one row"
            + (" (after removing Ensembl version suffixes)" if kind == "ensembl" else ""),
            "keep one row per gene, or set inputs.duplicate_genes: sum to add such rows up",
        )


def merge_duplicate_rows(counts: pd.DataFrame) -> pd.DataFrame:
    """Sum rows that share a gene key (used only when inputs.duplicate_genes is 'sum')."""
    return counts.groupby(level=0, sort=False).sum()


def id_mixture(keys: pd.Index, kind: str, configured: str, path: Path | None = None) -> list[str]:
    """Mixed id types in a gene column: an error when 'auto' cannot tell (10-90 % Ensembl ids),
    otherwise a note naming the minority kept under its own names."""
    ensembl = pd.Series(keys).astype(str).str.match(ENSEMBL_RE).to_numpy()
    share = float(ensembl.mean()) if len(ensembl) else 1.0
    if configured == "auto" and 0.1 < share < 0.9:
        raise InputError(
            path,
            "gene column",
            f"mixed gene id types: {int(ensembl.sum())} Ensembl ids and {int((~ensembl).sum())} "
            f"other names (e.g. {preview(keys[~ensembl], 3)} beside {preview(keys[ensembl], 2)})",
            "use one id type in the gene column, or set inputs.gene_ids to ensembl or symbol "
            "to say which it holds",
        )
    odd = ~ensembl if kind == "ensembl" else ensembl
    if not odd.any():
        return []
    what = "are not Ensembl ids" if kind == "ensembl" else "are Ensembl ids among symbols"
    return [
        f"{path}: {int(odd.sum())} of {len(keys)} gene keys {what} ({preview(keys[odd])}); "
        "they are kept under their own names"
    ]
