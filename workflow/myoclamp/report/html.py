"""HTML building blocks: embedded figures and sortable, searchable tables (no network)."""

from __future__ import annotations

import base64
import html
import io
from pathlib import Path

import numpy as np
import pandas as pd

PAGE_ROWS = 15  # rows per page of a paginated table (report.js and report.css agree)
PRINT_ALL_ROWS = 40  # paginated tables up to this many rows print whole; longer ones their page


def compact_png(data: bytes) -> bytes:
    """A PNG re-encoded with a 256-colour palette (matplotlib figures lose nothing visible;
    about a third of the bytes); the original when that is not smaller or Pillow fails."""
    try:
        from PIL import Image

        with Image.open(io.BytesIO(data)) as im:
            rgb = im.convert("RGB")
            pal = rgb.quantize(256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
            buf = io.BytesIO()
            pal.save(buf, "PNG", compress_level=6)  # level 9: 2x the time for 5 % fewer bytes
    except Exception:  # any decoder problem: keep the original figure
        return data
    out = buf.getvalue()
    return out if len(out) < len(data) else data


def figure(
    path: str | Path, caption: str = "", width: str = "100%", compact: bool = True, cls: str = ""
) -> str:
    """A PNG embedded as a data URI (palette-compressed unless ``compact=False``), captioned."""
    raw = Path(path).read_bytes()
    data = base64.b64encode(compact_png(raw) if compact else raw).decode("ascii")
    cap = f"<figcaption>{html.escape(caption)}</figcaption>" if caption else ""
    alt = html.escape(caption or Path(path).stem)
    c = f' class="{cls}"' if cls else ""
    return (
        f'<figure{c}><img src="data:image/png;base64,{data}" alt="{alt}" '
        f'style="max-width:{width}">{cap}</figure>'
    )


def _cell(value) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return '<td class="na" data-v="">NA</td>'
    if isinstance(value, bool | np.bool_):
        return f'<td data-v="{int(value)}">{"yes" if value else "no"}</td>'
    if isinstance(value, int | np.integer):
        return f'<td class="num" data-v="{value}">{value}</td>'
    if isinstance(value, float | np.floating):
        text = f"{value:.3g}" if abs(value) < 1e-3 or abs(value) >= 1e5 else f"{value:.4g}"
        return f'<td class="num" data-v="{value!r}">{text}</td>'
    text = html.escape(str(value))
    return f'<td data-v="{text}">{text}</td>'


def table(
    df: pd.DataFrame,
    table_id: str,
    caption: str = "",
    max_rows: int | None = 200,
    searchable: bool = False,
    paged: bool | None = None,
) -> str:
    """An HTML table whose columns sort on click; a search box filters rows when asked.

    Tables longer than :data:`PAGE_ROWS` rows are paginated (``paged=None``): the rest of the
    rows are hidden by CSS until the script adds page buttons, so they stay collapsed without it.
    Paginated tables of up to :data:`PRINT_ALL_ROWS` rows print whole.
    """
    shown = df if max_rows is None else df.head(max_rows)
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in shown.columns)
    rows = "\n".join(
        "<tr>" + "".join(_cell(v) for v in row) + "</tr>"
        for row in shown.itertuples(index=False, name=None)
    )
    note = ""
    if max_rows is not None and len(df) > max_rows:
        note = (
            f'<p class="note">First {max_rows} of {len(df)} rows; the full table is in the TSV.</p>'
        )
    search = (
        f'<input class="search" type="search" placeholder="filter rows..." '
        f'data-table="{table_id}" aria-label="filter {html.escape(caption or table_id)}">'
        if searchable
        else ""
    )
    cap = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    if paged is None:
        paged = len(shown) > PAGE_ROWS
    cls = "sortable paged" if paged else "sortable"
    if paged and len(shown) <= PRINT_ALL_ROWS:
        cls += " printall"
    return (
        f'{search}<div class="tablewrap"><table class="{cls}" id="{table_id}">{cap}'
        f"<thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table></div>{note}"
    )


def slug(text: str) -> str:
    """An id usable in HTML from any text."""
    return "".join(c if c.isalnum() else "-" for c in text.lower()).strip("-")
