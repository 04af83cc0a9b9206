"""Reading delimited text tables (CSV/TSV, optionally gzipped) with clear errors."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from myoclamp.errors import InputError
from myoclamp.ingest.textfiles import (
    check_head,
    check_text_file,
    check_unique_header,
    not_found,
    open_text,
)

MISSING = ["", "NA", "NaN", "nan", "N/A", "NULL", "null"]
DELIMITERS = {",": "comma", "\t": "tab", ";": "semicolon", "|": "pipe"}


def expected_delimiter(path: Path) -> str:
    """The delimiter the file's name promises: .csv is comma, .tsv/.tab/.txt are tab."""
    suffixes = [s.lower() for s in path.suffixes if s.lower() not in (".gz", ".bz2", ".xz")]
    last = suffixes[-1] if suffixes else ""
    if last == ".csv":
        return ","
    if last in (".tsv", ".tab", ".txt", ".tabular"):
        return "\t"
    raise InputError(
        path,
        "",
        f"unknown table type {last or '(no extension)'!r}",
        "name the file .csv (comma-separated) or .tsv (tab-separated), optionally with .gz",
    )


def first_data_line(path: Path, comment: str | None = None) -> str:
    """The first line that is not blank and not a comment; error if there is none."""
    check_head(path)
    try:
        with open_text(path) as fh:
            for line in fh:
                if not line.strip() or (comment and line.startswith(comment)):
                    continue
                return line.rstrip("\r\n")
    except FileNotFoundError as err:
        raise InputError(path, "", not_found(path), "check the path in the config") from err
    except (OSError, EOFError, UnicodeDecodeError) as err:
        check_text_file(path)  # names what is wrong (compression, encoding)
        raise InputError(
            path, "", f"cannot be read as text ({err})", "give a plain or gzipped text table"
        ) from err
    raise InputError(path, "", "the file is empty", "give a table with a header row and data rows")


def check_delimiter(path: Path, header: str, delimiter: str) -> None:
    """Stop with a clear error when the header is not split by the expected delimiter."""
    if delimiter in header:
        return
    found = [name for sep, name in DELIMITERS.items() if sep in header]
    seen = f"it looks {found[0]}-separated" if found else "no delimiter was found in the header"
    raise InputError(
        path,
        "header row",
        f"expected {DELIMITERS[delimiter]}-separated columns, but {seen}",
        "save the table with commas and name it .csv, or with tabs and name it .tsv",
    )


def read_table(
    path: str | Path, comment: str | None = None, delimiter: str | None = None
) -> pd.DataFrame:
    """Read a CSV/TSV sheet as strings (no type guessing), with blank cells as missing."""
    path = Path(path)
    sep = delimiter or expected_delimiter(path)
    check_text_file(path, sep, comment)
    header = first_data_line(path, comment)
    check_delimiter(path, header, sep)
    check_unique_header(path, sep)
    try:
        df = pd.read_csv(
            path,
            sep=sep,
            dtype=str,
            comment=None,
            keep_default_na=False,
            na_values=MISSING,
            skip_blank_lines=True,
            encoding="utf-8-sig",
            skiprows=comment_rows(path, comment) if comment else None,
        )
    except pd.errors.ParserError as err:
        raise InputError(
            path,
            "",
            f"rows have different numbers of columns ({err})",
            "make every row have as many cells as the header",
        ) from err
    if df.empty:
        raise InputError(
            path, "", "the file has a header but no data rows", "add one row per record"
        )
    df.columns = [str(c).strip() for c in df.columns]
    dup = df.columns[df.columns.duplicated()].tolist()
    if dup:
        raise InputError(
            path,
            "header row",
            f"duplicated column name(s) {dup}",
            "give every column a unique name",
        )
    return df.apply(lambda s: s.str.strip() if s.dtype == object else s)


def comment_rows(path: Path, comment: str) -> list[int]:
    with open_text(path) as fh:
        return [i for i, line in enumerate(fh) if line.startswith(comment)]


def table_row(index: int) -> str:
    """Human row number of a data row (1 = header, so data row 0 is line 2)."""
    return f"row {index + 2}"
