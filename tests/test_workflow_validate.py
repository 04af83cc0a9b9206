"""The real ``snakemake`` on a broken tiny cohort: one message, printed once, exit status 1, no job
and no file under results/; ``snakemake -n`` says the same; notes of a good cohort once."""

from __future__ import annotations

import pandas as pd
import pytest
from cli import snakemake_cli
from cohort import write_cohort

REFUSAL = "myoclamp refused the inputs; no job was run. 2 problems:"


@pytest.fixture
def broken(tmp_path):
    """A negative count and a clinical visit written differently from the sheet."""
    cfg = write_cohort(tmp_path / "in", "matrix")
    counts = pd.read_csv(cfg.parent / "counts.csv.gz", index_col=0)
    counts.loc["TTN", "P02_we_bas"] = -3
    counts.rename_axis("gene").to_csv(cfg.parent / "counts.csv.gz")
    clinical = cfg.parent / "clinical.csv"
    clinical.write_text(clinical.read_text().replace("week13", "Week 13"))
    return cfg


def assert_refused_once(output: str) -> None:
    assert output.count(REFUSAL) == 1, output
    assert output.count("1 negative count(s), first -3") == 1, output
    assert output.count("visit label(s) 'Week 13' not in the sample sheet") == 1, output
    assert output.count("fix: ") == 2
    for noise in ("Traceback", 'File "', "Job stats", "rule ", "Error in rule"):
        assert noise not in output, output


def test_a_broken_input_stops_snakemake_before_any_job(tmp_path, broken):
    work = tmp_path / "run"
    res = snakemake_cli(work, broken, cores=2)
    assert res.returncode == 1
    assert_refused_once(res.stdout + res.stderr)
    assert not (work / "results").exists() and not (work / "logs").exists()
    assert not (work / "benchmarks").exists()


def test_a_dry_run_says_the_same(tmp_path, broken):
    res = snakemake_cli(tmp_path / "dry", broken, "-n", cores=None)
    assert res.returncode == 1
    assert_refused_once(res.stdout + res.stderr)


def test_notes_of_a_good_cohort_are_printed_once(tmp_path):
    cfg = write_cohort(tmp_path / "in", "matrix")
    counts = pd.read_csv(cfg.parent / "counts.csv.gz", index_col=0)
    counts.rename(index={"GENE0001": "7-Sep"}).rename_axis("gene").to_csv(
        cfg.parent / "counts.csv.gz"
    )
    res = snakemake_cli(tmp_path / "dry", cfg, "-n", cores=None)
    assert res.returncode == 0, res.stderr[-2000:]
    out = res.stdout + res.stderr
    assert (
        out.count("gene '7-Sep' is a name a spreadsheet turned into a date: read as SEPTIN7") == 1
    )
    assert "ingest_counts" in out


def test_an_old_config_naming_the_solver_as_engine_is_refused_naming_de_solver(tmp_path):
    """``de.engine: blocks`` (the solver's key before issue 18) stops the run at startup."""
    import yaml

    cfg = write_cohort(tmp_path / "in", "matrix")
    config = yaml.safe_load(cfg.read_text())
    config.setdefault("de", {})["engine"] = "blocks"
    cfg.write_text(yaml.safe_dump(config))
    res = snakemake_cli(tmp_path / "dry", cfg, "-n", cores=None)
    out = res.stdout + res.stderr
    assert res.returncode == 1, out[-2000:]
    assert out.count("key de.engine: 'blocks' is a value of de.solver now") == 1, out
    assert "write `engine: deseq2` and `solver: blocks`" in out
    assert "Traceback" not in out
