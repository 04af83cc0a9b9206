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


@pytest.mark.parametrize("solver", ["blocks", "pydeseq2"])
def test_a_solver_under_de_engine_is_refused_naming_de_solver(solver):
    """``de.engine`` was the DESeq2 solver before the voom engine; an old config is told where
    its value went, not only that it is not one of deseq2 and voom."""
    with pytest.raises(InputError) as err:
        section({"de": {"engine": solver}}, "de")
    assert err.value.where == "key de.engine"
    assert f"{solver!r} is a value of de.solver now" in err.value.problem
    assert f"`solver: {solver}`" in err.value.fix
    with pytest.raises(InputError, match="is not one of"):  # other bad values: the schema's words
        section({"de": {"engine": "edger"}}, "de")
    de = section({"de": {"engine": "voom"}}, "de")
    assert (de["solver"], de["compare_engines"], de["voom"]["passes"]) == ("blocks", True, 2)
