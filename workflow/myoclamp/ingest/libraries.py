"""Samples that cannot be analysed: an empty or near-zero library.

Size factors, log-CPM and the VST divide by the library; an empty library has none and a library
a thousand times smaller than the cohort's median rests on a handful of genes. Such a sample must
be listed under ``exclude:`` with its reason (it then stays in the QC table, not analysed); the
QC stage's own ``min_library_size`` only flags.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from myoclamp.errors import InputError, preview

#: a library below this share of the median library (of the samples not excluded) is near zero
NEAR_ZERO_SHARE = 1e-3


def unanalysable(
    libraries: pd.Series, excluded: set[str] | frozenset[str] = frozenset()
) -> pd.Series:
    """Library sizes (reads) of the samples, not excluded, with an empty or near-zero library."""
    used = libraries[~libraries.index.isin(list(excluded))]
    if used.empty:
        return used
    floor = NEAR_ZERO_SHARE * float(used.median())
    return used[(used <= 0) | (used < floor)]


def check_libraries(
    libraries: pd.Series, excluded: set[str], path: str | Path | None = None
) -> None:
    """An error naming every sample whose library cannot be analysed, with the exclude line."""
    bad = unanalysable(libraries, excluded)
    if bad.empty:
        return
    used = libraries[~libraries.index.isin(list(excluded))]
    reads = ", ".join(f"{s!r} {int(n):,} reads" for s, n in list(bad.items())[:5])
    first = bad.index[0]
    reason = "empty library" if bad.iloc[0] == 0 else "near-zero library"
    raise InputError(
        path,
        f"sample column(s) {preview(bad.index)}",
        f"{len(bad)} sample(s) with an empty or near-zero library ({reads}; median library "
        f"{int(used.median()):,} reads): they cannot be normalised with the others",
        f"list them under exclude: in the config with the reason, e.g. exclude: [{{sample: "
        f'{first}, reason: "{reason}"}}]',
    )
