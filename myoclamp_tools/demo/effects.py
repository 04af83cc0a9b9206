"""Per-gene planted effects of the demo cohort (natural-log units inside, log2 in the truth).

Sources: ``resources/demo_params/insulin_responsive_genes.csv`` (a copy of
``../shared/reference/insulin_responsive_genes.csv``) and ``../shared/reference/muscle_biology.md``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from myoclamp_tools.demo.params import PARAMS_DIR

INSULIN_CSV = PARAMS_DIR / "insulin_responsive_genes.csv"
LN2 = float(np.log(2.0))

#: nuclear oxidative-phosphorylation genes (the mitochondrial COX1-3 are excluded)
OXPHOS = re.compile(
    r"^(NDUF[ABSCV]\d+L?|COX(4I1|5A|5B|6A2|6B1|6C|7A1|7A2|7B|7C|8A)|ATP5[A-Z0-9]+|UQCR[A-Z0-9]*|SDH[ABCD])$"
)
#: immediate-early genes: high biopsy-to-biopsy variation from biopsy stress, little person effect
IEG = (
    "FOS",
    "FOSB",
    "JUN",
    "JUNB",
    "EGR1",
    "EGR2",
    "EGR3",
    "ATF3",
    "NR4A1",
    "NR4A2",
    "NR4A3",
    "IER2",
    "IER3",
    "CYR61",
    "CCN1",
    "MYC",
    "KLF2",
    "KLF4",
    "DUSP1",
    "ZFP36",
)
#: long structural transcripts that lose reads in the degraded low-quality sample
LONG_GENES = (
    "TTN",
    "NEB",
    "OBSCN",
    "CMYA5",
    "XIRP2",
    "DMD",
    "SYNE1",
    "SYNE2",
    "MACF1",
    "AHNAK",
    "PLEC",
    "DST",
    "HUWE1",
    "NEXN",
    "MYOM1",
    "MYOM2",
)
#: X genes escaping inactivation: a little higher in women
X_ESCAPE = ("KDM5C", "KDM6A", "DDX3X", "EIF1AX", "ZFX", "USP9X")
#: XIST in female vastus lateralis (CPM of the whole library); an assumption, GSE202295 is all male
XIST_FEMALE_CPM = 25.0
#: its NB dispersion in women (GSE202295 has none; the real trend value near that mean, doubled)
XIST_FEMALE_DISPERSION = 0.08
#: the named set for the optional treatment effect: IL-1/NF-kB and inflammation genes expressed
#: in muscle (mean basal count > 50 in GSE202295); down with IL-1 blockade except the last eight
TREATMENT_GENES = (
    "NFKBIA",
    "NFKB1",
    "RELA",
    "IL1R1",
    "IL6R",
    "IL32",
    "TNFRSF1A",
    "TRAF6",
    "IRAK1",
    "MAP3K7",
    "TAB2",
    "ICAM1",
    "VCAM1",
    "STAT3",
    "JAK2",
    "CEBPB",
    "C3",
    "C1S",
    "C1R",
    "CD163",
    "TLR4",
    "S100A4",
    "ANXA1",
    "LGALS3",
    "IRF1",
    "IFITM3",
    "CD74",
    "TNFAIP3",
    "BIRC3",
    "SOD2",
    "STAT1",
    "MX1",
    "IL15",
    "CXCL12",
    "GPX3",
    "TXN",
    "HIF1A",
    "CD44",
    "IL6ST",
    "MAPK14",
)
TREATMENT_UP = 8

#: M-value: planted T2D mean and SD (mg/kg/min), and the M at which the insulin response is healthy
M_MEAN, M_SD, M_HEALTHY = 4.0, 1.7, 11.0
#: largest planted per-gene correlation of baseline expression with the M-value
R_MAX = 0.3


def with_female_xist(params: pd.DataFrame) -> pd.DataFrame:
    """Copy of the parameter table with XIST's dispersion set for its female expression.

    The real table is all male, where XIST is near zero and its dispersion meaningless.
    """
    out = params.copy()
    out.loc[out["gene"] == "XIST", "dispersion"] = XIST_FEMALE_DISPERSION
    return out


def read_insulin_table(path: str | Path = INSULIN_CSV) -> pd.DataFrame:
    """Read the insulin-response / M-correlate table and check its columns."""
    path = Path(path)
    table = pd.read_csv(path, dtype=str)
    need = {"gene", "role", "suggested_log2FC_healthy_RNAseq", "suggested_IR_T2D_attenuation"}
    missing = need - set(table.columns)
    if missing:
        raise ValueError(f"{path}: missing columns {sorted(missing)}")
    return table


def _per_sd(text: str) -> tuple[float, float]:
    """Parse '0.15_per_SD_M', '-0.3_per_SD_M', '0.07-0.15_per_SD_M' or '0.0-0.05' into (lo, hi)."""
    m = re.match(r"^(-?\d+(?:\.\d+)?)(?:-(\d+(?:\.\d+)?))?", text.strip())
    if not m:
        raise ValueError(f"cannot parse an M-value effect from {text!r}")
    lo = float(m.group(1))
    hi = float(m.group(2)) if m.group(2) else lo
    return lo, hi


def gene_effects(
    params: pd.DataFrame, rng: np.random.Generator, insulin: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Planted log2 effects per gene (index = gene); treatment effects are listed, not applied.

    Columns: insulin_log2fc_healthy, insulin_attenuation, m_value_log2fc_per_sd, m_value_r,
    treatment_log2fc_if_on, site_log2fc, female_log2fc, ieg.
    """
    insulin = read_insulin_table() if insulin is None else insulin
    genes = params["gene"].to_numpy()
    idx = pd.Index(genes)
    out = pd.DataFrame(index=idx)
    sd_ln = np.sqrt(np.log1p(params["dispersion"].to_numpy()))
    mean_count = params["share"].to_numpy() * 2.2e7

    fc = np.zeros(len(idx))
    att = np.ones(len(idx))
    clamp = insulin[insulin["role"] == "clamp_response"]
    for _, row in clamp.iterrows():
        if row["gene"] in idx:
            i = idx.get_loc(row["gene"])
            fc[i] = float(row["suggested_log2FC_healthy_RNAseq"])
            att[i] = float(row["suggested_IR_T2D_attenuation"] or 1.0)
    out["insulin_log2fc_healthy"] = fc
    out["insulin_attenuation"] = att

    beta = np.zeros(len(idx))
    oxphos = np.array([bool(OXPHOS.match(g)) for g in genes]) & (mean_count >= 50)
    beta[oxphos] = rng.uniform(0.07, 0.15, oxphos.sum())
    for _, row in insulin[insulin["role"] == "baseline_M_correlate"].iterrows():
        if row["gene"] in idx:
            lo, hi = _per_sd(row["suggested_log2FC_healthy_RNAseq"])
            beta[idx.get_loc(row["gene"])] = (lo + hi) / 2
    cap = R_MAX * sd_ln / LN2
    beta = np.clip(beta, -cap, cap)
    out["m_value_log2fc_per_sd"] = beta
    with np.errstate(divide="ignore", invalid="ignore"):
        out["m_value_r"] = np.where(beta != 0, beta * LN2 / sd_ln, 0.0)
    out["oxphos"] = oxphos

    tfc = np.zeros(len(idx))
    sizes = np.linspace(0.5, 1.0, len(TREATMENT_GENES))
    for k, gene in enumerate(TREATMENT_GENES):
        if gene in idx:
            sign = 1.0 if k >= len(TREATMENT_GENES) - TREATMENT_UP else -1.0
            tfc[idx.get_loc(gene)] = sign * sizes[(k * 7) % len(sizes)]
    out["treatment_log2fc_if_on"] = tfc

    out["site_log2fc"] = np.round(rng.normal(0.0, 0.08, len(idx)), 4)
    female = np.zeros(len(idx))
    female[params["chr_y"].to_numpy()] = -10.0
    for gene in X_ESCAPE:
        if gene in idx:
            female[idx.get_loc(gene)] = 0.3
    if "XIST" in idx:
        i = idx.get_loc("XIST")
        female[i] = np.log2(XIST_FEMALE_CPM * 1e-6 / params["share"].iloc[i])
    out["female_log2fc"] = female
    out["ieg"] = idx.isin(IEG)
    return out


def with_treatment_sizes(gene_effects: pd.DataFrame, sizes: Mapping[str, float]) -> pd.DataFrame:
    """Copy of ``gene_effects`` whose treatment effects are exactly ``sizes`` (symbol -> log2FC;
    every other gene 0). Unknown symbols are an error."""
    unknown = [g for g in sizes if g not in gene_effects.index]
    if unknown:
        raise ValueError(f"treatment_sizes: genes not in the demo's gene table: {unknown[:5]}")
    out = gene_effects.copy()
    out["treatment_log2fc_if_on"] = 0.0
    for gene, size in sizes.items():
        out.loc[gene, "treatment_log2fc_if_on"] = float(size)
    return out
