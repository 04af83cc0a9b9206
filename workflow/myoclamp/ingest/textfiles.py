"""The integrity of an input text file, before any table is parsed from it.

One streaming pass over the (decompressed) bytes names what a parser would report as a raw
exception or pass over silently: a missing, empty or truncated/corrupt compressed file, a
workbook or UTF-16 file given as text, non-UTF-8 bytes (row and column), empty rows (blank or
delimiters only), rows with more or fewer cells than the header.
"""

from __future__ import annotations

import bz2
import gzip
import lzma
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from myoclamp.errors import InputError, Problems, preview

COMPRESSED = {".gz": gzip.open, ".bz2": bz2.open, ".xz": lzma.open}
MAGIC = {b"\x1f\x8b": ".gz", b"BZh": ".bz2", b"\xfd7zXZ\x00": ".xz"}
TEXT_FIX = "save the table as UTF-8 text (e.g. in a spreadsheet: Save As > CSV UTF-8)"


def opener(path: Path):
    """The open function for a file's compression suffix (plain ``open`` if none)."""
    return COMPRESSED.get(path.suffix.lower(), open)


@contextmanager
def open_text(path: str | Path) -> Iterator[IO[str]]:
    """A (decompressed) text stream of ``path``, UTF-8 with an optional byte-order mark."""
    path = Path(path)
    with opener(path)(path, "rt", encoding="utf-8-sig") as fh:
        yield fh


def check_text_file(
    path: str | Path, delimiter: str | None = None, comment: str | None = None
) -> None:
    """Stop with named errors when ``path`` cannot be read as a clean delimited text table.

    Lines starting with ``comment`` are skipped; ``delimiter`` (when given) is used to find the
    column of a bad byte and rows with a wrong number of cells.
    """
    path = Path(path)
    check_head(path)
    problems = Problems()
    header: list[str] | None = None
    blank: list[int] = []
    empty: list[int] = []
    ragged: dict[int, int] = {}
    bad_text: list[tuple[int, str]] = []
    seen_data = False
    sep = delimiter.encode() if delimiter else None
    filler = b" \t\r\"'" + (sep or b"")
    mark = comment.encode() if comment else None
    for number, raw in _lines(path):
        if mark and raw.startswith(mark):
            continue
        if not raw.isascii():  # only such lines can fail to be UTF-8
            try:
                raw.decode("utf-8-sig" if number == 1 else "utf-8")
            except UnicodeDecodeError as err:
                bad_text.append((number, _column_at(raw, err.start, sep, header)))
        if not raw.strip(filler):
            (empty if raw.strip() else blank).append(number)
            continue
        if header is None:
            header = _cells(raw.decode("utf-8-sig", "replace").rstrip("\r\n"), delimiter)
            continue
        seen_data = True
        if blank:  # blank lines between data rows (trailing ones are harmless)
            empty.extend(blank)
            blank = []
        if sep and b'"' not in raw:
            n = raw.count(sep) + 1
            if n != len(header):
                ragged[number] = n
    if header is None:
        raise InputError(
            path, "", "the file is empty", "give a table with a header row and data rows"
        )
    if bad_text:
        rows = [n for n, _ in bad_text]
        problems.add(
            InputError(
                path,
                f"row {rows[0]}, column {bad_text[0][1]!r}",
                f"not UTF-8 text ({len(rows)} row(s) with such bytes: "
                f"{preview(rows, quote=False)}); "
                "the file was probably saved in a legacy encoding such as Latin-1 or Windows-1252",
                f"{TEXT_FIX}, or convert it: iconv -f latin1 -t utf-8 {path.name}",
            )
        )
    if empty:
        empty = sorted(empty)
        problems.add(
            InputError(
                path,
                f"row(s) {preview(empty, quote=False)}",
                f"{len(empty)} empty row(s) (blank or only delimiters) among the data rows",
                "delete the empty rows (spreadsheets leave rows of empty cells below a table)",
            )
        )
    if ragged:
        rows = sorted(ragged)
        problems.add(
            InputError(
                path,
                f"row(s) {preview(rows, quote=False)}",
                f"{len(rows)} row(s) with a different number of cells than the header's "
                f"{len(header)} (row {rows[0]} has {ragged[rows[0]]})",
                "give every row one cell per header column (empty cells for missing values)",
            )
        )
    if not seen_data and not problems.found:
        problems.add(
            InputError(path, "", "the file has a header but no data rows", "add one row per record")
        )
    problems.raise_any()


def header_names(path: str | Path, delimiter: str, comment: str | None = None) -> list[str]:
    """The header cells of ``path`` as written (before a parser renames duplicates)."""
    with open_text(path) as fh:
        for line in fh:
            if not line.strip() or (comment and line.startswith(comment)):
                continue
            return _cells(line.rstrip("\r\n"), delimiter)
    return []


def check_unique_header(path: str | Path, delimiter: str, what: str = "column") -> None:
    """Duplicated header names are an error naming them (parsers rename them silently)."""
    names = header_names(path, delimiter)
    dup = sorted({c for c in names if names.count(c) > 1 and c})
    if dup:
        raise InputError(
            path,
            "header row",
            f"duplicated {what} name(s) {preview(dup)}",
            f"give every {what} a unique name",
        )


def _cells(line: str, delimiter: str | None) -> list[str]:
    if delimiter is None:
        return [line]
    return [c.strip().strip('"').strip() for c in line.split(delimiter)]


def _column_at(raw: bytes, offset: int, sep: bytes | None, header: list[str] | None) -> str:
    """The header name of the cell holding byte ``offset`` of a row (or its position)."""
    if sep is None:
        return "?"
    index = raw[:offset].count(sep)
    if header is not None and index < len(header):
        return header[index]
    return f"cell {index + 1}"


def not_found(path: str | Path) -> str:
    """'file not found', with the absolute path a relative one was looked for at (Snakemake's
    ``--directory`` moves the working directory the config's relative paths start from)."""
    path = Path(path)
    return (
        "file not found" if path.is_absolute() else f"file not found (looked for {path.absolute()})"
    )


def check_head(path: Path) -> None:
    """Missing, empty, or not the kind of file its name says (compressed, workbook, UTF-16)."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(8)
    except FileNotFoundError as err:
        raise InputError(path, "", not_found(path), "check the path in the config") from err
    except IsADirectoryError as err:
        raise InputError(path, "", "is a directory", "give the path of a file") from err
    if not head:
        raise InputError(path, "", "the file is empty", "give a table with a header row")
    suffix = path.suffix.lower()
    kind = next((ext for magic, ext in MAGIC.items() if head.startswith(magic)), None)
    if suffix in COMPRESSED and kind != suffix:
        raise InputError(
            path,
            "",
            f"the name ends in {suffix} but the file is not {suffix[1:]}-compressed",
            f"compress it ({suffix[1:]} {path.with_suffix('').name}), or drop {suffix} "
            "from its name",
        )
    if suffix not in COMPRESSED and kind is not None:
        raise InputError(
            path,
            "",
            f"the file is {kind[1:]}-compressed but its name does not end in {kind}",
            f"rename it to {path.name}{kind}",
        )
    if head.startswith(b"PK\x03\x04"):
        raise InputError(
            path,
            "",
            "this is a spreadsheet workbook (xlsx/zip), not a text table",
            "export the sheet as CSV UTF-8 or as tab-separated text",
        )
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InputError(path, "", "the file is UTF-16 text", TEXT_FIX)


def _lines(path: Path, block: int = 1 << 22) -> Iterator[tuple[int, bytes]]:
    """(1-based line number, raw line without its newline) of the decompressed file, read in
    blocks; named errors for a damaged compressed stream."""
    number = 0
    rest = b""
    try:
        with opener(path)(path, "rb") as fh:
            while chunk := fh.read(block):
                lines = (rest + chunk).split(b"\n")
                rest = lines.pop()
                for line in lines:
                    number += 1
                    yield number, line
    except EOFError as err:
        raise InputError(
            path,
            f"after line {number}",
            "the compressed file is truncated (it ends before its end-of-stream marker)",
            f"copy or download the file again; check it with: {_test_command(path)}",
        ) from err
    except (OSError, zlib.error, lzma.LZMAError) as err:
        raise InputError(
            path,
            f"after line {number}",
            f"the compressed file is corrupt ({err})",
            f"copy or download the file again; check it with: {_test_command(path)}",
        ) from err
    if rest:
        yield number + 1, rest


def _test_command(path: Path) -> str:
    tool = {".gz": "gzip", ".bz2": "bzip2", ".xz": "xz"}.get(path.suffix.lower(), "gzip")
    return f"{tool} -t {path}"
