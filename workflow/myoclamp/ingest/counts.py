"""Readers for count tables: a plain matrix, featureCounts output, nf-core/rnaseq merged tables.

Each reader returns a :class:`CountTable`: genes x samples integer counts with the gene columns
the format carries. Content checks (numbers, signs, integers, duplicates) happen here, so that
bad counts stop the run at ingest, before any heavy rule.
"""

from __future__ import annotations

import contextlib
import logging
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from myoclamp.errors import InputError, Problems, preview
from myoclamp.ingest.tables import (
    check_delimiter,
    comment_rows,
    expected_delimiter,
    first_data_line,
)
from myoclamp.ingest.textfiles import check_text_file, header_names

log = logging.getLogger(__name__)

FEATURECOUNTS_COLUMNS = ["Geneid", "Chr", "Start", "End", "Strand", "Length"]
NFCORE_ANNOTATION = ["gene_id", "gene_name", "transcript_id(s)", "transcript_id"]
BAM_SUFFIXES = (
    ".Aligned.sortedByCoord.out.bam",
    "Aligned.sortedByCoord.out.bam",
    ".markdup.sorted.bam",
    ".sorted.bam",
    ".bam",
)


@dataclass
class CountTable:
    """Raw counts (genes x samples) and per-gene annotation columns from the input."""

    counts: pd.DataFrame
    genes: pd.DataFrame = field(default_factory=pd.DataFrame)
    path: Path | None = None
    format: str = "matrix"
    notes: dict = field(default_factory=dict)


def sample_from_bam(path: str) -> str:
    """Sample id from a BAM path: directory and a known .bam suffix stripped."""
    name = Path(path).name
    for suffix in BAM_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name


def header_columns(path: str | Path, fmt: str) -> list[str]:
    """The sample columns of a count table, read from its header line only (cheap)."""
    cols = _header_columns(Path(path), fmt)
    dup = sorted({c for c in cols if cols.count(c) > 1})
    if dup:
        raise InputError(
            path,
            "header row",
            f"duplicated sample column(s) {preview(dup)}",
            "give every sample column a unique id",
        )
    return cols


def _header_columns(path: Path, fmt: str) -> list[str]:
    if fmt == "featurecounts":
        header = first_data_line(path, comment="#")
        check_delimiter(path, header, "\t")
        cols = header.split("\t")
        _check_featurecounts_header(path, cols)
        return cols[len(FEATURECOUNTS_COLUMNS) :]
    sep = "\t" if fmt == "nfcore" else expected_delimiter(path)
    header = first_data_line(path)
    check_delimiter(path, header, sep)
    cols = [c.strip().strip('"') for c in header.split(sep)]
    if fmt == "nfcore":
        _check_nfcore_header(path, cols)
        return [c for c in cols if c not in NFCORE_ANNOTATION]
    return cols[1:]


def _check_featurecounts_header(path: Path, cols: list[str]) -> None:
    if cols[: len(FEATURECOUNTS_COLUMNS)] != FEATURECOUNTS_COLUMNS:
        raise InputError(
            path,
            "header row",
            f"featureCounts columns expected to start with {' '.join(FEATURECOUNTS_COLUMNS)}, "
            f"found {' '.join(cols[:6])}",
            "give featureCounts' own output (with its '# Program:featureCounts' line), "
            "or set inputs.format to matrix",
        )


def _check_nfcore_header(path: Path, cols: list[str]) -> None:
    if not cols or cols[0] != "gene_id":
        raise InputError(
            path,
            "header row",
            f"nf-core merged gene tables start with a 'gene_id' column, found {cols[:2]}",
            "give salmon.merged.gene_counts.tsv, *.gene_counts_length_scaled.tsv or "
            "rsem.merged.gene_counts.tsv from nf-core/rnaseq, or set inputs.format to matrix",
        )


def _first(mask: np.ndarray, values: pd.DataFrame) -> str:
    """'gene 'X', sample column 'Y'' of the first True cell of ``mask``."""
    i, j = np.argwhere(mask)[0]
    return f"gene {values.index[i]!r}, sample column {values.columns[j]!r}"


def _columns_with(mask: np.ndarray, values: pd.DataFrame) -> str:
    """', in 3 sample columns 'A', 'B', 'C'' when more than the first cell's column has some."""
    cols = values.columns[mask.any(axis=0)]
    return f", in {len(cols)} sample columns {preview(cols)}" if len(cols) > 1 else ""


def _numeric_counts(
    path: Path,
    values: pd.DataFrame,
    integer: bool,
    round_counts: bool,
    collect: Problems | None = None,
) -> tuple[pd.DataFrame, int]:
    """Check counts are numbers >= 0 (and integers unless rounding); return int counts.

    Every kind of bad cell is reported (how many, where the first is, which columns), together:
    raised, or added to ``collect`` (bad cells then read as 0, so that later checks can run).
    """
    if all(pd.api.types.is_integer_dtype(t) for t in values.dtypes):  # the usual table
        ints = values.to_numpy()
        if (ints >= 0).all() and ints.max(initial=0) < np.iinfo(np.int32).max:
            return pd.DataFrame(
                ints.astype(np.int32), index=values.index, columns=values.columns
            ), 0
    problems = Problems()
    text = np.zeros(values.shape, dtype=bool)
    numeric = values
    bad_cols = [c for c in values.columns if not pd.api.types.is_numeric_dtype(values[c])]
    if bad_cols:
        numeric = values.copy()
        for col in bad_cols:
            numeric[col] = pd.to_numeric(values[col], errors="coerce")
        text = (numeric.isna() & values.notna()).to_numpy()
        i, j = np.argwhere(text)[0]
        problems.add(
            InputError(
                path,
                _first(text, values),
                f"{int(text.sum())} non-numeric count(s), first {values.iat[i, j]!r}"
                + _columns_with(text, values),
                "counts must be numbers; remove text, units or footers from the table",
            )
        )
    arr = numeric.to_numpy(dtype=float)
    missing = np.isnan(arr) & ~text
    if missing.any():
        problems.add(
            InputError(
                path,
                _first(missing, values),
                f"{int(missing.sum())} empty count cell(s)" + _columns_with(missing, values),
                "every gene needs a count in every sample (write 0 for none)",
            )
        )
    with np.errstate(invalid="ignore"):
        neg = arr < 0
    if neg.any():
        i, j = np.argwhere(neg)[0]
        problems.add(
            InputError(
                path,
                _first(neg, values),
                f"{int(neg.sum())} negative count(s), first {arr[i, j]:g}"
                + _columns_with(neg, values),
                "give raw counts (not log, centred or normalised values)",
            )
        )
    finite = np.where(np.isfinite(arr), arr, 0.0)
    frac = finite != np.round(finite)
    n_frac = int(frac.sum())
    if n_frac and integer and not round_counts:
        i, j = np.argwhere(frac)[0]
        problems.add(
            InputError(
                path,
                _first(frac, values),
                f"{n_frac} non-integer count(s), first {arr[i, j]:g}" + _columns_with(frac, values),
                "give raw integer counts; for estimated counts (salmon, RSEM) use "
                "inputs.format: nfcore or set inputs.round_counts: true",
            )
        )
    if finite.max(initial=0) >= np.iinfo(np.int32).max:
        problems.add(
            InputError(
                path,
                _first(finite >= np.iinfo(np.int32).max, values),
                "counts above 2^31",
                "check the table holds read counts",
            )
        )
    if collect is None:
        problems.raise_any()
    elif problems.found:
        collect.found.extend(problems.found)
        arr = np.clip(np.where(np.isfinite(arr), arr, 0.0), 0, np.iinfo(np.int32).max - 1)
    if n_frac:
        log.info("%d of %d count entries were non-integer and were rounded", n_frac, arr.size)
    out = np.round(arr)
    return pd.DataFrame(out.astype(np.int32), index=values.index, columns=values.columns), n_frac


def _read_values(
    path: Path,
    sep: str,
    skip_comments: bool = False,
    first_count: int | None = None,
    index_col: int | None = None,
) -> pd.DataFrame:
    """The table as pandas reads it; the count columns (from position ``first_count`` on) are
    read as integers when they all are (twice as fast), else with pandas' own types."""
    comment = "#" if skip_comments else None
    check_text_file(path, sep, comment)
    skiprows = comment_rows(path, "#") if skip_comments else None
    try:
        if first_count is not None:
            width = len(header_names(path, sep, comment))
            types = {0: str, **{i: np.int64 for i in range(first_count, width)}}
            with contextlib.suppress(ValueError, OverflowError):
                return pd.read_csv(
                    path, sep=sep, skiprows=skiprows, dtype=types, index_col=index_col
                )
        with warnings.catch_warnings():  # mixed types are checked cell by cell below
            warnings.simplefilter("ignore", pd.errors.DtypeWarning)
            return pd.read_csv(
                path, sep=sep, skiprows=skiprows, dtype={0: str}, index_col=index_col
            )
    except pd.errors.ParserError as err:
        raise InputError(
            path,
            "",
            f"rows have different numbers of columns ({err})",
            "make every row have as many cells as the header",
        ) from err
    except pd.errors.EmptyDataError as err:
        raise InputError(path, "", "the file is empty", "give a count table") from err


def _gene_keys(path: Path, ids: pd.Series, label: str) -> pd.Index:
    ids = ids.astype(str).str.strip()
    blank = ids.index[(ids == "") | (ids == "nan")]
    if len(blank):
        raise InputError(path, f"row {blank[0] + 2}", f"empty {label}", "give every row a gene id")
    return pd.Index(ids, name=label)


def _finish(
    path: Path,
    values: pd.DataFrame,
    genes: pd.DataFrame,
    fmt: str,
    integer: bool,
    round_counts: bool,
    collect: Problems | None = None,
) -> CountTable:
    if values.shape[1] == 0:
        raise InputError(
            path, "header row", "no sample columns", "add one column of counts per sample"
        )
    if values.shape[0] == 0:
        raise InputError(path, "", "no gene rows", "add one row per gene")
    counts, n_frac = _numeric_counts(path, values, integer, round_counts, collect)
    return CountTable(
        counts=counts,
        genes=genes,
        path=path,
        format=fmt,
        notes={"non_integer_entries": n_frac, "entries": int(counts.size)},
    )


def read_matrix(
    path: str | Path, round_counts: bool = False, collect: Problems | None = None
) -> CountTable:
    """A plain genes x samples matrix: gene ids in the first column, then one column per sample."""
    path = Path(path)
    header_columns(path, "matrix")
    values = _read_values(path, expected_delimiter(path), first_count=1, index_col=0)
    key = _gene_keys(path, values.index.to_series(index=range(len(values))), "gene")
    values.index = key
    values.columns = [str(c).strip() for c in values.columns]
    genes = pd.DataFrame(index=key)
    return _finish(path, values, genes, "matrix", True, round_counts, collect)


def read_featurecounts(
    path: str | Path,
    bam_to_sample: dict[str, str] | None = None,
    collect: Problems | None = None,
) -> CountTable:
    """featureCounts output; sample columns named by BAM paths are mapped to sample ids."""
    path = Path(path)
    header_columns(path, "featurecounts")
    df = _read_values(path, "\t", skip_comments=True, first_count=len(FEATURECOUNTS_COLUMNS))
    key = _gene_keys(path, df["Geneid"], "Geneid")
    genes = df[FEATURECOUNTS_COLUMNS[1:]].copy()
    genes.index = key
    genes = genes.rename(columns={"Chr": "chromosome", "Length": "length"})[
        ["chromosome", "length"]
    ]
    values = df.drop(columns=FEATURECOUNTS_COLUMNS)
    values.index = key
    values.columns = [map_bam_column(path, c, bam_to_sample) for c in values.columns]
    return _finish(path, values, genes, "featurecounts", True, False, collect)


def map_bam_column(path: Path, column: str, bam_to_sample: dict[str, str] | None) -> str:
    """Sample id of a featureCounts column: by the sheet's BAM column, else by the file name."""
    if bam_to_sample is None:
        return sample_from_bam(column)
    for key in (column, Path(column).name):
        if key in bam_to_sample:
            return bam_to_sample[key]
    raise InputError(
        path,
        f"sample column {column!r}",
        "this BAM path is not in the sample sheet's BAM column",
        "add the BAM path (or its file name) to the sample sheet's BAM column",
    )


def read_nfcore(path: str | Path, collect: Problems | None = None) -> CountTable:
    """nf-core/rnaseq merged gene table (salmon or RSEM): estimated counts are rounded."""
    path = Path(path)
    header_columns(path, "nfcore")
    df = _read_values(path, "\t")
    key = _gene_keys(path, df["gene_id"], "gene_id")
    genes = pd.DataFrame(index=key)
    if "gene_name" in df:
        genes["symbol"] = df["gene_name"].fillna("").astype(str).to_numpy()
    values = df.drop(columns=[c for c in NFCORE_ANNOTATION if c in df.columns])
    values.index = key
    return _finish(path, values, genes, "nfcore", False, True, collect)


def read_counts(
    path: str | Path,
    fmt: str,
    *,
    round_counts: bool = False,
    bam_to_sample: dict[str, str] | None = None,
    collect: Problems | None = None,
) -> CountTable:
    """Read a count table in the configured format.

    Bad count cells are raised as one error, or, with ``collect``, added to it (the table is then
    returned with them read as 0, for further checks).
    """
    if fmt == "matrix":
        return read_matrix(path, round_counts=round_counts, collect=collect)
    if fmt == "featurecounts":
        return read_featurecounts(path, bam_to_sample, collect)
    if fmt == "nfcore":
        return read_nfcore(path, collect)
    raise ValueError(f"unknown count format {fmt!r}")
