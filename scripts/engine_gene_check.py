"""Which engine fits a gene better: both engines' final coefficients under the NB likelihood.

For a design saved by ``scripts/benchmark_engine.py`` (``<workdir>/<design>/design.pkl``), fit the
same gene sample with pydeseq2 and with the block engine, and print for each named gene both
engines' dispersion, contrast log2FC and the negative log-likelihood of each engine's
coefficients at each engine's dispersion (lower is better).

    .venv/bin/python scripts/engine_gene_check.py /var/tmp/engbench/work/demo_treatment TRNW
"""

from __future__ import annotations

import argparse
import warnings
from pathlib import Path

import numpy as np
from pydeseq2.utils import nb_nll

ROOT = Path(__file__).resolve().parents[1]

from myoclamp.de.fit import fit_design, make_inference  # noqa: E402
from myoclamp_tools.bench.engine_designs import load_design, subsample_genes  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("design_dir", help="<workdir>/<design> of scripts/benchmark_engine.py")
    ap.add_argument("genes", nargs="+")
    ap.add_argument("--sample", type=int, default=3000, help="pydeseq2's gene sample (0: all)")
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    bench = subsample_genes(load_design(Path(args.design_dir) / "design.pkl"), args.sample or None)
    contrast = bench.design.contrasts[bench.contrast]
    fits = {}
    for engine in ("blocks", "pydeseq2"):
        inference = make_inference(engine, 2)
        fit = fit_design(bench.design, bench.counts, settings=bench.settings, inference=inference)
        fits[engine] = fit.dds
    x = fits["blocks"].obsm["design_matrix"].to_numpy(float)
    for gene in args.genes:
        y = np.asarray(fits["blocks"][:, gene].X, dtype=float).ravel()
        print(f"{gene}: counts {int(y.min())}-{int(y.max())}, {int((y == 0).sum())} zeros")
        for engine, dds in fits.items():
            beta = dds.varm["LFC"].loc[gene].to_numpy()
            alpha = float(dds.var.loc[gene, "dispersions"])
            mu = dds.obs["size_factors"].to_numpy() * np.exp(x @ beta)
            nll = {
                other: float(nb_nll(y, mu, float(o.var.loc[gene, "dispersions"])))
                for other, o in fits.items()
            }
            print(
                f"  {engine}: dispersion {alpha:.5g}, log2FC {beta @ contrast / np.log(2):.4f}, "
                + ", ".join(f"nll at {k}'s dispersion {v:.3f}" for k, v in nll.items())
            )


if __name__ == "__main__":
    main()
