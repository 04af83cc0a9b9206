"""The three refusals README.md shows are what the startup check prints for those inputs today."""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest
import yaml
from cohort import write_cohort
from conftest import ROOT

from myoclamp.ingest.validate import startup_check


def visit_and_counts(d: Path) -> None:
    clinical = d / "clinical.csv"
    clinical.write_text(clinical.read_text().replace("week13", "Week 13"))
    counts = pd.read_csv(d / "counts.csv.gz", index_col=0).astype(object)
    counts.loc["TTN", "P02_we_bas"] = -3
    counts.loc["GENE0004", "P05_ba_ins"] = 12.5
    counts.rename_axis("gene").to_csv(d / "counts.csv.gz")


def sex_in_both(d: Path) -> None:
    samples = pd.read_csv(d / "samples.tsv", sep="\t", dtype=str)
    clinical = pd.read_csv(d / "clinical.csv", dtype=str).drop_duplicates("participant")
    samples["sex"] = samples["participant"].map(clinical.set_index("participant")["sex"])
    samples.loc[samples["participant"].isin(["P02", "P05"]), "sex"] = "F"
    samples.to_csv(d / "samples.tsv", sep="\t", index=False)


def dates_and_empty_library(d: Path) -> None:
    counts = pd.read_csv(d / "counts.csv.gz", index_col=0)
    counts["P06_we_ins"] = 0
    renamed = counts.rename(index={"GENE0010": "1-Mar", "GENE0011": "7-Sep"})
    renamed.rename_axis("gene").to_csv(d / "counts.csv.gz")


def readme_messages() -> list[str]:
    text = (ROOT / "README.md").read_text()
    section = text.split("## When your input is refused", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```text\n(.*?)```", section, flags=re.DOTALL)


@pytest.mark.parametrize(
    ("index", "breaks"), [(0, visit_and_counts), (1, sex_in_both), (2, dates_and_empty_library)]
)
def test_readme_shows_real_refusals(tmp_path, monkeypatch, index, breaks):
    cfg = write_cohort(tmp_path / "trial", "matrix")
    config = yaml.safe_load(cfg.read_text())
    for key in ("counts", "samples", "clinical"):
        config["inputs"][key] = f"trial/{Path(config['inputs'][key]).name}"
    breaks(tmp_path / "trial")
    monkeypatch.chdir(tmp_path)
    printed: list[str] = []
    workflow = SimpleNamespace(is_main_process=True, configfiles=["config.yaml"])
    with pytest.raises(SystemExit):
        startup_check(config, workflow, tmp_path / "v.json", lambda _, m: printed.append(m))
    assert printed[0] == readme_messages()[index]
