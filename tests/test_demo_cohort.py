"""Design and clinical table of the demo trial."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from myoclamp_tools.demo import cohort


@pytest.mark.parametrize("n", [12, 16, 70])
def test_design_has_missing_biopsies_and_defects(n):
    rng = np.random.default_rng(n)
    parts = cohort.make_participants(n, rng)
    samples = cohort.make_samples(parts, rng)
    if n == 70:
        assert (parts["arm"] == "anakinra").sum() == 34
        assert parts["clamp"].sum() == 35
    per = samples.groupby("participant")
    basal13 = samples[(samples["visit"] == "week13") & (samples["clamp"] == "basal")]
    assert set(parts["participant"]) - set(basal13["participant"]), "someone lacks week-13 basal"
    clampers = parts.loc[parts["clamp"], "participant"]
    n_ins = samples[samples["clamp"] == "insulin"].groupby("participant").size()
    assert (n_ins.reindex(clampers, fill_value=0) == 1).any(), "a clamp participant lacks one"
    assert (
        not samples.loc[
            samples["participant"].isin(parts.loc[~parts["clamp"], "participant"]), "clamp"
        ]
        .eq("insulin")
        .any()
    )
    assert samples["sample"].is_unique and per.size().max() <= 4
    defects = samples[samples["defect"] != ""]
    assert sorted(defects["defect"]) == ["low_quality", "sex_swap"]
    assert defects["participant"].nunique() == 2
    missing_people = {m[0] for m in samples.attrs["missing"]}
    assert not missing_people & set(defects["participant"])


def test_participants_need_a_minimum():
    with pytest.raises(ValueError, match="at least 8"):
        cohort.make_participants(4, np.random.default_rng(0))


def test_clinical_effects_are_planted_exactly():
    rng = np.random.default_rng(5)
    parts = cohort.make_participants(70, rng)
    clin = cohort.make_clinical(parts, rng)
    assert len(clin) == 140 and not clin.duplicated(["participant", "visit"]).any()
    wide = clin.pivot(index="participant", columns="visit")
    arm = parts.set_index("participant")["arm"]
    on = arm[wide.index] == "anakinra"

    def diff(col, log=False):
        a, b = wide[col]["week13"], wide[col]["baseline"]
        change = np.log(a / b) if log else a - b
        return change[on.to_numpy()].mean() - change[~on.to_numpy()].mean()

    assert diff("hba1c") == pytest.approx(-0.46, abs=0.01)
    assert diff("bmi") == pytest.approx(0.0, abs=0.02)
    assert diff("m_value", log=True) == pytest.approx(0.0, abs=0.01)
    assert diff("il6", log=True) == pytest.approx(np.log(0.6), abs=0.02)
    assert diff("crp", log=True) == pytest.approx(np.log(0.6), abs=0.02)
    assert diff("proinsulin_insulin_ratio", log=True) < 0 < diff("c_peptide", log=True)
    m = clin["m_value"]
    clampers = clin["participant"].isin(parts.loc[parts["clamp"], "participant"])
    assert m[~clampers].isna().all() and m[clampers].notna().all()
    assert 3.0 < m.mean() < 5.0 and 1.0 < m.std() < 2.5
    assert set(clin["sex"]) == {"F", "M"}
    assert 55 < clin["age"].mean() < 65 and 29 < clin["bmi"].mean() < 33
    assert isinstance(clin, pd.DataFrame)
