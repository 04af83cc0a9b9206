"""Gene sets as a sparse membership matrix over the tested genes, for vectorised set tests."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

from myoclamp.enrichment.genesets import CURATED, GeneSets


@dataclass(frozen=True)
class SetIndex:
    """Tested sets (rows) over genes (columns): names, collection, description, sizes, matrix."""

    names: np.ndarray
    collection: np.ndarray
    description: np.ndarray
    sizes: np.ndarray
    members: sp.csr_matrix  # sets x genes, 1 where the gene is in the set

    def __len__(self) -> int:
        return len(self.names)

    def frame(self) -> pd.DataFrame:
        """``set, description, collection, size`` per tested set."""
        return pd.DataFrame(
            {
                "set": self.names,
                "description": self.description,
                "collection": self.collection,
                "size": self.sizes,
            }
        )

    def sums(self, values: np.ndarray) -> np.ndarray:
        """Sum of ``values`` (genes x k) over each set's genes: sets x k."""
        return np.asarray(self.members @ values)


def set_index(
    keys: Sequence[str],
    gene_sets: Mapping[str, Sequence[str]],
    *,
    collections: Mapping[str, str] | None = None,
    descriptions: Mapping[str, str] | None = None,
    min_size: int | Mapping[str, int] = 15,
    max_size: int = 500,
) -> SetIndex:
    """Sets matched to the gene ``keys`` (unique), kept at ``min_size``..``max_size`` genes.

    ``min_size`` may be a mapping set -> its own minimum. A set may name a gene twice or name
    genes that are not tested; only the distinct tested genes count.
    """
    keys = pd.Index(np.asarray(keys, dtype=str))
    if not keys.is_unique:
        raise ValueError("gene keys must be unique to match gene sets")
    pos = dict(zip(keys, range(len(keys)), strict=True))
    collections = collections or {}
    descriptions = descriptions or {}
    names, rows, cols = [], [], []
    for name, genes in gene_sets.items():
        idx = np.unique(np.fromiter((pos[g] for g in genes if g in pos), dtype=np.int64))
        low = min_size[name] if isinstance(min_size, Mapping) else min_size
        if low <= idx.size <= max_size and idx.size < len(keys):
            rows.append(np.full(idx.size, len(names)))
            cols.append(idx)
            names.append(name)
    rows_a = np.concatenate(rows) if rows else np.zeros(0, int)
    cols_a = np.concatenate(cols) if cols else np.zeros(0, int)
    members = sp.csr_matrix((np.ones(rows_a.size), (rows_a, cols_a)), shape=(len(names), len(keys)))
    return SetIndex(
        names=np.asarray(names, dtype=object),
        collection=np.asarray([collections.get(n, "") for n in names], dtype=object),
        description=np.asarray([descriptions.get(n, "") for n in names], dtype=object),
        sizes=np.asarray(members.sum(axis=1)).ravel().astype(int),
        members=members,
    )


def collection_index(
    keys: Sequence[str], sets: GeneSets, *, min_size: int, max_size: int, curated_min_size: int
) -> SetIndex:
    """All collections of ``sets``; curated collections (muscle) use ``curated_min_size``."""
    minimum = {
        n: curated_min_size if c in CURATED else min_size for n, c in sets.collection.items()
    }
    return set_index(
        keys,
        sets.genes,
        collections=sets.collection,
        descriptions=sets.description,
        min_size=minimum,
        max_size=max_size,
    )
