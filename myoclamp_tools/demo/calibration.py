"""Statistics that compare a cohort's basal biopsies with real vastus lateralis (muscle_biology.md).

All CPMs are of the mRNA-like library (mitochondrial rRNA RNR1/RNR2 left out), as in
``../shared/reference/muscle_biology.md``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from myoclamp.ingest.genes import MITO_NCBI
from myoclamp_tools.demo.params import DISPERSION_BINS, MITO_RRNA, moment_dispersion

CPM_GENES = (
    "SLC2A4",
    "PDK4",
    "TXNIP",
    "PPARGC1A",
    "HK2",
    "SREBF1",
    "HSPA1A",
    "HSPA1B",
    "HSPB1",
    "HSP90AA1",
    "HSPD1",
    "DNAJB1",
    "GAPDH",
    "CKM",
    "TTN",
)
MITO_PROTEIN = sorted(MITO_NCBI - set(MITO_RRNA))  # the 13 protein-coding genes, NCBI names

#: statistic -> (kind, tolerance): "rel" relative difference, "abs" absolute, "log2" |log2 ratio|
TOLERANCES: dict[str, tuple[str, float]] = {
    "library_median_M": ("rel", 0.10),
    "library_cv": ("abs", 0.05),
    "mito_rrna_share": ("abs", 0.05),
    "mito_protein_share_mrna": ("abs", 0.015),
    "zero_fraction": ("abs", 0.04),
    "top1_share": ("abs", 0.03),
    "top10_share": ("abs", 0.04),
    "top100_share": ("abs", 0.04),
    "top1000_share": ("abs", 0.04),
    "genes_cpm1_half": ("rel", 0.08),
    "MYH1_cv": ("rel", 0.35),
    "MYH7_cv": ("rel", 0.35),
}
for _lo, _hi in zip(DISPERSION_BINS, (*DISPERSION_BINS[1:], None), strict=True):
    TOLERANCES[f"dispersion_{_lo}_{_hi or 'up'}"] = ("rel", 0.35)
for _g in CPM_GENES:
    TOLERANCES[f"cpm_{_g}"] = ("log2", 0.6)


def mrna_cpm(counts: pd.DataFrame) -> pd.DataFrame:
    """CPM of the mRNA-like library (without RNR1/RNR2)."""
    mrna = counts.drop(index=[g for g in MITO_RRNA if g in counts.index])
    return mrna / mrna.sum() * 1e6


def basal_statistics(counts: pd.DataFrame) -> dict[str, float]:
    """The muscle_biology.md statistics of a genes x samples count table (one biopsy per person)."""
    x = counts.to_numpy(dtype=float)
    lib = x.sum(axis=0)
    rrna = counts.index.isin(MITO_RRNA)
    mrna = x[~rrna]
    share = mrna / mrna.sum(axis=0)
    top = -np.sort(-share, axis=0)
    cpm = mrna_cpm(counts)
    stats: dict[str, float] = {
        "library_median_M": float(np.median(lib) / 1e6),
        "library_cv": float(lib.std(ddof=1) / lib.mean()),
        "mito_rrna_share": float(np.median(x[rrna].sum(axis=0) / lib)),
        "mito_protein_share_mrna": float(
            np.median(cpm.loc[[g for g in MITO_PROTEIN if g in cpm.index]].sum() / 1e6)
        ),
        "zero_fraction": float((x == 0).mean()),
    }
    for k in (1, 10, 100, 1000):
        stats[f"top{k}_share"] = float(np.median(top[:k].sum(axis=0)))
    stats["genes_cpm1_half"] = float(((cpm > 1).mean(axis=1) >= 0.5).sum())
    mean, phi = moment_dispersion(x)
    for lo, hi in zip(DISPERSION_BINS, (*DISPERSION_BINS[1:], None), strict=True):
        sel = (mean >= lo) & (mean < (hi or np.inf)) & np.isfinite(phi)
        stats[f"dispersion_{lo}_{hi or 'up'}"] = float(np.median(phi[sel])) if sel.any() else np.nan
    for g in ("MYH1", "MYH7"):
        v = cpm.loc[g]
        stats[f"{g}_cv"] = float(v.std(ddof=1) / v.mean())
    for g in CPM_GENES:
        stats[f"cpm_{g}"] = float(cpm.loc[g].median()) if g in cpm.index else np.nan
    return stats


def repeat_correlation(first: pd.DataFrame, second: pd.DataFrame, min_mean: float = 100) -> dict:
    """Median residual correlation of a person's two biopsies vs two different people's.

    ``first`` and ``second``: counts with the same people in the same column order. Genes with a
    mean count of ``min_mean``+ are log-CPM transformed and centred per gene within each table.
    """
    if first.shape[1] != second.shape[1] or first.shape[1] < 3:
        raise ValueError("repeat_correlation needs the same 3+ people in both tables")
    sel = (first.mean(axis=1) >= min_mean).to_numpy()
    a = np.log(mrna_cpm(first).to_numpy()[sel[~first.index.isin(MITO_RRNA)]] + 0.5)
    b = np.log(mrna_cpm(second).to_numpy()[sel[~second.index.isin(MITO_RRNA)]] + 0.5)
    a -= a.mean(axis=1, keepdims=True)
    b -= b.mean(axis=1, keepdims=True)
    r = np.corrcoef(a.T, b.T)[: a.shape[1], a.shape[1] :]
    off = ~np.eye(len(r), dtype=bool)
    return {"same_person": float(np.median(np.diag(r))), "other_person": float(np.median(r[off]))}


def within_tolerance(name: str, demo: float, real: float) -> bool:
    """Whether a demo statistic lies within the tolerance of ``TOLERANCES`` from the real one."""
    kind, tol = TOLERANCES[name]
    if kind == "rel":
        return abs(demo - real) <= tol * abs(real)
    if kind == "abs":
        return abs(demo - real) <= tol
    return abs(np.log2(demo / real)) <= tol


def compare(demo: dict[str, float], real: dict[str, float]) -> pd.DataFrame:
    """Side-by-side table: statistic, real, demo, tolerance, ok."""
    rows = []
    for name, (kind, tol) in TOLERANCES.items():
        rows.append(
            {
                "statistic": name,
                "real_gse202295": real[name],
                "demo": demo[name],
                "tolerance": f"{kind} {tol:g}",
                "ok": within_tolerance(name, demo[name], real[name]),
            }
        )
    return pd.DataFrame(rows)


def read_demo(demo_dir: str | Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Counts (genes x samples) and the truth sample table of a generated demo directory."""
    demo_dir = Path(demo_dir)
    counts = pd.read_csv(demo_dir / "counts.tsv.gz", sep="\t", index_col=0)
    truth = pd.read_csv(demo_dir / "truth" / "samples.tsv", sep="\t", keep_default_na=False)
    return counts, truth


def demo_basal_pairs(truth: pd.DataFrame) -> pd.DataFrame:
    """Defect-free baseline and week-13 basal sample ids per participant (columns first, second)."""
    ok = truth[(truth["clamp"] == "basal") & (truth["defect"] == "")]
    first = ok[ok["visit"] == "baseline"].set_index("participant")["sample"]
    second = ok[ok["visit"] == "week13"].set_index("participant")["sample"]
    both = first.index.intersection(second.index)
    return pd.DataFrame({"first": first[both], "second": second[both]})


def compare_cohorts(
    demo_dir: str | Path, real_dir: str | Path
) -> tuple[pd.DataFrame, dict[str, dict[str, float]]]:
    """Comparison table (demo baseline basal vs real basal) and repeated-biopsy correlations."""
    from myoclamp_tools.demo.real import read_real, read_real_basal

    counts, truth = read_demo(demo_dir)
    base = truth[(truth["visit"] == "baseline") & (truth["clamp"] == "basal")]
    base = base[base["defect"] == ""]["sample"]
    real = read_real_basal(real_dir)
    table = compare(basal_statistics(counts[base]), basal_statistics(real))
    pairs = demo_basal_pairs(truth)
    real_all, sheet = read_real(real_dir)
    by = sheet.pivot(index="id", columns="time", values="seq_sample_id").dropna(
        subset=["basal", "rec"]
    )
    repeat = {
        "demo": repeat_correlation(counts[pairs["first"]], counts[pairs["second"]]),
        "real": repeat_correlation(real_all[by["basal"]], real_all[by["rec"]]),
    }
    return table, repeat
