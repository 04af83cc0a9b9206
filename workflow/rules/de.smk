from myoclamp.de.settings import (
    CONTRAST_FIGURES,
    engine_dir,
    engine_outputs,
    engine_settings,
    engines,
)
from myoclamp.de.specs import contrast_designs

# contrast -> design (fit); the enrichment stage iterates over DE_CONTRASTS
DE_CONTRAST_DESIGNS = contrast_designs(config, SAMPLES)
DE_CONTRASTS = list(DE_CONTRAST_DESIGNS)
DE_DESIGNS = {
    d: [c for c, dd in DE_CONTRAST_DESIGNS.items() if dd == d]
    for d in sorted(set(DE_CONTRAST_DESIGNS.values()))
}
DE_PLOTS = list(CONTRAST_FIGURES)
DE_CONTRAST_RE = "|".join(re.escape(c) for c in DE_CONTRASTS) or "no-contrast"
DE_SETTINGS = settings("de", "levels")
# The primary engine (de.engine) writes results/de/{contrast}.tsv and the figures; the other one
# (de.compare_engines) writes results/de/<engine>/{contrast}.tsv, no figures.
DE_ENGINES = engines(config["de"])
DE_PRIMARY, DE_OTHERS = DE_ENGINES[0], DE_ENGINES[1:]
# The DESeq2 fits always run: the gene-set tests (enrichment) use their designs (participants as
# fixed blocks, results/de/designs/{design}.tsv), also when voom is the only engine reported.
DE_JOB_ENGINES = DE_ENGINES if "deseq2" in DE_ENGINES else [*DE_ENGINES, "deseq2"]


DE_OTHER_TABLES = [
    f"{engine_dir(e, DE_PRIMARY)}/{c}.tsv" for e in DE_OTHERS for c in DE_CONTRASTS
]
DE_CONCORDANCE = ["results/de/concordance.tsv"] if DE_OTHERS else []

DE_TARGETS = [
    "results/de/summary.tsv",
    "results/de/plots/genes_of_interest.png",
    *expand("results/de/{contrast}.tsv", contrast=DE_CONTRASTS),
    *expand("results/de/designs/{design}.tsv", design=DE_DESIGNS),
    *expand(
        "results/de/plots/{contrast}/{plot}.png", contrast=DE_CONTRASTS, plot=DE_PLOTS
    ),
    *expand("results/de/detectable/{contrast}.tsv", contrast=DE_CONTRASTS),
    *expand("results/de/detectable/{contrast}.distribution.tsv", contrast=DE_CONTRASTS),
    *DE_OTHER_TABLES,
    *DE_CONCORDANCE,
]

DE_CAPTIONS = {
    "tsv": "../report/de_table.rst",
    "volcano": "../report/de_volcano.rst",
    "ma": "../report/de_ma.rst",
    "pvalues": "../report/de_pvalues.rst",
    "forest": "../report/de_forest.rst",
    "detectable": "../report/de_detectable.rst",
    "concordance": "../report/de_concordance.rst",
}


# per engine and design: the job's outputs (the primary engine's shown in Snakemake's report)
DE_OUTPUTS = {
    (e, d): {
        k: in_report(
            v,
            DE_CAPTIONS.get(k) if e == DE_PRIMARY else None,
            "Differential expression",
        )
        for k, v in engine_outputs(e, DE_PRIMARY, cs, DE_PLOTS).items()
    }
    for e in DE_JOB_ENGINES
    for d, cs in DE_DESIGNS.items()
}


# One job per design and engine: the fit, then every contrast read from it (tables with the
# equivalence columns, metadata, the primary engine's detectable effects and figures). The
# engines' jobs run side by side and rerun independently.
for _design, _contrasts in DE_DESIGNS.items():
    if "deseq2" in DE_JOB_ENGINES:

        rule:
            name:
                f"de_fit_{_design}"
            input:
                adata="results/adata/counts.h5ad",
            output:
                **DE_OUTPUTS["deseq2", _design],
                # the design matrix the fit used: what the gene-set tests start from
                design=f"results/de/designs/{_design}.tsv",
            log:
                f"logs/de/fit_{_design}.log",
            benchmark:
                f"benchmarks/de/fit_{_design}.tsv"
            # the design with the most contrasts starts first: its enrichment is the longest tail
            priority: len(_contrasts)
            conda:
                "../../envs/myoclamp.yaml"
            threads: MULTI_THREADS
            resources:
                mem_mb=RESOURCES.mem_mb("de_fit"),
                runtime=RESOURCES.runtime("de_fit"),
            params:
                design=_design,
                contrasts=_contrasts,
                settings=engine_settings(DE_SETTINGS, "deseq2"),
            script:
                "../scripts/de_fit.py"

    if "voom" in DE_ENGINES:

        rule:
            name:
                f"de_voom_{_design}"
            input:
                adata="results/adata/counts.h5ad",
            output:
                **DE_OUTPUTS["voom", _design],
            log:
                f"logs/de/voom_{_design}.log",
            benchmark:
                f"benchmarks/de/voom_{_design}.tsv"
            priority: len(_contrasts)
            conda:
                "../../envs/myoclamp.yaml"
            threads: 1
            resources:
                mem_mb=RESOURCES.mem_mb("de_voom"),
                runtime=RESOURCES.runtime("de_voom"),
            params:
                design=_design,
                contrasts=_contrasts,
                settings=engine_settings(DE_SETTINGS, "voom"),
            script:
                "../scripts/de_voom.py"


rule de_summary:
    input:
        tsv=expand("results/de/{contrast}.tsv", contrast=DE_CONTRASTS),
        meta=expand("results/de/meta/{contrast}.json", contrast=DE_CONTRASTS),
        other_tsv=DE_OTHER_TABLES,
        other_meta=[
            f"{engine_dir(e, DE_PRIMARY)}/meta/{c}.json"
            for e in DE_OTHERS
            for c in DE_CONTRASTS
        ],
        adata="results/adata/counts.h5ad",
    output:
        tsv=report(
            "results/de/summary.tsv",
            caption="../report/de_summary.rst",
            category="Differential expression",
        ),
        genes_of_interest=report(
            "results/de/plots/genes_of_interest.png",
            caption="../report/de_genes_of_interest.rst",
            category="Differential expression",
        ),
        concordance=[
            in_report(p, DE_CAPTIONS["concordance"], "Differential expression")
            for p in DE_CONCORDANCE
        ],
    log:
        "logs/de/summary.log",
    benchmark:
        "benchmarks/de/summary.tsv"
    conda:
        "../../envs/myoclamp.yaml"
    threads: 1
    resources:
        mem_mb=RESOURCES.mem_mb("de_summary"),
        runtime=RESOURCES.runtime("de_summary"),
    params:
        settings=DE_SETTINGS,
    script:
        "../scripts/de_summary.py"
