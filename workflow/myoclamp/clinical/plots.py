"""Scatter plots of expression and set scores against the M-value, coloured by arm."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from myoclamp.figures import placeholder, save_png

ARM_COLOURS = ("#4477AA", "#EE6677")


def scatter_panels(
    values: pd.DataFrame,
    m_value: np.ndarray,
    arm: Sequence[str],
    arms: Sequence[str],
    labels: Sequence[str],
    path: str | Path,
    *,
    title: str,
    ylabel: str,
    xlabel: str = "M-value (mg/kg/min)",
    ncol: int = 3,
) -> None:
    """One panel per column of ``values`` (samples x panels) against ``m_value``.

    ``labels`` are the panel titles (e.g. symbol and statistics); ``arms`` fixes the colours
    (reference first). Each panel has the least-squares line over all points.
    """
    k = values.shape[1]
    if k == 0:
        placeholder(path, title, "nothing to plot")
        return
    ncol = min(ncol, k)
    nrow = math.ceil(k / ncol)
    fig, axes = plt.subplots(nrow, ncol, figsize=(3.4 * ncol, 3.0 * nrow), squeeze=False)
    arm = np.asarray([str(a) for a in arm])
    x = np.asarray(m_value, dtype=float)
    for i, ax in enumerate(axes.flat):
        if i >= k:
            ax.axis("off")
            continue
        y = values.iloc[:, i].to_numpy(float)
        for level, colour in zip(arms, ARM_COLOURS, strict=False):
            mask = arm == str(level)
            ax.scatter(x[mask], y[mask], s=18, color=colour, label=str(level), alpha=0.85)
        ok = np.isfinite(x) & np.isfinite(y)
        if ok.sum() > 2 and np.ptp(x[ok]) > 0:
            slope, icept = np.polyfit(x[ok], y[ok], 1)
            grid = np.linspace(x[ok].min(), x[ok].max(), 2)
            ax.plot(grid, icept + slope * grid, color="0.3", lw=1)
        ax.set_title(labels[i], fontsize=8)
        ax.set_xlabel(xlabel, fontsize=8)
        ax.set_ylabel(ylabel, fontsize=8)
        ax.tick_params(labelsize=7)
    axes.flat[0].legend(fontsize=7, frameon=False, title="arm", title_fontsize=7)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    save_png(fig, path)
