"""Read the real GSE202295 vastus lateralis counts that the demo cohort is calibrated against."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from myoclamp_tools.demo.params import REPO

GSE202295 = REPO.parent / "shared" / "data" / "gse202295"


def read_real(data_dir: str | Path = GSE202295) -> tuple[pd.DataFrame, pd.DataFrame]:
    """All GSE202295 counts (genes x samples, integers) and the sample table (str columns).

    Rows sharing a gene symbol (a few tRNA genes) are summed, so gene keys are unique.
    """
    data_dir = Path(data_dir)
    counts_path, samples_path = data_dir / "counts.csv.gz", data_dir / "samples.csv"
    for path in (counts_path, samples_path):
        if not path.exists():
            raise FileNotFoundError(f"{path}: GSE202295 file not found (see ../shared/README.md)")
    samples = pd.read_csv(samples_path, dtype=str)
    for col in ("seq_sample_id", "id", "time"):
        if col not in samples.columns:
            raise ValueError(f"{samples_path}: column {col!r} missing")
    counts = pd.read_csv(counts_path, index_col=0)
    missing = [s for s in samples["seq_sample_id"] if s not in counts.columns]
    if missing:
        raise ValueError(f"{counts_path}: samples {missing[:3]} of {samples_path.name} not found")
    counts.index = counts.index.astype(str)
    counts = counts.groupby(level=0, sort=False).sum().round().astype("int64")
    return counts, samples


def read_real_basal(data_dir: str | Path = GSE202295) -> pd.DataFrame:
    """Integer counts (genes x samples) of the basal (pre-exercise) GSE202295 biopsies.

    Columns are GEO sample ids; the index holds the NCBI gene symbols in the table's order.
    """
    counts, samples = read_real(data_dir)
    return counts[samples.loc[samples["time"] == "basal", "seq_sample_id"].tolist()]
