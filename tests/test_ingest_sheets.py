"""Sheets, clinical table and cross-table checks: each bad input gets one clear error."""

import pandas as pd
import pytest

from myoclamp.errors import InputError
from myoclamp.ingest.sheets import load_sheets
from myoclamp.ingest.validate import validate_inputs


def _edit(path, fn, sep="\t"):
    df = pd.read_csv(path, sep=sep, dtype=str, keep_default_na=False)
    df = fn(df)
    df.to_csv(path, sep=sep, index=False)


def _fails(cfg, *needles):
    with pytest.raises(InputError) as err:
        validate_inputs(cfg, content=False)
    msg = str(err.value)
    for needle in needles:
        assert needle in msg, msg
    assert "fix:" in msg
    return msg


def test_good_sheets_load_in_canonical_names(cohort):
    cfg, _ = cohort()
    sheets = load_sheets(cfg)
    assert {"participant", "arm", "visit", "clamp", "site"} <= set(sheets.samples.columns)
    assert sheets.samples.index[0] == "P01_ba_bas"
    assert sheets.clinical["m_value"].dtype.kind == "f"
    samples = validate_inputs(cfg, content=False)
    assert not samples["excluded"].any()


def test_other_column_names_work_through_config(cohort):
    cfg, d = cohort()
    _edit(
        d / "samples.tsv",
        lambda df: df.rename(columns={"participant": "subject", "arm": "treatment"}),
    )
    _edit(d / "clinical.csv", lambda df: df.rename(columns={"participant": "subject"}), sep=",")
    cfg["columns"].update({"participant": "subject", "arm": "treatment"})
    assert validate_inputs(cfg, content=False)["arm"].iloc[0] == "placebo"


def test_empty_sample_sheet(cohort):
    cfg, d = cohort()
    (d / "samples.tsv").write_text("")
    _fails(cfg, "samples.tsv", "empty")


def test_wrong_delimiter_in_sheet(cohort):
    cfg, d = cohort()
    _edit(d / "samples.tsv", lambda df: df)
    text = (d / "samples.tsv").read_text().replace("\t", ";")
    (d / "samples.tsv").write_text(text)
    _fails(cfg, "samples.tsv", "semicolon-separated", "tab")


def test_missing_sample_id(cohort):
    cfg, d = cohort()
    _edit(d / "samples.tsv", lambda df: df.assign(sample=[""] + df["sample"].tolist()[1:]))
    _fails(cfg, "samples.tsv", "row 2", "sample id is empty")


def test_duplicated_sample_id(cohort):
    cfg, d = cohort()
    _edit(
        d / "samples.tsv",
        lambda df: df.assign(sample=[df["sample"][1]] + df["sample"].tolist()[1:]),
    )
    _fails(cfg, "samples.tsv", "duplicated sample id", "P01_ba_ins")


def test_required_column_missing(cohort):
    cfg, d = cohort()
    _edit(d / "samples.tsv", lambda df: df.drop(columns=["visit"]))
    _fails(cfg, "samples.tsv", "'visit'", "required column missing", "columns.visit")


def test_counted_sample_not_in_sheet(cohort):
    cfg, d = cohort()
    _edit(d / "samples.tsv", lambda df: df.iloc[1:])
    msg = _fails(cfg, "counts.csv.gz", "P01_ba_bas", "not in the sample sheet", "exclude")
    assert "1 counted sample" in msg


def test_counted_sample_not_in_sheet_may_be_excluded(cohort):
    cfg, d = cohort()
    _edit(d / "samples.tsv", lambda df: df.iloc[1:])
    cfg["exclude"] = [{"sample": "P01_ba_bas", "reason": "failed library"}]
    assert len(validate_inputs(cfg, content=False)) == 31


def test_sheet_sample_without_counts(cohort):
    cfg, d = cohort()
    _edit(
        d / "samples.tsv",
        lambda df: pd.concat([df, df.iloc[[0]].assign(sample="EXTRA", clamp="x")]),
    )
    _fails(cfg, "samples.tsv", "EXTRA", "no column in the count table")


def test_arm_varying_within_participant(cohort):
    cfg, d = cohort()
    _edit(d / "samples.tsv", lambda df: df.assign(arm=["anakinra"] + df["arm"].tolist()[1:]))
    _fails(
        cfg, "samples.tsv", "participant 'P01'", "arm varies within a participant", "unique across"
    )


def test_unknown_level_in_config(cohort):
    cfg, _ = cohort()
    cfg["levels"]["visit"]["followup"] = "week12"
    _fails(cfg, "samples.tsv", "levels.visit.followup", "'week12'", "week13")


def test_unknown_participant_in_clinical_table(cohort):
    cfg, d = cohort()
    _edit(
        d / "clinical.csv",
        lambda df: pd.concat([df, df.iloc[[0]].assign(participant="P99")]),
        sep=",",
    )
    _fails(cfg, "clinical.csv", "P99", "not in the sample sheet", "row 18")


def test_non_numeric_clinical_value(cohort):
    cfg, d = cohort()
    _edit(
        d / "clinical.csv", lambda df: df.assign(hba1c=["7.1%"] + df["hba1c"].tolist()[1:]), sep=","
    )
    _fails(cfg, "clinical.csv", "row 2", "'hba1c'", "not a number")


def test_out_of_range_clinical_value_is_caught_by_the_schema(cohort):
    cfg, d = cohort()
    _edit(d / "clinical.csv", lambda df: df.assign(bmi=["310"] + df["bmi"].tolist()[1:]), sep=",")
    _fails(
        cfg,
        "clinical.csv",
        "row 2",
        "column 'bmi'",
        "above the allowed maximum of 90",
        "clinical.schema.yaml",
    )


def test_sex_varying_within_participant(cohort):
    cfg, d = cohort()
    _edit(d / "clinical.csv", lambda df: df.assign(sex=["M"] + df["sex"].tolist()[1:]), sep=",")
    _fails(cfg, "clinical.csv", "participant 'P01'", "sex varies")


def test_unknown_sex_code(cohort):
    cfg, d = cohort()
    _edit(
        d / "clinical.csv", lambda df: df.assign(sex=df["sex"].str.replace("F", "female")), sep=","
    )
    _fails(cfg, "clinical.csv", "'female'", "levels.sex")


def test_clinical_variable_named_in_config_but_absent(cohort):
    cfg, _ = cohort()
    cfg["clinical"]["variables"].append("il6")
    _fails(cfg, "clinical.csv", "il6", "clinical.variables")


def test_duplicate_biopsy_state(cohort):
    cfg, d = cohort()
    _edit(d / "samples.tsv", lambda df: df.assign(clamp=["insulin"] + df["clamp"].tolist()[1:]))
    _fails(cfg, "samples.tsv", "two biopsies with the same participant/visit/clamp")


def test_exclusion_of_unknown_sample(cohort):
    cfg, _ = cohort()
    cfg["exclude"] = [{"sample": "NOPE", "reason": "x"}]
    _fails(cfg, "exclude", "NOPE")


def test_schema_errors_do_not_echo_clinical_values(cohort):
    cfg, d = cohort()
    _edit(d / "clinical.csv", lambda df: df.assign(bmi=["312.7"] + df["bmi"].tolist()[1:]), sep=",")
    msg = _fails(cfg, "clinical.csv", "column 'bmi'")
    assert "312.7" not in msg


def test_na_and_blank_cells_are_missing_values(cohort):
    cfg, d = cohort()
    _edit(
        d / "clinical.csv", lambda df: df.assign(bmi=["NA", ""] + df["bmi"].tolist()[2:]), sep=","
    )
    clinical = load_sheets(cfg).clinical
    assert clinical["bmi"].isna().sum() == 2 and clinical["bmi"].dtype.kind == "f"
