"""A small seeded negative-binomial trial for DE unit tests (not the demo cohort).

Participants in two arms, basal biopsies at two visits, a basal/insulin pair at each visit for
clamp participants; a per-participant random effect; planted insulin and (optionally) treatment
effects on known genes. Shapes follow docs/architecture.md (obs role columns, var gene_id/symbol).
"""

from __future__ import annotations

import anndata as ad
import numpy as np
import pandas as pd

LEVELS = {
    "arm": {"reference": "placebo", "test": "anakinra"},
    "visit": {"baseline": "baseline", "followup": "week13"},
    "clamp": {"basal": "basal", "insulin": "insulin"},
}


def simulate_trial(
    n_per_arm: tuple[int, int] = (5, 5),
    n_genes: int = 600,
    *,
    clamp_per_arm: tuple[int, int] | None = None,
    insulin_genes: int = 40,
    insulin_lfc: float = 1.5,
    treatment_genes: int = 0,
    treatment_lfc: float = 1.5,
    seed: int = 1,
) -> tuple[ad.AnnData, dict[str, pd.Series]]:
    """Simulated counts and the planted log2FC per gene (``insulin``, ``treatment``)."""
    rng = np.random.default_rng(seed)
    clamp_per_arm = n_per_arm if clamp_per_arm is None else clamp_per_arm
    genes = [f"G{i:05d}" for i in range(n_genes)]
    log_mean = rng.normal(np.log(300), 1.6, n_genes)
    mean = np.exp(log_mean)
    disp = 0.03 + 2.0 / mean + rng.lognormal(-4, 0.6, n_genes)
    ins = np.zeros(n_genes)
    idx = rng.choice(n_genes, insulin_genes + treatment_genes, replace=False)
    ins_idx, trt_idx = idx[:insulin_genes], idx[insulin_genes:]
    ins[ins_idx] = insulin_lfc * rng.choice([-1, 1], insulin_genes)
    trt = np.zeros(n_genes)
    trt[trt_idx] = treatment_lfc * rng.choice([-1, 1], treatment_genes)
    rows = []
    for a, arm in enumerate(("placebo", "anakinra")):
        for i in range(n_per_arm[a]):
            pid = f"{'PA'[a]}{i + 1}"
            clamp = i < clamp_per_arm[a]
            for visit in ("baseline", "week13"):
                states = ("basal", "insulin") if clamp else ("basal",)
                for state in states:
                    rows.append((pid, arm, visit, state, "F" if i % 2 else "M"))
    obs = pd.DataFrame(rows, columns=["participant", "arm", "visit", "clamp", "sex"])
    obs.index = [f"S{i + 1:04d}" for i in range(len(obs))]
    person = {p: rng.normal(0, 0.25, n_genes) for p in obs["participant"].unique()}
    x = np.empty((len(obs), n_genes), dtype=np.int64)
    for r, s in enumerate(obs.itertuples()):
        lfc = person[s.participant].copy()
        if s.clamp == "insulin":
            lfc += ins
        if s.arm == "anakinra" and s.visit == "week13":
            lfc += trt
        mu = mean * np.exp2(lfc) * rng.uniform(0.7, 1.3)
        p = 1.0 / (1.0 + mu * disp)
        x[r] = rng.negative_binomial(1.0 / disp, p)
    for col, lv in (("arm", "arm"), ("visit", "visit"), ("clamp", "clamp")):
        order = list(LEVELS[lv].values())
        obs[col] = pd.Categorical(obs[col], categories=order, ordered=True)
    obs["site"] = pd.Categorical(np.where(np.arange(len(obs)) % 3 == 0, "A", "B"))
    obs["excluded"] = False
    obs["exclusion_reason"] = ""
    var = pd.DataFrame({"gene_id": "", "symbol": genes}, index=pd.Index(genes))
    adata = ad.AnnData(X=x, obs=obs, var=var)
    truth = {"insulin": pd.Series(ins, index=genes), "treatment": pd.Series(trt, index=genes)}
    return adata, truth


def simulation_config(**de: object) -> dict:
    """A minimal config for :func:`simulate_trial` data, with ``de`` options. The simulated genes
    include no negative-control genes, so ``de.unwanted`` adds no factor unless asked to."""
    de = {"unwanted": {"factors": 0}, **de}
    return {"levels": {k: dict(v) for k, v in LEVELS.items()}, "de": de}
