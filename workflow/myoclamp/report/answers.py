"""The report's first screen: the trial's questions answered in a few sentences and small figures.

Every number is computed here from the run's tables and written as
``<b class="fact" data-fact="KEY" data-v="VALUE">TEXT</b>``, so a test can read the page back
(:func:`read_facts`) and compare each number with the tables it came from.

Gene sets are counted by the set tests' ``enriched`` call (camera FDR and permutation p below
alpha: tests that account for gene correlation, ``myoclamp.enrichment.settests``); GSEA prerank's
FDR, which ignores gene correlation, is never counted as a call.

Hooks for results that later stages add (each shown when its table exists, ignored otherwise):

- equivalence tests (``Tables.equivalence``): a table with columns ``contrast``, ``kind`` (gene /
  set / endpoint), ``feature``, ``verdict`` (equivalent / inconclusive / different), ``equivalent``
  (bool) and ``margin`` (:func:`myoclamp.report.equivalence.feature_table`); when not given it is
  made from the run's tables (the DE tables' equivalence columns, ``sets_equivalence`` and
  ``endpoints`` of the clinical stage);
- a second DE engine (``Tables.concordance``, ``results/de/concordance.tsv``): one row per
  contrast with ``contrast``, ``engine_a`` (the primary engine), ``engine_b``, ``sig_both``,
  ``sig_a_only``, ``sig_b_only``, ``sig_opposite_sign`` and ``spearman_stat``; with the
  summary's ``engine`` rows it makes the engines card (:func:`engines_answer`).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

import numpy as np
import pandas as pd

from myoclamp.config import section
from myoclamp.enrichment.genesets import set_label
from myoclamp.report import svg
from myoclamp.report.equivalence import feature_table

ALPHA = 0.05


# ---------------------------------------------------------------------------------------------
# facts: numbers that carry their key and raw value
# ---------------------------------------------------------------------------------------------
def fmt_int(v: int) -> str:
    return f"{int(v):,}"


def fmt_num(v: float, digits: int = 2) -> str:
    """A decimal with ``digits`` places, or 3 significant digits when small; a real minus sign."""
    if v is None or not np.isfinite(v):
        return "NA"
    text = f"{v:.{digits}f}" if abs(v) >= 10**-digits or v == 0 else f"{v:.2g}"
    return text.replace("-", "−")


def fmt_p(p: float) -> str:
    if p is None or not np.isfinite(p):
        return "NA"
    if p == 0:
        return "0"
    return f"{p:.2g}" if p < 0.001 else f"{p:.3f}".rstrip("0").rstrip(".")


@dataclass
class Facts:
    """Collects the numbers written on the first screen, keyed, with their raw values."""

    values: dict[str, object] = field(default_factory=dict)

    def put(self, key: str, value, text: str) -> str:
        if key in self.values:
            raise ValueError(f"fact {key!r} written twice")
        self.values[key] = value
        raw = value if isinstance(value, str) else repr(value)
        return (
            f'<b class="fact" data-fact="{html.escape(key)}" data-v="{html.escape(raw)}">'
            f"{html.escape(text)}</b>"
        )

    def int(self, key: str, value) -> str:
        return self.put(key, int(value), fmt_int(value))

    def num(self, key: str, value: float, digits: int = 2) -> str:
        return self.put(key, float(value), fmt_num(float(value), digits))

    def p(self, key: str, value: float) -> str:
        return self.put(key, float(value), fmt_p(float(value)))

    def text(self, key: str, value: str) -> str:
        return self.put(key, str(value), str(value))


class _FactReader(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.facts: dict[str, tuple[str, str]] = {}
        self._open: tuple[str, str] | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "data-fact" in a:
            self._open = (a["data-fact"], a.get("data-v", ""))
            self._text = []

    def handle_data(self, data):
        if self._open:
            self._text.append(data)

    def handle_endtag(self, tag):
        if self._open and tag == "b":
            self.facts[self._open[0]] = (self._open[1], "".join(self._text))
            self._open = None


def read_facts(page: str) -> dict[str, tuple[str, str]]:
    """Every fact of a rendered page: key -> (raw value, text shown)."""
    reader = _FactReader()
    reader.feed(page)
    return reader.facts


# ---------------------------------------------------------------------------------------------
# the tables the first screen reads
# ---------------------------------------------------------------------------------------------
@dataclass
class Tables:
    """The run's tables, as read by the report (missing ones empty)."""

    obs: pd.DataFrame
    config: dict
    summary: pd.DataFrame | None = None
    de: dict[str, pd.DataFrame] = field(default_factory=dict)
    enrichment: dict[str, pd.DataFrame] = field(default_factory=dict)  # set tests by contrast
    clinical: dict[str, pd.DataFrame] = field(default_factory=dict)
    clinical_meta: dict[str, dict] = field(default_factory=dict)
    qc: pd.DataFrame | None = None
    equivalence: pd.DataFrame | None = None  # made from the tables when None (issue 20)
    concordance: pd.DataFrame | None = None  # results/de/concordance.tsv (issue 18)

    def equivalence_rows(self) -> pd.DataFrame:
        """The equivalence verdicts (module docstring): given, or from the run's tables."""
        if self.equivalence is not None:
            return self.equivalence
        return feature_table(
            self.de, self.clinical.get("sets_equivalence"), self.clinical.get("endpoints")
        )

    @property
    def arms(self) -> tuple[str, str]:
        lv = self.config.get("levels", {}).get("arm", {})
        return str(lv.get("reference", "reference")), str(lv.get("test", "test"))

    @property
    def genes_of_interest(self) -> list[str]:
        return [str(g) for g in section(self.config, "de")["genes_of_interest"]]


def level_slug(text: str) -> str:
    """A level as contrast names spell it (``myoclamp.de.settings.slug``): ``Week 13`` ->
    ``Week_13``."""
    return re.sub(r"[^A-Za-z0-9]+", "_", str(text)).strip("_") or "level"


@dataclass
class Answer:
    """One card of the first screen."""

    key: str
    question: str
    headline: str
    lines: list[str]
    figure: str = ""
    caption: str = ""
    link: str = ""
    link_text: str = "details"


def _padj(t: pd.DataFrame, column: str = "padj") -> pd.Series:
    return pd.to_numeric(t[column], errors="coerce")


def gene_counts(t: pd.DataFrame, alpha: float = ALPHA) -> dict[str, int]:
    """Tested genes (padj known), at FDR alpha and 0.10, up and down at alpha."""
    padj = _padj(t)
    lfc = pd.to_numeric(t["log2FoldChange"], errors="coerce")
    sig = padj < alpha
    return {
        "tested": int(padj.notna().sum()),
        "fdr05": int(sig.sum()),
        "fdr10": int((padj < 0.10).sum()),
        "up": int((sig & (lfc > 0)).sum()),
        "down": int((sig & (lfc < 0)).sum()),
    }


def _true(values: pd.Series) -> pd.Series:
    return values.astype(str).str.lower().isin(["true", "1", "yes"])


def set_counts(t: pd.DataFrame | None) -> dict:
    """Sets tested and called enriched by the set tests (none without an ``enriched`` column:
    GSEA prerank's FDR is not a call)."""
    if t is None or t.empty or "enriched" not in t:
        return {"tested": 0, "called": 0}
    return {"tested": len(t), "called": int(_true(t["enriched"]).sum())}


def top_enriched(t: pd.DataFrame, n: int = 2) -> pd.DataFrame:
    """The ``n`` enriched sets with the smallest camera p-values (then name)."""
    sub = t[_true(t["enriched"])]
    sub = sub.assign(_p=pd.to_numeric(sub["camera_pvalue"], errors="coerce"))
    return sub.sort_values(["_p", "set"], kind="mergesort").head(n)


def _sets_sentence(f: Facts, key: str, t: pd.DataFrame | None) -> str:
    c = set_counts(t)
    if c["tested"] == 0:
        return ""
    line = (
        f"Gene sets (camera and permutation tests, which account for gene correlation): "
        f"{f.int(key + '.sets_called', c['called'])} of "
        f"{f.int(key + '.sets_tested', c['tested'])} called enriched"
    )
    if c["called"]:
        tops = [
            f"{f.text(f'{key}.top_set{i + 1}', set_label(str(r['set']), r.get('description')))} "
            f"({html.escape(str(r['direction']))}, camera FDR "
            f"{f.p(f'{key}.top_set{i + 1}_fdr', r['camera_FDR'])})"
            for i, (_, r) in enumerate(top_enriched(t).iterrows())
        ]
        line += "; strongest: " + ", ".join(tops)
    return line + "."


def goi_bound(t: pd.DataFrame, genes: list[str]) -> tuple[int, float, str]:
    """Genes of interest found, the largest |CI bound| among them and its gene."""
    goi = t[t["symbol"].astype(str).isin(genes)].dropna(subset=["ci_low", "ci_high"])
    if goi.empty:
        return 0, float("nan"), ""
    bounds = goi[["ci_low", "ci_high"]].abs().max(axis=1)
    return len(goi), float(bounds.max()), str(goi.loc[bounds.idxmax(), "symbol"])


def _goi_line(f: Facts, key: str, t: pd.DataFrame, genes: list[str]) -> tuple[str, float]:
    n, widest, gene = goi_bound(t, genes)
    if n == 0:
        return "", widest
    line = (
        f"Genes of interest ({f.int(key + '.goi_n', n)}): every 95 % CI within "
        f"±{f.num(key + '.goi_bound', widest)} log2, so changes beyond "
        f"{f.num(key + '.goi_fold', 2**widest)}-fold are excluded (widest "
        f"{f.text(key + '.goi_widest', gene)})."
    )
    return line, widest


def _goi_forest(t: pd.DataFrame, genes: list[str], bound: float, xlabel: str) -> str:
    order = {g: i for i, g in enumerate(genes)}
    goi = t[t["symbol"].astype(str).isin(genes)].copy()
    goi = goi.assign(_o=goi["symbol"].map(order)).sort_values("_o")
    rows = [
        svg.Interval(
            str(r["symbol"]),
            float(r["log2FoldChange"]),
            float(r["ci_low"]),
            float(r["ci_high"]),
            strong=bool(pd.notna(r["padj"]) and r["padj"] < ALPHA),
            title=f"{r['symbol']}: {r['log2FoldChange']:.2f} [{r['ci_low']:.2f}, "
            f"{r['ci_high']:.2f}], padj {fmt_p(r['padj'])}",
        )
        for _, r in goi.iterrows()
    ]
    return svg.forest(rows, xlabel=xlabel, bound=bound, row_height=7, label_width=56, font=7)


# ---------------------------------------------------------------------------------------------
# the answers
# ---------------------------------------------------------------------------------------------
def treatment_answer(tb: Tables, f: Facts) -> Answer | None:
    """Did the treatment change muscle expression? Genes, sets, equivalence (when tested)."""
    t = tb.de.get("treatment")
    if t is None:
        return None
    ref, test = tb.arms
    c = gene_counts(t)
    headline = (
        f"{f.int('treatment.fdr05', c['fdr05'])} of {f.int('treatment.tested', c['tested'])} "
        f"genes changed at FDR 5 % ({f.int('treatment.fdr10', c['fdr10'])} at 10 %"
        + (
            f"; {f.int('treatment.up', c['up'])} up, {f.int('treatment.down', c['down'])} down"
            if c["fdr05"]
            else ""
        )
        + ")."
    )
    lines = [
        f'<span class="muted">{html.escape(test)} vs {html.escape(ref)}: the difference between '
        "arms in the within-person change from baseline, basal biopsies.</span>"
    ]
    goi_line, bound = _goi_line(f, "treatment", t, tb.genes_of_interest)
    lines.append(goi_line)
    lines.append(_sets_sentence(f, "treatment", tb.enrichment.get("treatment")))
    lines.append(equivalence_line(f, tb, "treatment", required=True))
    fig = ""
    if goi_line:
        fig = _goi_forest(t, tb.genes_of_interest, bound, "log2 fold change, 95 % CI")
    return Answer(
        "treatment",
        f"Did {html.escape(test)} change muscle gene expression?",
        headline,
        [x for x in lines if x],
        fig,
        "Genes of interest, 95 % CI (red: padj < 0.05); shaded: ± the widest bound.",
        "#the-treatment-effect",
        "The treatment effect",
    )


#: names listed on the first screen at most (the rest are counted)
MAX_NAMES = 8
EQ_KINDS = (("gene", "genes", "genes of interest"), ("set", "sets", "curated muscle sets"))


def name_list(names: list[str], most: int = MAX_NAMES) -> str:
    """``a, b, c`` or ``a, b and 3 more``."""
    if len(names) <= most:
        return ", ".join(names)
    return ", ".join(names[:most]) + f" and {len(names) - most} more"


def equivalence_line(f: Facts, tb: Tables, contrast: str, required: bool = False) -> str:
    """The equivalence verdicts of a contrast's genes of interest (and, for ``treatment``, the
    curated sets and the endpoints with a margin); when none was run, a note if ``required``."""
    eq = tb.equivalence_rows()
    sub = eq[eq["contrast"].astype(str) == contrast] if len(eq) else eq
    if sub.empty:
        return (
            '<span class="muted">Equivalence tests: not part of this run.</span>'
            if required
            else ""
        )
    parts = []
    for kind, key, label in EQ_KINDS:
        rows = sub[sub["kind"] == kind]
        if rows.empty:
            continue
        k = f"{contrast}.eq_{key}"
        text = f"of {f.int(f'{k}_tested', len(rows))} {label}, "
        clauses = []
        for verdict in ("equivalent", "inconclusive", "different"):
            names = rows.loc[rows["verdict"] == verdict, "feature"].astype(str).tolist()
            clause = f"{f.int(f'{k}_{verdict}', len(names))} {verdict}"
            if names and verdict != "equivalent":
                clause += f" ({f.text(f'{k}_{verdict}_names', name_list(names))})"
            clauses.append(clause)
        parts.append(text + ", ".join(clauses))
    for _, r in sub[sub["kind"] == "endpoint"].iterrows():
        k = f"{contrast}.eq_{r['feature']}"
        parts.append(
            f"{html.escape(str(r['feature']))} within ±{f.num(f'{k}_margin', float(r['margin']))}: "
            f"{f.text(k, str(r['verdict']))}"
        )
    genes = sub[sub["kind"].isin(["gene", "set"])]
    head = "Equivalence between arms"
    if len(genes):
        m = float(pd.to_numeric(genes["margin"], errors="coerce").dropna().iloc[0])
        head += (
            f" within ±{f.num(f'{contrast}.eq_margin', m)} log2 "
            f"({f.num(f'{contrast}.eq_fold', 2**m)}-fold)"
        )
    return head + ": " + "; ".join(parts) + "."


#: how the report names the engines (``de.engine`` values)
ENGINE_LABELS = {"deseq2": "DESeq2", "voom": "limma-voom"}


def engine_label(engine: object) -> str:
    return ENGINE_LABELS.get(str(engine), str(engine))


def participation(summary: pd.DataFrame | None, contrast: str, engine: str) -> pd.Series | None:
    """The summary row of ``contrast`` under ``engine`` (None when the summary has none)."""
    if summary is None or "engine" not in summary:
        return None
    rows = summary[
        (summary["contrast"].astype(str) == contrast) & (summary["engine"].astype(str) == engine)
    ]
    return rows.iloc[0] if len(rows) else None


def _who(f: Facts, key: str, row: pd.Series | None) -> str:
    """Biopsies / participants (with one biopsy) of a contrast under one engine."""
    if row is None or pd.isna(row.get("samples")):
        return "NA"
    samples = f.int(key + "_samples", row["samples"])
    text = f"{samples} / {f.int(key + '_participants', row['participants'])}"
    one = row.get("participants_one_biopsy")
    if one is not None and pd.notna(one):
        text += f" ({f.int(key + '_one_biopsy', one)})"
    return text


def engines_answer(tb: Tables, f: Facts) -> Answer | None:
    """Does a finding depend on the model? The two DE engines' agreement per contrast, and who
    entered each contrast under each engine."""
    t = tb.concordance
    if t is None or t.empty:
        return None
    a, b = str(t["engine_a"].iloc[0]), str(t["engine_b"].iloc[0])
    la, lb = html.escape(engine_label(a)), html.escape(engine_label(b))
    rho = pd.to_numeric(t["spearman_stat"], errors="coerce")
    one_only = int(t["sig_a_only"].sum() + t["sig_b_only"].sum())
    headline = (
        f"{f.int('engines.one_only', one_only)} gene calls at FDR 5 % depend on the engine "
        f"(significant under one only, over {f.int('engines.contrasts', len(t))} contrasts)"
    )
    if rho.notna().any():
        headline += (
            f"; the engines' statistics agree with Spearman ρ "
            f"{f.num('engines.rho_min', rho.min())} to {f.num('engines.rho_max', rho.max())}"
        )
    headline += "."
    lines = [
        f'<span class="muted">{la} (the run\'s tables) against {lb}, same designs and contrasts. '
        "DESeq2 holds participants as fixed blocks, so a participant needs every biopsy a "
        "contrast compares; limma-voom holds the participant as a random effect and keeps every "
        "biopsy. Biopsies / participants (with one biopsy) per engine.</span>"
    ]
    rows = []
    for _, r in t.iterrows():
        c = str(r["contrast"])
        k = f"engines.{c}"
        who_a = _who(f, f"{k}.{a}", participation(tb.summary, c, a))
        who_b = _who(f, f"{k}.{b}", participation(tb.summary, c, b))
        spearman = r["spearman_stat"]
        rho_cell = f.num(f"{k}.rho", spearman) if pd.notna(spearman) else "NA"
        rows.append(
            f"<tr><td>{html.escape(c).replace('_', '_<wbr>')}</td>"
            f"<td class='num'>{who_a}</td><td class='num'>{who_b}</td>"
            f"<td class='num'>{f.int(f'{k}.both', r['sig_both'])}</td>"
            f"<td class='num'>{f.int(f'{k}.a_only', r['sig_a_only'])}</td>"
            f"<td class='num'>{f.int(f'{k}.b_only', r['sig_b_only'])}</td>"
            f"<td class='num'>{f.int(f'{k}.opposite', r['sig_opposite_sign'])}</td>"
            f"<td class='num'>{rho_cell}</td></tr>"
        )
    fig = (
        f'<table class="mini"><thead><tr><th>contrast</th><th>{la}</th><th>{lb}</th>'
        f"<th>both</th><th>{la} only</th><th>{lb} only</th><th>opposite sign</th>"
        "<th>ρ stat</th></tr></thead><tbody>" + "".join(rows) + "</tbody></table>"
    )
    return Answer(
        "engines",
        "Does a finding depend on the model?",
        headline,
        lines,
        fig,
        "Genes at FDR 5 % under both engines, under one only, and with opposite signs; ρ: "
        "Spearman of the two engines' statistics on the genes both tested.",
        "#de-engines",
        "Both engines per contrast",
    )


def insulin_answer(tb: Tables, f: Facts) -> Answer | None:
    """What does insulin do to muscle expression, and does the response differ by arm?"""
    t = tb.de.get("insulin")
    if t is None:
        return None
    ref, test = tb.arms
    c = gene_counts(t)
    headline = (
        f"{f.int('insulin.fdr05', c['fdr05'])} of {f.int('insulin.tested', c['tested'])} genes "
        f"responded at FDR 5 % ({f.int('insulin.up', c['up'])} up, "
        f"{f.int('insulin.down', c['down'])} down), insulin vs basal within person."
    )
    lines = []
    top = t.dropna(subset=["padj"]).sort_values(["padj", "pvalue"]).head(3)
    top = top[top["padj"] < ALPHA]
    if len(top):
        lines.append(
            "Strongest: "
            + ", ".join(
                f"{f.text(f'insulin.top{i + 1}', str(r['symbol']))} "
                f"({f.num(f'insulin.top{i + 1}_lfc', r['log2FoldChange'])} log2)"
                for i, (_, r) in enumerate(top.iterrows())
            )
            + "."
        )
    per_arm = {a: tb.de.get(f"insulin_{level_slug(a)}") for a in (ref, test)}
    fig = ""
    if all(v is not None for v in per_arm.values()):
        line = "By arm: " + ", ".join(
            f"{f.int(f'insulin.{level_slug(a)}_fdr05', gene_counts(v)['fdr05'])} genes in "
            f"{html.escape(a)}"
            for a, v in per_arm.items()
        )
        resp = t.loc[_padj(t) < ALPHA, "gene_id"].astype(str)
        x = per_arm[ref].set_index(per_arm[ref]["gene_id"].astype(str))["log2FoldChange"]
        y = per_arm[test].set_index(per_arm[test]["gene_id"].astype(str))["log2FoldChange"]
        both = pd.DataFrame({"x": x.reindex(resp), "y": y.reindex(resp)}).dropna()
        if len(both) >= 3:
            r = float(np.corrcoef(both["x"], both["y"])[0, 1])
            line += (
                f"; the {f.int('insulin.arm_genes', len(both))} responsive genes' log2 fold "
                f"changes agree between arms, r = {f.num('insulin.arm_r', r)}"
            )
            sym = t.set_index(t["gene_id"].astype(str))["symbol"].astype(str)
            fig = svg.scatter(
                both["x"],
                both["y"],
                [f"{sym.get(g, g)}: {a:.2f} vs {b:.2f}" for g, a, b in both.itertuples()],
                xlabel=f"log2FC, {ref}",
                ylabel=f"log2FC, {test}",
                size=170,
            )
        lines.append(line + ".")
    inter = tb.de.get("treatment_x_insulin")
    if inter is not None:
        ci = gene_counts(inter)
        n_goi, bound, _ = goi_bound(inter, tb.genes_of_interest)
        line = (
            f"Did {html.escape(test)} change the response (vs {html.escape(ref)}, from "
            f"baseline)? {f.int('treatment_x_insulin.fdr05', ci['fdr05'])} of "
            f"{f.int('treatment_x_insulin.tested', ci['tested'])} genes at FDR 5 %"
        )
        if n_goi:
            line += (
                f"; genes of interest within ±{f.num('treatment_x_insulin.goi_bound', bound)} "
                f"log2 ({f.num('treatment_x_insulin.goi_fold', 2**bound)}-fold)"
            )
        lines.append(line + ".")
        lines.append(equivalence_line(f, tb, "treatment_x_insulin"))
    lines.append(_sets_sentence(f, "insulin", tb.enrichment.get("insulin")))
    return Answer(
        "insulin",
        "What does insulin do to muscle expression, and does it differ by arm?",
        headline,
        [x for x in lines if x],
        fig,
        "Insulin-responsive genes: log2FC in each arm; dashed: y = x.",
        "#the-insulin-response",
        "The insulin response",
    )


def mvalue_answer(tb: Tables, f: Facts) -> Answer | None:
    """Is muscle expression associated with insulin sensitivity (M-value) across people?"""
    genes = tb.clinical.get("genes")
    if genes is None:
        return None
    lines: list[str] = []
    if genes.empty:
        notes = tb.clinical_meta.get("genes", {}).get("notes", [])
        headline = "Not analysed: " + html.escape("; ".join(notes) or "no M-value") + "."
    else:
        n = int(pd.to_numeric(genes["n"], errors="coerce").max())
        counts = {}
        for method in ("deseq2", "spearman"):
            sub = genes[genes["method"].astype(str) == method]
            if len(sub):
                counts[method] = (int((_padj(sub) < ALPHA).sum()), int(_padj(sub).notna().sum()))
        first, *rest = counts
        headline = (
            f"{f.int(f'mvalue.{first}_fdr05', counts[first][0])} of "
            f"{f.int(f'mvalue.{first}_tested', counts[first][1])} genes associated with M-value "
            f"at FDR 5 % ({'DESeq2' if first == 'deseq2' else first}"
            + "".join(
                f"; {f.int(f'mvalue.{m}_fdr05', counts[m][0])} of "
                f"{f.int(f'mvalue.{m}_tested', counts[m][1])} by partial Spearman"
                for m in rest
            )
            + ")."
        )
        cov = tb.clinical_meta.get("genes", {}).get("covariates", [])
        adj = f", adjusted for {html.escape(', '.join(cov))}" if cov else ""
        lines.append(
            f'<span class="muted">{f.int("mvalue.participants", n)} participants at baseline, '
            f"basal biopsies{adj}.</span>"
        )
    sets = tb.clinical.get("sets")
    fig = ""
    if sets is not None and not sets.empty:
        padj = _padj(sets)
        best = sets.assign(_p=pd.to_numeric(sets["pvalue"], errors="coerce"))
        best = best.sort_values("_p", kind="mergesort")
        b = best.iloc[0]
        lines.append(
            f"Set scores: {f.int('mvalue.sets_fdr05', (padj < ALPHA).sum())} of "
            f"{f.int('mvalue.sets_tested', padj.notna().sum())} sets at FDR 5 %; strongest "
            f"{f.text('mvalue.top_set', set_label(str(b['set']), b.get('description')))} "
            f"(ρ = {f.num('mvalue.top_set_rho', b['estimate'])}, padj "
            f"{f.p('mvalue.top_set_padj', b['padj'])})."
        )
        rows = [
            svg.Interval(
                _short(set_label(str(r["set"]), r.get("description")), 30),
                float(r["estimate"]),
                float(r["ci_low"]),
                float(r["ci_high"]),
                strong=bool(r["padj"] < ALPHA),
                title=f"{r['set']} {r.get('description', '')}: rho {r['estimate']:.2f}, "
                f"padj {fmt_p(r['padj'])}",
            )
            for _, r in best.head(6).iterrows()
        ]
        fig = svg.forest(
            rows, xlabel="partial Spearman ρ with M-value, 95 % CI", label_width=140, row_height=10
        )
    tests = tb.clinical.get("set_tests")
    c = set_counts(tests)
    if c["tested"]:
        line = (
            f"Set tests (camera, M-values permuted between participants): "
            f"{f.int('mvalue.settests_called', c['called'])} of "
            f"{f.int('mvalue.settests_tested', c['tested'])} sets called enriched"
        )
        if c["called"]:
            r = top_enriched(tests, 1).iloc[0]
            line += (
                f"; strongest "
                f"{f.text('mvalue.settests_top', set_label(str(r['set']), r.get('description')))}"
                f" ({html.escape(str(r['direction']))} with M-value, camera FDR "
                f"{f.p('mvalue.settests_top_fdr', r['camera_FDR'])})"
            )
        lines.append(line + ".")
    ch_genes, ch_sets = tb.clinical.get("change_genes"), tb.clinical.get("change_sets")
    if ch_genes is not None and not ch_genes.empty:
        n = int(pd.to_numeric(ch_genes["n"], errors="coerce").max())
        line = (
            f"Change vs change ({f.int('mvalue.change_participants', n)} participants): "
            f"{f.int('mvalue.change_genes_fdr05', (_padj(ch_genes) < ALPHA).sum())} genes"
        )
        if ch_sets is not None and not ch_sets.empty:
            line += f", {f.int('mvalue.change_sets_fdr05', (_padj(ch_sets) < ALPHA).sum())} sets"
        lines.append(line + " at FDR 5 %.")
    return Answer(
        "mvalue",
        "Is muscle expression linked to insulin sensitivity (M-value)?",
        headline,
        lines,
        fig,
        "Set scores with the smallest p vs M-value (95 % CI; red: padj < 0.05).",
        "#expression-vs-insulin-sensitivity",
        "Expression vs insulin sensitivity",
    )


def _short(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def endpoints_answer(tb: Tables, f: Facts) -> Answer | None:
    """Did the clinical endpoints differ between arms at follow-up?"""
    t = tb.clinical.get("endpoints")
    if t is None or t.empty:
        return None
    ref, test = tb.arms
    ok = t.dropna(subset=["estimate", "ci_low", "ci_high"])
    excl = ok[(ok["ci_low"] > 0) | (ok["ci_high"] < 0)]
    names = ", ".join(excl["variable"].astype(str)) or "none"
    headline = (
        f"The 95 % CI of the arm effect excludes zero for "
        f"{f.int('endpoints.excluding_zero', len(excl))} of "
        f"{f.int('endpoints.estimated', len(ok))} variables: "
        f"{f.text('endpoints.excluding_zero_names', names)}."
    )
    adjusted = ""
    if "adjusted_for" in ok and ok["adjusted_for"].notna().any():
        adjusted = f", adjusted for {html.escape(str(ok['adjusted_for'].dropna().iloc[0]))}"
    lines = [
        f'<span class="muted">{html.escape(test)} − {html.escape(ref)} at follow-up (ANCOVA'
        f"{adjusted}), on each variable's own scale.</span>"
    ]
    rows = []
    for _, r in ok.iterrows():
        v = str(r["variable"])
        cls = ' class="excl"' if (r["ci_low"] > 0 or r["ci_high"] < 0) else ""
        rows.append(
            f"<tr{cls}>"
            f"<td>{html.escape(v).replace('_', '_<wbr>')}</td>"
            f"<td class='num'>{f.num(f'endpoints.{v}.estimate', r['estimate'], 3)} "
            f"[{f.num(f'endpoints.{v}.ci_low', r['ci_low'], 3)}, "
            f"{f.num(f'endpoints.{v}.ci_high', r['ci_high'], 3)}]</td>"
            f"<td>{_ci_glyph(r['estimate'], r['ci_low'], r['ci_high'], 50)}</td>"
            f"<td class='num'>{f.p(f'endpoints.{v}.p', r['pvalue'])}</td></tr>"
        )
    fig = (
        '<table class="mini"><thead><tr><th>variable</th><th>effect [95 % CI]</th>'
        "<th>vs 0</th><th>p</th></tr></thead><tbody>" + "".join(rows) + "</tbody></table>"
    )
    return Answer(
        "endpoints",
        "Did the clinical endpoints differ between arms?",
        headline,
        lines,
        fig,
        "",
        "#clinical-endpoints",
        "Clinical endpoints",
    )


def _ci_glyph(est: float, lo: float, hi: float, width: int = 70) -> str:
    m = max(abs(lo), abs(hi)) or 1.0

    def sx(v: float) -> float:
        return width / 2 + v / m * (width / 2 - 3)

    colour = svg.RED if (lo > 0 or hi < 0) else svg.INK
    return (
        f'<svg width="{width}" height="10" aria-hidden="true">'
        f'<line x1="{width / 2}" x2="{width / 2}" y1="0" y2="10" stroke="{svg.GREY}"/>'
        f'<line x1="{sx(lo):.1f}" x2="{sx(hi):.1f}" y1="5" y2="5" stroke="{colour}" '
        f'stroke-width="1.4"/><circle cx="{sx(est):.1f}" cy="5" r="2.2" fill="{colour}"/></svg>'
    )


def qc_answer(tb: Tables, f: Facts) -> Answer:
    """How many biopsies enter, which were excluded and what QC flagged."""
    obs = tb.obs
    excluded = obs["excluded"].astype(bool) if "excluded" in obs else pd.Series(False, obs.index)
    used = obs[~excluded]
    per_arm = used.groupby("arm", observed=True)["participant"].nunique()
    q = tb.qc
    flagged = q[q["qc_flag"].astype(bool)] if q is not None and "qc_flag" in q else None
    headline = (
        f"{f.int('qc.biopsies', len(obs))} biopsies of "
        f"{f.int('qc.participants', obs['participant'].nunique())} participants; "
        f"{f.int('qc.excluded', int(excluded.sum()))} excluded by the config"
        + (f"; QC flagged {f.int('qc.flagged', len(flagged))}." if flagged is not None else ".")
    )
    lines = [
        "Participants analysed: "
        + ", ".join(
            f"{f.int(f'qc.arm_{level_slug(a)}', n)} {html.escape(str(a))}"
            for a, n in per_arm.items()
        )
        + "."
    ]
    if flagged is not None:
        parts = []
        if "outlier" in q:
            parts.append(f"{f.int('qc.outliers', q['outlier'].astype(bool).sum())} outlier")
        if "sex_agrees" in q:
            bad = (q["sex_agrees"].astype(str).str.lower() == "false").sum()
            parts.append(f"{f.int('qc.sex_mismatch', bad)} sex mismatch")
        if "pairing_status" in q:
            swaps = (q["pairing_status"].astype(str) == "possible_swap").sum()
            parts.append(f"{f.int('qc.possible_swaps', swaps)} possible swap")
        line = "Flags: " + ", ".join(parts) if parts else "Flags"
        if len(flagged):
            line += f" ({f.text('qc.flagged_samples', ', '.join(flagged['sample'].astype(str)))})"
        lines.append(
            line + '. <span class="muted">Flags are shown, not acted on: a sample leaves the '
            "analyses only when the config excludes it.</span>"
        )
    return Answer(
        "qc",
        "Which biopsies enter, and what did QC flag?",
        headline,
        lines,
        link="#cohort-and-design",
        link_text="Cohort and design",
    )


ANSWERS = (
    treatment_answer,
    insulin_answer,
    mvalue_answer,
    endpoints_answer,
    qc_answer,
    engines_answer,
)


def answers(tb: Tables) -> tuple[list[Answer], Facts]:
    """The first screen's answers and the facts they state."""
    facts = Facts()
    out = [a for a in (make(tb, facts) for make in ANSWERS) if a is not None]
    return out, facts


def first_screen(tb: Tables, extra: str = "") -> str:
    """The first screen's HTML: one card per answer, each linking to its section; ``extra``
    is appended as a last card (the gene-search card of the report)."""
    cards, _ = answers(tb)
    out = ['<div class="answers">']
    for a in cards:
        body = f'<p class="headline">{a.headline}</p>'
        if a.lines:
            body += "<ul>" + "".join(f"<li>{line}</li>" for line in a.lines) + "</ul>"
        fig = ""
        if a.figure:
            cap = f"<figcaption>{html.escape(a.caption)}</figcaption>" if a.caption else ""
            fig = f'<figure class="minifig">{a.figure}{cap}</figure>'
        link = f'<a class="more" href="{a.link}">→ {a.link_text}</a>' if a.link else ""
        out.append(
            f'<article class="answer" id="answer-{a.key}"><h3>{a.question}</h3>{body}{fig}'
            f"{link}</article>"
        )
    out.append(extra + "</div>")
    return "".join(out)
