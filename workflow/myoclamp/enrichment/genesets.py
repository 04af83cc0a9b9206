"""Gene-set collections (GMT files) and the mapping of DE results onto gene symbols."""

from __future__ import annotations

import gzip
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

log = logging.getLogger(__name__)

# bundled collections, relative to the workflow's resources/ directory
BUNDLED = {
    "muscle": "genesets/muscle.gmt",
    "go_bp": "genesets/go_bp.gmt.gz",
    "go_mf": "genesets/go_mf.gmt.gz",
    "go_cc": "genesets/go_cc.gmt.gz",
}
CURATED = {"muscle"}


@dataclass
class GeneSets:
    """Gene sets by name, with each set's collection and description."""

    genes: dict[str, list[str]] = field(default_factory=dict)
    collection: dict[str, str] = field(default_factory=dict)
    description: dict[str, str] = field(default_factory=dict)

    def add(self, name: str, genes: list[str], collection: str, description: str = "") -> None:
        """Add one set; a name may occur once across all collections."""
        if name in self.genes:
            raise ValueError(
                f"gene set {name!r} of collection {collection!r} is already defined in "
                f"collection {self.collection[name]!r}; rename it in one of the GMT files"
            )
        self.genes[name] = genes
        self.collection[name] = collection
        self.description[name] = description

    def subset(self, collection: str) -> dict[str, list[str]]:
        """The sets of one collection."""
        return {n: g for n, g in self.genes.items() if self.collection[n] == collection}

    @property
    def collections(self) -> list[str]:
        """Collection names in order of first appearance."""
        return list(dict.fromkeys(self.collection.values()))


def read_gmt(path: str | Path, collection: str, into: GeneSets | None = None) -> GeneSets:
    """Read a GMT file (optionally gzipped): name, description, genes, tab-separated."""
    path = Path(path)
    sets = into if into is not None else GeneSets()
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rt", encoding="utf-8") as fh:
            lines = fh.read().splitlines()
    except FileNotFoundError as err:
        raise FileNotFoundError(
            f"gene-set file {path} not found (collection {collection!r})"
        ) from err
    for i, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        fields = line.split("\t")
        genes = [g.strip() for g in fields[2:] if g.strip()]
        if len(fields) < 3 or not fields[0].strip() or not genes:
            raise ValueError(
                f"{path}, line {i}: a GMT line needs a set name, a description and at least one "
                "gene, separated by tabs"
            )
        sets.add(fields[0].strip(), list(dict.fromkeys(genes)), collection, fields[1].strip())
    return sets


def collection_paths(
    names: Iterable[str], user_gmt: Iterable[str | Path], resources: str | Path
) -> dict[str, str]:
    """GMT file per collection: bundled ones by name, user files under their file stem."""
    paths: dict[str, str] = {}
    for name in names:
        if name not in BUNDLED:
            raise ValueError(
                f"unknown gene-set collection {name!r} in config enrichment.collections; "
                f"bundled ones are {sorted(BUNDLED)} (add other GMT files under enrichment.gmt)"
            )
        paths[name] = str(Path(resources) / BUNDLED[name])
    for path in user_gmt:
        stem = Path(path).name.removesuffix(".gz").removesuffix(".gmt")
        if stem in paths:
            raise ValueError(
                f"config enrichment.gmt: {path} would be collection {stem!r}, which is already "
                "used; rename the file"
            )
        paths[stem] = str(path)
    return paths


def load_collections(paths: Mapping[str, str | Path]) -> GeneSets:
    """Read the GMT file of each collection."""
    sets = GeneSets()
    for name, path in paths.items():
        read_gmt(path, name, sets)
    return sets


def ranking_table(de: pd.DataFrame, source: str = "DE table") -> pd.DataFrame:
    """Genes of a DE table with a finite Wald statistic, keyed for gene-set matching.

    Gene sets name genes by symbol. ``key`` is the symbol; where a symbol is missing or shared by
    several genes, the gene with the largest baseMean keeps the symbol and the others keep their
    gene_id (they stay in the ranking as genes outside every set). Columns: key, gene_id,
    symbol, stat, padj, log2FoldChange.
    """
    needed = ["gene_id", "symbol", "baseMean", "log2FoldChange", "stat", "padj"]
    missing = [c for c in needed if c not in de.columns]
    if missing:
        raise ValueError(f"{source}: columns {missing} missing; expected the DE stage's table")
    tab = de.loc[np.isfinite(pd.to_numeric(de["stat"], errors="coerce")), needed].copy()
    tab["gene_id"] = tab["gene_id"].astype(str)
    symbol = tab["symbol"].where(tab["symbol"].notna(), "").astype(str).str.strip()
    tab["symbol"] = symbol
    order = tab.assign(_e=symbol == "").sort_values(
        ["_e", "baseMean", "gene_id"], ascending=[True, False, True]
    )
    keep_symbol = (order["symbol"] != "") & ~order["symbol"].duplicated()
    key = order["gene_id"].where(~keep_symbol, order["symbol"])
    tab["key"] = key.reindex(tab.index)
    if not tab["key"].is_unique:
        dups = tab.loc[tab["key"].duplicated(), "key"].head(5).tolist()
        raise ValueError(f"{source}: gene_id values are not unique, e.g. {dups}")
    n_dup = int((symbol != "").sum() - keep_symbol.sum())
    if n_dup:
        log.info(
            "%s: %d genes share a symbol with a more abundant gene; kept by gene_id", source, n_dup
        )
    return tab[["key", "gene_id", "symbol", "stat", "padj", "log2FoldChange"]].reset_index(
        drop=True
    )


def coverage(sets: Mapping[str, list[str]], keys: Iterable[str]) -> pd.Series:
    """Number of each set's genes among ``keys`` (for logging and tests)."""
    universe = set(keys)
    return pd.Series({n: sum(g in universe for g in genes) for n, genes in sets.items()})


def set_label(name: str, description: object = None) -> str:
    """How a set is named to a reader: its GO term name for a GO id (``GO:0006119`` ->
    ``oxidative phosphorylation``), else the set's own name."""
    desc = description if isinstance(description, str) else ""
    return desc if name.startswith("GO:") and desc else name
