"""The config schema: defaults are filled in, bad configs are refused."""

import pytest
from conftest import ROOT
from snakemake.exceptions import WorkflowError

from myoclamp.config import load_config, validated


def test_bundled_config_is_valid_and_gets_defaults():
    cfg = load_config(ROOT / "config.yaml")
    assert cfg["inputs"]["format"] == "matrix"
    assert cfg["inputs"]["duplicate_genes"] == "error"
    assert cfg["levels"]["sex"] == {"female": "F", "male": "M"}


def test_defaults_fill_a_minimal_config():
    cfg = validated(
        {
            "inputs": {"counts": "c.csv", "samples": "s.csv"},
            "levels": {
                "arm": {"reference": "a", "test": "b"},
                "visit": {"baseline": "v0", "followup": "v1"},
            },
        }
    )
    assert cfg["columns"]["participant"] == "participant"
    assert cfg["inputs"]["clinical"] is None
    assert cfg["exclude"] == []


@pytest.mark.parametrize(
    "change",
    [
        {"inputs": {"counts": "c.csv", "samples": "s.csv", "format": "bam"}},
        {"levels": {"arm": {"reference": "a"}, "visit": {"baseline": "v0", "followup": "v1"}}},
        {"unknown_key": 1},
        {"exclude": [{"sample": "S1"}]},
        {"de": {"wald_distribution": "chisq"}},
    ],
)
def test_schema_refuses_bad_configs(change):
    cfg = {
        "inputs": {"counts": "c.csv", "samples": "s.csv"},
        "levels": {
            "arm": {"reference": "a", "test": "b"},
            "visit": {"baseline": "v0", "followup": "v1"},
        },
    }
    cfg.update(change)
    with pytest.raises(WorkflowError):
        validated(cfg)


def test_stage_settings_hold_the_sections_each_stage_reads():
    from myoclamp.config import STAGE_SECTIONS, stage_settings

    base = {"de": {"alpha": 0.05}, "qc": {"n_pcs": 10}, "seed": 1, "levels": {"arm": {}}}
    changed = {**base, "de": {"alpha": 0.1}}
    differs = {s for s in STAGE_SECTIONS if stage_settings(base, s) != stage_settings(changed, s)}
    assert differs == {"de", "enrichment", "clinical", "report"}
    assert stage_settings(base, "qc") == stage_settings(dict(reversed(base.items())), "qc")
