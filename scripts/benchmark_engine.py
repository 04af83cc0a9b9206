"""Time and peak memory of the DE fit with pydeseq2 and with the block engine, per design.

Each (design, engine) runs in its own subprocess; its peak RSS is read from ``getrusage`` in the
child (its own peak; pydeseq2's joblib workers reported separately). Designs: the real GSE202295
counts (``~ id + time`` and the nested ``~ group + group:idn + group:time``) and a resampled
1,000-sample cohort with ~345 participants (``~ id + time``). pydeseq2 cannot fit the 1,000-sample
cohort in reasonable time: it is timed on a random sample of genes and its time extrapolated
linearly in the number of genes (its per-gene cost does not depend on the other genes); the table
says so (column ``extrapolated``).

    .venv/bin/python scripts/benchmark_engine.py                 # every design, both engines
    .venv/bin/python scripts/benchmark_engine.py --designs real_id_time --engines blocks
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
GSE = ROOT.parent / "shared" / "data" / "gse202295"
DESIGNS = {
    "real_id_time": ("real", "~ id + time"),
    "real_nested": ("real", "~ group + group:idn + group:time"),
    "resampled_1000_id_time": ("resampled", "~ id + time"),
}


def load_real(min_count: int = 10, min_samples: int = 10) -> tuple[pd.DataFrame, pd.DataFrame]:
    """GSE202295 counts (samples x genes, filtered as the DE stage does) and the sample sheet."""
    counts = pd.read_csv(GSE / "counts.csv.gz", index_col=0).T
    sheet = pd.read_csv(GSE / "samples.csv", dtype=str).set_index("seq_sample_id")
    counts = counts.loc[sheet.index].round().astype(np.int64)
    counts = counts.loc[:, (counts >= min_count).sum(axis=0) >= min_samples]
    counts = counts.loc[:, ~counts.columns.duplicated()]
    sheet["idn"] = _number_within(sheet)
    return counts, sheet


def _number_within(sheet: pd.DataFrame) -> pd.Series:
    out = pd.Series(index=sheet.index, dtype=object)
    for _, grp in sheet.groupby("group"):
        rank = {p: i for i, p in enumerate(sorted(grp["id"].unique()))}
        out[grp.index] = [f"{rank[p]:03d}" for p in grp["id"]]
    return out


def resample_cohort(
    counts: pd.DataFrame, sheet: pd.DataFrame, n_samples: int = 1000, seed: int = 1
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """~``n_samples`` samples: real participants drawn with replacement as new participants,
    each sample's counts binomially thinned (p = 0.9) so no two samples are identical."""
    rng = np.random.default_rng(seed)
    people = sheet["id"].unique()
    rows, blocks, new_ids = [], [], []
    while len(rows) < n_samples:
        p = rng.choice(people)
        samples = sheet.index[sheet["id"] == p]
        pid = f"R{len(new_ids) + 1:04d}"
        new_ids.append(pid)
        rows.extend(samples)
        blocks.extend([pid] * len(samples))
    names = [f"S{i:05d}" for i in range(len(rows))]
    x = rng.binomial(counts.loc[rows].to_numpy(), 0.9)
    new_counts = pd.DataFrame(x, index=names, columns=counts.columns)
    new_sheet = pd.DataFrame(
        {"id": blocks, "time": sheet.loc[rows, "time"].to_numpy(), "group": "x"}, index=names
    )
    keep = (new_counts >= 10).sum(axis=0) >= 10
    return new_counts.loc[:, keep], new_sheet


def design_matrix(sheet: pd.DataFrame, formula: str) -> pd.DataFrame:
    """Full-rank design matrix (all-zero and dependent columns dropped), as the DE stage does."""
    from formulaic import model_matrix

    mm = model_matrix(formula, sheet)
    full = pd.DataFrame(np.asarray(mm, dtype=float), index=sheet.index, columns=list(mm.columns))
    full = full.loc[:, full.any(axis=0)]
    kept: list[str] = []
    for col in full.columns:
        if np.linalg.matrix_rank(full[[*kept, col]].to_numpy()) == len(kept) + 1:
            kept.append(col)
    return full[kept]


def dataset(name: str) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Counts, sheet and design matrix of a benchmark design."""
    source, formula = DESIGNS[name]
    counts, sheet = load_real()
    if source == "resampled":
        counts, sheet = resample_cohort(counts, sheet)
    return counts, sheet, design_matrix(sheet, formula)


def child(name: str, engine: str, n_genes: int | None, n_cpus: int, batch: int) -> dict:
    """Fit one design with one engine in this process; timings in seconds."""
    sys.path.insert(0, str(ROOT / "workflow"))
    from myoclamp.de.engine import fit_deseq
    from pydeseq2.dds import DeseqDataSet
    from pydeseq2.default_inference import DefaultInference
    from threadpoolctl import threadpool_limits

    warnings.simplefilter("ignore")
    counts, sheet, x = dataset(name)
    total_genes = counts.shape[1]
    if n_genes and n_genes < total_genes:
        pick = np.sort(np.random.default_rng(7).choice(total_genes, n_genes, replace=False))
        counts = counts.iloc[:, pick]
    start = time.perf_counter()
    if engine == "pydeseq2":
        with threadpool_limits(limits=1):
            dds = DeseqDataSet(
                counts=counts,
                metadata=sheet,
                design=x,
                inference=DefaultInference(n_cpus=n_cpus),
                quiet=True,
            )
            dds.deseq2()
    else:
        dds = fit_deseq(counts, x, metadata=sheet, n_cpus=n_cpus, batch_size=batch)
    seconds = time.perf_counter() - start
    fitted = counts.shape[1]
    return {
        "design": name,
        "engine": engine,
        "samples": int(x.shape[0]),
        "columns": int(x.shape[1]),
        "genes_total": int(total_genes),
        "genes_fitted": int(fitted),
        "seconds": round(seconds, 2),
        "seconds_all_genes": round(seconds * total_genes / fitted, 1),
        "extrapolated": bool(fitted < total_genes),
        "algebra": dds.inference.system(x.to_numpy()).kind if engine == "blocks" else "dense",
        "load_before": os.getloadavg()[0],
        # peak RSS of this process, and of the largest joblib worker it started (pydeseq2)
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "worker_peak_rss_mib": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024),
    }


def run_child(args: list[str]) -> dict:
    """Run ``--child`` in a fresh subprocess (so its peak RSS is its own)."""
    proc = subprocess.run(
        [sys.executable, __file__, "--child", *args], capture_output=True, text=True, check=False
    )
    if proc.returncode != 0:
        raise RuntimeError(f"benchmark child {args} failed:\n{proc.stderr[-2000:]}")
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    out["uptime_load_after"] = os.getloadavg()[0]
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--designs", default=",".join(DESIGNS))
    ap.add_argument("--engines", default="pydeseq2,blocks")
    ap.add_argument("--n-cpus", type=int, default=2)
    ap.add_argument("--batch-size", type=int, default=512)
    ap.add_argument(
        "--pydeseq2-genes-large",
        type=int,
        default=60,
        help="genes pydeseq2 fits on designs with more than 500 samples (then extrapolated)",
    )
    ap.add_argument(
        "--pydeseq2-genes-small",
        type=int,
        default=0,
        help="genes pydeseq2 fits on designs with at most 500 samples (0: all; else extrapolated)",
    )
    ap.add_argument("--genes", type=int, default=0, help="fit only this many genes (0: all)")
    ap.add_argument("--out", default="", help="also write the table as TSV here")
    ap.add_argument("--child", nargs=5, metavar=("DESIGN", "ENGINE", "GENES", "CPUS", "BATCH"))
    a = ap.parse_args()
    if a.child:
        d, e, g, c, b = a.child
        print(json.dumps(child(d, e, int(g) or None, int(c), int(b))))
        return
    rows = []
    for name in a.designs.split(","):
        for engine in a.engines.split(","):
            genes = a.genes
            if engine == "pydeseq2":
                large = DESIGNS[name][0] == "resampled"
                genes = (a.pydeseq2_genes_large if large else a.pydeseq2_genes_small) or genes
            row = run_child([name, engine, str(genes), str(a.n_cpus), str(a.batch_size)])
            rows.append(row)
            print(json.dumps(row), flush=True)
    table = pd.DataFrame(rows)
    if len(table):
        wide = table.pivot(index="design", columns="engine", values="seconds_all_genes")
        if {"pydeseq2", "blocks"} <= set(wide.columns):
            table["speedup_vs_pydeseq2"] = table["design"].map(wide["pydeseq2"] / wide["blocks"])
    print(table.to_string(index=False))
    if a.out:
        sys.path.insert(0, str(ROOT / "workflow"))
        from myoclamp.io import write_tsv

        write_tsv(table, a.out)


if __name__ == "__main__":
    main()
