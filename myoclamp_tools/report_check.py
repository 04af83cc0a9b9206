"""Check the report's first screen against the run's tables, computed here independently.

``myoclamp.report.answers`` writes every number of the first screen as
``<b class="fact" data-fact=KEY data-v=VALUE>TEXT</b>``. This module reads the TSVs of a run
directory with its own pandas code (not the report's), computes what each fact must be, and
lists every fact whose value or shown text differs, and every expected fact that is missing.

    python scripts/check_report.py RUN_DIR   # RUN_DIR has config.yaml and results/
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from myoclamp.report.answers import read_facts


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "_", str(text)).strip("_") or "level"


def _tsv(path: Path) -> pd.DataFrame | None:
    return pd.read_csv(path, sep="\t") if path.exists() else None


def _genes(t: pd.DataFrame, prefix: str, exp: dict) -> None:
    padj = t["padj"]
    exp[f"{prefix}.tested"] = int(padj.notna().sum())
    exp[f"{prefix}.fdr05"] = int((padj < 0.05).sum())
    if prefix != "treatment_x_insulin":
        exp[f"{prefix}.up"] = int(((padj < 0.05) & (t["log2FoldChange"] > 0)).sum())
        exp[f"{prefix}.down"] = int(((padj < 0.05) & (t["log2FoldChange"] < 0)).sum())


def _goi(t: pd.DataFrame, goi: list[str]) -> tuple[int, float, str]:
    rows = t[t["symbol"].astype(str).isin(goi) & t["ci_low"].notna() & t["ci_high"].notna()]
    if rows.empty:
        return 0, math.nan, ""
    b = np.maximum(rows["ci_low"].abs().to_numpy(), rows["ci_high"].abs().to_numpy())
    return len(rows), float(b.max()), str(rows["symbol"].iloc[int(np.argmax(b))])


def _enriched(t: pd.DataFrame) -> pd.Series:
    return t["enriched"].astype(str).str.lower().isin(["true", "1", "yes"])


def _name(r: pd.Series) -> str:
    return r["description"] if str(r["set"]).startswith("GO:") else r["set"]


def _sets(t: pd.DataFrame | None, prefix: str, exp: dict, top: int = 2) -> None:
    """Set-test counts (the ``enriched`` call; prerank's FDR is never a call) and the strongest
    enriched sets (smallest camera p)."""
    if t is None or t.empty or "enriched" not in t:
        return
    called = t[_enriched(t)]
    exp[f"{prefix}.sets_tested"], exp[f"{prefix}.sets_called"] = len(t), len(called)
    best = called.sort_values(["camera_pvalue", "set"], kind="mergesort").head(top)
    for i, (_, r) in enumerate(best.iterrows(), start=1):
        exp[f"{prefix}.top_set{i}"], exp[f"{prefix}.top_set{i}_fdr"] = _name(r), r["camera_FDR"]


def expected_facts(run: str | Path) -> dict[str, object]:
    """What each first-screen fact must be, from the TSVs of ``run`` (``results/``, config)."""
    run = Path(run)
    res = run / "results"
    config = yaml.safe_load((run / "config.yaml").read_text())
    ref, test = config["levels"]["arm"]["reference"], config["levels"]["arm"]["test"]
    goi = [str(g) for g in config.get("de", {}).get("genes_of_interest", [])]
    exp: dict[str, object] = {}
    de = {p.stem: pd.read_csv(p, sep="\t") for p in (res / "de").glob("*.tsv")}
    de.pop("summary", None)
    de.pop("concordance", None)
    if "treatment" in de:
        t = de["treatment"]
        _genes(t, "treatment", exp)
        exp["treatment.fdr10"] = int((t["padj"] < 0.10).sum())
        if exp["treatment.fdr05"] == 0:
            exp.pop("treatment.up"), exp.pop("treatment.down")
        n, bound, gene = _goi(t, goi)
        if n:
            exp.update({"treatment.goi_n": n, "treatment.goi_bound": bound})
            exp.update({"treatment.goi_fold": 2**bound, "treatment.goi_widest": gene})
        _sets(_tsv(res / "enrichment/treatment.tsv"), "treatment", exp)
    if "insulin" in de:
        t = de["insulin"]
        _genes(t, "insulin", exp)
        top = t[t["padj"] < 0.05].sort_values(["padj", "pvalue"]).head(3)
        for i, (_, r) in enumerate(top.iterrows(), start=1):
            exp[f"insulin.top{i}"], exp[f"insulin.top{i}_lfc"] = r["symbol"], r["log2FoldChange"]
        arms = {a: de.get(f"insulin_{_slug(a)}") for a in (ref, test)}
        if all(v is not None for v in arms.values()):
            for a, v in arms.items():
                exp[f"insulin.{_slug(a)}_fdr05"] = int((v["padj"] < 0.05).sum())
            resp = set(t.loc[t["padj"] < 0.05, "gene_id"].astype(str))
            x = arms[ref][arms[ref]["gene_id"].astype(str).isin(resp)].set_index("gene_id")
            y = arms[test][arms[test]["gene_id"].astype(str).isin(resp)].set_index("gene_id")
            both = x[["log2FoldChange"]].join(y[["log2FoldChange"]], rsuffix="_t", how="inner")
            both = both.dropna()
            if len(both) >= 3:
                exp["insulin.arm_genes"] = len(both)
                exp["insulin.arm_r"] = float(both.corr().iloc[0, 1])
        _sets(_tsv(res / "enrichment/insulin.tsv"), "insulin", exp)
    if "treatment_x_insulin" in de:
        t = de["treatment_x_insulin"]
        _genes(t, "treatment_x_insulin", exp)
        n, bound, _ = _goi(t, goi)
        if n:
            exp["treatment_x_insulin.goi_bound"] = bound
            exp["treatment_x_insulin.goi_fold"] = 2**bound
    for contrast in ("treatment", "treatment_x_insulin"):
        if contrast in de:
            _equivalence(de[contrast], contrast, res / "clinical", exp)
    _engines(res / "de", exp)
    _clinical(res / "clinical", exp)
    _qc(res, exp)
    keys: set[str] = set()
    for t in de.values():
        keys |= set(t.loc[t["log2FoldChange"].notna(), "gene_id"].astype(str))
    for name in ("genes", "change_genes"):
        t = _tsv(res / f"clinical/{name}.tsv")
        if t is not None and len(t):
            keys |= set(t.loc[t["estimate"].notna(), "gene_id"].astype(str))
    exp["explorer.genes"] = len(keys)
    return exp


VERDICTS = ("equivalent", "inconclusive", "different")


def _names(names: list[str], most: int = 8) -> str:
    return (
        ", ".join(names)
        if len(names) <= most
        else (", ".join(names[:most]) + f" and {len(names) - most} more")
    )


def _equivalence(t: pd.DataFrame, contrast: str, clin: Path, exp: dict) -> None:
    """Equivalence verdicts: the contrast's genes of interest (their own family), and for
    ``treatment`` the curated sets and the endpoints with a margin (the M-value)."""
    groups, margins = [], []
    if "verdict_interest" in t:
        goi = t[t["interest"].astype(str).str.lower().isin(["true", "1"])]
        goi = goi[goi["verdict_interest"].isin(VERDICTS)]
        if len(goi):
            groups.append(("genes", goi["symbol"].astype(str), goi["verdict_interest"]))
            margins += list(goi["eq_margin"].dropna())
    sets = _tsv(clin / "sets_equivalence.tsv") if contrast == "treatment" else None
    if sets is not None and len(sets):
        groups.append(("sets", sets["set"].astype(str), sets["verdict"]))
        margins += list(sets["margin"].dropna())
    ends = _tsv(clin / "endpoints.tsv") if contrast == "treatment" else None
    if ends is not None and "margin" in ends:
        ends = ends[ends["margin"].notna() & ends["verdict"].isin(VERDICTS)]
    else:
        ends = None
    if not groups and (ends is None or ends.empty):
        return
    if margins:
        exp[f"{contrast}.eq_margin"], exp[f"{contrast}.eq_fold"] = margins[0], 2 ** margins[0]
    for key, names, verdicts in groups:
        k = f"{contrast}.eq_{key}"
        exp[f"{k}_tested"] = len(names)
        for v in VERDICTS:
            chosen = names[verdicts.to_numpy() == v].tolist()
            exp[f"{k}_{v}"] = len(chosen)
            if chosen and v != "equivalent":
                exp[f"{k}_{v}_names"] = _names(chosen)
    for _, r in (ends if ends is not None else pd.DataFrame()).iterrows():
        exp[f"{contrast}.eq_{r['variable']}"] = r["verdict"]
        exp[f"{contrast}.eq_{r['variable']}_margin"] = r["margin"]


def _engines(de_dir: Path, exp: dict) -> None:
    """The engines card: the two DE engines' agreement and who entered each contrast."""
    conc, summary = _tsv(de_dir / "concordance.tsv"), _tsv(de_dir / "summary.tsv")
    if conc is None or conc.empty:
        return
    exp["engines.contrasts"] = len(conc)
    exp["engines.one_only"] = int(conc["sig_a_only"].sum() + conc["sig_b_only"].sum())
    rho = conc["spearman_stat"].dropna()
    if len(rho):
        exp["engines.rho_min"], exp["engines.rho_max"] = float(rho.min()), float(rho.max())
    for _, r in conc.iterrows():
        key = f"engines.{r['contrast']}"
        for col, name in (("sig_both", "both"), ("sig_a_only", "a_only"),
                          ("sig_b_only", "b_only"), ("sig_opposite_sign", "opposite")):  # fmt: skip
            exp[f"{key}.{name}"] = int(r[col])
        if pd.notna(r["spearman_stat"]):
            exp[f"{key}.rho"] = float(r["spearman_stat"])
        for engine in (r["engine_a"], r["engine_b"]):
            row = summary[(summary["contrast"] == r["contrast"]) & (summary["engine"] == engine)]
            if row.empty or pd.isna(row["samples"].iloc[0]):
                continue
            exp[f"{key}.{engine}_samples"] = int(row["samples"].iloc[0])
            exp[f"{key}.{engine}_participants"] = int(row["participants"].iloc[0])
            if pd.notna(row["participants_one_biopsy"].iloc[0]):
                exp[f"{key}.{engine}_one_biopsy"] = int(row["participants_one_biopsy"].iloc[0])


def _clinical(clin: Path, exp: dict) -> None:
    genes = _tsv(clin / "genes.tsv")
    if genes is not None and len(genes):
        exp["mvalue.participants"] = int(genes["n"].max())
        for m in ("deseq2", "spearman"):
            sub = genes[genes["method"] == m]
            if len(sub):
                exp[f"mvalue.{m}_fdr05"] = int((sub["padj"] < 0.05).sum())
                exp[f"mvalue.{m}_tested"] = int(sub["padj"].notna().sum())
    sets = _tsv(clin / "sets.tsv")
    if sets is not None and len(sets):
        exp["mvalue.sets_fdr05"] = int((sets["padj"] < 0.05).sum())
        exp["mvalue.sets_tested"] = int(sets["padj"].notna().sum())
        b = sets.sort_values("pvalue", kind="mergesort").iloc[0]
        exp["mvalue.top_set"] = b["description"] if str(b["set"]).startswith("GO:") else b["set"]
        exp["mvalue.top_set_rho"], exp["mvalue.top_set_padj"] = b["estimate"], b["padj"]
    tests = _tsv(clin / "set_tests.tsv")
    if tests is not None and len(tests):
        called = tests[_enriched(tests)]
        exp["mvalue.settests_tested"], exp["mvalue.settests_called"] = len(tests), len(called)
        if len(called):
            r = called.sort_values(["camera_pvalue", "set"], kind="mergesort").iloc[0]
            exp["mvalue.settests_top"], exp["mvalue.settests_top_fdr"] = _name(r), r["camera_FDR"]
    ch = _tsv(clin / "change_genes.tsv")
    if ch is not None and len(ch):
        exp["mvalue.change_participants"] = int(ch["n"].max())
        exp["mvalue.change_genes_fdr05"] = int((ch["padj"] < 0.05).sum())
        cs = _tsv(clin / "change_sets.tsv")
        if cs is not None and len(cs):
            exp["mvalue.change_sets_fdr05"] = int((cs["padj"] < 0.05).sum())
    end = _tsv(clin / "endpoints.tsv")
    if end is not None and len(end):
        ok = end.dropna(subset=["estimate", "ci_low", "ci_high"])
        excl = ok[(ok["ci_low"] > 0) | (ok["ci_high"] < 0)]
        exp["endpoints.estimated"], exp["endpoints.excluding_zero"] = len(ok), len(excl)
        exp["endpoints.excluding_zero_names"] = ", ".join(excl["variable"]) or "none"
        for _, r in ok.iterrows():
            for col, key in (("estimate", "estimate"), ("ci_low", "ci_low"),
                             ("ci_high", "ci_high"), ("pvalue", "p")):  # fmt: skip
                exp[f"endpoints.{r['variable']}.{key}"] = r[col]


def _qc(res: Path, exp: dict) -> None:
    q = _tsv(res / "qc/samples.tsv")
    if q is None:
        return
    excluded = q["excluded"].astype(bool)
    exp["qc.biopsies"], exp["qc.participants"] = len(q), q["participant"].nunique()
    exp["qc.excluded"] = int(excluded.sum())
    for arm, n in q[~excluded].groupby("arm")["participant"].nunique().items():
        exp[f"qc.arm_{_slug(arm)}"] = int(n)
    flagged = q[q["qc_flag"].astype(bool)]
    exp["qc.flagged"] = len(flagged)
    exp["qc.outliers"] = int(q["outlier"].astype(bool).sum())
    exp["qc.sex_mismatch"] = int((q["sex_agrees"].astype(str) == "False").sum())
    exp["qc.possible_swaps"] = int((q["pairing_status"] == "possible_swap").sum())
    if len(flagged):
        exp["qc.flagged_samples"] = ", ".join(flagged["sample"].astype(str))


def _shown_matches(text: str, value: object) -> bool:
    """Does the text shown round to ``value`` at the precision it is shown with?"""
    if isinstance(value, str):
        return text == value
    t = text.replace("−", "-").replace(",", "")
    try:
        shown = float(t)
    except ValueError:
        return False
    v = float(value)
    if "e" in t.lower():
        mantissa = t.lower().split("e")[0]
        digits = len(mantissa.replace("-", "").replace(".", "").lstrip("0")) or 1
        return abs(shown - v) <= 0.5 * 10 ** (math.floor(math.log10(abs(v))) - digits + 1) * 1.001
    decimals = len(t.split(".")[1]) if "." in t else 0
    return abs(shown - v) <= 0.5 * 10**-decimals + 1e-12


def mismatches(page: str, expected: dict[str, object]) -> list[str]:
    """Every expected fact that the page lacks, shows with another value, or shows wrongly."""
    facts = read_facts(page)
    out = []
    for key, want in expected.items():
        if key not in facts:
            out.append(f"{key}: expected {want!r}, not on the first screen")
            continue
        raw, text = facts[key]
        if isinstance(want, str):
            ok = raw == want
        elif isinstance(want, int | np.integer):
            ok = raw == str(int(want))
        else:
            ok = math.isclose(float(raw), float(want), rel_tol=1e-9, abs_tol=1e-12)
        if not ok:
            out.append(f"{key}: page value {raw!r}, tables give {want!r}")
        elif not _shown_matches(text, want):
            out.append(f"{key}: shown as {text!r}, tables give {want!r}")
    return out


def check(run: str | Path, report: str | Path | None = None) -> tuple[int, list[str]]:
    """(facts checked, mismatches) for the report of a run directory."""
    run = Path(run)
    page = Path(report or run / "results/report.html").read_text(encoding="utf-8")
    expected = expected_facts(run)
    return len(expected), mismatches(page, expected)


def main(argv: list[str] | None = None) -> int:
    import argparse

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("run", help="run directory (config.yaml and results/)")
    ap.add_argument("--report", help="report to check (default RUN/results/report.html)")
    args = ap.parse_args(argv)
    n, bad = check(args.run, args.report)
    print(json.dumps({"facts_checked": n, "mismatches": bad}, indent=1))
    return 1 if bad else 0
