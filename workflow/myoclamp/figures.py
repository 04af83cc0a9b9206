"""Writing figures: atomic PNGs without a software stamp, and placeholders that say why."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from myoclamp.io import atomic_path


def save_png(fig: plt.Figure, path: str | Path, dpi: int = 120) -> None:
    """Write a PNG atomically, without a version stamp (same bytes on a rerun); close it."""
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=dpi, bbox_inches="tight", format="png", metadata={"Software": None})
    plt.close(fig)


def placeholder(path: str | Path, title: str, text: str) -> None:
    """A figure that says why there is nothing to plot (e.g. a contrast that is not estimable)."""
    fig, ax = plt.subplots(figsize=(6, 2.5))
    ax.axis("off")
    ax.set_title(title)
    ax.text(0.5, 0.5, text, ha="center", va="center", wrap=True, fontsize=10)
    save_png(fig, path)
