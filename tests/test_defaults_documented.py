"""Defaults are said once: every default that README.md or docs/*.md names for a config key is
the schema's (workflow/schemas/config.schema.yaml is their one source).

The docs name a default in one of a few forms, which this test reads:
``key`` (10), ``key`` (default `value`), ``key`` 0.05, ``key`` 1 by default, ``a``, ``b`` (all
true), ``a``..``b`` (15-500), ``key``: ``value`` (the default), ``key: value``, the default.
A key is a dotted path (``de.unwanted.factors``), or a name relative to the stage of the doc
(``docs/de.md``: ``min_count`` is ``de.min_count``), or a name found once in the schema.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from conftest import ROOT

SCHEMA = yaml.safe_load((ROOT / "workflow" / "schemas" / "config.schema.yaml").read_text())
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]

KEY = r"`(?P<key>[a-z][a-z_]*(?:\.[a-z_]+)*)`"
NUMBER = r"-?\d[\d,]*(?:\.\d+)?(?: ?(?:%|M|k)(?![A-Za-z]))?"
LIT = rf"(?P<value>{NUMBER}|true|false|null|`[^`]+`)"
PATTERNS = [
    KEY + rf" \((?:default:? )?(?P<value>{NUMBER}|true|false|null)(?=[,)\s])",
    KEY + r" \((?:default:? )?(?P<value>`[^`]+`)(?=[):;])",
    KEY + r" " + LIT + r"(?= by default|,|;|\))",
    KEY + r" (?:defaults to|is by default) " + LIT,
    KEY + r"\)?:? `(?P<value>[^`]+)` \(the default",
    r"`(?P<key>[a-z][a-z_]*(?:\.[a-z_]+)*): (?P<value>[^`]+)`,? \(?the default",
]
ALL = re.compile(r"((?:`[a-z_.]+`,? (?:and )?)+)\(all " + LIT + r"\)")
RANGE = re.compile(r"`(?P<a>[a-z_.]+)`\.\.`(?P<b>[a-z_.]+)` \((?P<va>\d+)-(?P<vb>\d+)\)")
#: "(default ...)" right after a key must be one of the forms above
LOOSE = re.compile(KEY + r" \(default (?P<rest>[^)]*)\)")


def schema_defaults(node: dict, prefix: str = "") -> dict[str, object]:
    """Dotted key path -> default, for every property of the schema that has one."""
    out: dict[str, object] = {}
    for name, sub in (node.get("properties") or {}).items():
        path = f"{prefix}{name}"
        if "default" in sub:
            out[path] = sub["default"]
        out.update(schema_defaults(sub, path + "."))
        if isinstance(sub.get("items"), dict):
            out.update(schema_defaults(sub["items"], path + "."))
    return out


DEFAULTS = {k: v for k, v in schema_defaults(SCHEMA).items() if not isinstance(v, dict)}


def resolve(key: str, stage: str | None) -> str | None:
    """The schema path of a key named in a doc, None when it names no key with a default."""
    if key in DEFAULTS:
        return key
    if stage and f"{stage}.{key}" in DEFAULTS:
        return f"{stage}.{key}"
    scope = [p for p in DEFAULTS if stage and p.startswith(f"{stage}.")] or list(DEFAULTS)
    found = [p for p in scope if p == key or p.endswith(f".{key}")]
    return found[0] if len(found) == 1 else None


def value_of(text: str):
    """A value as the docs write it: 1,000, 1 M, 5 %, true, `[muscle, go_bp]`."""
    text = text.strip().strip("`")
    m = re.fullmatch(r"(-?\d[\d,]*(?:\.\d+)?) ?(%|M|k)?", text)
    if m:
        number = float(m.group(1).replace(",", ""))
        number *= {"%": 0.01, "M": 1e6, "k": 1e3, None: 1}[m.group(2)]
        return int(number) if number == int(number) and "." not in m.group(1) else number
    return yaml.safe_load(text)


def prose(path: Path) -> str:
    """The doc without fenced code blocks, each paragraph on one line."""
    text = re.sub(r"```.*?```", "", path.read_text(), flags=re.DOTALL)
    return re.sub(r"(?<!\n)\n(?!\n)", " ", text)


def statements(path: Path) -> list[tuple[str, str, object]]:
    """(matched text, schema path, value named) for every default the doc names."""
    stage = path.stem if path.stem in SCHEMA["properties"] else None
    text = prose(path)
    found = []
    for pattern in PATTERNS:
        for m in re.finditer(pattern, text):
            key = resolve(m.group("key"), stage)
            if key:
                found.append((m.group(0), key, value_of(m.group("value"))))
    for m in ALL.finditer(text):
        for name in re.findall(r"`([a-z_.]+)`", m.group(1)):
            key = resolve(name, stage)
            if key:
                found.append((m.group(0), key, value_of(m.group("value"))))
    for m in RANGE.finditer(text):
        for name, value in ((m.group("a"), m.group("va")), (m.group("b"), m.group("vb"))):
            key = resolve(name, stage)
            if key:
                found.append((m.group(0), key, value_of(value)))
    return found


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_every_default_a_doc_names_is_the_schemas(doc):
    wrong = [
        f"{doc.name}: {text!r} says {key} = {value!r}, the schema's default is {DEFAULTS[key]!r}"
        for text, key, value in statements(doc)
        if value != DEFAULTS[key]
    ]
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_defaults_are_named_in_a_form_this_test_reads(doc):
    stage = doc.stem if doc.stem in SCHEMA["properties"] else None
    parsed = {text for text, _, _ in statements(doc)}
    loose = [
        m.group(0)
        for m in LOOSE.finditer(prose(doc))
        if resolve(m.group("key"), stage) and not any(m.group(0).startswith(p) for p in parsed)
    ]
    assert not loose, f"{doc.name}: write these defaults as `key` (default `value`): {loose}"


def test_the_docs_name_the_defaults_users_set_most():
    named = {key for doc in DOCS for _, key, _ in statements(doc)}
    for key in ("de.unwanted.factors", "de.unwanted.designs", "de.alpha", "de.min_count",
                "qc.n_top_genes", "qc.n_pcs", "enrichment.collections", "de.designs"):  # fmt: skip
        assert key in named, f"no doc names the default of {key}"


def test_the_reader_catches_a_wrong_default(tmp_path):
    doc = tmp_path / "de.md"
    doc.write_text("The filter keeps `min_count` (12) reads; `alpha` 0.05, and\n`unwanted` "
                   "(`factors` 0 by default).\n")  # fmt: skip
    found = {key: value for _, key, value in statements(doc)}
    assert found == {"de.min_count": 12, "de.alpha": 0.05, "de.unwanted.factors": 0}
