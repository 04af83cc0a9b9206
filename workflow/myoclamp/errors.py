"""The one error type for bad input: it names the file, the place and the fix."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")


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

    @property
    def errors(self) -> list[InputError]:
        """The single problems this error stands for (itself)."""
        return [self]


class InputErrors(InputError):
    """Several problems of the inputs, reported together (each once, in the order found)."""

    def __init__(self, errors: Iterable[InputError]) -> None:
        unique: dict[str, InputError] = {}
        for err in errors:
            for one in err.errors:
                unique.setdefault(str(one), one)
        self._errors = list(unique.values())
        if not self._errors:
            raise ValueError("InputErrors needs at least one error")
        first = self._errors[0]
        ValueError.__init__(self, "\n".join(str(e) for e in self._errors))
        self.file, self.where, self.problem, self.fix = (
            first.file,
            first.where,
            first.problem,
            first.fix,
        )

    @property
    def errors(self) -> list[InputError]:
        return list(self._errors)


class Problems:
    """Collects the input errors of independent checks, then raises them as one.

    ``run(check, ...)`` calls a check and keeps its InputError instead of stopping; it returns the
    check's value, or None when it failed (later checks that need the value are then skipped).
    """

    def __init__(self) -> None:
        self.found: list[InputError] = []

    def run(self, check: Callable[..., T], *args, **kwargs) -> T | None:
        try:
            return check(*args, **kwargs)
        except InputError as err:
            self.found.extend(err.errors)
            return None

    def add(self, err: InputError) -> None:
        self.found.extend(err.errors)

    def raise_any(self) -> None:
        """Raise what was found: the single error as it is, several as one InputErrors."""
        if len(self.found) == 1:
            raise self.found[0]
        if self.found:
            raise InputErrors(self.found)


def preview(items, limit: int = 5, quote: bool = True) -> str:
    """A short, readable list of offending names: 'a', 'b', 'c' (and 7 more); row numbers
    unquoted with ``quote=False``: 4, 6, 9."""
    items = [str(i) for i in items]
    shown = ", ".join(repr(i) if quote else i for i in items[:limit])
    rest = len(items) - limit
    return shown + (f" (and {rest} more)" if rest > 0 else "")
