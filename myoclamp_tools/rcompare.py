"""Run R DESeq2 on the counts and design matrix of a pydeseq2 fit, and compare the results.

R DESeq2 comes from Debian (``scripts/install_r.sh``); the R side is
``myoclamp_tools/r/deseq2.R``. Only MLE log2 fold changes are compared (Debian has no apeglm).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import spearmanr

from myoclamp.de.fit import Fit
from myoclamp_tools.rscript import r_packages_available

R_SCRIPT = Path(__file__).resolve().with_name("r") / "deseq2.R"


def r_deseq2_available() -> bool:
    """Whether ``Rscript`` can load DESeq2."""
    return r_packages_available("DESeq2")


def write_r_inputs(
    fit: Fit, contrast: str, workdir: str | Path, genes: np.ndarray | None = None
) -> dict[str, Path]:
    """Counts (genes x samples), design matrix and contrast weights of ``fit`` as TSV.

    ``genes``: positions of the fitted genes to write (all if None).
    """
    if fit.dds is None or contrast not in fit.design.contrasts:
        raise ValueError(f"contrast {contrast!r} was not estimated in design {fit.design.name!r}")
    out = Path(workdir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {n: out / f"{n}.tsv" for n in ("counts", "design", "contrast")}
    pick = np.arange(fit.dds.n_vars) if genes is None else np.asarray(genes)
    counts = pd.DataFrame(
        np.asarray(fit.dds.X[:, pick], dtype=np.int64).T,
        index=fit.dds.var_names[pick],
        columns=fit.dds.obs_names,
    )
    counts.index.name = "gene_id"
    counts.to_csv(paths["counts"], sep="\t")
    matrix = fit.design.matrix.loc[fit.dds.obs_names]
    matrix.index.name = "sample"
    matrix.to_csv(paths["design"], sep="\t", float_format="%.12g")
    vec = fit.design.contrasts[contrast]
    pd.DataFrame({"column": matrix.columns, "weight": vec})[vec != 0].to_csv(
        paths["contrast"], sep="\t", index=False
    )
    return paths


def r_command(
    inputs: dict[str, Path],
    out: Path,
    use_t: bool = False,
    lfc_threshold: float = 0.0,
    alt_hypothesis: str = "greaterAbs",
) -> list[str]:
    """``Rscript myoclamp_tools/r/deseq2.R`` on inputs of :func:`write_r_inputs`, results to
    ``out``.

    ``use_t``: Wald p-values from the t distribution (R's ``DESeq(..., useT=TRUE)``);
    ``lfc_threshold``, ``alt_hypothesis``: R's ``results()`` arguments (e.g. ``lessAbs``).
    """
    files = [str(inputs[k]) for k in ("counts", "design", "contrast")]
    cmd = ["Rscript", str(R_SCRIPT), *files, str(out), "useT" if use_t else "normal"]
    if lfc_threshold or alt_hypothesis != "greaterAbs":
        cmd += [repr(float(lfc_threshold)), alt_hypothesis]
    return cmd


def run_r_deseq2(
    fit: Fit,
    contrast: str,
    workdir: str | Path,
    timeout: float = 3600,
    use_t: bool = False,
    lfc_threshold: float = 0.0,
    alt_hypothesis: str = "greaterAbs",
) -> tuple[pd.DataFrame, dict[str, float]]:
    """R DESeq2 results of ``contrast`` (indexed by gene) and R's elapsed and CPU seconds
    (``use_t``, ``lfc_threshold``, ``alt_hypothesis``: see :func:`r_command`)."""
    paths = write_r_inputs(fit, contrast, workdir)
    out = Path(workdir) / "r_results.tsv"
    proc = subprocess.run(
        r_command(paths, out, use_t, lfc_threshold, alt_hypothesis),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"{R_SCRIPT} failed:\n{proc.stderr[-2000:]}")
    timing = {
        key: float(value)
        for key, value in (line.split("\t") for line in proc.stdout.strip().splitlines())
    }
    res = pd.read_csv(out, sep="\t", index_col="gene_id")
    res.index = res.index.astype(str)
    return res, timing


def compare_results(py: pd.DataFrame, r: pd.DataFrame, alpha: float = 0.05) -> dict[str, float]:
    """Spearman of log2FC and Wald stat, and Jaccard of the padj < alpha sets."""
    py = py.set_index("gene_id") if "gene_id" in py.columns else py
    both = py.index.intersection(r.index)
    ok = both[py.loc[both, "stat"].notna().to_numpy() & r.loc[both, "stat"].notna().to_numpy()]
    sig_py = set(py.index[py["padj"] < alpha])
    sig_r = set(r.index[r["padj"] < alpha])
    union = sig_py | sig_r
    return {
        "genes": len(ok),
        "spearman_log2fc": float(
            spearmanr(py.loc[ok, "log2FoldChange"], r.loc[ok, "log2FoldChange"]).statistic
        ),
        "spearman_stat": float(spearmanr(py.loc[ok, "stat"], r.loc[ok, "stat"]).statistic),
        # same statistics referred to different distributions keep their order: compare values
        "median_abs_log10_p_ratio": (
            float(np.median(np.abs(_log10_p(py.loc[ok]) - _log10_p(r.loc[ok]))))
            if "pvalue" in py.columns and "pvalue" in r.columns
            else float("nan")
        ),
        "sig_pydeseq2": len(sig_py),
        "sig_r": len(sig_r),
        "jaccard_sig": (len(sig_py & sig_r) / len(union)) if union else 1.0,
    }


def _log10_p(table: pd.DataFrame) -> np.ndarray:
    """log10 of the p-values, those that underflowed to 0 held at the smallest double."""
    return np.log10(np.maximum(table["pvalue"].to_numpy(float), np.finfo(float).tiny))


# --------------------------------------------------------------------------- reference data sets

GSE202295_CONFIG = {
    "levels": {
        "arm": {"reference": "NGT", "test": "T2D"},
        "visit": {"baseline": "basal", "followup": "post"},
    },
    "de": {"designs": ["treatment"]},
}


def gse202295_adata(data_dir: str | Path, times: tuple[str, str] = ("basal", "post")):
    """GSE202295 as a trial: arm = group (NGT, T2D), visit = time (``times``), no clamp.

    The ``treatment`` design then tests the T2D vs NGT difference in the post vs basal change.
    """
    import anndata as ad

    data_dir = Path(data_dir)
    sheet = pd.read_csv(data_dir / "samples.csv", dtype=str)
    sheet = sheet[sheet["time"].isin(times)].set_index("seq_sample_id")
    counts = pd.read_csv(data_dir / "counts.csv.gz", index_col="geneid")[sheet.index]
    obs = pd.DataFrame(
        {
            "participant": "p" + sheet["id"].astype(str),
            "arm": pd.Categorical(sheet["group"], ["NGT", "T2D"], ordered=True),
            "visit": pd.Categorical(sheet["time"], list(times), ordered=True),
            "excluded": False,
        },
        index=sheet.index.astype(str),
    )
    var = pd.DataFrame({"gene_id": "", "symbol": counts.index.astype(str)}, index=counts.index)
    var.index = var.index.astype(str)
    adata = ad.AnnData(X=counts.T.to_numpy().round().astype(np.int64), obs=obs, var=var)
    adata.var_names_make_unique()  # three TRNAV-CAC rows
    return adata


def generated_demo_adata(
    folder: str | Path, participants: int, genes: int | None, treatment_effect: bool = False
):
    """A demo trial generated into ``folder`` (``myoclamp_tools.demo.generate``), as
    :func:`demo_adata` reads it: the tools' CLIs on a try-out trial."""
    from myoclamp_tools.demo import generate

    paths = generate(
        Path(folder),
        n_participants=participants,
        n_genes=genes,
        treatment_effect=treatment_effect,
    )
    return demo_adata(paths)


def demo_adata(paths: dict[str, Path], exclude_defects: bool = True):
    """The demo cohort files of ``myoclamp_tools.demo.generate`` as a minimal counts AnnData.

    With ``exclude_defects`` the samples the demo planted as defective (swapped tube, low quality;
    what QC is meant to catch) are marked ``excluded``.
    """
    import anndata as ad

    sheet = pd.read_csv(paths["samples"], sep="\t", dtype=str).set_index("sample")
    counts = pd.read_csv(paths["counts"], sep="\t", index_col=0)[sheet.index]
    obs = sheet[["participant"]].copy()
    obs["arm"] = pd.Categorical(sheet["arm"], ["placebo", "anakinra"], ordered=True)
    obs["visit"] = pd.Categorical(sheet["visit"], ["baseline", "week13"], ordered=True)
    obs["clamp"] = pd.Categorical(sheet["clamp"], ["basal", "insulin"], ordered=True)
    obs["excluded"] = False
    if exclude_defects and "truth_samples" in paths:
        truth = pd.read_csv(paths["truth_samples"], sep="\t", dtype=str).set_index("sample")
        obs["excluded"] = truth["defect"].reindex(obs.index).notna().to_numpy()
    var = pd.DataFrame({"gene_id": "", "symbol": counts.index.astype(str)}, index=counts.index)
    return ad.AnnData(X=counts.T.to_numpy().astype(np.int64), obs=obs, var=var)


DEMO_CONFIG = {
    "levels": {
        "arm": {"reference": "placebo", "test": "anakinra"},
        "visit": {"baseline": "baseline", "followup": "week13"},
        "clamp": {"basal": "basal", "insulin": "insulin"},
    },
    "de": {"designs": ["treatment", "insulin"]},
}


def compare_design(adata, config: dict, design: str, contrast: str, workdir, n_cpus: int = 1):
    """Fit ``design`` with pydeseq2, run R DESeq2 on the same input; figures and timings."""
    import time

    from myoclamp.de.pipeline import contrast_table, fit_from_adata
    from myoclamp.de.settings import de_settings

    cfg = {**config, "de": {**config.get("de", {}), "shrink": False}}
    cpu = time.process_time()
    wall = time.perf_counter()
    fit = fit_from_adata(adata, design, cfg, n_cpus=n_cpus)
    table, _ = contrast_table(fit, contrast, cfg, n_cpus=n_cpus)
    py_wall, py_cpu = time.perf_counter() - wall, time.process_time() - cpu
    use_t = de_settings(cfg)["wald_distribution"] == "t"
    r, r_time = run_r_deseq2(fit, contrast, workdir, use_t=use_t)
    figures = compare_results(table, r)
    figures.update(
        contrast=contrast,
        samples=fit.design.n_samples,
        participants=fit.design.n_participants,
        coefficients=int(fit.design.matrix.shape[1]),
        genes_fitted=int(fit.dds.n_vars),
        pydeseq2_seconds=round(py_wall, 1),
        pydeseq2_cpu_seconds=round(py_cpu, 1) if n_cpus == 1 else float("nan"),
        r_seconds=round(r_time["elapsed_seconds"], 1),
        r_cpu_seconds=round(r_time["cpu_seconds"], 1),
        n_cpus=n_cpus,
    )
    return figures


def main(argv: list[str] | None = None) -> None:
    """``python -m myoclamp_tools.rcompare {gse202295,demo} ...``: print the comparison as TSV."""
    import argparse
    import tempfile

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("dataset", choices=["gse202295", "demo"])
    parser.add_argument("--data", default="../shared/data/gse202295", help="GSE202295 folder")
    parser.add_argument("--participants", type=int, default=70, help="demo cohort size")
    parser.add_argument("--genes", type=int, default=None, help="demo genes (default all)")
    parser.add_argument("--treatment-effect", action="store_true")
    parser.add_argument("--cpus", type=int, default=1)
    args = parser.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        if args.dataset == "gse202295":
            adata = gse202295_adata(args.data)
            runs = [(GSE202295_CONFIG, "treatment", "treatment")]
        else:
            adata = generated_demo_adata(
                Path(tmp) / "demo", args.participants, args.genes, args.treatment_effect
            )
            runs = [(DEMO_CONFIG, "treatment", "treatment"), (DEMO_CONFIG, "insulin", "insulin")]
        for config, design, contrast in runs:
            rows.append(
                compare_design(adata, config, design, contrast, Path(tmp) / contrast, args.cpus)
            )
    print(pd.DataFrame(rows).to_csv(sep="\t", index=False, float_format="%.5g"), end="")


if __name__ == "__main__":
    main()
