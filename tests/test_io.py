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
