"""The config schema: defaults are filled in, bad configs are refused."""

import pytest
from conftest import ROOT

from myoclamp.config import SECTIONS_KEY, load_config, section, settings, validated
from myoclamp.errors import InputError


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
    with pytest.raises(InputError, match="config.schema.yaml"):
        validated(cfg)


def test_a_rules_settings_hold_its_sections_and_refuse_others():
    cfg = load_config(ROOT / "config.yaml")
    given = settings(cfg, ("de", "levels"))
    assert set(given) == {"de", "levels", SECTIONS_KEY}
    assert section(given, "de") == cfg["de"]
    with pytest.raises(KeyError, match="not among this rule's settings"):
        section(given, "seed")
    # key order does not change the params (reruns depend on their text)
    reordered = dict(reversed(list(cfg.items())))
    assert repr(settings(reordered, ("levels", "de"))) == repr(given)
    assert SECTIONS_KEY not in settings(cfg)


def test_partial_configs_get_the_schemas_defaults():
    assert section({}, "seed") == load_config(ROOT / "config.yaml")["seed"]
    de = section({"de": {"alpha": 0.1}}, "de")
    assert de["alpha"] == 0.1 and de["min_count"] == 10
    with pytest.raises(InputError, match="de.alpha"):
        section({"de": {"alpha": 2}}, "de")
