"""Tools for the equivalence checks (issue 20): planted treatment sizes in the demo generator,
the simulation's planting and summaries (fast parts; the simulations themselves are run by
``scripts/equivalence_simulation.py``)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm
from scipy.stats import t as student_t

from myoclamp_tools import equivalence_sim as sim
from myoclamp_tools.demo import generate

SMALL = {"n_participants": 12, "n_genes": 1500, "seed": 7}


def test_generator_plants_exactly_the_chosen_treatment_sizes(tmp_path):
    sizes = {"SLC2A4": 0.585, "PDK4": -0.585, "HSPB1": 0.3}
    # the same genes at other sizes: the same gene selection and random streams
    small = generate(tmp_path / "small", treatment_sizes=dict.fromkeys(sizes, 0.1), **SMALL)
    paths = generate(tmp_path / "sized", treatment_sizes=sizes, **SMALL)
    truth = pd.read_csv(paths["truth_genes"], sep="\t", index_col=0)["treatment_log2fc"]
    assert truth[list(sizes)].to_dict() == pytest.approx(sizes)
    assert (truth.drop(list(sizes)) == 0).all()  # TREATMENT_GENES are replaced, not added
    c0 = pd.read_csv(small["counts"], sep="\t", index_col=0)
    c1 = pd.read_csv(paths["counts"], sep="\t", index_col=0)
    samples = pd.read_csv(paths["samples"], sep="\t")
    on = ((samples["arm"] == "anakinra") & (samples["visit"] == "week13")).to_numpy()
    assert (c1.loc[:, ~on] == c0.loc[:, ~on]).all().all()
    up = np.log2(c1.loc["SLC2A4", on].sum() / c0.loc["SLC2A4", on].sum())
    assert up == pytest.approx(0.485, abs=0.05)  # the same gamma draws, scaled
    with pytest.raises(ValueError, match="NOT_A_GENE"):
        generate(tmp_path / "bad", treatment_sizes={"NOT_A_GENE": 1.0}, **SMALL)


def _reference() -> pd.DataFrame:
    n = 400
    return pd.DataFrame(
        {
            "gene_id": [f"G{i:03d}" for i in range(n)],
            "baseMean": np.linspace(10, 1000, n),
            "lfcSE": np.linspace(0.5, 0.05, n),
            "pvalue": np.where(np.arange(n) == 399, np.nan, 0.5),
        }
    )


def test_planting_helpers():
    ref = _reference()
    genes = sim.planted_genes(ref, ["G390", "G399", "NOPE", "G001"], 50, seed=1)
    assert genes[:2] == ["G390", "G001"]  # present and tested, in the configured order
    assert len(genes) == 52 and len(set(genes)) == 52
    assert genes == sim.planted_genes(ref, ["G390", "G399", "NOPE", "G001"], 50, seed=1)
    assert (ref.set_index("gene_id").loc[genes[2:], "baseMean"] >= 50).all()
    sizes = sim.boundary_sizes(genes, 0.585)
    assert [sizes[g] for g in genes[:3]] == [0.585, -0.585, 0.585]
    mde = pd.Series(np.linspace(0.2, 0.8, 52), index=genes)
    planted = pd.Series(sim.mde_sizes(mde, np.random.default_rng(0)))
    ratio = planted.abs() / mde
    assert ratio.between(0.6, 1.4).all() and (planted < 0).any() and (planted > 0).any()


def test_power_curve_fits_recover_a_known_curve():
    rng = np.random.default_rng(3)
    s, df = 0.1, 60
    q = student_t.ppf(0.975, df)
    effect = rng.uniform(0.1, 0.45, 4000)
    reject = rng.uniform(size=4000) < norm.cdf(effect / s - q)
    want = (q + norm.ppf(0.8)) * s
    assert sim.probit_effect(effect, reject) == pytest.approx(want, rel=0.03)
    assert np.isnan(sim.probit_effect(effect, np.zeros(4000, bool)))
    # the one-parameter fit is precise with few trials near the target
    few = rng.uniform(0.6, 1.4, 150) * want
    hit = rng.uniform(size=150) < norm.cdf(few / s - q)
    assert sim.scale_fit_effect(few, hit, 0.05, df) == pytest.approx(want, rel=0.12)
    wide = rng.uniform(0.6, 1.4, 150) * want  # a curve 30 % flatter is told apart
    hit = rng.uniform(size=150) < norm.cdf(wide / (1.3 * s) - q)
    assert sim.scale_fit_effect(wide, hit, 0.05, df) > 1.12 * want


def _rows(mode: str, planted: float, p: np.ndarray, interest: np.ndarray) -> pd.DataFrame:
    n = len(p)
    return pd.DataFrame(
        {
            "mode": mode,
            "seed": np.repeat(np.arange(n // 4), 4),
            "gene_id": np.tile(["A", "B", "C", "D"], n // 4),
            "interest": interest,
            "planted": planted,
            "baseMean": np.tile([500.0, 50.0, 200.0, 300.0], n // 4),
            "lfcSE": 0.1,
            "de_pvalue": p,
            "pvalue": p,
            "padj": p,
            "padj_interest": p,
            "verdict_interest": np.where(p < 0.05, "equivalent", "inconclusive"),
            "predicted_mde": 0.3,
        }
    )


def test_summaries():
    rng = np.random.default_rng(5)
    p = rng.uniform(size=400)
    interest = np.tile([True, True, False, False], 100)
    margin = sim.summarise_margin(_rows("margin", 0.585, p, interest)).set_index("genes")
    assert margin.loc["all planted genes", "tests"] == 400
    assert margin.loc["all planted genes", "rate"] == pytest.approx(np.mean(p < 0.05))
    assert margin.loc["all planted genes", "rate_upper95"] > margin.loc["all planted genes", "rate"]
    null = sim.summarise_null(_rows("null", 0.0, p, interest))
    assert null.loc["A", "trials"] == 100
    assert null.loc["well-expressed (per trial)", "baseMean"] == 1.0  # A only (B: 50)
    eff = rng.uniform(0.1, 0.5, 400)
    rows = _rows("mde", 0.0, p, interest).assign(
        planted=eff, de_pvalue=np.where(rng.uniform(size=400) < norm.cdf(eff / 0.1 - 2), 0.01, 0.5)
    )
    mde = sim.summarise_mde(rows).set_index("gene_id")
    assert mde.loc["A", "simulated_mde"] == pytest.approx(0.284, rel=0.2)
    assert mde.loc["A", "simulated_mde_probit"] == pytest.approx(0.284, rel=0.3)
    assert bool(mde.loc["A", "interest"]) and not bool(mde.loc["C", "interest"])


@pytest.mark.slow
def test_demo_runner_end_to_end(tmp_path):
    """A small generated demo through every new table, the statement and the figure (slow: the
    blind VST fits its trend gene by gene; every function here has its own fast test)."""
    from myoclamp_tools.equivalence_demo import demo_config, demo_sheets, run_equivalence, write_run
    from myoclamp_tools.rcompare import demo_adata

    paths = generate(tmp_path / "demo", n_participants=16, n_genes=1500, seed=3)
    samples, clinical = demo_sheets(paths)
    run = run_equivalence(demo_adata(paths), samples, clinical, demo_config())
    assert run.settings["wald_distribution"] == "t" and run.settings["wald_df"] > 5
    assert run.settings["n_reference"] + run.settings["n_test"] >= 12
    goi = run.de[run.de["interest"]]
    assert len(goi) >= 10 and len(run.detectable) == goi["pvalue"].notna().sum()
    assert set(run.sets["set"]) >= {"OXPHOS", "CLAMP_RESPONSE_UP"}
    assert run.endpoint.loc[0, "variable"] == "m_value" and run.endpoint.loc[0, "n_ancova"] >= 6
    n_eq = int((goi["verdict_interest"] == "equivalent").sum())
    assert f"Of the {len(goi)} genes of interest tested, {n_eq} " in run.statement
    written = write_run(run, tmp_path / "out")
    assert all(p.exists() for p in written.values())
