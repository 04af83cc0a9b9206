"""Block (Schur complement) and dense paths of the DE engine give the same algebra and fits."""

from __future__ import annotations

import numpy as np
import pytest
from engine_data import design, nb_counts, trial_sheet
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from myoclamp.de.engine.inference import BlockInference
from myoclamp.de.engine.irls import irls_batch
from myoclamp.de.engine.linalg import BlockSystem, DenseSystem, make_system
from myoclamp.de.engine.structure import detect_blocks

FORMULAS = ["~ id + time", "~ arm + arm:idn + arm:time", "~ id + time + arm:time"]


@st.composite
def trial_designs(draw):
    n_people = draw(st.integers(3, 9))
    sheet = trial_sheet(
        n_people,
        times=draw(st.integers(2, 3)),
        p_missing=draw(st.sampled_from([0.0, 0.2, 0.4])),
        arms_ratio=draw(st.sampled_from([0.5, 0.3])),
        seed=draw(st.integers(0, 10_000)),
    )
    formula = draw(st.sampled_from(FORMULAS))
    return sheet, design(sheet, formula), draw(st.integers(0, 10_000))


def test_detects_one_block_per_participant_column():
    sheet = trial_sheet(8, seed=3)
    x = design(sheet, "~ arm + arm:idn + arm:time")
    blocks = detect_blocks(x.to_numpy())
    assert blocks is not None
    names = [x.columns[j] for j in blocks.block_cols]
    assert all(":idn[" in n for n in names)
    assert len(names) == sum(":idn[" in c for c in x.columns)
    for j in blocks.block_cols:  # each block is exactly one participant's samples
        assert sheet.loc[x.iloc[:, j] == 1, "id"].nunique() == 1


def test_design_without_indicators_takes_dense_path():
    rng = np.random.default_rng(0)
    x = np.column_stack([np.ones(12), rng.normal(size=12), rng.normal(size=12)])
    assert isinstance(make_system(x), DenseSystem)
    with pytest.raises(ValueError, match="no indicator column"):
        make_system(x, "block")


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(trial_designs())
def test_block_algebra_equals_dense(case):
    _, x, seed = case
    xv = x.to_numpy()
    block, dense = make_system(xv, "block"), DenseSystem(xv)
    assert isinstance(block, BlockSystem)
    rng = np.random.default_rng(seed)
    w = rng.uniform(0.05, 20.0, size=(4, xv.shape[0]))
    rhs = rng.normal(size=(4, xv.shape[1]))
    fb, fd = block.factor(w, 1e-6), dense.factor(w, 1e-6)
    np.testing.assert_allclose(fb.solve(rhs), fd.solve(rhs), rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(fb.logdet(), fd.logdet(), rtol=1e-9, atol=1e-8)
    np.testing.assert_allclose(fb.leverage(), fd.leverage(), rtol=1e-7, atol=1e-10)
    beta = rng.normal(size=(4, xv.shape[1]))
    np.testing.assert_allclose(block.xb(beta), dense.xb(beta), atol=1e-12)
    np.testing.assert_allclose(block.xt(w), dense.xt(w), rtol=1e-12)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(trial_designs())
def test_block_and_dense_fits_agree(case):
    sheet, x, seed = case
    counts, _ = nb_counts(sheet, 40, seed=seed)
    if counts.shape[1] == 0:
        return
    y = counts.to_numpy().T.astype(float)
    sf = np.exp(np.random.default_rng(seed).normal(0, 0.2, len(sheet)))
    disp = np.full(y.shape[0], 0.1)
    xv = x.to_numpy()
    rb = irls_batch(make_system(xv, "block"), y, sf, disp)
    rd = irls_batch(DenseSystem(xv), y, sf, disp)
    np.testing.assert_allclose(rb.beta, rd.beta, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(rb.hat, rd.hat, rtol=1e-6, atol=1e-8)
    # standard errors of every coefficient through the Wald test of the engine
    mu = rb.mu.T
    ridge = np.diag(np.repeat(1e-6, xv.shape[1]))
    for j in range(xv.shape[1]):
        c = np.eye(xv.shape[1])[j]
        se = [
            BlockInference(path=path).wald_test(xv, disp, rb.beta, mu, ridge, c, 0.0)[2]
            for path in ("block", "dense")
        ]
        np.testing.assert_allclose(se[0], se[1], rtol=1e-7)


def test_dispersions_same_on_both_paths():
    sheet = trial_sheet(7, p_missing=0.2, seed=11)
    x = design(sheet, "~ id + time").to_numpy()
    counts, _ = nb_counts(sheet, 60, seed=5)
    y = counts.to_numpy().astype(float)
    mu = np.maximum(y.mean(axis=0, keepdims=True) * np.ones_like(y), 0.5)
    start = np.full(y.shape[1], 0.1)
    out = [
        BlockInference(path=p).alpha_mle(y, x, mu, start, 1e-8, 10.0, 0.5, True, True)[0]
        for p in ("block", "dense")
    ]
    np.testing.assert_allclose(np.log(out[0]), np.log(out[1]), atol=1e-6)
