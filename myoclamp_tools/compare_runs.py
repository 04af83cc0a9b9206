"""Compare two runs' results: tables and JSON byte for byte, AnnData files by content (HDF5 bytes
carry no meaning). Used by the determinism and SLURM tests and by ``scripts/compare_runs.py``."""

from __future__ import annotations

from pathlib import Path

import anndata as ad
import numpy as np
import pandas as pd
from scipy import sparse

#: compared files: tables and JSON byte for byte, AnnData by content
TABLES = ("*.tsv", "*.tsv.gz", "*.csv", "*.json")


def _dense(x):
    return x.toarray() if sparse.issparse(x) else np.asarray(x)


def assert_same(a, b, where: str) -> None:
    """Recursive equality of uns-like values (dicts, frames, arrays, scalars), NaN equal NaN."""
    if isinstance(a, dict):
        assert isinstance(b, dict) and sorted(a) == sorted(b), where
        for k in a:
            assert_same(a[k], b[k], f"{where}/{k}")
    elif isinstance(a, pd.DataFrame):
        pd.testing.assert_frame_equal(a, b, check_exact=True, obj=where)
    elif isinstance(a, np.ndarray | list | tuple) or sparse.issparse(a):
        a, b = _dense(a), _dense(b)
        assert a.shape == b.shape, where
        if a.dtype.kind in "fc":
            assert np.array_equal(a, b, equal_nan=True), where
        else:
            assert np.array_equal(a, b), where
    elif isinstance(a, float) and np.isnan(a):
        assert isinstance(b, float) and np.isnan(b), where
    else:
        assert a == b, where


def assert_adata_equal(path_a: Path, path_b: Path) -> None:
    """Same matrix, annotations, layers, embeddings and uns."""
    a, b = ad.read_h5ad(path_a), ad.read_h5ad(path_b)
    where = str(path_a.name)
    assert sparse.issparse(a.X) == sparse.issparse(b.X), f"{where}: X storage differs"
    assert a.X.dtype == b.X.dtype, f"{where}: X dtype differs"
    assert_same(a.X, b.X, f"{where}:X")
    pd.testing.assert_frame_equal(a.obs, b.obs, check_exact=True, obj=f"{where}:obs")
    pd.testing.assert_frame_equal(a.var, b.var, check_exact=True, obj=f"{where}:var")
    for slot in ("layers", "obsm", "varm", "obsp", "varp"):
        assert_same(dict(getattr(a, slot)), dict(getattr(b, slot)), f"{where}:{slot}")
    assert_same(dict(a.uns), dict(b.uns), f"{where}:uns")


def compare_runs(a: Path, b: Path) -> list[str]:
    """Compare the results/ of two runs; return the relative paths compared."""
    results_a, results_b = a / "results", b / "results"
    files = sorted(
        p.relative_to(results_a)
        for p in results_a.rglob("*")
        if p.is_file() and not p.name.startswith(".tmp-")
    )
    others = sorted(
        p.relative_to(results_b)
        for p in results_b.rglob("*")
        if p.is_file() and not p.name.startswith(".tmp-")
    )
    assert files == others, "the two runs made different files"
    compared, differ = [], []
    for rel in files:
        if any(rel.match(g) for g in TABLES):
            compared.append(str(rel))
            if (results_a / rel).read_bytes() != (results_b / rel).read_bytes():
                differ.append(str(rel))
        elif rel.suffix == ".h5ad":
            compared.append(str(rel))
            assert_adata_equal(results_a / rel, results_b / rel)
    assert not differ, f"files differ between two identical runs: {differ}"
    return compared
