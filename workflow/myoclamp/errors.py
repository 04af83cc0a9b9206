"""The one error type for bad input: it names the file, the place and the fix."""

from __future__ import annotations

from pathlib import Path


class InputError(ValueError):
    """Bad input: raised before any heavy work starts.

    The message always says which file, where in it (row, column, gene or sample) and how to fix it.
    """

    def __init__(self, file: str | Path | None, where: str, problem: str, fix: str) -> None:
        self.file = str(file) if file is not None else None
        self.where = where
        self.problem = problem
        self.fix = fix
        head = f"{self.file}: " if self.file else ""
        place = f"{where}: " if where else ""
        super().__init__(f"{head}{place}{problem}\n  fix: {fix}")


def preview(items, limit: int = 5) -> str:
    """A short, readable list of offending names: 'a', 'b', 'c' (and 7 more)."""
    items = [str(i) for i in items]
    shown = ", ".join(repr(i) for i in items[:limit])
    rest = len(items) - limit
    return shown + (f" (and {rest} more)" if rest > 0 else "")
