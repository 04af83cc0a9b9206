import re

from myoclamp.de.designs import contrast_designs

# contrast -> design (fit); the enrichment stage iterates over DE_CONTRASTS
DE_CONTRAST_DESIGNS = contrast_designs(config, SAMPLES)
DE_CONTRASTS = list(DE_CONTRAST_DESIGNS)
DE_DESIGNS = sorted(set(DE_CONTRAST_DESIGNS.values()))
DE_PLOTS = ["volcano", "ma", "pvalues", "forest"]
DE_CONTRAST_RE = "|".join(re.escape(c) for c in DE_CONTRASTS) or "no-contrast"
DE_DESIGN_RE = "|".join(re.escape(d) for d in DE_DESIGNS) or "no-design"

DE_TARGETS = [
    "results/de/summary.tsv",
    "results/de/plots/genes_of_interest.png",
    *expand("results/de/{contrast}.tsv", contrast=DE_CONTRASTS),
    *expand(
        "results/de/plots/{contrast}/{plot}.png", contrast=DE_CONTRASTS, plot=DE_PLOTS
    ),
]


rule de_fit:
    input:
        adata="results/adata/counts.h5ad",
    output:
        fit="results/de/fits/{design}.pkl",
    log:
        "logs/de/fit_{design}.log",
    benchmark:
        "benchmarks/de/fit_{design}.tsv"
    wildcard_constraints:
        design=DE_DESIGN_RE,
    conda:
        "../../envs/myoclamp.yaml"
    threads: 2
    resources:
        mem_mb=RESOURCES.mem_mb("de_fit"),
        runtime=RESOURCES.runtime("de_fit"),
    params:
        settings=SETTINGS["de"],
    script:
        "../scripts/step.py"


rule de_contrast:
    input:
        fit=lambda wc: f"results/de/fits/{DE_CONTRAST_DESIGNS[wc.contrast]}.pkl",
    output:
        tsv=report(
            "results/de/{contrast}.tsv",
            caption="../report/de_table.rst",
            category="Differential expression",
            subcategory="{contrast}",
        ),
        meta="results/de/meta/{contrast}.json",
        volcano=report(
            "results/de/plots/{contrast}/volcano.png",
            caption="../report/de_volcano.rst",
            category="Differential expression",
            subcategory="{contrast}",
        ),
        ma=report(
            "results/de/plots/{contrast}/ma.png",
            caption="../report/de_ma.rst",
            category="Differential expression",
            subcategory="{contrast}",
        ),
        pvalues=report(
            "results/de/plots/{contrast}/pvalues.png",
            caption="../report/de_pvalues.rst",
            category="Differential expression",
            subcategory="{contrast}",
        ),
        forest=report(
            "results/de/plots/{contrast}/forest.png",
            caption="../report/de_forest.rst",
            category="Differential expression",
            subcategory="{contrast}",
        ),
    log:
        "logs/de/contrast_{contrast}.log",
    benchmark:
        "benchmarks/de/contrast_{contrast}.tsv"
    wildcard_constraints:
        contrast=DE_CONTRAST_RE,
    conda:
        "../../envs/myoclamp.yaml"
    threads: 2
    resources:
        mem_mb=RESOURCES.mem_mb("de_contrast"),
        runtime=RESOURCES.runtime("de_contrast"),
    params:
        settings=SETTINGS["de"],
    script:
        "../scripts/step.py"


rule de_summary:
    input:
        tsv=expand("results/de/{contrast}.tsv", contrast=DE_CONTRASTS),
        meta=expand("results/de/meta/{contrast}.json", contrast=DE_CONTRASTS),
    output:
        tsv=report(
            "results/de/summary.tsv",
            caption="../report/de_summary.rst",
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
        settings=SETTINGS["de"],
    script:
        "../scripts/step.py"


rule de_genes_of_interest:
    input:
        adata="results/adata/counts.h5ad",
    output:
        png=report(
            "results/de/plots/genes_of_interest.png",
            caption="../report/de_genes_of_interest.rst",
            category="Differential expression",
        ),
    log:
        "logs/de/genes_of_interest.log",
    benchmark:
        "benchmarks/de/genes_of_interest.tsv"
    conda:
        "../../envs/myoclamp.yaml"
    threads: 1
    resources:
        mem_mb=RESOURCES.mem_mb("de_genes_of_interest"),
        runtime=RESOURCES.runtime("de_genes_of_interest"),
    params:
        settings=SETTINGS["de"],
    script:
        "../scripts/step.py"
