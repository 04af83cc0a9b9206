"""Run R limma's camera (and edgeR's log-CPM) on the data of the set tests, and compare.

R limma and edgeR come from Debian (``scripts/install_r.sh``); the R side is
``myoclamp_tools/r/camera.R``. Used by ``tests/test_enrichment_rlimma.py`` and
``python -m myoclamp_tools.rcamera`` (prints the comparison as TSV).
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import spearmanr

from myoclamp.config import section
from myoclamp.de.design import Design
from myoclamp.enrichment.camera import camera
from myoclamp.enrichment.genesets import GeneSets
from myoclamp.enrichment.logexpr import LogExpression, log_expression
from myoclamp.enrichment.setindex import SetIndex, collection_index
from myoclamp_tools.rscript import r_packages_available

R_SCRIPT = Path(__file__).resolve().with_name("r") / "camera.R"


def r_limma_available() -> bool:
    """Whether ``Rscript`` can load limma and edgeR."""
    return r_packages_available("limma", "edgeR")


def write_inputs(
    expr: LogExpression,
    design: Design,
    contrast: str,
    index: SetIndex,
    counts: pd.DataFrame,
    workdir: str | Path,
) -> dict[str, Path]:
    """Log expression, design, contrast, sets (tested genes only), raw counts and library sizes."""
    out = Path(workdir)
    out.mkdir(parents=True, exist_ok=True)
    names = ("y", "design", "contrast", "sets", "counts", "libsize")
    paths = {n: out / f"{n}.tsv" for n in names}
    samples = design.matrix.index
    y = expr.values.loc[samples].T
    y.index.name = "gene"
    y.to_csv(paths["y"], sep="\t", float_format="%.17g")
    matrix = design.matrix.copy()
    matrix.index.name = "sample"
    matrix.to_csv(paths["design"], sep="\t", float_format="%.17g")
    vec = design.contrasts[contrast]
    pd.DataFrame({"column": matrix.columns, "weight": vec})[vec != 0].to_csv(
        paths["contrast"], sep="\t", index=False
    )
    keys = np.asarray(expr.values.columns, dtype=object)
    members = index.members.tocoo()
    pd.DataFrame(
        {
            "collection": index.collection[members.row],
            "set": index.names[members.row],
            "gene": keys[members.col],
        }
    ).to_csv(paths["sets"], sep="\t", index=False)
    raw = counts.loc[samples, expr.gene_id.to_numpy()].T
    raw.index = keys
    raw.index.name = "gene"
    raw.to_csv(paths["counts"], sep="\t")
    lib = expr.lib_size.loc[samples].rename("lib_size").rename_axis("sample").reset_index()
    lib.to_csv(paths["libsize"], sep="\t", index=False, float_format="%.17g")
    return paths


def run_r(
    paths: dict[str, Path], workdir: str | Path, timeout: float = 3600, allow_neg_cor: bool = False
):
    """R camera per collection (inter.gene.cor = NA, ``allow.neg.cor`` as given) and edgeR's
    log-CPM; R's elapsed seconds."""
    out = Path(workdir) / "r_camera.tsv"
    cpm = Path(workdir) / "r_logcpm.tsv"
    args = [str(paths[k]) for k in ("y", "design", "contrast", "sets")]
    extra = [str(paths["counts"]), str(paths["libsize"]), str(cpm)]
    proc = subprocess.run(
        ["Rscript", str(R_SCRIPT), *args, str(out), "NA", *extra, str(allow_neg_cor).upper()],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"{R_SCRIPT} failed:\n{proc.stderr[-2000:]}")
    info = dict(line.split("\t") for line in proc.stdout.strip().splitlines())
    table = pd.read_csv(out, sep="\t", dtype={"set": str})
    logcpm = pd.read_csv(cpm, sep="\t", index_col=0)
    return table, logcpm, info


def compare(py: pd.DataFrame, r: pd.DataFrame, alpha: float = 0.05) -> dict[str, float]:
    """Spearman of set p-values, max |log p ratio|, and the sets at FDR < alpha in each."""
    py = py.set_index("set")
    r = r.set_index("set")
    both = py.index.intersection(r.index)
    sig_py = set(py.index[py["FDR"] < alpha])
    sig_r = set(r.index[r["FDR"] < alpha])
    return {
        "sets": len(both),
        "sets_only_one_side": len(py.index.symmetric_difference(r.index)),
        "spearman_pvalue": float(spearmanr(py.loc[both, "pvalue"], r.loc[both, "PValue"])[0]),
        "max_abs_log10_p_ratio": float(
            np.max(np.abs(np.log10(py.loc[both, "pvalue"]) - np.log10(r.loc[both, "PValue"])))
        ),
        "same_direction": float((py.loc[both, "direction"] == r.loc[both, "Direction"]).mean()),
        "fdr05_python": len(sig_py),
        "fdr05_r": len(sig_r),
        "fdr05_same": sig_py == sig_r,
        "fdr05_jaccard": len(sig_py & sig_r) / len(sig_py | sig_r) if sig_py | sig_r else 1.0,
    }


def camera_case(
    counts: pd.DataFrame,
    symbols: pd.Series,
    design: Design,
    contrast: str,
    sets: GeneSets,
    workdir: str | Path,
    *,
    min_count: int = 10,
    allow_neg_cor: bool | None = None,
) -> list[dict]:
    """Python camera (both variances) vs R camera on one contrast; one row per variance.
    ``allow_neg_cor``: camera's ``allow.neg.cor`` on both sides (the workflow's default when
    None, ``enrichment.camera_allow_neg_cor``)."""
    if allow_neg_cor is None:
        allow_neg_cor = bool(section(None, "enrichment")["camera_allow_neg_cor"])
    samples = design.matrix.index
    expr = log_expression(
        counts.loc[samples], min_count=min_count, min_samples=design.min_group, symbols=symbols
    )
    index = collection_index(
        expr.values.columns, sets, min_size=15, max_size=500, curated_min_size=5
    )
    paths = write_inputs(expr, design, contrast, index, counts, workdir)
    r_table, r_cpm, info = run_r(paths, workdir, allow_neg_cor=allow_neg_cor)
    cpm_diff = float(
        np.abs(r_cpm.loc[expr.values.columns].T.to_numpy() - expr.values.loc[samples]).max().max()
    )
    y = expr.values.loc[samples].to_numpy(float)
    rows = []
    for variance in ("limma", "competitive"):
        start = time.perf_counter()
        py = camera(
            y,
            design.matrix.to_numpy(float),
            design.contrasts[contrast],
            index,
            variance=variance,
            allow_neg_cor=allow_neg_cor,
        )
        seconds = time.perf_counter() - start
        rows.append(
            {
                "contrast": contrast,
                "variance": variance,
                "allow_neg_cor": allow_neg_cor,
                "samples": len(samples),
                "genes": y.shape[1],
                **compare(py, r_table),
                "max_abs_logcpm_diff": cpm_diff,
                "python_seconds": round(seconds, 2),
                "r_seconds": round(float(info["elapsed_seconds"]), 2),
                "limma": info["limma_version"],
            }
        )
    return rows


def main(argv: list[str] | None = None) -> None:
    """``python -m myoclamp_tools.rcamera``: demo insulin, demo treatment (effect on), GSE202295."""
    import argparse
    import tempfile
    import warnings

    from myoclamp.adata import counts_frame
    from myoclamp.de.design import build_design
    from myoclamp.enrichment.genesets import collection_paths, load_collections
    from myoclamp_tools.demo import generate
    from myoclamp_tools.nulls import permute_arms
    from myoclamp_tools.rcompare import DEMO_CONFIG, GSE202295_CONFIG, demo_adata, gse202295_adata

    root = Path(__file__).resolve().parents[1]
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--data", default=str(root.parent / "shared" / "data" / "gse202295"))
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore")
    sets = load_collections(collection_paths(["muscle", "go_bp"], [], root / "resources"))
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        demo = root / "resources" / "demo"
        bundled = demo_adata(
            {
                "samples": demo / "samples.tsv",
                "counts": demo / "counts.tsv.gz",
                "truth_samples": demo / "truth" / "samples.tsv",
            }
        )
        treated = demo_adata(generate(Path(tmp) / "treated", treatment_effect=True))
        real = gse202295_adata(args.data)
        real.obs = permute_arms(real.obs, 1)
        cases = [
            ("demo", bundled, DEMO_CONFIG, "insulin", "insulin"),
            ("demo_treated", treated, DEMO_CONFIG, "treatment", "treatment"),
            ("gse202295_null1", real, GSE202295_CONFIG, "treatment", "treatment"),
        ]
        for label, adata, config, design_name, contrast in cases:
            design = build_design(adata.obs, design_name, config)
            for row in camera_case(
                counts_frame(adata), adata.var["symbol"], design, contrast, sets, Path(tmp) / label
            ):
                rows.append({"data": label, **row})
    print(pd.DataFrame(rows).to_csv(sep="\t", index=False, float_format="%.6g"), end="")


if __name__ == "__main__":
    main()
