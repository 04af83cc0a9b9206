"""Run R limma-voom with the participant as a random effect on a voom engine fit, and compare.

R limma 3.54, edgeR 3.40 and statmod come from Debian (``scripts/install_r.sh``); the R side is
``myoclamp_tools/r/limma_voom.R`` (TMM, voom, duplicateCorrelation, voom again with the
correlation, duplicateCorrelation, lmFit with block and correlation, contrasts.fit, eBayes).
Both sides get the same filtered counts, design matrix, participant blocks and contrasts.

    .venv/bin/python -m myoclamp_tools.rlimma demo       # treatment, insulin, treatment_x_insulin
    .venv/bin/python -m myoclamp_tools.rlimma gse202295  # T2D vs NGT change, all participants
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import spearmanr

from myoclamp.de.mixed_designs import MixedDesign
from myoclamp.de.voom_engine import VoomFit, fit_mixed_design, voom_table
from myoclamp_tools.rscript import r_packages_available

R_SCRIPT = Path(__file__).resolve().with_name("r") / "limma_voom.R"


def r_limma_available() -> bool:
    """Whether ``Rscript`` can load limma, edgeR and statmod (duplicateCorrelation needs it)."""
    return r_packages_available("limma", "edgeR", "statmod")


def write_limma_inputs(
    design: MixedDesign, fit: VoomFit, counts: pd.DataFrame, workdir: str | Path
) -> dict[str, Path]:
    """Counts (genes x samples, the fit's genes), design, blocks and contrasts as TSV."""
    out = Path(workdir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {n: out / f"{n}.tsv" for n in ("counts", "design", "block", "contrasts")}
    samples = design.matrix.index
    table = counts.loc[samples, fit.genes].T
    table.index.name = "gene_id"
    table.to_csv(paths["counts"], sep="\t")
    design.matrix.rename_axis("sample").to_csv(paths["design"], sep="\t", float_format="%.12g")
    pd.DataFrame({"sample": samples, "block": design.block.loc[samples].astype(str)}).to_csv(
        paths["block"], sep="\t", index=False
    )
    pd.DataFrame(design.contrasts, index=design.matrix.columns).rename_axis("column").to_csv(
        paths["contrasts"], sep="\t", float_format="%.12g"
    )
    return paths


def run_r_limma(
    paths: dict[str, Path], workdir: str | Path, robust: bool = False, timeout: float = 7200
) -> dict:
    """Run ``limma_voom.R``; its per-contrast tables (by gene), correlations and timing."""
    out = Path(workdir) / "r"
    cmd = ["Rscript", str(R_SCRIPT)]
    cmd += [str(paths[k]) for k in ("counts", "design", "block", "contrasts")]
    cmd += [str(out), "robust" if robust else "plain"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"{R_SCRIPT} failed:\n{proc.stderr[-2000:]}")
    names = pd.read_csv(paths["contrasts"], sep="\t", index_col=0).columns
    tables = {
        n: pd.read_csv(out / f"{n}.tsv", sep="\t", dtype={"gene_id": str}).set_index("gene_id")
        for n in names
    }
    return {
        "tables": tables,
        "correlations": pd.read_csv(out / "correlation.tsv", sep="\t")["consensus"].tolist(),
        "norm_factors": pd.read_csv(out / "norm_factors.tsv", sep="\t"),
        "timing": pd.read_csv(out / "timing.tsv", sep="\t").iloc[0].to_dict(),
    }


def compare_tables(py: pd.DataFrame, r: pd.DataFrame, alpha: float = 0.05) -> dict[str, float]:
    """Spearman of the moderated t, largest differences, and Jaccard of the padj < alpha sets."""
    py = py.set_index("gene_id") if "gene_id" in py.columns else py
    both = py.index.intersection(r.index)
    sig_py = set(py.index[py["padj"] < alpha])
    sig_r = set(r.index[r["adj.P.Val"] < alpha])
    union = sig_py | sig_r
    return {
        "genes": len(both),
        "spearman_t": float(spearmanr(py.loc[both, "stat"], r.loc[both, "t"]).statistic),
        "max_abs_t_diff": float(np.max(np.abs(py.loc[both, "stat"] - r.loc[both, "t"]))),
        "max_abs_lfc_diff": float(
            np.max(np.abs(py.loc[both, "log2FoldChange"] - r.loc[both, "logFC"]))
        ),
        "df_total_py": float(py["df_total"].iloc[0]),
        "df_total_r": float(r["df_total"].iloc[0]),
        "sig_py": len(sig_py),
        "sig_r": len(sig_r),
        "jaccard_sig": len(sig_py & sig_r) / len(union) if union else 1.0,
    }


def compare_design(
    adata, config: dict, design_name: str, contrasts: list[str], workdir: str | Path
) -> list[dict]:
    """Fit ``design_name`` with the voom engine and R limma on the same input; one row per
    contrast: participants, samples, both correlations and :func:`compare_tables`' figures."""
    from myoclamp.adata import counts_frame

    start = time.perf_counter()
    design, fit = fit_mixed_design(adata, design_name, config)
    py_seconds = time.perf_counter() - start
    if fit is None:
        raise ValueError(f"design {design_name} is not estimable: {design.reason}")
    counts = counts_frame(adata, design.matrix.index)
    paths = write_limma_inputs(design, fit, counts, workdir)
    r = run_r_limma(paths, workdir)
    rows = []
    for name in contrasts:
        table, _ = voom_table(design, fit, name, adata.var)
        rows.append(
            {
                "design": design_name,
                "contrast": name,
                "samples": design.n_samples,
                "participants": design.n_participants,
                "participants_one_biopsy": design.n_single,
                "correlation_py": fit.correlation,
                "correlation_r": r["correlations"][-1],
                "correlation_diff": abs(fit.correlation - r["correlations"][-1]),
            }
            | compare_tables(table, r["tables"][name])
            | {
                "py_seconds": round(py_seconds, 2),
                "r_seconds": round(r["timing"]["elapsed_seconds"], 1),
            }
        )
    return rows


def demo_runs() -> list[tuple[str, list[str]]]:
    """The demo designs and contrasts the issue compares with R."""
    return [
        ("treatment", ["treatment"]),
        ("insulin", ["insulin"]),
        ("insulin_groups", ["treatment_x_insulin"]),
    ]


def demo_config() -> dict:
    from myoclamp_tools.rcompare import DEMO_CONFIG

    return {**DEMO_CONFIG, "de": {"designs": ["treatment", "insulin", "insulin_groups"]}}


def main(argv: list[str] | None = None) -> None:
    """``python -m myoclamp_tools.rlimma {demo,gse202295}``: print the comparison as TSV."""
    import argparse
    import tempfile

    from myoclamp_tools.rcompare import GSE202295_CONFIG, generated_demo_adata, gse202295_adata

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dataset", choices=["gse202295", "demo"])
    parser.add_argument("--data", default="../shared/data/gse202295", help="GSE202295 folder")
    parser.add_argument("--participants", type=int, default=70, help="demo cohort size")
    parser.add_argument("--genes", type=int, default=None, help="demo genes (default all)")
    parser.add_argument("--treatment-effect", action="store_true")
    args = parser.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        if args.dataset == "gse202295":
            adata = gse202295_adata(args.data)
            runs, config = [("treatment", ["treatment"])], GSE202295_CONFIG
        else:
            adata = generated_demo_adata(
                Path(tmp) / "demo", args.participants, args.genes, args.treatment_effect
            )
            runs, config = demo_runs(), demo_config()
        for design, contrasts in runs:
            rows += compare_design(adata, config, design, contrasts, Path(tmp) / design)
    print(pd.DataFrame(rows).to_csv(sep="\t", index=False, float_format="%.6g"), end="")


if __name__ == "__main__":
    main()
