"""Rows printed as TSV as they come (the calibration CLIs' progress), the header once."""

from __future__ import annotations

import pandas as pd


class RowPrinter:
    """``printer(row)`` prints one dict as a TSV line (the header before the first one)."""

    def __init__(self, float_format: str = "%.4g") -> None:
        self.float_format = float_format
        self.header = True

    def __call__(self, row: dict) -> None:
        line = pd.DataFrame([row]).to_csv(
            sep="\t", index=False, header=self.header, float_format=self.float_format
        )
        print(line, end="", flush=True)
        self.header = False
