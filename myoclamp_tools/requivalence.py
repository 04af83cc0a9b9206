"""The equivalence test against R DESeq2's ``results(..., lfcThreshold = m, altHypothesis =
"lessAbs")`` on the same filtered counts, design matrix and contrast.

``python -m myoclamp_tools.requivalence [--bundled | --participants N --genes N] [--margin M]``
prints the figures as TSV (``myoclamp_tools/r/deseq2.R`` does the R side).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import anndata as ad
import numpy as np
import pandas as pd
from scipy.stats import spearmanr

from myoclamp.de.equivalence import equivalence_table
from myoclamp.de.settings import de_settings
from myoclamp.de.stats import wald_df
from myoclamp_tools.equivalence_demo import MARGIN
from myoclamp_tools.rcompare import r_command, run_r_deseq2, write_r_inputs


def _spearman(a: pd.Series, b: pd.Series) -> float:
    return float(spearmanr(a, b).statistic) if len(a) > 2 else float("nan")


def compare_equivalence(py: pd.DataFrame, r: pd.DataFrame, alpha: float = 0.05) -> dict[str, float]:
    """Figures of an equivalence table (``gene_id``, ``pvalue``, ``padj``, ``interest``) against
    R's lessAbs results (indexed by gene): Spearman of p-values on all genes and on the genes of
    interest, the largest |log10 p ratio|, and the padj < alpha sets."""
    py = py.set_index("gene_id")
    both = py.index.intersection(r.index)
    ok = both[py.loc[both, "pvalue"].notna().to_numpy() & r.loc[both, "pvalue"].notna().to_numpy()]
    goi = ok[py.loc[ok, "interest"].to_numpy(bool)]
    lp = np.log10(np.maximum(py.loc[ok, "pvalue"].to_numpy(float), 1e-300))
    lr = np.log10(np.maximum(r.loc[ok, "pvalue"].to_numpy(float), 1e-300))
    sig_py = set(py.index[py["padj"] < alpha])
    sig_r = set(r.index[r["padj"] < alpha])
    union = sig_py | sig_r
    return {
        "genes": len(ok),
        "genes_of_interest": len(goi),
        "spearman_pvalue": _spearman(py.loc[ok, "pvalue"], r.loc[ok, "pvalue"]),
        "spearman_pvalue_interest": _spearman(py.loc[goi, "pvalue"], r.loc[goi, "pvalue"]),
        "max_abs_log10_p_ratio": float(np.max(np.abs(lp - lr))) if len(ok) else float("nan"),
        "na_pvalue_py_only": int(
            (py.loc[both, "pvalue"].isna() & r.loc[both, "pvalue"].notna()).sum()
        ),
        "na_pvalue_r_only": int(
            (py.loc[both, "pvalue"].notna() & r.loc[both, "pvalue"].isna()).sum()
        ),
        "equivalent_pydeseq2": len(sig_py),
        "equivalent_r": len(sig_r),
        "jaccard_equivalent": len(sig_py & sig_r) / len(union) if union else 1.0,
    }


def run_r_given_dispersions(
    fit, workdir: str | Path, use_t: bool, margin: float, timeout: float = 7200
) -> tuple[pd.DataFrame, dict[str, float]]:
    """R's lessAbs results on R's size factors and this fit's dispersions."""
    paths = write_r_inputs(fit, "treatment", workdir)
    disp = Path(workdir) / "dispersions.tsv"
    pd.DataFrame(
        {"gene_id": fit.dds.var_names, "dispersion": fit.dds.var["dispersions"].to_numpy()}
    ).to_csv(disp, sep="\t", index=False, float_format="%.17g")
    out = Path(workdir) / "r_results.tsv"
    cmd = [*r_command(paths, out, use_t, margin, "lessAbs"), str(disp)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"R failed:\n{proc.stderr[-2000:]}")
    timing = {k: float(v) for k, v in (ln.split("\t") for ln in proc.stdout.strip().splitlines())}
    res = pd.read_csv(out, sep="\t", index_col="gene_id")
    res.index = res.index.astype(str)
    return res, timing


def run_comparison(
    adata: ad.AnnData,
    config: dict,
    workdir: str | Path,
    margin: float = MARGIN,
    n_cpus: int = 1,
    same_dispersions: bool = False,
) -> tuple[dict, pd.DataFrame, pd.DataFrame]:
    """Fit ``treatment``, test equivalence here and in R; figures, our table and R's table.

    ``same_dispersions``: R gets this fit's dispersions (``nbinomWaldTest`` instead of
    ``DESeq``), so that the test is compared without the fits' differences.
    """
    from myoclamp.de.pipeline import contrast_table, fit_from_adata

    cfg = {**config, "de": {**config.get("de", {}), "shrink": False}}
    de = de_settings(cfg)
    fit = fit_from_adata(adata, "treatment", cfg, n_cpus=n_cpus)
    table, _ = contrast_table(fit, "treatment", cfg, n_cpus=n_cpus)
    use_t = de["wald_distribution"] == "t"
    eq = equivalence_table(
        table,
        margin,
        df=wald_df(fit.dds) if use_t else None,
        alpha=float(de["alpha"]),
        genes_of_interest=de["genes_of_interest"],
        independent_filter=bool(de["independent_filter"]),
    )
    if same_dispersions:
        r, timing = run_r_given_dispersions(fit, workdir, use_t, margin)
    else:
        r, timing = run_r_deseq2(
            fit, "treatment", workdir, use_t=use_t, lfc_threshold=margin, alt_hypothesis="lessAbs"
        )
    figures = compare_equivalence(eq, r, float(de["alpha"]))
    figures.update(
        margin=margin,
        wald_distribution=de["wald_distribution"],
        samples=fit.design.n_samples,
        participants=fit.design.n_participants,
        coefficients=int(fit.design.matrix.shape[1]),
        r_cpu_seconds=round(timing["cpu_seconds"], 1),
    )
    return figures, eq, r


def main(argv: list[str] | None = None) -> None:
    import argparse
    import tempfile
    import warnings

    from myoclamp_tools.equivalence_demo import bundled_paths, demo_config
    from myoclamp_tools.rcompare import demo_adata

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bundled", action="store_true", help="the bundled demo (all genes)")
    parser.add_argument("--participants", type=int, default=24)
    parser.add_argument("--genes", type=int, default=3000)
    parser.add_argument("--margin", type=float, default=MARGIN)
    parser.add_argument("--wald", choices=["t", "normal"], default="t")
    parser.add_argument("--cpus", type=int, default=1)
    parser.add_argument(
        "--same-dispersions", action="store_true", help="R gets this fit's dispersions"
    )
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore")
    config = demo_config(wald_distribution=args.wald)
    with tempfile.TemporaryDirectory() as tmp:
        if args.bundled:
            paths = bundled_paths()
        else:
            from myoclamp_tools.demo import generate

            paths = generate(Path(tmp) / "demo", n_participants=args.participants,
                             n_genes=args.genes)  # fmt: skip
        figures, _, _ = run_comparison(demo_adata(paths), config, Path(tmp) / "r", args.margin,
                                       args.cpus, args.same_dispersions)  # fmt: skip
    print(pd.DataFrame([figures]).to_csv(sep="\t", index=False, float_format="%.6g"), end="")


if __name__ == "__main__":
    main()
