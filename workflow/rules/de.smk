from myoclamp.de.specs import contrast_designs

# contrast -> design (fit); the enrichment stage iterates over DE_CONTRASTS
DE_CONTRAST_DESIGNS = contrast_designs(config, SAMPLES)
DE_CONTRASTS = list(DE_CONTRAST_DESIGNS)
DE_DESIGNS = {
    d: [c for c, dd in DE_CONTRAST_DESIGNS.items() if dd == d]
    for d in sorted(set(DE_CONTRAST_DESIGNS.values()))
}
DE_PLOTS = ["volcano", "ma", "pvalues", "forest"]
DE_CONTRAST_RE = "|".join(re.escape(c) for c in DE_CONTRASTS) or "no-contrast"
DE_SETTINGS = settings("de", "levels")

DE_TARGETS = [
    "results/de/summary.tsv",
    "results/de/plots/genes_of_interest.png",
    *expand("results/de/{contrast}.tsv", contrast=DE_CONTRASTS),
    *expand(
        "results/de/plots/{contrast}/{plot}.png", contrast=DE_CONTRASTS, plot=DE_PLOTS
    ),
]


# per design, each output kind (table, metadata, each plot) of each of its contrasts
DE_OUTPUTS = {
    d: {
        "tsv": [f"results/de/{c}.tsv" for c in cs],
        "meta": [f"results/de/meta/{c}.json" for c in cs],
        **{p: [f"results/de/plots/{c}/{p}.png" for c in cs] for p in DE_PLOTS},
    }
    for d, cs in DE_DESIGNS.items()
}


# One job per design: the fit, then every contrast read from it (tables, metadata, plots).
for _design, _contrasts in DE_DESIGNS.items():

    rule:
        name:
            f"de_fit_{_design}"
        input:
            adata="results/adata/counts.h5ad",
        output:
            tsv=report(
                DE_OUTPUTS[_design]["tsv"],
                caption="../report/de_table.rst",
                category="Differential expression",
            ),
            meta=DE_OUTPUTS[_design]["meta"],
            volcano=report(
                DE_OUTPUTS[_design]["volcano"],
                caption="../report/de_volcano.rst",
                category="Differential expression",
            ),
            ma=report(
                DE_OUTPUTS[_design]["ma"],
                caption="../report/de_ma.rst",
                category="Differential expression",
            ),
            pvalues=report(
                DE_OUTPUTS[_design]["pvalues"],
                caption="../report/de_pvalues.rst",
                category="Differential expression",
            ),
            forest=report(
                DE_OUTPUTS[_design]["forest"],
                caption="../report/de_forest.rst",
                category="Differential expression",
            ),
        log:
            f"logs/de/fit_{_design}.log",
        benchmark:
            f"benchmarks/de/fit_{_design}.tsv"
        conda:
            "../../envs/myoclamp.yaml"
        threads: 2
        resources:
            mem_mb=RESOURCES.mem_mb("de_fit"),
            runtime=RESOURCES.runtime("de_fit"),
        params:
            design=_design,
            contrasts=_contrasts,
            settings=DE_SETTINGS,
        script:
            "../scripts/de_fit.py"


rule de_summary:
    input:
        tsv=expand("results/de/{contrast}.tsv", contrast=DE_CONTRASTS),
        meta=expand("results/de/meta/{contrast}.json", contrast=DE_CONTRASTS),
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
