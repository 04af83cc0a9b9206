"""Resampled benchmark cohorts: exact size, balanced arms, new pseudonyms, consistent tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from myoclamp.errors import InputError
from myoclamp_tools.bench.resample import (
    Cohort,
    draw_participants,
    read_cohort,
    resample,
    resample_folder,
)


def small_cohort(n_people: int = 6, n_genes: int = 50, seed: int = 0) -> Cohort:
    """Participants with 4, 2 or 3 biopsies, two arms, two visits in the clinical table."""
    rng = np.random.default_rng(seed)
    rows, clin = [], []
    kinds = [
        ("baseline", "basal"),
        ("baseline", "insulin"),
        ("week13", "basal"),
        ("week13", "insulin"),
    ]
    for p in range(n_people):
        pid = f"P{p + 1:03d}"
        arm = "placebo" if p % 2 else "anakinra"
        n = (4, 2, 3)[p % 3]
        for visit, clamp in kinds[:n]:
            rows.append({"sample": f"{pid}{visit[0]}{clamp[0]}", "participant": pid, "arm": arm,
                         "visit": visit, "clamp": clamp, "site": "site1"})  # fmt: skip
        for visit in ("baseline", "week13"):
            clin.append({"participant": pid, "visit": visit, "age": str(50 + p),
                         "m_value": "" if p == 1 else f"{4 + p / 10:.1f}"})  # fmt: skip
    samples = pd.DataFrame(rows)
    counts = pd.DataFrame(
        rng.poisson(50, size=(n_genes, len(samples))),
        index=[f"G{i}" for i in range(n_genes)],
        columns=samples["sample"],
    )
    return Cohort(counts, samples, pd.DataFrame(clin))


@pytest.mark.parametrize("n", [1, 7, 18, 19, 40, 101])
def test_resample_has_exactly_n_samples_and_consistent_tables(n):
    base = small_cohort()
    new, origin = resample(base, n, seed=3)
    assert len(new.samples) == n == new.counts.shape[1] == len(origin)
    assert list(new.counts.columns) == new.samples["sample"].tolist()
    assert new.samples["sample"].is_unique
    assert set(new.clinical["participant"]) == set(new.samples["participant"])
    assert not set(new.samples["participant"]) & set(base.samples["participant"])
    # every new sample keeps its source's arm, visit and clamp; participants keep one arm
    src = base.samples.set_index("sample").loc[origin["source_sample"]]
    for col in ("arm", "visit", "clamp", "site"):
        assert new.samples[col].tolist() == src[col].tolist()
    assert (new.samples.groupby("participant")["arm"].nunique() == 1).all()
    # a new participant's clinical rows are its source's, under the new pseudonym
    pairs = origin.drop_duplicates("participant").set_index("participant")["source_participant"]
    for new_id, source in pairs.items():
        got = new.clinical[new.clinical["participant"] == new_id].drop(columns="participant")
        want = base.clinical[base.clinical["participant"] == source].drop(columns="participant")
        assert got.reset_index(drop=True).equals(want.reset_index(drop=True))


def test_resample_thins_counts_binomially():
    base = small_cohort(n_genes=400)
    new, origin = resample(base, 60, seed=1, keep=0.9)
    source = base.counts[origin["source_sample"]].to_numpy()
    got = new.counts.to_numpy()
    assert (got <= source).all()
    assert 0.88 < got.sum() / source.sum() < 0.92
    # copies of the same biopsy differ (thinning is drawn per copy)
    dup = origin[origin["source_sample"].duplicated(keep=False)]
    first = dup.groupby("source_sample")["sample"].apply(list).iloc[0]
    assert not np.array_equal(new.counts[first[0]], new.counts[first[1]])
    same, _ = resample(base, 60, seed=1, keep=1.0)
    assert np.array_equal(same.counts.to_numpy(), source)


def test_resample_is_deterministic_and_seed_dependent():
    base = small_cohort()
    a, oa = resample(base, 30, seed=5)
    b, ob = resample(base, 30, seed=5)
    c, oc = resample(base, 30, seed=6)
    assert a.counts.equals(b.counts) and oa.equals(ob)
    assert not oa["source_sample"].equals(oc["source_sample"])


def test_draw_uses_each_participant_before_repeating_and_alternates_arms():
    base = small_cohort(n_people=6)
    sizes = base.samples.groupby("participant").size()
    people = base.samples[["participant", "arm"]].drop_duplicates()
    drawn = draw_participants(people, sizes, 200, np.random.default_rng(0))
    sources = [s for s, _ in drawn]
    assert sorted(sources[:6]) == sorted(people["participant"])
    arm = people.set_index("participant")["arm"]
    assert [arm[s] for s in sources[:6]] == ["anakinra", "placebo"] * 3
    counts = pd.Series(sources).value_counts()
    assert counts.max() - counts.min() <= 1


def test_resample_rejects_bad_requests():
    base = small_cohort()
    with pytest.raises(ValueError, match="positive"):
        resample(base, 0)
    with pytest.raises(ValueError, match="keep"):
        resample(base, 10, keep=0)
    broken = Cohort(base.counts.iloc[:, 1:], base.samples, base.clinical)
    with pytest.raises(InputError, match="not counted"):
        resample(broken, 10)
    with pytest.raises(InputError, match="participant column"):
        resample(Cohort(base.counts, base.samples.drop(columns="participant"), base.clinical), 5)


def test_resample_folder_round_trip(tmp_path):
    from myoclamp_tools.demo import generate

    generate(tmp_path / "demo", n_participants=8, n_genes=600)
    paths = resample_folder(tmp_path / "demo", tmp_path / "r", 25, seed=2)
    back = read_cohort(tmp_path / "r")
    assert back.counts.shape[1] == 25 and len(back.samples) == 25
    assert back.counts.index.equals(read_cohort(tmp_path / "demo").counts.index)
    origin = pd.read_csv(paths["origin"], sep="\t")
    # missing clinical values (no clamp: no M-value) stay empty cells under the new pseudonyms
    base_clin = read_cohort(tmp_path / "demo").clinical.set_index(["participant", "visit"])
    source = origin.drop_duplicates("participant").set_index("participant")["source_participant"]
    keys = list(zip(back.clinical["participant"].map(source), back.clinical["visit"], strict=True))
    assert back.clinical["m_value"].tolist() == base_clin.loc[keys, "m_value"].tolist()
    assert origin["sample"].tolist() == back.samples["sample"].tolist()
    with pytest.raises(InputError, match="missing"):
        read_cohort(tmp_path / "nowhere")
