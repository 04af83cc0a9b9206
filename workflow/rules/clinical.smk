from myoclamp.enrichment.genesets import collection_paths as _clinical_collection_paths

# GMT file per collection (the enrichment stage's collections) for set scores and GSEA
CLINICAL_GMT = _clinical_collection_paths(
    config.get("enrichment", {}).get("collections", ["muscle", "go_bp"]),
    config.get("enrichment", {}).get("gmt", []),
    Path(workflow.basedir) / "resources",
)
# endpoints read the sheets themselves: every participant's clinical values, biopsy or not
CLINICAL_SHEETS = [
    p for p in (config["inputs"]["samples"], config["inputs"].get("clinical")) if p
]

CLINICAL_TARGETS = [
    "results/clinical/endpoints.tsv",
    "results/clinical/genes.tsv",
    "results/clinical/sets.tsv",
    "results/clinical/sets_gsea.tsv",
    "results/clinical/change_genes.tsv",
    "results/clinical/change_sets.tsv",
    "results/clinical/plots/top_genes.png",
    "results/clinical/plots/set_scores.png",
]


rule clinical_endpoints:
    input:
        sheets=CLINICAL_SHEETS,
    output:
        tsv=report(
            "results/clinical/endpoints.tsv",
            caption="../report/clinical_endpoints.rst",
            category="Clinical",
        ),
    log:
        "logs/clinical/endpoints.log",
    benchmark:
        "benchmarks/clinical/endpoints.tsv"
    conda:
        "../../envs/myoclamp.yaml"
    threads: 1
    resources:
        mem_mb=RESOURCES.mem_mb("clinical_endpoints"),
        runtime=RESOURCES.runtime("clinical_endpoints"),
    params:
        settings=SETTINGS["clinical"],
    script:
        "../scripts/step.py"


rule clinical_genes:
    input:
        adata="results/adata/qc.h5ad",
    output:
        tsv=report(
            "results/clinical/genes.tsv",
            caption="../report/clinical_genes.rst",
            category="Clinical",
        ),
        meta="results/clinical/meta/genes.json",
    log:
        "logs/clinical/genes.log",
    benchmark:
        "benchmarks/clinical/genes.tsv"
    conda:
        "../../envs/myoclamp.yaml"
    threads: 2
    resources:
        mem_mb=RESOURCES.mem_mb("clinical_genes"),
        runtime=RESOURCES.runtime("clinical_genes"),
    params:
        settings=SETTINGS["clinical"],
    script:
        "../scripts/step.py"


rule clinical_sets:
    input:
        adata="results/adata/qc.h5ad",
        genes="results/clinical/genes.tsv",
        gmt=list(CLINICAL_GMT.values()),
    output:
        tsv=report(
            "results/clinical/sets.tsv",
            caption="../report/clinical_sets.rst",
            category="Clinical",
        ),
        gsea=report(
            "results/clinical/sets_gsea.tsv",
            caption="../report/clinical_sets_gsea.rst",
            category="Clinical",
        ),
        meta="results/clinical/meta/sets.json",
    log:
        "logs/clinical/sets.log",
    benchmark:
        "benchmarks/clinical/sets.tsv"
    conda:
        "../../envs/myoclamp.yaml"
    threads: 2
    resources:
        mem_mb=RESOURCES.mem_mb("clinical_sets"),
        runtime=RESOURCES.runtime("clinical_sets"),
    params:
        settings=SETTINGS["clinical"],
        gmt=CLINICAL_GMT,
    script:
        "../scripts/step.py"


rule clinical_change:
    input:
        adata="results/adata/qc.h5ad",
        gmt=list(CLINICAL_GMT.values()),
    output:
        genes=report(
            "results/clinical/change_genes.tsv",
            caption="../report/clinical_change_genes.rst",
            category="Clinical",
        ),
        sets=report(
            "results/clinical/change_sets.tsv",
            caption="../report/clinical_change_sets.rst",
            category="Clinical",
        ),
        meta="results/clinical/meta/change.json",
    log:
        "logs/clinical/change.log",
    benchmark:
        "benchmarks/clinical/change.tsv"
    conda:
        "../../envs/myoclamp.yaml"
    threads: 1
    resources:
        mem_mb=RESOURCES.mem_mb("clinical_change"),
        runtime=RESOURCES.runtime("clinical_change"),
    params:
        settings=SETTINGS["clinical"],
        gmt=CLINICAL_GMT,
    script:
        "../scripts/step.py"


rule clinical_plots:
    input:
        adata="results/adata/qc.h5ad",
        genes="results/clinical/genes.tsv",
        sets="results/clinical/sets.tsv",
        gmt=list(CLINICAL_GMT.values()),
    output:
        genes=report(
            "results/clinical/plots/top_genes.png",
            caption="../report/clinical_top_genes.rst",
            category="Clinical",
        ),
        sets=report(
            "results/clinical/plots/set_scores.png",
            caption="../report/clinical_set_scores.rst",
            category="Clinical",
        ),
    log:
        "logs/clinical/plots.log",
    benchmark:
        "benchmarks/clinical/plots.tsv"
    conda:
        "../../envs/myoclamp.yaml"
    threads: 1
    resources:
        mem_mb=RESOURCES.mem_mb("clinical_plots"),
        runtime=RESOURCES.runtime("clinical_plots"),
    params:
        settings=SETTINGS["clinical"],
        gmt=CLINICAL_GMT,
    script:
        "../scripts/step.py"
