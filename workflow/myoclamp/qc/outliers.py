"""Robust outlier rule for low-quality samples.

A sample is an outlier when any of these holds (``z`` = robust z-score, (x - median) /
(1.4826 * MAD), over all samples; only the low side signals poor quality):

- log10 library size: z < -threshold, or library size below ``min_library_size``;
- log10 detected genes (count > 0): z < -threshold;
- profile correlation (median Pearson correlation r of the sample's VST on the most variable
  genes with every other sample): the robust z of -log(1 - r) < -threshold. Correlations pile up
  just below 1; on the log(1 - r) scale their spread is symmetric enough for a median/MAD rule.

The MAD of log10 library size is floored at 0.02 (5 %) and that of log10 detected genes at 0.005
(1.2 %), so that a very homogeneous cohort (or a small gene panel, where nearly every gene is
detected in every sample) does not turn trivial differences into outliers.

The default threshold 3.5 is Iglewicz and Hoaglin's cut-off for the modified z-score.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

MAD_SCALE = 1.4826
#: floors of the MAD on the log10 scale (5 % in library size, 1.2 % in detected genes)
LIB_MAD_FLOOR = 0.02
DETECTED_MAD_FLOOR = 0.005


def robust_z(x: np.ndarray, min_mad: float = 0.0) -> np.ndarray:
    """(x - median) / (1.4826 * max(MAD, min_mad)); all zeros when that is 0."""
    x = np.asarray(x, dtype=float)
    med = np.nanmedian(x)
    mad = max(float(np.nanmedian(np.abs(x - med))), min_mad) * MAD_SCALE
    if not np.isfinite(mad) or mad == 0:
        return np.zeros_like(x)
    return (x - med) / mad


def profile_correlation(values: np.ndarray) -> np.ndarray:
    """Median Pearson correlation of each sample (row) with every other sample."""
    r = np.corrcoef(values)
    np.fill_diagonal(r, np.nan)
    return np.nanmedian(r, axis=1)


def flag_outliers(
    library_size: np.ndarray,
    detected_genes: np.ndarray,
    correlation: np.ndarray,
    index: pd.Index,
    threshold: float = 3.5,
    min_library_size: float = 0,
) -> pd.DataFrame:
    """Outlier flag with its reason and the three robust z-scores, one row per sample."""
    lib = np.asarray(library_size, dtype=float)
    z_lib = robust_z(np.log10(np.maximum(lib, 1.0)), min_mad=LIB_MAD_FLOOR)
    z_det = robust_z(np.log10(np.maximum(detected_genes, 1.0)), min_mad=DETECTED_MAD_FLOOR)
    r = np.clip(np.asarray(correlation, dtype=float), -1.0, 1.0 - 1e-9)
    z_cor = -robust_z(np.log1p(-r))
    reasons = []
    for i in range(len(index)):
        why = []
        if lib[i] < min_library_size:
            why.append(f"library size {lib[i]:,.0f} < {min_library_size:,.0f}")
        if z_lib[i] < -threshold:
            why.append(f"low library size {lib[i]:,.0f} (robust z {z_lib[i]:.1f})")
        if z_det[i] < -threshold:
            why.append(f"few detected genes {int(detected_genes[i]):,} (robust z {z_det[i]:.1f})")
        if z_cor[i] < -threshold:
            why.append(f"atypical profile, median r {correlation[i]:.3f} (robust z {z_cor[i]:.1f})")
        reasons.append("; ".join(why))
    return pd.DataFrame(
        {
            "profile_correlation": correlation,
            "z_library_size": z_lib,
            "z_detected_genes": z_det,
            "z_profile_correlation": z_cor,
            "outlier": [bool(r) for r in reasons],
            "outlier_reason": reasons,
        },
        index=index,
    )
