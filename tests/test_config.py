"""The config schema: defaults are filled in, bad configs are refused."""

import pytest
from conftest import ROOT
from myoclamp.config import load_config, validated
from snakemake.exceptions import WorkflowError


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
