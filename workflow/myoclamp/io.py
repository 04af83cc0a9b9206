"""Atomic writes: an output appears under its final name only when complete."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pandas as pd


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; move it into place only if the block succeeds."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # the temporary name keeps the final suffixes (.tsv.gz, .h5ad) so writers infer the format
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=f"-{path.name}", dir=path.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    os.chmod(tmp_path, 0o666 & ~_umask())  # mkstemp makes 0600; outputs get the usual mode
    try:
        yield tmp_path
        os.replace(tmp_path, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp_path.unlink()


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_tsv(df: pd.DataFrame, path: str | Path, index: bool = False) -> None:
    """Write a tidy TSV atomically, with a fixed float format so reruns are byte-identical."""
    with atomic_path(path) as tmp:
        df.to_csv(tmp, sep="\t", index=index, float_format="%.6g", na_rep="NA")


def write_h5ad(adata, path: str | Path, compression: str | None = None) -> None:
    """Write an AnnData object atomically (``compression``: h5py's, e.g. ``gzip``)."""
    with atomic_path(path) as tmp:
        adata.write_h5ad(tmp, compression=compression)


def write_json(data: dict, path: str | Path) -> None:
    """Write JSON atomically (sorted keys, so reruns are identical)."""
    with atomic_path(path) as tmp:
        Path(tmp).write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")
