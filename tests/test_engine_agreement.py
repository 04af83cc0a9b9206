"""The block engine reproduces pydeseq2's DESeq2 fit and Wald tests (small designs; seconds)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from engine_data import design, nb_counts, trial_sheet
from pydeseq2.dds import DeseqDataSet
from pydeseq2.default_inference import DefaultInference
from pydeseq2.ds import DeseqStats
from pydeseq2.utils import irls_solver
from scipy.stats import spearmanr

from myoclamp.de.engine import BlockInference, fit_deseq
from myoclamp.de.engine.irls import irls_batch
from myoclamp.de.engine.linalg import make_system

CASES = {
    "id_time": ("~ id + time", "time[T.t1]", {}),
    "nested": ("~ arm + arm:idn + arm:time", "arm[b]:time[T.t1]", {"arm[a]:time[T.t1]": -1.0}),
}


def results(dds: DeseqDataSet, contrast: np.ndarray, inference) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        st = DeseqStats(dds, contrast=contrast, inference=inference, quiet=True)
        st.summary()
    return st.results_df


def contrast_vector(x: pd.DataFrame, test: str, minus: dict[str, float]) -> np.ndarray:
    c = np.zeros(x.shape[1])
    c[list(x.columns).index(test)] = 1.0
    for col, w in minus.items():
        c[list(x.columns).index(col)] = w
    return c


@pytest.fixture(scope="module", params=sorted(CASES))
def fitted(request):
    formula, test, minus = CASES[request.param]
    sheet = trial_sheet(10, times=3, p_missing=0.15, seed=4)
    counts, _ = nb_counts(sheet, 300, seed=8)
    x = design(sheet, formula)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = DeseqDataSet(
            counts=counts,
            metadata=sheet,
            design=x,
            inference=DefaultInference(n_cpus=1),
            quiet=True,
        )
        ref.deseq2()
    c = contrast_vector(x, test, minus)
    return sheet, counts, x, ref, results(ref, c, DefaultInference(n_cpus=1)), c


@pytest.mark.parametrize("path", ["auto", "dense"])
def test_agrees_with_pydeseq2(fitted, path):
    sheet, counts, x, ref, ref_res, c = fitted
    dds = fit_deseq(counts, x, metadata=sheet, path=path, batch_size=128)
    kind = dds.inference.system(x.to_numpy()).kind
    assert kind == ("dense" if path == "dense" else "block")
    res = results(dds, c, dds.inference)
    for col in ("log2FoldChange", "stat"):
        rho = spearmanr(ref_res[col], res[col], nan_policy="omit")[0]
        assert rho >= 0.9999, (col, rho)
    sig_ref = set(ref_res.index[ref_res["padj"] < 0.05])
    sig = set(res.index[res["padj"] < 0.05])
    assert sig_ref, "the planted effects should give significant genes"
    assert len(sig_ref & sig) / len(sig_ref | sig) >= 0.98
    assert np.array_equal(ref.var["replaced"].to_numpy(), dds.var["replaced"].to_numpy())
    np.testing.assert_allclose(dds.obs["size_factors"], ref.obs["size_factors"])
    # dispersions: same except where pydeseq2's L-BFGS-B leaves or escapes the lower bound
    close = np.isclose(
        np.log(dds.var["dispersions"]), np.log(ref.var["dispersions"]), atol=0.05
    ).mean()
    assert close >= 0.97


def test_wald_matches_pydeseq2_routine(fitted):
    _, _, x, ref, _, c = fitted
    xv = x.to_numpy()
    ok = ref.var["non_zero"].to_numpy()
    lfc = ref.varm["LFC"].to_numpy()[ok]
    mu = np.exp(xv @ lfc.T) * ref.obs["size_factors"].to_numpy()[:, None]
    disp = ref.var["dispersions"].to_numpy()[ok]
    ridge = np.diag(np.repeat(1e-6, xv.shape[1]))
    mine = BlockInference().wald_test(xv, disp, lfc, mu, ridge, c, 0.0)
    theirs = DefaultInference(n_cpus=1).wald_test(xv, disp, lfc, mu, ridge, c, 0.0)
    for a, b in zip(mine, theirs, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-6)


def test_unconverged_genes_handled_as_pydeseq2():
    """Genes that hit maxiter are pydeseq2's own irls_solver's: the same numbers, not near ones."""
    sheet = trial_sheet(6, times=3, p_missing=0.0, seed=2)
    x = design(sheet, "~ id + time").to_numpy()
    rng = np.random.default_rng(1)
    y = rng.negative_binomial(5, 5 / (5 + rng.uniform(5, 500, size=(4, 1))), (4, len(sheet)))
    y = y.astype(float)
    sf = np.exp(rng.normal(0, 0.2, len(sheet)))
    disp = np.full(4, 0.2)
    full = irls_batch(make_system(x), y, sf, disp)
    capped = irls_batch(make_system(x), y, sf, disp, maxiter=2)
    assert not full.fallback.any() and capped.fallback.all()
    for g in range(4):
        beta, mu, hat, conv = irls_solver(y[g], sf, x, 0.2, 0.5, 1e-8, maxiter=2)
        np.testing.assert_array_equal(capped.beta[g], beta)
        np.testing.assert_array_equal(capped.hat[g], hat)
        assert capped.converged[g] == conv
        np.testing.assert_allclose(capped.mu[g], mu, rtol=1e-12)
        np.testing.assert_allclose(capped.mu[g], full.mu[g], rtol=1e-3)


def test_rejects_misaligned_or_rank_deficient_design():
    sheet = trial_sheet(4, seed=1)
    counts, _ = nb_counts(sheet, 20, seed=1)
    x = design(sheet, "~ id + time")
    with pytest.raises(ValueError, match="same samples"):
        fit_deseq(counts, x.iloc[::-1])
    bad = x.assign(dup=x.iloc[:, 1])
    with pytest.raises(ValueError, match="not full rank"):
        fit_deseq(counts, bad)


def test_fitted_dataset_pickles_with_its_engine():
    """The DE stage pickles fits: the engine (and its cached systems) must survive."""
    import pickle

    sheet = trial_sheet(5, seed=1)
    counts, _ = nb_counts(sheet, 50, seed=1)
    dds = fit_deseq(counts, design(sheet, "~ id + time"))
    back = pickle.loads(pickle.dumps(dds))
    assert isinstance(back.inference, BlockInference)
    np.testing.assert_array_equal(back.varm["LFC"].to_numpy(), dds.varm["LFC"].to_numpy())
