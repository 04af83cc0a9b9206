"""The startup validation: every bad input is refused before any job, said once, plainly.

Each case breaks one thing in a copy of the tiny cohort and runs the Snakefile's own check
(``startup_check``) as the main Snakemake process: it must exit with status 1 (so the Snakefile
never reaches its rules: no job can run) after printing one message that names the file, the row,
column or label, and the fix, each problem once. ``tests/test_workflow_validate.py`` runs the real
``snakemake`` on a few of them.
"""

from __future__ import annotations

import gzip
import logging
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest
import yaml
from cohort import write_cohort

from myoclamp.config import load_config
from myoclamp.errors import InputError, InputErrors
from myoclamp.ingest import validate as validation
from myoclamp.ingest.build import build_anndata
from myoclamp.ingest.validate import startup_check, validate_inputs


class Run:
    """A tiny cohort in ``tmp``, edited by a case, then checked as Snakemake's main process."""

    def __init__(self, root: Path, fmt: str = "matrix") -> None:
        self.root = root
        self.cfg_path = write_cohort(root, fmt)
        self.config = yaml.safe_load(self.cfg_path.read_text())
        self.printed: list[tuple[str, str]] = []

    @property
    def counts(self) -> Path:
        return Path(self.config["inputs"]["counts"])

    def table(self, name: str) -> pd.DataFrame:
        sep = "," if name.endswith(".csv") else "\t"
        return pd.read_csv(self.root / name, sep=sep, dtype=str, keep_default_na=False)

    def write(self, name: str, df: pd.DataFrame) -> None:
        sep = "," if name.endswith(".csv") else "\t"
        df.to_csv(self.root / name, sep=sep, index=False)

    def edit(self, name: str, fn) -> None:
        self.write(name, fn(self.table(name)))

    def count_matrix(self) -> pd.DataFrame:
        return pd.read_csv(self.counts, index_col=0)

    def write_counts(self, df: pd.DataFrame) -> None:
        df.rename_axis("gene").to_csv(self.counts)

    def check(self, main: bool = True) -> pd.DataFrame:
        workflow = SimpleNamespace(is_main_process=main, configfiles=[self.cfg_path])
        emit = lambda level, message: self.printed.append((level, message))  # noqa: E731
        return startup_check(self.config, workflow, self.root / "validated.json", emit)

    def refused(self, *needles: str) -> str:
        """The one refusal printed; it holds every needle, and nothing ran."""
        with pytest.raises(SystemExit) as stop:
            self.check()
        assert stop.value.code == 1
        errors = [m for level, m in self.printed if level == "error"]
        assert len(errors) == 1, self.printed
        msg = errors[0]
        assert msg.startswith("myoclamp refused the inputs; no job was run.")
        assert "Traceback" not in msg and 'File "' not in msg
        for needle in needles:
            assert needle in msg, f"{needle!r} not in:\n{msg}"
        assert "fix: " in msg
        return msg

    def notes(self) -> list[str]:
        return [m for level, m in self.printed if level == "warning"]


@pytest.fixture
def run(tmp_path):
    return Run(tmp_path / "cohort")


def once(msg: str, text: str) -> None:
    assert msg.count(text) == 1, f"{text!r} said {msg.count(text)} times in:\n{msg}"


def replace_cell(df: pd.DataFrame, row: int, col: str, value) -> pd.DataFrame:
    df = df.copy()
    df.loc[df.index[row], col] = value
    return df


# ----------------------------------------------------------------- the cases of issue 17


def test_a_clinical_visit_label_the_sheet_does_not_have(run):
    run.edit("clinical.csv", lambda df: df.replace({"visit": {"week13": "Week 13"}}))
    msg = run.refused(
        "clinical.csv: column 'visit', 8 row(s) from row 3",
        "visit label(s) 'Week 13' not in the sample sheet",
        "(the sheet writes 'Week 13' as 'week13')",
        "the sheet's visits are 'baseline', 'week13'",
        "fix: write each visit exactly as the sample sheet does",
    )
    once(msg, "'Week 13' not in")


def test_unknown_participant_is_listed_beside_the_sheets_participants(run):
    run.edit("clinical.csv", lambda df: df.replace({"participant": {"P03": "p3"}}))
    run.refused(
        "clinical.csv: column 'participant', 2 row(s) from row 6",
        "participant label(s) 'p3' not in the sample sheet",
        "(the sheet writes 'p3' as 'P03')",
        "the sheet's participants are 'P01', 'P02'",
    )


def test_unmatched_participants_and_biopsies_are_counted_and_reported(run):
    run.edit("clinical.csv", lambda df: df[~((df.participant == "P02") & (df.visit == "week13"))])
    run.edit("samples.tsv", lambda df: df[~((df.participant == "P05") & (df.visit == "week13"))])
    counts = run.count_matrix()
    run.write_counts(counts.drop(columns=["P05_we_bas", "P05_we_ins"]))
    samples = run.check()
    assert len(samples) == 30
    notes = run.notes()
    assert len(notes) == 2, notes
    assert "2 of 30 biopsies have no clinical row (1 participant/visit: 'P02/week13')" in notes[0]
    assert "1 clinical row(s) have no biopsy (participant/visit: 'P05/week13')" in notes[1]


def test_spreadsheet_dates_that_name_no_single_gene_are_refused(run):
    counts = run.count_matrix()
    run.write_counts(counts.rename(index={"GENE0001": "1-Mar", "GENE0002": "3/1/2024"}))
    msg = run.refused(
        "counts.csv.gz: gene column, 2 gene name(s) '1-Mar', '3/1/2024'",
        "gene names that a spreadsheet turned into dates",
        "'1-Mar' could be MARCHF1 or MTARC1",
        "fix: re-export the count table from its source without opening it in a spreadsheet",
    )
    once(msg, "'1-Mar' could be")


def test_spreadsheet_dates_the_gene_map_restores_are_named_and_used(run):
    counts = run.count_matrix()
    run.write_counts(counts.rename(index={"GENE0001": "7-Sep"}))
    run.check()
    notes = run.notes()
    assert len(notes) == 1
    assert "gene '7-Sep' is a name a spreadsheet turned into a date: read as SEPTIN7" in notes[0]
    adata = build_anndata(load_config(run.cfg_path))
    assert "SEPTIN7" in adata.var_names and "7-Sep" not in adata.var_names
    assert adata.var.loc["SEPTIN7", "gene_id"].startswith("ENSG")


def test_spreadsheet_dates_in_nfcore_gene_names_are_restored_or_left_empty(tmp_path):
    run = Run(tmp_path / "nf", "nfcore")
    path = run.counts
    table = pd.read_csv(path, sep="\t")
    table.loc[40, "gene_name"] = "7-Sep"
    table.loc[41, "gene_name"] = "1-Mar"
    table.to_csv(path, sep="\t", index=False)
    run.check()
    notes = run.notes()
    assert any("gene_name '7-Sep' is a name a spreadsheet turned into a date: read as SEPTIN7" in n
               for n in notes)  # fmt: skip
    assert any("gene_name(s) '1-Mar' look like spreadsheet dates" in n for n in notes)
    var = build_anndata(load_config(run.cfg_path)).var
    assert var["symbol"].iloc[40] == "SEPTIN7" and var["symbol"].iloc[41] == ""


def test_a_column_in_both_tables_that_agrees_is_used_once(run):
    clinical = run.table("clinical.csv")
    age = clinical.drop_duplicates("participant").set_index("participant")["age"]
    run.edit("samples.tsv", lambda df: df.assign(age=df["participant"].map(age)))
    arm = run.table("samples.tsv").drop_duplicates("participant").set_index("participant")["arm"]
    run.edit("clinical.csv", lambda df: df.assign(arm=df["participant"].map(arm)))
    run.check()
    adata = build_anndata(load_config(run.cfg_path))
    assert list(adata.obs.columns).count("age") == 1
    assert adata.obs["age"].dtype.kind in "iuf"  # the clinical table's numbers
    assert adata.obs.loc["P03_we_ins", "age"] == 62
    assert "arm_x" not in adata.obs.columns and "arm_y" not in adata.obs.columns


def test_a_column_in_both_tables_that_disagrees_names_both_files_and_the_participants(run):
    clinical = run.table("clinical.csv")
    age = clinical.drop_duplicates("participant").set_index("participant")["age"]
    run.edit(
        "samples.tsv",
        lambda df: df.assign(
            age=df["participant"].map(age).where(df["participant"] != "P03", "63.5")
        ),
    )
    msg = run.refused(
        "samples.tsv and ",
        "clinical.csv: column 'age'",
        "the two tables disagree for 1 participant(s): 'P03 at baseline', 'P03 at week13'",
        "fix: make the two tables agree (the column is then used once), or keep it in one",
    )
    assert "63.5" not in msg and "62" not in msg  # clinical values are never echoed


def test_a_sheet_role_repeated_in_the_clinical_table_is_compared_too(run):
    arm = run.table("samples.tsv").drop_duplicates("participant").set_index("participant")["arm"]
    run.edit(
        "clinical.csv",
        lambda df: df.assign(arm=df["participant"].map(arm)).pipe(
            replace_cell, 0, "arm", "anakinra"
        ),
    )
    run.refused("column 'arm'", "disagree for 1 participant(s): 'P01 at baseline'")


def test_an_empty_library_is_refused_with_the_exclude_line(run):
    counts = run.count_matrix()
    counts["P02_we_ins"] = 0
    run.write_counts(counts)
    msg = run.refused(
        "counts.csv.gz: sample column(s) 'P02_we_ins'",
        "1 sample(s) with an empty or near-zero library ('P02_we_ins' 0 reads;",
        "fix: list them under exclude: in the config with the reason, e.g. exclude: [{sample: "
        'P02_we_ins, reason: "empty library"}]',
    )
    once(msg, "'P02_we_ins' 0 reads")
    run.config["exclude"] = [{"sample": "P02_we_ins", "reason": "empty library"}]
    run.printed.clear()
    assert run.check().loc["P02_we_ins", "excluded"]


def test_a_near_zero_library_is_refused(run):
    counts = run.count_matrix()
    counts["P04_ba_bas"] = 0
    counts.iloc[:3, counts.columns.get_loc("P04_ba_bas")] = 2
    run.write_counts(counts)
    run.refused("'P04_ba_bas' 6 reads", "near-zero")


def test_a_truncated_gzip_count_table(run):
    data = run.counts.read_bytes()
    run.counts.write_bytes(data[: len(data) // 2])
    run.refused(
        "counts.csv.gz: after line",
        "the compressed file is truncated (it ends before its end-of-stream marker)",
        "fix: copy or download the file again; check it with: gzip -t",
    )


def test_a_corrupt_gzip_count_table(run):
    data = bytearray(run.counts.read_bytes())
    data[len(data) // 2 : len(data) // 2 + 64] = bytes(64)
    run.counts.write_bytes(bytes(data))
    run.refused("counts.csv.gz: after line", "the compressed file is corrupt", "gzip -t")


def test_content_errors_of_the_count_table_are_all_said_at_startup_once(run):
    counts = run.count_matrix().astype(object)
    counts.loc["GENE0003", "P01_ba_ins"] = -4
    counts.loc["GENE0004", "P02_ba_bas"] = 2.5
    counts.loc["GENE0005", "P03_ba_bas"] = ""
    run.write_counts(counts)
    msg = run.refused(
        "3 problems",
        "gene 'GENE0005', sample column 'P03_ba_bas': 1 empty count cell(s)",
        "gene 'GENE0003', sample column 'P01_ba_ins': 1 negative count(s), first -4",
        "gene 'GENE0004', sample column 'P02_ba_bas': 1 non-integer count(s), first 2.5",
        "fix: every gene needs a count in every sample (write 0 for none)",
        "fix: give raw counts (not log, centred or normalised values)",
        "fix: give raw integer counts",
    )
    for text in ("empty count", "negative count", "non-integer count"):
        once(msg, text)


def test_non_utf8_text_names_row_and_column(run):
    path = run.root / "samples.tsv"
    lines = path.read_text().splitlines()
    lines[4] = lines[4].replace("site1", "Sité1")
    path.write_bytes(("\n".join(lines) + "\n").encode("latin-1"))
    run.refused(
        "samples.tsv: row 5, column 'site'",
        "not UTF-8 text (1 row(s) with such bytes: 5)",
        "fix: save the table as UTF-8 text",
        "iconv -f latin1 -t utf-8 samples.tsv",
    )


def test_duplicated_column_names(run):
    path = run.root / "clinical.csv"
    lines = path.read_text().splitlines()
    lines = [line + "," + line.split(",")[4] for line in lines]  # a second 'bmi' column
    path.write_text("\n".join(lines) + "\n")
    run.refused("clinical.csv: header row", "duplicated column name(s) 'bmi'", "unique name")


def test_empty_rows_in_a_sheet(run):
    path = run.root / "samples.tsv"
    lines = path.read_text().splitlines()
    lines[6:6] = ["\t\t\t\t\t", ""]
    path.write_text("\n".join(lines) + "\n\n")  # a trailing blank line is harmless
    run.refused(
        "samples.tsv: row(s) 7, 8",
        "2 empty row(s) (blank or only delimiters) among the data rows",
        "fix: delete the empty rows",
    )


def test_mixed_gene_id_types(run):
    counts = run.count_matrix()
    ids = [f"ENSG{i:011d}" if i % 2 else g for i, g in enumerate(counts.index)]
    run.write_counts(counts.set_axis(ids))
    run.refused(
        "counts.csv.gz: gene column",
        "mixed gene id types: 100 Ensembl ids and 100 other names",
        "set inputs.gene_ids to ensembl or symbol",
    )


def test_a_few_ensembl_ids_among_symbols_are_noted(run):
    counts = run.count_matrix()
    run.write_counts(counts.rename(index={"GENE0001": "ENSG00000141510"}))
    run.check()
    assert any("1 of 200 gene keys are Ensembl ids among symbols" in n for n in run.notes())


# --------------------------------------------- the bad inputs of the foundation issue (#3)


def test_empty_sample_sheet(run):
    (run.root / "samples.tsv").write_text("")
    run.refused("samples.tsv: the file is empty", "fix: give a table with a header row")


def test_wrong_delimiter(run):
    path = run.root / "samples.tsv"
    path.write_text(path.read_text().replace("\t", ";"))
    run.refused(
        "samples.tsv: header row: expected tab-separated columns, but it looks semicolon-separated",
        "fix: save the table with commas and name it .csv, or with tabs and name it .tsv",
    )


def test_missing_sample_id(run):
    run.edit("samples.tsv", lambda df: replace_cell(df, 0, "sample", ""))
    run.refused(
        "samples.tsv: row 2, column 'sample': sample id is empty",
        "fix: give every biopsy a sample id",
    )


def test_duplicated_sample_id(run):
    run.edit("samples.tsv", lambda df: replace_cell(df, 0, "sample", "P01_ba_ins"))
    run.refused(
        "samples.tsv: row 3, column 'sample': duplicated sample id(s) 'P01_ba_ins'",
        "fix: give every biopsy its own sample id",
    )


def test_duplicated_gene(run):
    counts = run.count_matrix()
    run.write_counts(counts.rename(index={"GENE0001": "GENE0002"}))
    run.refused(
        "counts.csv.gz: gene column, 1 duplicated gene symbol(s) 'GENE0002'",
        "fix: keep one row per gene, or set inputs.duplicate_genes: sum",
    )


def test_counted_sample_not_in_the_sheet(run):
    run.edit("samples.tsv", lambda df: df.iloc[1:])
    run.refused(
        "counts.csv.gz: sample column(s) 'P01_ba_bas': 1 counted sample(s) not in the sample sheet",
        "fix: add them to the sample sheet, or list them under exclude:",
    )


@pytest.mark.parametrize(
    ("value", "problem", "fix"),
    [
        (-2, "1 negative count(s), first -2", "give raw counts"),
        ("two", "1 non-numeric count(s), first 'two'", "counts must be numbers"),
        (2.5, "1 non-integer count(s), first 2.5", "give raw integer counts"),
    ],
)
def test_bad_count_values(run, value, problem, fix):
    counts = run.count_matrix().astype(object)
    counts.loc["TTN", "P02_we_bas"] = value
    run.write_counts(counts)
    msg = run.refused(
        f"counts.csv.gz: gene 'TTN', sample column 'P02_we_bas': {problem}", f"fix: {fix}"
    )
    once(msg, problem)


def test_arm_varying_within_a_participant(run):
    run.edit("samples.tsv", lambda df: replace_cell(df, 0, "arm", "anakinra"))
    run.refused(
        "samples.tsv: participant 'P01', column 'arm': the arm varies within a participant",
        "fix: give each participant one arm",
    )


def test_unknown_level_in_config(run):
    run.config["levels"]["visit"]["followup"] = "week12"
    run.refused(
        "samples.tsv: column 'visit' (role 'visit'): the configured level "
        "levels.visit.followup = 'week12' does not occur",
        "fix: set levels.visit.followup to one of the values present",
    )


def test_unknown_participant_in_the_clinical_table(run):
    run.edit("clinical.csv", lambda df: pd.concat([df, df.iloc[[0]].assign(participant="P99")]))
    run.refused(
        "clinical.csv: column 'participant', 1 row(s) from row 18",
        "participant label(s) 'P99' not in the sample sheet",
        "fix: write each participant exactly as the sample sheet does",
    )


def test_required_column_missing(run):
    run.edit("samples.tsv", lambda df: df.drop(columns=["visit", "arm"]))
    msg = run.refused(
        "samples.tsv: column 'arm' (role 'arm'): required column missing",
        "samples.tsv: column 'visit' (role 'visit'): required column missing",
        "fix: add the column, or set columns.visit in the config",
    )
    assert "2 problems" in msg


# --------------------------------------------------------------- beyond the two issues


def test_config_schema_errors_are_said_plainly_with_every_key(run):
    run.config["de"] = {"unwanted": {"factors": -1}, "alpha": 2}
    msg = run.refused(
        "2 problems",
        "config.yaml: key de.unwanted.factors: -1 is less than the minimum of 0",
        "config.yaml: key de.alpha: 2 is greater than the maximum of 1",
        "workflow/schemas/config.schema.yaml",
    )
    once(msg, "de.alpha")


def test_settings_that_name_what_the_inputs_lack(run):
    run.config["de"] = {
        "unwanted": {"genes": ["NOTAGENE", "NORTHIS"]},
        "contrasts": [{"name": "arms", "factor": "arm", "reference": "placebo", "test": "X"}],
    }
    run.refused(
        "2 problems",
        "de.contrasts[0] (factor 'arm'): level(s) 'X' do not occur in the sample sheet",
        "de.unwanted.genes: none of the control genes ('NORTHIS', 'NOTAGENE') is among the "
        "genes of the counts",
        "fix: list genes the counts have under de.unwanted.genes, or set de.unwanted.factors: 0",
    )
    run.config["de"] = {"unwanted": {"genes": ["NOTAGENE", "NORTHIS"], "factors": 0}}
    run.printed.clear()
    assert len(run.check()) == 32


def test_a_featurecounts_table_is_checked_even_when_the_sheet_fails(tmp_path):
    run = Run(tmp_path / "fc", "featurecounts")
    run.edit("samples.tsv", lambda df: replace_cell(df, 0, "arm", "anakinra"))
    path = run.counts
    lines = path.read_text().splitlines()
    cells = lines[5].split("\t")
    cells[-1] = "-7"
    lines[5] = "\t".join(cells)
    path.write_text("\n".join(lines) + "\n")
    run.refused("2 problems", "the arm varies within a participant", "negative count(s), first -7")


def test_problems_of_several_files_come_in_one_message(run):
    run.edit("clinical.csv", lambda df: df.replace({"visit": {"week13": "Week 13"}}))
    counts = run.count_matrix()
    counts["P02_we_ins"] = 0
    run.write_counts(counts)
    msg = run.refused("2 problems", "1. ", "2. ", "'Week 13'", "'P02_we_ins' 0 reads")
    assert msg.index("clinical.csv") < msg.index("counts.csv.gz")


@pytest.mark.parametrize(
    ("name", "content", "problem", "fix"),
    [
        ("counts.csv", gzip.compress(b"gene,S1\n", mtime=0),
         "the file is gz-compressed but its name does not end in .gz",
         "rename it to counts.csv.gz"),
        ("counts.csv.gz", b"gene,S1\nA,1\n", "the name ends in .gz but the file is not",
         "compress it"),
        ("counts.csv", b"PK\x03\x04rest", "this is a spreadsheet workbook (xlsx/zip)",
         "export the sheet as CSV"),
        ("counts.csv", "gene,S1\nA,1\n".encode("utf-16"), "the file is UTF-16 text", "UTF-8"),
    ],
    ids=["gz-unnamed", "named-gz", "xlsx", "utf16"],
)  # fmt: skip
def test_files_that_are_not_what_their_name_says(run, name, content, problem, fix):
    path = run.root / name
    path.write_bytes(content)
    run.config["inputs"]["counts"] = str(path)
    run.refused(f"{name}: {problem}", fix)


def test_rows_with_more_or_fewer_cells_than_the_header(run):
    path = run.root / "samples.tsv"
    lines = path.read_text().splitlines()
    lines[3] += "\textra"
    lines[5] = lines[5].rsplit("\t", 1)[0]
    path.write_text("\n".join(lines) + "\n")
    run.refused(
        "samples.tsv: row(s) 4, 6",
        "2 row(s) with a different number of cells than the header's 6 (row 4 has 7)",
        "fix: give every row one cell per header column",
    )


def test_schema_errors_list_every_row_once(run):
    run.edit("clinical.csv", lambda df: df.assign(bmi=["310", "320"] + df["bmi"].tolist()[2:]))
    msg = run.refused(
        "clinical.csv: row 2, column 'bmi': value above the allowed maximum of 90 (2 rows: 2, 3)",
    )
    assert "310" not in msg and "320" not in msg
    once(msg, "allowed maximum")


# ------------------------------------------------------ once per run: main process, cache


def test_jobs_that_reparse_the_snakefile_do_not_read_the_counts_again(run, monkeypatch):
    counts = run.count_matrix()
    counts.loc["TTN", "P01_ba_bas"] = -1
    run.write_counts(counts)
    samples = run.check(main=False)  # a SLURM job: the main process has checked the content
    assert len(samples) == 32 and run.printed == []
    run.refused("negative count")


def test_unchanged_inputs_are_not_read_again_and_notes_are_repeated(run, monkeypatch):
    counts = run.count_matrix()
    run.write_counts(counts.rename(index={"GENE0001": "7-Sep"}))
    run.check()
    first = run.notes()
    assert (run.root / "validated.json").exists()

    def fail(*args, **kwargs):
        raise AssertionError("the count table was read again")

    monkeypatch.setattr(validation, "read_checked_counts", fail)
    run.printed.clear()
    run.check()
    assert run.notes() == first
    run.write_counts(counts.rename(index={"GENE0001": "8-Sep"}))  # changed input: read again
    with pytest.raises(AssertionError, match="read again"):
        run.check()


def test_validate_inputs_raises_every_problem_and_logs_notes(run, caplog):
    config = load_config(run.cfg_path)
    counts = run.count_matrix()
    run.write_counts(counts.rename(index={"GENE0001": "7-Sep"}))
    with caplog.at_level(logging.WARNING, logger="myoclamp"):
        samples = validate_inputs(config)
    assert samples["excluded"].sum() == 0 and "SEPTIN7" in caplog.text
    run.edit("samples.tsv", lambda df: replace_cell(df, 0, "arm", "anakinra"))
    counts = run.count_matrix()
    counts.loc["TTN", "P01_ba_bas"] = -1
    run.write_counts(counts)
    with pytest.raises(InputErrors) as err:
        validate_inputs(config)
    assert len(err.value.errors) == 2
    assert isinstance(err.value, InputError)


def test_a_missing_relative_path_says_where_it_was_looked_for(tmp_path, monkeypatch):
    from myoclamp.errors import InputError
    from myoclamp.ingest.textfiles import check_head

    monkeypatch.chdir(tmp_path)
    with pytest.raises(InputError) as err:
        check_head(Path("../shared/counts.csv"))
    assert f"looked for {tmp_path / '..' / 'shared' / 'counts.csv'}" in str(err.value)
