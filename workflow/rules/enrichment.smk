from myoclamp.enrichment.genesets import collection_paths

# GMT file per collection: bundled ones (resources/genesets/) by name, user files by stem
ENRICHMENT_GMT = collection_paths(
    config["enrichment"]["collections"],
    config["enrichment"]["gmt"],
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


rule enrichment_contrast:
    input:
        de="results/de/{contrast}.tsv",
        gmt=list(ENRICHMENT_GMT.values()),
    output:
        gsea=report(
            "results/enrichment/{contrast}.tsv",
            caption="../report/enrichment_gsea_table.rst",
            category="Pathway enrichment",
            subcategory="{contrast}",
        ),
        ora=report(
            "results/enrichment/{contrast}.ora.tsv",
            caption="../report/enrichment_ora_table.rst",
            category="Pathway enrichment",
            subcategory="{contrast}",
        ),
        dot=report(
            "results/enrichment/plots/{contrast}/dot.png",
            caption="../report/enrichment_dot.rst",
            category="Pathway enrichment",
            subcategory="{contrast}",
        ),
        running_top=report(
            "results/enrichment/plots/{contrast}/running_top.png",
            caption="../report/enrichment_running_top.rst",
            category="Pathway enrichment",
            subcategory="{contrast}",
        ),
        running_curated=report(
            "results/enrichment/plots/{contrast}/running_curated.png",
            caption="../report/enrichment_running_curated.rst",
            category="Pathway enrichment",
            subcategory="{contrast}",
        ),
    log:
        "logs/enrichment/{contrast}.log",
    benchmark:
        "benchmarks/enrichment/{contrast}.tsv"
    wildcard_constraints:
        contrast=DE_CONTRAST_RE,
    conda:
        "../../envs/myoclamp.yaml"
    threads: 1
    resources:
        mem_mb=RESOURCES.mem_mb("enrichment_contrast"),
        runtime=RESOURCES.runtime("enrichment_contrast"),
    params:
        settings=settings("enrichment", "seed"),
        gmt=ENRICHMENT_GMT,
    script:
        "../scripts/enrichment_contrast.py"
