"""R DESeq2's ``noIncrease`` rule in the block engine's gene-wise dispersion step, with and
without, against R's own fit of the same counts and design (R runs once per case).

R's ``estimateDispersionsGeneEst`` keeps its starting (rough) dispersion when the line search
raises its log posterior by less than ``abs(initial) / 1e6``; pydeseq2 has no such rule. The block
engine applies it by default (``BlockInference(no_increase=True)``, docs/engine.md). Per case:
Spearman of log2FC and Wald statistic against R and the Jaccard of the padj < 0.05 sets
(:func:`myoclamp_tools.rcompare.compare_results`), and the genes whose gene-wise dispersion, final
dispersion or lfcSE differ from R's by more than 1 %.

    python -m myoclamp_tools.rnoincrease [--cases sim,demo24,demo4000,bundled]
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from unittest import mock

import numpy as np
import pandas as pd
from scipy.stats import spearmanr

from myoclamp_tools.rcompare import compare_results, run_r_deseq2


@contextmanager
def engine_rule(no_increase: bool) -> Iterator[None]:
    """The DE stage's fits with the block engine's ``no_increase`` set as given."""
    from myoclamp.de import fit as de_fit
    from myoclamp.de.engine import BlockInference

    def make(engine: str, n_cpus: int = 1):
        assert engine == "blocks", "the rule belongs to the block engine"
        return BlockInference(n_cpus=n_cpus, no_increase=no_increase)

    with mock.patch.object(de_fit, "make_inference", make):
        yield


def fitted(adata, config: dict, design: str, contrast: str, no_increase: bool, n_cpus: int = 1):
    """(fit, contrast table) with the rule on or off."""
    from myoclamp.de.pipeline import contrast_table, fit_from_adata

    cfg = {**config, "de": {**config.get("de", {}), "shrink": False, "solver": "blocks"}}
    with engine_rule(no_increase):
        fit = fit_from_adata(adata, design, cfg, n_cpus=n_cpus)
        table, _ = contrast_table(fit, contrast, cfg, n_cpus=n_cpus)
    return fit, table


def differ(a: pd.Series, b: pd.Series, rel: float = 0.01) -> int:
    """Genes (both known) whose values differ by more than ``rel``."""
    both = a.index.intersection(b.index)
    x, y = a.loc[both].to_numpy(float), b.loc[both].to_numpy(float)
    ok = np.isfinite(x) & np.isfinite(y) & (y != 0)
    return int((np.abs(x[ok] / y[ok] - 1) > rel).sum())


def fit_figures(fit, table: pd.DataFrame, r: pd.DataFrame, with_stat: bool = True) -> dict:
    """Agreement of one fit with R's results (which carry ``dispGeneEst`` and ``dispersion``)."""
    var = fit.dds.var
    py = table.set_index("gene_id")
    out = compare_results(table, r) if with_stat else {}
    out.update(
        genewise_differ_1pct=differ(var["genewise_dispersions"], r["dispGeneEst"]),
        dispersion_differ_1pct=differ(var["dispersions"], r["dispersion"]),
        lfcse_differ_1pct=differ(py["lfcSE"], r["lfcSE"]),
        genes_compared=len(var.index.intersection(r.index)),
    )
    return out


def compare_case(
    adata, config: dict, design: str, contrast: str, workdir: str | Path, n_cpus: int = 1
) -> pd.DataFrame:
    """Both settings against one R run: one row per setting."""
    from myoclamp.de.settings import de_settings

    use_t = de_settings(config)["wald_distribution"] == "t"
    rows = []
    r = None
    for rule in (True, False):
        fit, table = fitted(adata, config, design, contrast, rule, n_cpus)
        if r is None:
            r, _ = run_r_deseq2(fit, contrast, workdir, use_t=use_t)
        rows.append({"contrast": contrast, "no_increase": rule, **fit_figures(fit, table, r)})
    return pd.DataFrame(rows)


def compare_given_r(
    adata, config: dict, design: str, contrast: str, r_results: str | Path
) -> pd.DataFrame:
    """Both settings against an R results file of the same counts and design (e.g. R's lessAbs
    run of the equivalence test: its ``stat`` is not the Wald statistic, so only the fits'
    log2FC, lfcSE and dispersions are compared)."""
    r = pd.read_csv(r_results, sep="\t", index_col="gene_id")
    r.index = r.index.astype(str)
    rows = []
    for rule in (True, False):
        fit, table = fitted(adata, config, design, contrast, rule)
        figures = fit_figures(fit, table, r, with_stat=False)
        py = table.set_index("gene_id")
        both = py.index.intersection(r.index)
        figures["spearman_log2fc"] = float(
            spearmanr(py.loc[both, "log2FoldChange"], r.loc[both, "log2FoldChange"]).statistic
        )
        figures["spearman_lfcse"] = float(
            spearmanr(py.loc[both, "lfcSE"], r.loc[both, "lfcSE"]).statistic
        )
        rows.append({"contrast": contrast, "no_increase": rule, **figures})
    return pd.DataFrame(rows)


def main(argv: list[str] | None = None) -> None:
    import argparse
    import tempfile
    import warnings

    from myoclamp.config import load_config
    from myoclamp_tools.demo import generate
    from myoclamp_tools.equivalence_demo import ROOT, bundled_paths, demo_config
    from myoclamp_tools.rcompare import DEMO_CONFIG, demo_adata
    from myoclamp_tools.simulate import simulate_trial, simulation_config

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", default="sim,demo24,demo4000")
    ap.add_argument("--bundled-r", help="R results of the bundled demo's treatment contrast")
    ap.add_argument("--cpus", type=int, default=1)
    args = ap.parse_args(argv)
    warnings.simplefilter("ignore")
    cases = args.cases.split(",")
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        if "sim" in cases:
            adata, _ = simulate_trial((5, 4), 400, clamp_per_arm=(3, 3), treatment_genes=20, seed=2)
            for d in ("treatment", "insulin"):
                rows = compare_case(adata, simulation_config(), d, d, tmp / f"sim_{d}", args.cpus)
                out.append(rows.assign(case="simulated 9 participants, 400 genes"))
        if "demo24" in cases:
            paths = generate(tmp / "demo24", n_participants=24, n_genes=3000,
                             treatment_effect=True)  # fmt: skip
            adata = demo_adata(paths)
            for d in ("treatment", "insulin"):
                rows = compare_case(adata, DEMO_CONFIG, d, d, tmp / f"d24_{d}", args.cpus)
                out.append(rows.assign(case="generated demo 24 participants, 3,000 genes"))
        if "demo4000" in cases:
            config = load_config(ROOT / "config.yaml")
            adata = demo_adata(generate(tmp / "demo4000", n_genes=4000))
            for d, c in (("treatment", "treatment"), ("insulin", "insulin"),
                         ("insulin_groups", "insulin_placebo")):  # fmt: skip
                rows = compare_case(adata, config, d, c, tmp / f"d4k_{d}", args.cpus)
                out.append(rows.assign(case="bundled demo's trial, 4,000 genes"))
        if "bundled" in cases and args.bundled_r:
            rows = compare_given_r(demo_adata(bundled_paths()), demo_config(), "treatment",
                                   "treatment", args.bundled_r)  # fmt: skip
            out.append(rows.assign(case="bundled demo, all genes"))
    table = pd.concat(out, ignore_index=True)
    print(table.to_csv(sep="\t", index=False, float_format="%.6g"), end="")


if __name__ == "__main__":
    main()
