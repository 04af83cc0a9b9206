"""Atomic writes: nothing half-written under the final name, the usual file mode."""

import os
import stat

import pandas as pd
import pytest

from myoclamp.io import atomic_path, write_tsv


def test_failed_write_leaves_nothing(tmp_path):
    target = tmp_path / "out.tsv"
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("killed")
    assert not target.exists()
    assert list(tmp_path.iterdir()) == []


def test_written_file_has_the_umask_mode_and_suffix_kept(tmp_path):
    target = tmp_path / "t.tsv.gz"
    with atomic_path(target) as tmp:
        assert tmp.name.endswith("-t.tsv.gz") and tmp.parent == tmp_path
        tmp.write_bytes(b"x")
    mask = os.umask(0)
    os.umask(mask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~mask


def test_write_tsv_is_reproducible(tmp_path):
    df = pd.DataFrame({"a": [1.0 / 3, float("nan")], "b": ["x", "y"]})
    write_tsv(df, tmp_path / "1.tsv")
    write_tsv(df, tmp_path / "2.tsv")
    assert (tmp_path / "1.tsv").read_bytes() == (tmp_path / "2.tsv").read_bytes()
    assert (tmp_path / "1.tsv").read_text().splitlines()[1] == "0.333333\tx"


def test_write_h5ad_stores_the_gene_ids_once_and_reads_back_equal(tmp_path):
    import anndata as ad
    import h5py
    import numpy as np

    from myoclamp.io import write_h5ad

    genes = pd.Index([f"ENSG{i:011d}" for i in range(3000)])
    adata = ad.AnnData(np.ones((4, len(genes)), dtype=np.float32), var=pd.DataFrame(index=genes))
    for k in range(6):
        adata.varm[f"de_{k}"] = pd.DataFrame({"padj": np.linspace(0, 1, len(genes)) + k}, genes)
    adata.varm["PCs"] = np.zeros((len(genes), 2))
    write_h5ad(adata, tmp_path / "a.h5ad", compression="gzip")
    adata.write_h5ad(tmp_path / "plain.h5ad", compression="gzip")
    back = ad.read_h5ad(tmp_path / "a.h5ad")
    for k in range(6):
        pd.testing.assert_frame_equal(back.varm[f"de_{k}"], adata.varm[f"de_{k}"])
    assert back.varm["PCs"].shape == (3000, 2)
    with h5py.File(tmp_path / "a.h5ad") as f:
        ids = {h5py.h5o.get_info(f[f"varm/de_{k}/_index"].id).addr for k in range(6)}
        assert ids == {h5py.h5o.get_info(f["var/_index"].id).addr}  # one dataset under seven names
    saved = (tmp_path / "plain.h5ad").stat().st_size - (tmp_path / "a.h5ad").stat().st_size
    assert saved > 6 * 3000 * 16  # six copies of 3,000 ids, at least 16 bytes each
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.h5ad", "plain.h5ad"]  # no leftovers
