"""The config schema as the one source of defaults, and each rule's settings.

``workflow/schemas/config.schema.yaml`` holds every key with its default. :func:`validated` checks
a whole config and fills the defaults in (as ``snakemake.utils.validate`` does at parse time);
:func:`section` does the same for one section, so that code given a partial config (tools, tests)
gets the schema's defaults too and no default is written twice. :func:`settings` picks the
sections a rule reads: they are the rule's ``params``, so changing one reruns the rule, and the
rule's code can read nothing else.
"""

from __future__ import annotations

import copy
import functools
import json
from pathlib import Path
from typing import Any

import yaml

from myoclamp.errors import InputError, InputErrors

SCHEMA = Path(__file__).resolve().parents[1] / "schemas" / "config.schema.yaml"
#: key of a rule's settings that lists the sections it was given
SECTIONS_KEY = "_sections"


@functools.cache
def schema() -> dict:
    """The config schema (parsed once)."""
    with open(SCHEMA) as fh:
        return yaml.safe_load(fh)


@functools.cache
def _validator_class():
    from jsonschema import Draft202012Validator, validators

    def set_defaults(validator, properties, instance, subschema):
        if isinstance(instance, dict):
            for name, sub in properties.items():
                if "default" in sub:
                    instance.setdefault(name, copy.deepcopy(sub["default"]))
        yield from Draft202012Validator.VALIDATORS["properties"](
            validator, properties, instance, subschema
        )

    return validators.extend(Draft202012Validator, {"properties": set_defaults})


#: values a key took before they moved to another key: (key, old value) -> (new key, what the
#: key means now); an old config gets this as its refusal instead of the schema's enum message
MOVED_VALUES = {
    ("de.engine", value): (
        "de.solver",
        "de.engine now picks the DE engine (deseq2 or voom) and the DESeq2 engine's solver "
        "(blocks or pydeseq2) is de.solver",
    )
    for value in ("blocks", "pydeseq2")
}


def _moved(file: str, key: str, value: Any) -> InputError | None:
    """The refusal of a value that moved to another key (:data:`MOVED_VALUES`), else None."""
    hit = MOVED_VALUES.get((key, value)) if isinstance(value, str) else None
    if hit is None:
        return None
    new_key, meaning = hit
    section, old, new = key.split(".")[0], key.split(".")[-1], new_key.split(".")[-1]
    return InputError(
        file,
        f"key {key}",
        f"{value!r} is a value of {new_key} now: {meaning}",
        f"under {section}: write `{old}: deseq2` and `{new}: {value}` (or leave {old} out: "
        "deseq2 is its default)",
    )


def problems(
    instance: Any, subschema: dict | None = None, where: str = "", file: str = "config"
) -> list[InputError]:
    """Every place where ``instance`` breaks ``subschema`` (the whole schema by default), each
    with its key path and the key's description as the fix; defaults are filled in on the way.
    A value that moved to another key (:data:`MOVED_VALUES`) is refused naming the new key."""
    errors = []
    for err in _validator_class()(subschema or schema()).iter_errors(instance):
        path = where + "".join(
            f"[{p}]" if isinstance(p, int) else f".{p}" for p in err.absolute_path
        )
        moved = _moved(file, path.lstrip("."), err.instance)
        if moved is not None:
            errors.append(moved)
            continue
        described = err.schema.get("description") if isinstance(err.schema, dict) else None
        fix = "workflow/schemas/config.schema.yaml gives every key's type, values and default"
        errors.append(
            InputError(
                file,
                f"key {path.lstrip('.') or '(top level)'}",
                err.message,
                f"{described} ({fix})" if described else fix,
            )
        )
    return errors


def _fill(instance: Any, subschema: dict, where: str) -> Any:
    found = problems(instance, subschema, where)
    if len(found) == 1:
        raise found[0]
    if found:
        raise InputErrors(found)
    return instance


def validated(config: dict) -> dict:
    """Validate ``config`` against the schema, filling in every default (in place)."""
    return _fill(config, schema(), "")


def load_config(path: str | Path) -> dict:
    """Read a YAML config file and validate it."""
    with open(path) as fh:
        return validated(yaml.safe_load(fh))


def section(config: dict | None, name: str) -> Any:
    """Config section ``name`` (or top-level key, e.g. ``seed``) with the schema's defaults.

    A partial config (a test's, a tool's) gets the same defaults as a run's validated config.
    """
    given = (config or {}).get(SECTIONS_KEY)
    if given is not None and name not in given:
        raise KeyError(
            f"config section {name!r} is read but not among this rule's settings {given}: add it "
            "to the rule's params (settings(...) in workflow/rules/*.smk) so that changing it "
            "reruns the rule"
        )
    sub = schema()["properties"][name]
    value = copy.deepcopy((config or {}).get(name, sub.get("default")))
    if value is None and "default" not in sub:
        raise KeyError(f"config: {name!r} is missing and has no default")
    return _fill(value, sub, name)


def settings(config: dict, names: tuple[str, ...] | list[str] = ()) -> dict:
    """The sections ``names`` of ``config`` (all of it if none), key order canonical: a rule's
    ``params``. The names are recorded, so that :func:`section` refuses to read another one."""
    missing = [n for n in names if n not in config]
    if missing:
        raise KeyError(f"config has no section(s) {missing}; validate it first")
    chosen = {n: config[n] for n in names} if names else dict(config)
    if names:
        chosen[SECTIONS_KEY] = sorted(names)
    return json.loads(json.dumps(chosen, sort_keys=True, default=str))
