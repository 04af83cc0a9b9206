"""Gene names a spreadsheet turned into dates (MARCH1 -> '1-Mar', SEPT7 -> '7-Sep').

A date-like name is restored when the bundled gene map (current symbols and their aliases, from
org.Hs.eg.db) names exactly one gene for it that the table does not already hold: '7-Sep' can only
be SEPT7, now SEPTIN7. '1-Mar' was MARCH1 (MARCHF1) or MARC1 (MTARC1): restored only when the table
already holds one of the two, otherwise it is an error. Dates that keep no month name ('3/1/2024',
'01.03.2024') are errors too.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from myoclamp.errors import InputError, preview
from myoclamp.ingest.genes import load_gene_map

ALIASES = Path(__file__).resolve().parents[3] / "resources" / "genes" / "human_gene_aliases.tsv.gz"
MONTHS = (
    "JANUARY",
    "FEBRUARY",
    "MARCH",
    "APRIL",
    "MAY",
    "JUNE",
    "JULY",
    "AUGUST",
    "SEPTEMBER",
    "OCTOBER",
    "NOVEMBER",
    "DECEMBER",
)
_MON = "|".join(m[:3] for m in MONTHS)
DAY_MONTH = re.compile(rf"^(\d{{1,2}})-({_MON})(?:-\d{{2,4}})?$", re.IGNORECASE)
MONTH_DAY = re.compile(rf"^({_MON})-(\d{{1,2}})$", re.IGNORECASE)
ISO_DATE = re.compile(r"^\d{4}-(\d{2})-(\d{2})(?:[ T]00:00(?::00)?)?$")
NUMERIC_DATE = re.compile(r"^\d{1,4}[/.]\d{1,2}[/.]\d{1,4}$")
FIX = (
    "re-export the count table from its source without opening it in a spreadsheet (or import "
    "the gene column as text), or write the gene's symbol in those rows"
)


@dataclass
class DateGenes:
    """What the date-like names of a gene column stand for."""

    restored: dict[str, str] = field(default_factory=dict)  # date -> restored symbol
    ambiguous: dict[str, list[str]] = field(default_factory=dict)  # date -> candidate symbols
    unknown: list[str] = field(default_factory=list)  # no gene of the map fits


def month_day(name: str) -> tuple[int, int] | None:
    """(month, day) of a date-like name, None if it is not one (or keeps no month)."""
    m = DAY_MONTH.match(name)
    if m:
        return _month(m.group(2)), int(m.group(1))
    m = MONTH_DAY.match(name)
    if m:
        return _month(m.group(1)), int(m.group(2))
    m = ISO_DATE.match(name)
    if m and 1 <= int(m.group(1)) <= 12:
        return int(m.group(1)), int(m.group(2))
    return None


ANY_DATE = re.compile(
    "|".join(f"(?:{p.pattern})" for p in (DAY_MONTH, MONTH_DAY, ISO_DATE, NUMERIC_DATE)),
    re.IGNORECASE,
)


def is_date(name: str) -> bool:
    """A gene name that looks like a spreadsheet date."""
    return bool(ANY_DATE.match(name)) and (
        month_day(name) is not None or bool(NUMERIC_DATE.match(name))
    )


def _month(abbr: str) -> int:
    return [m[:3] for m in MONTHS].index(abbr.upper()) + 1


@functools.cache
def alias_table(path: Path = ALIASES) -> pd.DataFrame:
    """The bundled alias -> current symbol map (aliases upper case; empty if absent)."""
    if not path.exists():
        return pd.DataFrame({"alias": [], "symbol": []}, dtype=str)
    table = pd.read_csv(path, sep="\t", dtype=str).dropna()
    return table.assign(alias=table["alias"].str.upper())


def candidates(month: int, day: int, aliases: pd.DataFrame, symbols: set[str]) -> set[str]:
    """Current symbols of genes whose name a spreadsheet reads as this date: the month's name,
    cut anywhere after its third letter, then the day (MAR1, MARC1, MARCH1 for '1-Mar')."""
    full = MONTHS[month - 1]
    names = {f"{full[:k]}{day}" for k in range(3, len(full) + 1)}
    out = {n for n in names if n in symbols}
    return out | set(aliases.loc[aliases["alias"].isin(names), "symbol"])


def current_names(names: pd.Index, aliases: pd.DataFrame, symbols: set[str]) -> set[str]:
    """The table's gene names, upper case, plus the current symbol of each old name (an alias
    naming one gene only) that is not itself a current symbol."""
    upper = {str(n).upper() for n in names}
    old = aliases[aliases["alias"].isin(upper - symbols)]
    single = old.groupby("alias")["symbol"].transform("size") == 1
    return upper | set(old.loc[single, "symbol"].str.upper())


def date_genes(
    names: pd.Index, symbols: set[str] | None = None, aliases: pd.DataFrame | None = None
) -> DateGenes:
    """Sort the date-like ``names`` of a gene column into restored, ambiguous and unknown.

    ``symbols`` are the current symbols of the gene map (default: the bundled one). A candidate
    the table already holds (under its current or an old name) is taken: it cannot be the date's
    gene too.
    """
    out = DateGenes()
    dates = [n for n in map(str, names) if ANY_DATE.match(n) and is_date(n)]
    if not dates:
        return out
    aliases = alias_table() if aliases is None else aliases
    if symbols is None:
        gene_map = load_gene_map()
        symbols = set(gene_map["symbol"]) if gene_map is not None else set()
    present = current_names(names, aliases, symbols)
    for name in dates:
        md = month_day(name)
        found = candidates(*md, aliases, symbols) if md else set()
        left = sorted(s for s in found if s.upper() not in present)
        if len(left) == 1:
            out.restored[name] = left[0]
        elif left:
            out.ambiguous[name] = left
        else:
            out.unknown.append(name)
    return out


def check_date_genes(path: str | Path | None, found: DateGenes) -> list[str]:
    """Notes naming each restored gene; an error for dates that name no single gene."""
    if found.ambiguous or found.unknown:
        parts = [f"{d!r} could be {' or '.join(c)}" for d, c in found.ambiguous.items()]
        parts += [f"{d!r} fits no gene of the bundled map" for d in found.unknown]
        bad = [*found.ambiguous, *found.unknown]
        raise InputError(
            path,
            f"gene column, {len(bad)} gene name(s) {preview(bad)}",
            "gene names that a spreadsheet turned into dates: " + "; ".join(parts[:5]),
            FIX,
        )
    return [
        f"{path}: gene {d!r} is a name a spreadsheet turned into a date: read as {s}"
        for d, s in found.restored.items()
    ]


def restore_gene_keys(keys: pd.Index, path: str | Path | None = None) -> tuple[pd.Index, list[str]]:
    """The gene keys with each restorable date replaced by its gene, and a note per restored
    gene; an error when a date names no single gene."""
    found = date_genes(keys)
    notes = check_date_genes(path, found)
    if found.restored:
        keys = pd.Index([found.restored.get(str(k), k) for k in keys], name=keys.name)
    return keys, notes


def restore_symbols(
    symbols: pd.Series, path: str | Path | None = None
) -> tuple[pd.Series, list[str]]:
    """A symbol column beside gene ids (nf-core's gene_name): dates restored where the map names
    one gene, else left empty; a note for each (the gene ids identify the genes either way)."""
    found = date_genes(pd.Index(symbols[symbols != ""]))
    if not (found.restored or found.ambiguous or found.unknown):
        return symbols, []
    fixed = symbols.map(lambda s: found.restored.get(s, "" if is_date(s) else s))
    notes = [
        f"{path}: gene_name {d!r} is a name a spreadsheet turned into a date: read as {s}"
        for d, s in found.restored.items()
    ]
    unclear = [*found.ambiguous, *found.unknown]
    if unclear:
        notes.append(
            f"{path}: gene_name(s) {preview(unclear)} look like spreadsheet dates naming no "
            "single gene: left without a symbol (the gene ids are kept)"
        )
    return fixed, notes
