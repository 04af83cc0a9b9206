"""Compose ``results/report.html`` from the run's own tables and figures."""

from __future__ import annotations

import html
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

import anndata as ad
import jinja2
import pandas as pd

from myoclamp import __version__
from myoclamp.config import section
from myoclamp.report import answers, genedata, story
from myoclamp.report.assemble import read_tsv, stem
from myoclamp.report.equivalence import (
    endpoint_rows,
    endpoint_sentences,
    equivalence_plot,
    equivalence_sentence,
    equivalence_summary,
    has_equivalence,
)
from myoclamp.report.html import figure, slug, table

log = logging.getLogger(__name__)

HERE = Path(__file__).parent
TEMPLATE = HERE / "template.html.j2"
INTERACTIVE = ("volcano", "ma")  # DE figures drawn live from the data (their PNGs print)


@dataclass
class Section:
    title: str
    body: str

    @property
    def id(self) -> str:
        return slug(self.title)


@dataclass
class ReportInputs:
    """Paths of everything the report shows (lists may be empty when a stage is not configured).

    ``adata``: an AnnData with the biopsies' ``obs``, the genes' symbols, the ``normalized`` layer
    and the provenance (``results/adata/qc.h5ad`` in the workflow, so that the report does not
    wait for ``results/myoclamp.h5ad``); ``command``: the run's command for the methods."""

    adata: str
    command: str | None = None
    qc_samples: str | None = None
    qc_figures: list[str] = field(default_factory=list)
    de_summary: str | None = None
    de_tables: list[str] = field(default_factory=list)
    de_figures: list[str] = field(default_factory=list)
    enrichment_tables: list[str] = field(default_factory=list)
    enrichment_figures: list[str] = field(default_factory=list)
    clinical_tables: list[str] = field(default_factory=list)
    clinical_figures: list[str] = field(default_factory=list)
    manifest: str | None = None
    # the genes of interest's detectable effects per contrast (results/de/detectable/*.tsv)
    detectable_tables: list[str] = field(default_factory=list)
    # where the treatment's equivalence figure is drawn (an output of the report's rule)
    equivalence_figure: str | None = None
    concordance: str | None = None  # results/de/concordance.tsv (de.compare_engines)


def _p(text: str, cls: str = "") -> str:
    c = f' class="{cls}"' if cls else ""
    return f"<p{c}>{text}</p>"


def _figures(paths: list[str], captions: dict[str, str] | None = None) -> str:
    captions = captions or {}
    items = [figure(p, captions.get(Path(p).stem, Path(p).stem.replace("_", " "))) for p in paths]
    return '<div class="grid">' + "".join(items) + "</div>" if items else ""


def cohort_section(adata: ad.AnnData, config: dict, qc: pd.DataFrame | None) -> Section:
    obs = adata.obs
    n_part = obs["participant"].nunique()
    used = obs[~obs["excluded"].astype(bool)]
    body = _p(
        f"{len(obs)} biopsies of {n_part} participants were counted; {len(used)} biopsies of "
        f"{used['participant'].nunique()} participants enter the analyses.",
        "lead",
    )
    per_arm = used.groupby("arm", observed=True)["participant"].nunique()
    body += _p(
        "Participants per arm: "
        + ", ".join(f"{arm} {n}" for arm, n in per_arm.items())
        + f" (reference arm: {config['levels']['arm']['reference']})."
    )
    body += table(
        story.design_counts(obs), "design-counts", "Biopsies by arm, visit and clamp state"
    )
    excl = obs[obs["excluded"].astype(bool)]
    if len(excl):
        ex = pd.DataFrame({"sample": excl.index, "reason": excl["exclusion_reason"].astype(str)})
        body += "<h3>Excluded samples</h3>" + table(ex, "exclusions", "Excluded by the config")
    else:
        body += _p("No sample was excluded by the config.")
    if qc is not None and "qc_flag" in qc:
        flagged = qc[qc["qc_flag"].astype(bool)]
        reason = "qc_reason" if "qc_reason" in qc else None
        if len(flagged):
            cols = ["sample", *([reason] if reason else [])]
            body += _p(
                f"QC flagged {len(flagged)} sample(s); flags are shown, not acted on: a sample "
                "leaves the analyses only when the config's <code>exclude</code> list names it.",
                "warn",
            )
            body += table(
                flagged[cols].reset_index(drop=True), "qc-flagged", "Samples flagged by QC"
            )
        else:
            body += _p("QC flagged no sample.")
    return Section("Cohort and design", body)


def qc_section(qc: pd.DataFrame | None, figures: list[str]) -> Section:
    body = _p(
        "Per-sample quality metrics (library size, detected genes, mitochondrial rRNA and mRNA "
        "shares, top-gene concentration, fibre type, sex check, biopsy-stress genes, pairing "
        "check) and the sample structure (PCA, distances)."
    )
    if qc is not None:
        body += table(qc, "qc-samples", "QC metrics per sample", max_rows=None, searchable=True)
    body += _figures(figures)
    return Section("Quality control", body)


def _unwanted_sentence(factors: object) -> str:
    """The design's unwanted-variation covariates, if any (``unwanted_factors`` of the summary)."""
    n = pd.to_numeric(pd.Series([factors]), errors="coerce").fillna(0).astype(int).iloc[0]
    if n <= 0:
        return ""
    return (
        f" Adjusted for {n} factor{'s' if n > 1 else ''} of unwanted variation from the "
        "negative-control genes (RUVg, config <code>de.unwanted</code>)."
    )


#: contrasts whose equivalence (between arms) the treatment section states
EQUIVALENCE_CONTRASTS = ("treatment", "treatment_x_insulin")
SETS_EQUIVALENCE_VIEW = ["set", "size", "n_reference", "n_test", "estimate", "ci_low", "ci_high",
                         "tost_ci_low", "tost_ci_high", "tost_padj", "verdict"]  # fmt: skip
DETECTABLE_VIEW = ["symbol", "baseMean", "lfcSE", "mde", "mde_fold", "power_at_margin",
                   "equivalence_power", "n_per_arm", "n_per_arm_equivalence"]  # fmt: skip


def draw_equivalence_figure(
    path: str, de: dict[str, pd.DataFrame], clinical: dict[str, pd.DataFrame], config: dict
) -> None:
    """The treatment's equivalence figure (genes of interest, curated sets, M-value)."""
    alpha = float(section(config, "de")["alpha"])
    equivalence_plot(
        de.get("treatment", pd.DataFrame()),
        path,
        sets=clinical.get("sets_equivalence"),
        endpoint=clinical.get("endpoints"),
        title="treatment",
        alpha=alpha,
    )


def equivalence_block(
    name: str,
    t: pd.DataFrame,
    config: dict,
    clinical: dict[str, pd.DataFrame],
    detectable: pd.DataFrame | None,
    figure_path: str | None,
) -> str:
    """A between-arm contrast's equivalence statement, figure, set table and detectable effects,
    from its tables (the curated sets and the M-value belong to ``treatment``)."""
    if name not in EQUIVALENCE_CONTRASTS or not has_equivalence(t) or t.empty:
        return ""
    de = section(config, "de")
    alpha = float(de["alpha"])
    sets = clinical.get("sets_equivalence") if name == "treatment" else None
    ends = clinical.get("endpoints") if name == "treatment" else None
    s = equivalence_summary(t, sets, ends, alpha)
    body = "<h4>Equivalence within a margin, and what this trial could detect</h4>"
    body += _p(html.escape(equivalence_sentence(s)), "lead")
    if name == "treatment" and figure_path and Path(figure_path).exists():
        body += figure(
            figure_path,
            "Arm differences with their 90 % (thick) and 95 % (thin) intervals against the "
            "equivalence margin (band); green equivalent, grey inconclusive, red different.",
        )
    if sets is not None and len(sets):
        named = story.set_names(sets)
        view = named[[c for c in ["set", "name", *SETS_EQUIVALENCE_VIEW[1:]] if c in named]]
        caption = "Curated muscle sets: arm difference in each participant's change of mean log2"
        body += table(view, f"sets-eq-{slug(name)}", caption + " expression", max_rows=None)
    power = float(de["power"]["target"])
    body += _p(story.detectable_sentence(t, s["margin"], power, alpha))
    if detectable is not None and len(detectable):
        cols = [c for c in DETECTABLE_VIEW if c in detectable]
        view = detectable[cols]
        if view.get("n_per_arm", pd.Series(dtype=float)).isna().all():
            view = view.drop(columns=["n_per_arm", "n_per_arm_equivalence"], errors="ignore")
        body += table(view.reset_index(drop=True), f"detectable-{slug(name)}",
                      "Genes of interest: detectable effects (log2), power at the margin, and "
                      "participants per arm a next trial needs", max_rows=None)  # fmt: skip
    return body


def engine_rows(summary: pd.DataFrame, config: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The summary's rows of the primary engine (``de.engine``: the run's tables) and of the
    other engine (``de.compare_engines``); a summary without an ``engine`` column is all primary."""
    if "engine" not in summary:
        return summary, summary.iloc[:0]
    primary = summary["engine"].astype(str) == str(section(config, "de")["engine"])
    return summary[primary], summary[~primary]


def _other_engine_sentence(name: str, others: pd.DataFrame) -> str:
    """Who entered the contrast under the other engine."""
    parts = []
    for _, r in others[others["contrast"].astype(str) == name].iterrows():
        one = r.get("participants_one_biopsy")
        single = f", {int(one)} with one biopsy" if pd.notna(one) else ""
        parts.append(
            f" Under {answers.engine_label(r['engine'])}: {r.get('samples', 'NA')} samples of "
            f"{r.get('participants', 'NA')} participants{single}."
        )
    return "".join(parts)


def _contrast_block(
    name: str,
    summary: pd.DataFrame,
    tables: dict,
    figs: dict,
    goi: list[str],
    interactive: bool = True,
    sets: dict | None = None,
    equivalence: dict[str, str] | None = None,
    others: pd.DataFrame | None = None,
) -> str:
    """One contrast: its design, the honest-null statement for genes and gene sets, the genes of
    interest, the top genes and figures. ``sets``: contrast -> (set tests, prerank) tables."""
    row = summary[summary["contrast"] == name]
    body = f'<h3 id="contrast-{slug(name)}">{name}</h3>'
    if len(row):
        r = row.iloc[0]
        body += _p(
            f"{str(r.get('description', '')).capitalize()}. "
            f"Design <code>{r.get('formula', '')}</code>; "
            f"{r.get('samples', 'NA')} samples of {r.get('participants', 'NA')} participants."
            + _unwanted_sentence(r.get("unwanted_factors"))
            + (_other_engine_sentence(name, others) if others is not None else "")
        )
        if str(r.get("estimable", "yes")) == "no":
            return body + _p(f"Not estimable from these data: {r.get('reason', '')}", "warn")
    t = tables.get(name)
    if t is None:
        return body
    stmt = story.null_statement(t, goi)
    body += _p(story.null_sentence(name, stmt), "lead")
    if sets and name in sets:
        tests, prerank = sets[name]
        body += _p(story.sets_sentence(story.sets_statement(tests, prerank)), "lead")
    body += (equivalence or {}).get(name, "")
    est = story.goi_estimates(t, goi)
    if len(est):
        body += table(
            est,
            f"goi-{slug(name)}",
            "Genes of interest: log2 fold change with 95 % CI",
            max_rows=None,
        )
    body += table(
        story.top_genes(t),
        f"top-{slug(name)}",
        "Genes with the smallest adjusted p-values",
        searchable=True,
    )
    paths = figs.get(name, [])
    live = [p for p in paths if Path(p).stem in INTERACTIVE]
    if interactive and live:
        body += interactive_plots(name, live)
        paths = [p for p in paths if Path(p).stem not in INTERACTIVE]
    body += _figures(paths)
    return body


def interactive_plots(contrast: str, pngs: list[str]) -> str:
    """Live volcano and MA plots of a contrast (canvas, drawn by report.js from the embedded
    data: hover names the gene, click opens it), with the static PNGs for print."""
    kinds = {Path(p).stem: p for p in pngs}
    canvases = "".join(
        f'<figure class="iplot"><canvas data-kind="{k}" data-contrast="{contrast}" '
        f'aria-label="{k} plot of {contrast}"></canvas><figcaption>{label}</figcaption></figure>'
        for k, label in (
            ("volcano", "Volcano: each point a gene; hover names it, click opens it."),
            ("ma", "MA: mean expression against log2 fold change; click a point to open it."),
        )
        if k in kinds
    )
    printed = "".join(figure(kinds[k], f"{k} {contrast}") for k in INTERACTIVE if k in kinds)
    return f'<div class="iplots">{canvases}</div><div class="print-only grid">{printed}</div>'


def contrast_groups(names: list[str]) -> dict[str, list[str]]:
    """Report section title -> the contrasts it shows."""
    return {
        "The insulin response": [n for n in names if n.startswith("insulin")],
        "The treatment effect": [n for n in names if n.startswith("treatment")],
        "Configured contrasts": [n for n in names if not n.startswith(("insulin", "treatment"))],
    }


def de_sections(
    inputs: ReportInputs,
    config: dict,
    tables: dict[str, pd.DataFrame] | None = None,
    interactive: bool = True,
    sets: dict[str, tuple[pd.DataFrame, pd.DataFrame | None]] | None = None,
    clinical: dict[str, pd.DataFrame] | None = None,
) -> list[Section]:
    if not inputs.de_summary:
        return []
    summary = read_tsv(inputs.de_summary)
    everything = summary
    summary, others = engine_rows(summary, config)
    if tables is None:
        tables = {stem(p): read_tsv(p) for p in inputs.de_tables}
    if clinical is None:
        clinical = {stem(p): read_tsv(p) for p in inputs.clinical_tables}
    detectable = {stem(p): read_tsv(p) for p in inputs.detectable_tables}
    equivalence = {
        n: equivalence_block(
            n, tables[n], config, clinical, detectable.get(n), inputs.equivalence_figure
        )  # fmt: skip
        for n in EQUIVALENCE_CONTRASTS
        if n in tables
    }
    figs: dict[str, list[str]] = {}
    for p in inputs.de_figures:
        figs.setdefault(Path(p).parent.name, []).append(p)
    goi = list(section(config, "de")["genes_of_interest"])
    names = summary["contrast"].astype(str).tolist()
    groups = contrast_groups(names)
    sections = []
    overview = table(everything, "de-summary", "All contrasts", max_rows=None)
    if inputs.concordance:
        overview += '<h3 id="de-engines">Both engines per contrast</h3>' + table(
            read_tsv(inputs.concordance),
            "de-concordance",
            "Genes at FDR alpha under both engines and under one only, and the Spearman "
            "correlation of their statistics (engine_a: the run's tables)",
            max_rows=None,
        )
    for title, members in groups.items():
        if not members:
            continue
        body = ""
        if title == "The insulin response":
            body += _p(
                "Insulin-stimulated vs basal biopsies within each participant (participants "
                "as blocks): the clamp's transcriptional response."
            )
        if title == "The treatment effect":
            body += _p(
                "Change from baseline to follow-up compared between arms, basal biopsies, "
                "participants as blocks. A null result is reported as counts at FDR and as "
                "bounded estimates with 95 % confidence intervals, not as an empty list."
            )
            body += overview
            goi_fig = [p for p in inputs.de_figures if Path(p).stem == "genes_of_interest"]
            body += _figures(goi_fig)
        body += "".join(
            _contrast_block(n, summary, tables, figs, goi, interactive, sets, equivalence, others)
            for n in members
        )
        sections.append(Section(title, body))
    return sections


PRERANK = ".prerank.tsv"


def enrichment_tables(inputs: ReportInputs) -> dict[str, tuple[pd.DataFrame, pd.DataFrame | None]]:
    """Contrast -> (set tests, GSEA prerank or None) from ``results/enrichment/``."""
    paths = {str(Path(x)) for x in inputs.enrichment_tables}
    out = {}
    for p in sorted(x for x in inputs.enrichment_tables if not x.endswith(PRERANK)):
        name = stem(p)
        pre = Path(p).with_name(f"{name}{PRERANK}")
        prerank = read_tsv(pre) if str(pre) in paths and pre.exists() else None
        out[name] = (read_tsv(p), prerank)
    return out


def enrichment_section(
    inputs: ReportInputs, sets: dict[str, tuple[pd.DataFrame, pd.DataFrame | None]]
) -> Section | None:
    if not sets:
        return None
    body = _p(
        "Gene sets (curated muscle sets and GO terms) of each contrast, by two tests that account "
        "for the correlation between genes: camera (R limma's test: the set's mean moderated "
        "statistic against the other genes, its variance inflated by the set's inter-gene "
        "correlation) and a permutation test that permutes what the design says is "
        "exchangeable (arm labels between participants for treatment effects, signs of each "
        "participant's within-person differences for insulin responses). A set is called "
        "<b>enriched</b> when its camera FDR and its permutation p-value are both below "
        "<code>enrichment.alpha</code>. GSEA prerank of the Wald statistic is kept for its "
        "ranking and leading edges; it permutes genes and so ignores gene correlation, which "
        "on real null data called sets in every trial: its FDR calls nothing "
        "(docs/enrichment.md)."
    )
    figs: dict[str, list[str]] = {}
    for p in inputs.enrichment_figures:
        figs.setdefault(Path(p).parent.name, []).append(p)
    for name, (t, prerank) in sets.items():
        body += f"<h3>{name}</h3>" + _p(story.sets_sentence(story.sets_statement(t, prerank)))
        body += table(
            story.top_sets(t),
            f"enr-{slug(name)}",
            "Gene sets with the smallest camera p-values (camera and permutation tests)",
            searchable=True,
        )
        if prerank is not None and len(prerank):
            body += (
                "<details><summary>GSEA prerank (ranking and leading edge only; ignores gene "
                "correlation)</summary>"
                + table(
                    story.prerank_view(prerank),
                    f"pre-{slug(name)}",
                    "GSEA prerank: ignores gene correlation, its FDR is not a call",
                    searchable=True,
                )
                + "</details>"
            )
        shown = _figures(figs.get(name, []))
        body += f"<details><summary>Figures for {name}</summary>{shown}</details>"
    return Section("Pathway enrichment", body)


CLINICAL_TITLES = {
    "genes": "Genes vs M-value at baseline",
    "sets": "Gene-set scores vs M-value at baseline",
    "set_tests": "Gene-set tests of expression vs M-value (camera and permutation)",
    "change_genes": "Change in expression vs change in M-value, genes",
    "change_sets": "Change in set score vs change in M-value",
}
CLINICAL_META = {"genes": "genes", "sets": "sets", "set_tests": "sets", "change_genes": "change",
                 "change_sets": "change"}  # fmt: skip


def _notes(meta_dir: Path, name: str) -> str:
    path = meta_dir / f"{CLINICAL_META.get(name, name)}.json"
    if not path.exists():
        return ""
    notes = json.loads(path.read_text()).get("notes", [])
    return _p("Notes: " + "; ".join(notes) + ".", "note") if notes else ""


def _sorted(t: pd.DataFrame) -> pd.DataFrame:
    key = next((c for c in ("padj", "FDR", "camera_pvalue", "pvalue") if c in t), None)
    return t.sort_values(key, kind="mergesort") if key else t


def clinical_sections(inputs: ReportInputs) -> list[Section]:
    tables = {stem(p): p for p in inputs.clinical_tables}
    out = []
    if "endpoints" in tables:
        t = read_tsv(tables["endpoints"])
        body = _p(
            "Each clinical variable by arm at baseline and follow-up: mean (SD) and n; the "
            "arm effect at follow-up by ANCOVA (follow-up value ~ baseline value + arm "
            "[+ site]), with its 95 % confidence interval."
        )
        if len(t):
            hits = story.ci_excludes_zero(t)
            body += _p(
                "The 95 % CI of the arm effect excludes zero for: "
                + (", ".join(hits) if hits else "no variable")
                + ".",
                "lead",
            )
            ends = endpoint_rows(t)
            if ends is not None:
                lines = endpoint_sentences([r.to_dict() for _, r in ends.iterrows()])
                body += _p("Equivalence: " + html.escape(" ".join(lines)), "lead")
        body += table(story.endpoints_view(t), "endpoints", "Clinical endpoints", max_rows=None)
        out.append(Section("Clinical endpoints", body))
    # the curated sets' equivalence is stated with the treatment effect
    rest = [k for k in tables if k not in ("endpoints", "sets_equivalence")]
    if rest:
        meta_dir = Path(tables[rest[0]]).parent / "meta"
        body = _p(
            "Expression against insulin sensitivity (M-value) across participants at "
            "baseline (basal biopsies), adjusted for the configured covariates: per gene "
            "(a DESeq2 fit with M as a covariate, and partial Spearman on the VST), per gene "
            "set (participants' set scores, and camera with a permutation test of the M-values "
            "between participants, which account for gene correlation), and change vs change."
        )
        for k in rest:
            t = read_tsv(tables[k])
            title = CLINICAL_TITLES.get(k, k)
            body += f"<h3>{title}</h3>" + _notes(meta_dir, k)
            if t.empty:
                body += _p(
                    "No rows: this analysis could not be run on these data (see the notes).", "warn"
                )
                continue
            fdr = next((c for c in ("padj", "FDR") if c in t), None)
            if "enriched" in t:
                body += _p(story.sets_sentence(story.sets_statement(t, None)))
            elif fdr:
                body += _p(f"{len(t)} rows, {int((t[fdr] < 0.05).sum())} at FDR &lt; 0.05.")
            body += table(
                story.set_names(_sorted(t)), f"clin-{slug(k)}", title, max_rows=100, searchable=True
            )
        body += _figures(inputs.clinical_figures)
        out.append(Section("Expression vs insulin sensitivity", body))
    return out


def methods_section(
    adata: ad.AnnData, config: dict, manifest: str | None, command: str | None = None
) -> Section:
    """Command, seed, inputs with their sha256, software versions, gene-set collections and the
    resolved configuration; ``command`` (the run's) over the object's provenance."""
    prov = adata.uns.get("provenance", {})
    versions = pd.DataFrame(
        sorted(dict(prov.get("versions", {})).items()), columns=["package", "version"]
    )
    inputs = pd.DataFrame(
        [
            {"input": k, "path": v["path"], "sha256": v["sha256"]}
            for k, v in dict(prov.get("inputs", {})).items()
        ]
    )
    command = command if command is not None else prov.get("command", "")
    body = _p(f"Command: <code>{html.escape(str(command))}</code>")
    body += _p(f"Seed for every random step: <code>{section(config, 'seed')}</code>.")
    body += table(inputs, "inputs", "Inputs", max_rows=None)
    body += table(versions, "versions", "Software", max_rows=None)
    if manifest and Path(manifest).exists():
        body += table(read_tsv(manifest), "genesets", "Gene-set collections", max_rows=None)
    body += (
        "<details><summary>Resolved configuration</summary><pre>"
        + json.dumps(config, indent=1, sort_keys=True, default=str).replace("<", "&lt;")
        + "</pre></details>"
    )
    return Section("Methods", body)


def _json(path: Path) -> dict:
    return json.loads(path.read_text()) if path.exists() else {}


def read_tables(inputs: ReportInputs, adata: ad.AnnData, config: dict) -> answers.Tables:
    """The run's tables as the first screen and the gene explorer read them."""
    clinical = {stem(p): read_tsv(p) for p in inputs.clinical_tables}
    meta_dirs = {Path(p).parent / "meta" for p in inputs.clinical_tables}
    meta = {}
    for d in meta_dirs:
        for name, key in CLINICAL_META.items():
            if name not in meta and (d / f"{key}.json").exists():
                meta[name] = _json(d / f"{key}.json")
    return answers.Tables(
        obs=adata.obs.copy(),
        config=config,
        summary=read_tsv(inputs.de_summary) if inputs.de_summary else None,
        de={stem(p): read_tsv(p) for p in inputs.de_tables},
        enrichment={
            stem(p): read_tsv(p) for p in inputs.enrichment_tables if not p.endswith(PRERANK)
        },
        clinical=clinical,
        clinical_meta=meta,
        qc=read_tsv(inputs.qc_samples) if inputs.qc_samples else None,
        concordance=read_tsv(inputs.concordance) if inputs.concordance else None,
    )


def _ordered(tables: dict[str, pd.DataFrame], summary: pd.DataFrame | None) -> dict:
    if summary is None:
        return tables
    order = [c for c in summary["contrast"].astype(str) if c in tables]
    return {c: tables[c] for c in order + [c for c in tables if c not in order]}


def explore_card(n_tested: int, goi: list[str], symbols: set[str]) -> str:
    """The first screen's invitation to the gene explorer."""
    chips = "".join(
        f'<button type="button" data-gene="{html.escape(g)}">{html.escape(g)}</button>'
        for g in goi
        if g in symbols
    )
    return (
        '<article class="answer" id="answer-genes"><h3>Where is my gene?</h3>'
        f'<p class="headline">Any of the <b class="fact" data-fact="explorer.genes" '
        f'data-v="{n_tested}">{n_tested:,}</b> tested genes is one search away.</p>'
        "<ul><li>Type a symbol or Ensembl id in <b>Find a gene</b> (top of the page), or click a "
        "point on any volcano or MA plot: its statistics in every contrast, its association "
        "with M-value, and each participant's expression by arm, visit and clamp state.</li>"
        f'<li>Genes of interest:<div class="chips">{chips}</div></li></ul>'
        '<a class="more" href="#gene-explorer">→ Gene explorer</a></article>'
    )


#: what the report reads of an h5ad: the rest (X, the other layers, PCA) is not loaded
REPORT_ELEMENTS = ("obs", "var", "uns/provenance", "layers/normalized")


def read_report_adata(path: str) -> ad.AnnData:
    """The parts of an h5ad the report shows (:data:`REPORT_ELEMENTS`; those the file lacks are
    left out): on a 1,000-sample cohort a third of qc.h5ad's layers, and no X."""
    import h5py
    from anndata.io import read_elem

    with h5py.File(path, "r") as f:
        got = {name: read_elem(f[name]) for name in REPORT_ELEMENTS if name in f}
    layers = {"normalized": got["layers/normalized"]} if "layers/normalized" in got else {}
    uns = {"provenance": got["uns/provenance"]} if "uns/provenance" in got else {}
    return ad.AnnData(obs=got["obs"], var=got["var"], layers=layers, uns=uns)


def render(inputs: ReportInputs, config: dict, explorer: bool = True) -> str:
    """The report as one self-contained HTML string (and, when ``inputs.equivalence_figure`` is
    given, the treatment's equivalence figure drawn there and embedded).

    ``explorer=False`` leaves out the gene explorer, its data and the live plots (the static
    figures take their place): a report of about a third of the size.
    """
    adata = read_report_adata(inputs.adata)
    tb = read_tables(inputs, adata, config)
    qc = tb.qc
    sections = [cohort_section(adata, config, qc), qc_section(qc, inputs.qc_figures)]
    sets = enrichment_tables(inputs)
    if inputs.equivalence_figure:
        draw_equivalence_figure(inputs.equivalence_figure, tb.de, tb.clinical, config)
    sections += de_sections(
        inputs, config, tb.de, interactive=explorer, sets=sets, clinical=tb.clinical
    )
    enr = enrichment_section(inputs, sets)
    if enr:
        sections.append(enr)
    sections += clinical_sections(inputs)
    sections.append(methods_section(adata, config, inputs.manifest, inputs.command))
    data, n_tested = "", 0
    if explorer:
        de = _ordered(tb.de, tb.summary)
        groups = {c: slug(title) for title, cs in contrast_groups(list(de)).items() for c in cs}
        payload = genedata.gene_payload(adata, de, tb.summary, tb.clinical, config, groups)
        data, n_tested = genedata.payload_json(payload), payload["n_tested"]
        log.info("gene explorer data: %s bytes", genedata.sizes(payload))
    goi = [str(g) for g in section(config, "de")["genes_of_interest"]]
    symbols = set(adata.var["symbol"].astype(str))
    env = jinja2.Environment(autoescape=False, undefined=jinja2.StrictUndefined)
    page = env.from_string(TEMPLATE.read_text()).render(
        cohort=section(config, "cohort"),
        version=__version__,
        sections=sections,
        first_screen=answers.first_screen(
            tb, explore_card(n_tested, goi, symbols) if explorer else ""
        ),
        explorer=explorer,
        data=data,
        n_tested=f"{n_tested:,}",
        goi=[g for g in goi if g in symbols],
        example_gene=next((g for g in goi if g in symbols), "PDK4"),
        css=(HERE / "report.css").read_text(),
        js=(HERE / "report.js").read_text(),
    )
    log.info("report: %d sections, %.1f MB", len(sections), len(page) / 1e6)
    return page
