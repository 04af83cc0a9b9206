from myoclamp.enrichment.genesets import collection_paths

# GMT file per collection: bundled ones (resources/genesets/) by name, user files by stem
ENRICHMENT_GMT = collection_paths(
    config.get("enrichment", {}).get("collections", ["muscle", "go_bp"]),
    config.get("enrichment", {}).get("gmt", []),
    Path(workflow.basedir) / "resources",
)
ENRICHMENT_PLOTS = ["dot", "running_top", "running_curated"]

ENRICHMENT_TARGETS = [
    *expand("results/enrichment/{contrast}.tsv", contrast=DE_CONTRASTS),
    *expand("results/enrichment/{contrast}.ora.tsv", contrast=DE_CONTRASTS),
    *expand(
        "results/enrichment/plots/{contrast}/{plot}.png",
        contrast=DE_CONTRASTS,
        plot=ENRICHMENT_PLOTS,
    ),
]


rule enrichment_gsea:
    input:
        de="results/de/{contrast}.tsv",
        gmt=list(ENRICHMENT_GMT.values()),
    output:
        tsv=report(
            "results/enrichment/{contrast}.tsv",
            caption="../report/enrichment_gsea_table.rst",
            category="Pathway enrichment",
            subcategory="{contrast}",
        ),
    log:
        "logs/enrichment/gsea_{contrast}.log",
    benchmark:
        "benchmarks/enrichment/gsea_{contrast}.tsv"
    wildcard_constraints:
        contrast=DE_CONTRAST_RE,
    conda:
        "../../envs/myoclamp.yaml"
    threads: 1
    resources:
        mem_mb=RESOURCES.mem_mb("enrichment_gsea"),
        runtime=RESOURCES.runtime("enrichment_gsea"),
    params:
        settings=SETTINGS["enrichment"],
        gmt=ENRICHMENT_GMT,
    script:
        "../scripts/step.py"


rule enrichment_ora:
    input:
        de="results/de/{contrast}.tsv",
        gmt=list(ENRICHMENT_GMT.values()),
    output:
        tsv=report(
            "results/enrichment/{contrast}.ora.tsv",
            caption="../report/enrichment_ora_table.rst",
            category="Pathway enrichment",
            subcategory="{contrast}",
        ),
    log:
        "logs/enrichment/ora_{contrast}.log",
    benchmark:
        "benchmarks/enrichment/ora_{contrast}.tsv"
    wildcard_constraints:
        contrast=DE_CONTRAST_RE,
    conda:
        "../../envs/myoclamp.yaml"
    threads: 1
    resources:
        mem_mb=RESOURCES.mem_mb("enrichment_ora"),
        runtime=RESOURCES.runtime("enrichment_ora"),
    params:
        settings=SETTINGS["enrichment"],
        gmt=ENRICHMENT_GMT,
    script:
        "../scripts/step.py"


rule enrichment_plots:
    input:
        de="results/de/{contrast}.tsv",
        gsea="results/enrichment/{contrast}.tsv",
        gmt=list(ENRICHMENT_GMT.values()),
    output:
        dot=report(
            "results/enrichment/plots/{contrast}/dot.png",
            caption="../report/enrichment_dot.rst",
            category="Enrichment",
            subcategory="{contrast}",
        ),
        running_top=report(
            "results/enrichment/plots/{contrast}/running_top.png",
            caption="../report/enrichment_running_top.rst",
            category="Enrichment",
            subcategory="{contrast}",
        ),
        running_curated=report(
            "results/enrichment/plots/{contrast}/running_curated.png",
            caption="../report/enrichment_running_curated.rst",
            category="Enrichment",
            subcategory="{contrast}",
        ),
    log:
        "logs/enrichment/plots_{contrast}.log",
    benchmark:
        "benchmarks/enrichment/plots_{contrast}.tsv"
    wildcard_constraints:
        contrast=DE_CONTRAST_RE,
    conda:
        "../../envs/myoclamp.yaml"
    threads: 1
    resources:
        mem_mb=RESOURCES.mem_mb("enrichment_plots"),
        runtime=RESOURCES.runtime("enrichment_plots"),
    params:
        settings=SETTINGS["enrichment"],
        gmt=ENRICHMENT_GMT,
    script:
        "../scripts/step.py"
