"""Small static SVG figures for the report's first screen (inline, no script, print well)."""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

INK = "#1d232a"
GREY = "#9aa0a6"
RED = "#c0392b"
BLUE = "#2c7fb8"
ORANGE = "#d95f0e"


@dataclass
class Interval:
    """One row of a forest plot: a label, an estimate and its interval."""

    label: str
    estimate: float
    low: float
    high: float
    strong: bool = False  # drawn in red (e.g. the interval excludes zero or FDR < 0.05)
    title: str = ""  # hover text


def _nice_ticks(lo: float, hi: float, n: int = 4) -> list[float]:
    if not np.isfinite(lo) or not np.isfinite(hi) or hi <= lo:
        return [0.0]
    raw = (hi - lo) / n
    mag = 10 ** np.floor(np.log10(raw))
    step = min((m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw), default=10 * mag)
    start = np.ceil(lo / step) * step
    ticks = np.arange(start, hi + step * 1e-9, step)
    return [float(np.round(t, 10)) + 0.0 for t in ticks]  # + 0.0: no "-0" label


def _fmt_tick(v: float) -> str:
    return f"{v:g}"


def forest(
    rows: Sequence[Interval],
    *,
    xlabel: str,
    width: int = 340,
    row_height: int = 11,
    label_width: int = 96,
    bound: float | None = None,
    font: float = 8.5,
) -> str:
    """A compact forest plot: one interval per row, a zero line, optional +/-``bound`` band."""
    rows = [r for r in rows if np.isfinite([r.estimate, r.low, r.high]).all()]
    if not rows:
        return ""
    top, bottom = 6, 30
    height = top + row_height * len(rows) + bottom
    lo = min(min(r.low for r in rows), 0.0)
    hi = max(max(r.high for r in rows), 0.0)
    if bound is not None and np.isfinite(bound):
        lo, hi = min(lo, -bound), max(hi, bound)
    pad = (hi - lo) * 0.05 or 1.0
    lo, hi = lo - pad, hi + pad
    x0, x1 = label_width, width - 8

    def sx(v: float) -> float:
        return x0 + (v - lo) / (hi - lo) * (x1 - x0)

    out = [
        f'<svg class="mini" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="img" aria-label="{html.escape(xlabel)}">'
    ]
    if bound is not None and np.isfinite(bound):
        out.append(
            f'<rect x="{sx(-bound):.1f}" y="{top - 2}" width="{sx(bound) - sx(-bound):.1f}" '
            f'height="{row_height * len(rows) + 4}" fill="#eef3f8"/>'
        )
    out.append(
        f'<line x1="{sx(0):.1f}" x2="{sx(0):.1f}" y1="{top - 2}" '
        f'y2="{top + row_height * len(rows) + 2}" stroke="{GREY}" stroke-width="0.8"/>'
    )
    for i, r in enumerate(rows):
        y = top + row_height * i + row_height / 2
        colour = RED if r.strong else INK
        tip = f"<title>{html.escape(r.title)}</title>" if r.title else ""
        out.append(
            f'<g>{tip}<text x="{x0 - 4}" y="{y + font / 3:.1f}" text-anchor="end" '
            f'font-size="{font}">'
            f"{html.escape(r.label)}</text>"
            f'<line x1="{sx(r.low):.1f}" x2="{sx(r.high):.1f}" y1="{y:.1f}" y2="{y:.1f}" '
            f'stroke="{colour}" stroke-width="1.2"/>'
            f'<circle cx="{sx(r.estimate):.1f}" cy="{y:.1f}" r="2.2" fill="{colour}"/></g>'
        )
    axis_y = top + row_height * len(rows) + 4
    out.append(
        f'<line x1="{x0}" x2="{x1}" y1="{axis_y}" y2="{axis_y}" stroke="{INK}" stroke-width="0.6"/>'
    )
    for t in _nice_ticks(lo, hi):
        out.append(
            f'<line x1="{sx(t):.1f}" x2="{sx(t):.1f}" y1="{axis_y}" y2="{axis_y + 3}" '
            f'stroke="{INK}" stroke-width="0.6"/><text x="{sx(t):.1f}" y="{axis_y + 12}" '
            f'text-anchor="middle" font-size="8">{_fmt_tick(t)}</text>'
        )
    out.append(
        f'<text x="{(x0 + x1) / 2:.1f}" y="{height - 3}" text-anchor="middle" font-size="8.5">'
        f"{html.escape(xlabel)}</text></svg>"
    )
    return "".join(out)


def scatter(
    x: Sequence[float],
    y: Sequence[float],
    labels: Sequence[str],
    *,
    xlabel: str,
    ylabel: str,
    size: int = 200,
    identity: bool = True,
) -> str:
    """A small square scatter plot (hover: the point's label) with the y = x line."""
    xs, ys = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    ok = np.isfinite(xs) & np.isfinite(ys)
    xs, ys, labels = xs[ok], ys[ok], [lab for lab, k in zip(labels, ok, strict=True) if k]
    if not len(xs):
        return ""
    lo = float(min(xs.min(), ys.min(), 0.0))
    hi = float(max(xs.max(), ys.max(), 0.0))
    pad = (hi - lo) * 0.06 or 1.0
    lo, hi = lo - pad, hi + pad
    left, bottom, top, right = 30, 26, 6, 6
    w = h = size

    def sx(v: float) -> float:
        return left + (v - lo) / (hi - lo) * (w - left - right)

    def sy(v: float) -> float:
        return h - bottom - (v - lo) / (hi - lo) * (h - bottom - top)

    out = [
        f'<svg class="mini" viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img" '
        f'aria-label="{html.escape(ylabel)} against {html.escape(xlabel)}">',
        f'<rect x="{left}" y="{top}" width="{w - left - right}" height="{h - top - bottom}" '
        f'fill="none" stroke="{INK}" stroke-width="0.6"/>',
        f'<line x1="{sx(0):.1f}" x2="{sx(0):.1f}" y1="{top}" y2="{h - bottom}" stroke="#dde3ea"/>',
        f'<line x1="{left}" x2="{w - right}" y1="{sy(0):.1f}" y2="{sy(0):.1f}" stroke="#dde3ea"/>',
    ]
    if identity:
        out.append(
            f'<line x1="{sx(lo):.1f}" y1="{sy(lo):.1f}" x2="{sx(hi):.1f}" y2="{sy(hi):.1f}" '
            f'stroke="{GREY}" stroke-dasharray="3 2" stroke-width="0.8"/>'
        )
    for t in _nice_ticks(lo, hi):
        out.append(
            f'<text x="{sx(t):.1f}" y="{h - bottom + 10}" text-anchor="middle" font-size="8">'
            f"{_fmt_tick(t)}</text>"
            f'<text x="{left - 3}" y="{sy(t) + 3:.1f}" text-anchor="end" font-size="8">'
            f"{_fmt_tick(t)}</text>"
        )
    for xi, yi, lab in zip(xs, ys, labels, strict=True):
        out.append(
            f'<circle cx="{sx(xi):.1f}" cy="{sy(yi):.1f}" r="2.4" fill="{BLUE}" '
            f'fill-opacity="0.75"><title>{html.escape(lab)}</title></circle>'
        )
    out.append(
        f'<text x="{(left + w - right) / 2:.1f}" y="{h - 3}" text-anchor="middle" '
        f'font-size="8.5">{html.escape(xlabel)}</text>'
        f'<text transform="translate(9 {(top + h - bottom) / 2:.1f}) rotate(-90)" '
        f'text-anchor="middle" font-size="8.5">{html.escape(ylabel)}</text></svg>'
    )
    return "".join(out)
