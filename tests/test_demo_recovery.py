"""Scoring a DE table against the demo's planted truth."""

from __future__ import annotations

import math

import pandas as pd

from myoclamp_tools.demo.truth import recovery


def test_recall_and_observed_fdr():
    planted = pd.Series({"a": 1.2, "b": -0.4, "c": 0.0, "d": 0.0, "e": 2.0})
    table = pd.DataFrame({"gene_id": list("abcde"), "padj": [0.01, 0.2, 0.03, 0.9, None]})
    out = recovery(table, planted)
    assert (out["planted"], out["recovered"], out["significant"], out["false"]) == (3, 1, 2, 1)
    assert out["recall"] == 1 / 3 and out["observed_fdr"] == 0.5
    big = recovery(table, planted, min_abs=1.0)  # a and e; the FDR still counts any planted gene
    assert (big["planted"], big["recovered"], big["observed_fdr"]) == (2, 1, 0.5)


def test_nothing_planted_or_found():
    planted = pd.Series({"a": 0.0, "b": 0.0})
    out = recovery(pd.DataFrame({"gene_id": ["a", "b"], "padj": [0.5, 0.9]}), planted)
    assert math.isnan(out["recall"]) and out["observed_fdr"] == 0.0
