"""Gene parameters of the demo cohort, estimated once from real basal vastus lateralis counts.

The table (one row per gene, in the real table's genomic order) holds what the generator needs:

- ``share``: mean fraction of a library's reads (count / library size, averaged over biopsies),
- ``dispersion``: negative-binomial dispersion of one biopsy per person (between-person plus
  biopsy-to-biopsy variation), the method-of-moments estimate shrunk towards the trend,
- ``fibre_loading``: natural-log change per SD of the slow-vs-fast fibre-type score, shrunk by its
  t statistic so genes without a fibre signal get none,
- ``chr_y``: male-specific chromosome Y gene (zero in women).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[2]
PARAMS_DIR = REPO / "resources" / "demo_params"
PARAMS_TSV = PARAMS_DIR / "gene_params.tsv.gz"
LIBRARY_JSON = PARAMS_DIR / "library.json"

MITO_RRNA = ("RNR1", "RNR2")
SLOW_GENES = ("MYH7", "TNNT1", "TNNI1", "TNNC1", "MYL3", "MYL2", "ATP2A2")
FAST_GENES = ("MYH1", "MYH2", "TNNT3", "TNNI2", "TNNC2", "MYL1", "MYLPF", "ACTN3", "ATP2A1")
DISPERSION_BINS = (10, 30, 100, 300, 3000)
_Y_NAME = re.compile(
    r"^(SRY|UTY|KDM5D|LINC00278|TTTY\d+[A-Z]?|RBMY\w+|DAZ\d|BPY2\w*|VCY\w*|[A-Z0-9]+Y\d*)$"
)


def size_factors(counts: np.ndarray) -> np.ndarray:
    """DESeq2 median-of-ratios size factors of a genes x samples count matrix."""
    counts = np.asarray(counts, dtype=float)
    keep = (counts > 0).all(axis=1)
    if not keep.any():
        raise ValueError("no gene is non-zero in every sample: cannot compute size factors")
    logc = np.log(counts[keep])
    return np.exp(np.median(logc - logc.mean(axis=1, keepdims=True), axis=0))


def moment_dispersion(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-gene mean normalised count and method-of-moments NB dispersion (NaN if not > 0)."""
    counts = np.asarray(counts, dtype=float)
    sf = size_factors(counts)
    norm = counts / sf
    mean = norm.mean(axis=1)
    var = norm.var(axis=1, ddof=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        phi = (var - mean * np.mean(1.0 / sf)) / mean**2
    phi[~(phi > 0)] = np.nan
    return mean, phi


def dispersion_trend(mean: np.ndarray, phi: np.ndarray, min_mean: float = 5.0) -> np.ndarray:
    """Binned-median trend of log dispersion on log mean, interpolated, flat outside its range."""
    ok = (mean >= min_mean) & np.isfinite(phi)
    lm, lp = np.log(mean[ok]), np.log(phi[ok])
    edges = np.quantile(lm, np.linspace(0, 1, 21))
    centres, medians = [], []
    for lo, hi in zip(edges[:-1], edges[1:], strict=True):
        sel = (lm >= lo) & (lm <= hi)
        centres.append(np.median(lm[sel]))
        medians.append(np.median(lp[sel]))
    with np.errstate(divide="ignore"):
        return np.interp(np.log(np.maximum(mean, 1e-3)), centres, medians)


def shrink_dispersion(mean: np.ndarray, phi: np.ndarray, n_samples: int) -> np.ndarray:
    """Shrink log method-of-moments dispersions towards the trend by their sampling noise."""
    trend = dispersion_trend(mean, phi)
    resid = np.log(phi) - trend
    with np.errstate(divide="ignore", invalid="ignore"):
        noise_var = 2.0 / (n_samples - 1) * (1.0 + 1.0 / (mean * np.exp(trend))) ** 2
    ok = np.isfinite(resid) & (mean >= 10)
    true_var = max(np.nanvar(resid[ok]) - np.nanmedian(noise_var[ok]), 0.1)
    weight = true_var / (true_var + noise_var)
    log_phi = np.where(np.isfinite(resid), trend + weight * resid, trend)
    return np.clip(np.exp(log_phi), 1e-3, 10.0)


def fibre_score(log_cpm: pd.DataFrame) -> np.ndarray:
    """Slow-minus-fast fibre-type score per sample (mean z of slow minus fast markers), SD 1."""
    z = log_cpm.sub(log_cpm.mean(axis=1), axis=0).div(log_cpm.std(axis=1, ddof=1), axis=0)
    slow = [g for g in SLOW_GENES if g in z.index]
    fast = [g for g in FAST_GENES if g in z.index]
    if len(slow) < 3 or len(fast) < 3:
        raise ValueError(f"fibre score needs 3+ slow and fast markers, found {slow} and {fast}")
    score = z.loc[slow].mean() - z.loc[fast].mean()
    return ((score - score.mean()) / score.std(ddof=1)).to_numpy()


def fibre_loadings(log_cpm: pd.DataFrame, score: np.ndarray, min_t: float = 2.0) -> np.ndarray:
    """Slope of log expression on the fibre score per gene, shrunk by ``max(0, 1 - min_t²/t²)``."""
    y = log_cpm.to_numpy()
    n = y.shape[1]
    yc = y - y.mean(axis=1, keepdims=True)
    sc = score - score.mean()
    slope = yc @ sc / (sc @ sc)
    resid_var = ((yc - np.outer(slope, sc)) ** 2).sum(axis=1) / (n - 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        t2 = slope**2 * (sc @ sc) / resid_var
        factor = np.clip(1.0 - min_t**2 / t2, 0.0, 1.0)
    return np.nan_to_num(slope * factor)


def is_chr_y(genes: pd.Index) -> np.ndarray:
    """Male-specific chromosome Y genes, from the genomic order of an NCBI count table.

    The block starts at SRY (or at the first of XGY2/RPS4Y1) and ends at the mitochondrial
    genes; within it, only Y-named genes (…Y, …Y1, TTTY*, RBMY*, DAZ*, UTY, KDM5D, SRY) are
    taken, so unplaced scaffold LOC genes that follow the block are not mistaken for Y genes.
    """
    names = list(genes)
    start = next((names.index(g) for g in ("XGY2", "SRY", "RPS4Y1") if g in names), None)
    flags = np.zeros(len(names), dtype=bool)
    if start is None:
        return flags
    end = names.index("RNR1") if "RNR1" in names else len(names)
    for i in range(start, end):
        flags[i] = bool(_Y_NAME.match(names[i])) and not names[i].startswith("LOC")
    return flags


def estimate_params(counts: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    """Gene parameter table and library-size summary from basal counts (genes x samples).

    Genes absent from every basal sample get a share of half a read over all samples, so they
    stay (rarely non-zero) in the demo as they are in the real table. Rows sharing a symbol
    (a few tRNA genes) are summed so that every gene key is unique.
    """
    counts = counts.groupby(level=0, sort=False).sum()
    if counts.shape[1] < 10:
        raise ValueError(
            f"need at least 10 basal samples to estimate parameters, got {counts.shape[1]}"
        )
    x = counts.to_numpy(dtype=float)
    lib = x.sum(axis=0)
    share = (x / lib).mean(axis=1)
    share[share == 0] = 0.5 / lib.sum()
    mean, phi = moment_dispersion(x)
    disp = shrink_dispersion(mean, phi, x.shape[1])
    mrna = ~counts.index.isin(MITO_RRNA)
    cpm = x[mrna] / x[mrna].sum(axis=0) * 1e6
    log_cpm = pd.DataFrame(np.log(cpm + 0.5), index=counts.index[mrna])
    score = fibre_score(log_cpm)
    loading = np.zeros(len(counts))
    loading[mrna] = fibre_loadings(log_cpm, score)
    loading[mean < 10] = 0.0
    # the fibre factor must not explain more than 80 % of a gene's biological variance
    cap = np.sqrt(0.8 * np.log1p(disp))
    loading = np.clip(loading, -cap, cap)
    table = pd.DataFrame(
        {
            "gene": counts.index.astype(str),
            "share": share,
            "dispersion": disp,
            "fibre_loading": loading,
            "chr_y": is_chr_y(counts.index),
        }
    )
    library = {
        "n_samples": int(x.shape[1]),
        "median": float(np.median(lib)),
        "cv": float(lib.std(ddof=1) / lib.mean()),
    }
    return table, library


def load_params(path: str | Path = PARAMS_TSV) -> pd.DataFrame:
    """Read the gene parameter table shipped in ``resources/demo_params``."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(
            f"{path}: demo gene parameters missing; rebuild with scripts/build_demo_params.py"
        )
    table = pd.read_csv(path, sep="\t", keep_default_na=False, na_values=[""])
    need = {"gene", "share", "dispersion", "fibre_loading", "chr_y"}
    missing = need - set(table.columns)
    if missing:
        raise ValueError(f"{path}: missing columns {sorted(missing)}")
    if table["gene"].duplicated().any():
        dup = table.loc[table["gene"].duplicated(), "gene"].iloc[0]
        raise ValueError(f"{path}: gene {dup!r} occurs twice")
    table["chr_y"] = table["chr_y"].astype(str).str.lower().isin(["true", "1"])
    return table


def load_library(path: str | Path = LIBRARY_JSON) -> dict:
    """Read the library-size summary (median, CV) shipped beside the gene parameters."""
    return json.loads(Path(path).read_text())
