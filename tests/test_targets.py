"""Gathering other stages' outputs by kind."""

from myoclamp.targets import pngs, tables


def test_pngs_and_tables_by_prefix():
    targets = ["results/de/a.tsv", "results/de/plots/a/volcano.png", "results/de/meta/a.json",
               "results/enrichment/a.tsv"]  # fmt: skip
    assert pngs(targets) == ["results/de/plots/a/volcano.png"]
    assert tables(targets, "results/de/") == ["results/de/a.tsv"]
