"""Block engine vs pydeseq2 on the real GSE202295 counts (111 samples x ~17k genes; slow)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from conftest import GSE
from pydeseq2.dds import DeseqDataSet
from pydeseq2.default_inference import DefaultInference
from pydeseq2.ds import DeseqStats
from scipy.stats import spearmanr
from threadpoolctl import threadpool_limits

from myoclamp.de.design import full_rank_matrix
from myoclamp.de.engine import fit_deseq
from myoclamp_tools.bench.engine_designs import load_real

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not (GSE / "counts.csv.gz").exists(), reason="GSE202295 not available"),
]


def _results(dds, contrast, inference):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        st = DeseqStats(dds, contrast=contrast, inference=inference, quiet=True)
        st.summary()
    return st.results_df


@pytest.mark.parametrize(
    ("formula", "weights"),
    [
        ("~ id + time", {"time[T.post]": 1.0}),
        (
            "~ group + group:idn + group:time",
            {"group[T2D]:time[T.post]": 1.0, "group[NGT]:time[T.post]": -1.0},
        ),
    ],
)
def test_real_counts_agree_with_pydeseq2(formula, weights, capsys):
    counts, sheet = load_real(GSE)
    x, _ = full_rank_matrix(sheet, formula)
    c = np.zeros(x.shape[1])
    for col, w in weights.items():
        c[list(x.columns).index(col)] = w
    with warnings.catch_warnings(), threadpool_limits(limits=1):
        warnings.simplefilter("ignore")
        ref = DeseqDataSet(
            counts=counts,
            metadata=sheet,
            design=x,
            inference=DefaultInference(n_cpus=2),
            quiet=True,
        )
        ref.deseq2()
    ref_res = _results(ref, c, DefaultInference(n_cpus=2))
    dds = fit_deseq(counts, x, metadata=sheet, n_cpus=2)
    res = _results(dds, c, dds.inference)
    rho = {
        col: spearmanr(ref_res[col], res[col], nan_policy="omit")[0]
        for col in ("log2FoldChange", "stat")
    }
    a = set(ref_res.index[ref_res["padj"] < 0.05])
    b = set(res.index[res["padj"] < 0.05])
    jac = len(a & b) / len(a | b) if a | b else 1.0  # both empty: the same (empty) set
    gw = np.abs(np.log(ref.var["genewise_dispersions"]) - np.log(dds.var["genewise_dispersions"]))
    with capsys.disabled():
        print(
            f"\n{formula}: genes {counts.shape[1]}, spearman {rho}, padj<0.05 {len(a)} vs "
            f"{len(b)}, jaccard {jac:.4f}, genewise dispersions differing >1e-3 in log: "
            f"{int((gw > 1e-3).sum())}, engine counters {dds.inference.stats}"
        )
    assert min(rho.values()) >= 0.9999
    assert jac >= 0.98


def test_boundary_rule_difference_is_small_and_better_likelihood():
    """``boundary='optimum'`` moves only genes left at the lower bound, to better optima."""
    counts, sheet = load_real(GSE)
    x, _ = full_rank_matrix(sheet, "~ id + time")
    ds2 = fit_deseq(counts, x, metadata=sheet, n_cpus=2)
    opt = fit_deseq(counts, x, metadata=sheet, n_cpus=2, boundary="optimum")
    g1, g2 = ds2.var["genewise_dispersions"], opt.var["genewise_dispersions"]
    moved = np.abs(np.log(g1) - np.log(g2)) > 1e-6
    at_lower = g1 < 1e-6
    share = moved.mean()
    lfc = ds2.varm["LFC"].to_numpy()[:, -2]
    lfc_opt = opt.varm["LFC"].to_numpy()[:, -2]
    rho = spearmanr(lfc, lfc_opt)[0]
    print(
        f"\nboundary: {int(at_lower.sum())} genes at the lower bound, {int(moved.sum())} "
        f"({share:.2%}) move with boundary='optimum'; LFC spearman {rho:.6f}"
    )
    assert not (moved & ~at_lower).any()
    assert share < 0.1
