CLINICAL_TARGETS = [
    "results/clinical/endpoints.tsv",
    "results/clinical/genes.tsv",
    "results/clinical/sets.tsv",
    "results/clinical/set_tests.tsv",
    "results/clinical/change_genes.tsv",
    "results/clinical/change_sets.tsv",
    "results/clinical/sets_equivalence.tsv",
    "results/clinical/plots/top_genes.png",
    "results/clinical/plots/set_scores.png",
]
CLINICAL_SETTINGS = settings("clinical", "de", "enrichment", "inputs", "levels", "seed")


rule clinical_endpoints:
    input:
        samples=config["inputs"]["samples"],
        clinical=config["inputs"]["clinical"] or [],
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
        settings=settings("inputs", "columns", "levels", "exclude", "clinical"),
    script:
        "../scripts/clinical_endpoints.py"


rule clinical_association:
    input:
        adata="results/adata/qc.h5ad",
        gmt=list(ENRICHMENT_GMT.values()),
    output:
        genes=report(
            "results/clinical/genes.tsv",
            caption="../report/clinical_genes.rst",
            category="Clinical",
        ),
        genes_meta="results/clinical/meta/genes.json",
        sets=report(
            "results/clinical/sets.tsv",
            caption="../report/clinical_sets.rst",
            category="Clinical",
        ),
        set_tests=report(
            "results/clinical/set_tests.tsv",
            caption="../report/clinical_set_tests.rst",
            category="Clinical",
        ),
        sets_meta="results/clinical/meta/sets.json",
        top_genes=report(
            "results/clinical/plots/top_genes.png",
            caption="../report/clinical_top_genes.rst",
            category="Clinical",
        ),
        set_scores=report(
            "results/clinical/plots/set_scores.png",
            caption="../report/clinical_set_scores.rst",
            category="Clinical",
        ),
    log:
        "logs/clinical/association.log",
    benchmark:
        "benchmarks/clinical/association.tsv"
    conda:
        "../../envs/myoclamp.yaml"
    threads: MULTI_THREADS
    resources:
        mem_mb=RESOURCES.mem_mb("clinical_association"),
        runtime=RESOURCES.runtime("clinical_association"),
    params:
        settings=CLINICAL_SETTINGS,
        gmt=ENRICHMENT_GMT,
    script:
        "../scripts/clinical_association.py"


rule clinical_change:
    input:
        adata="results/adata/qc.h5ad",
        gmt=list(ENRICHMENT_GMT.values()),
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
        sets_equivalence=report(
            "results/clinical/sets_equivalence.tsv",
            caption="../report/clinical_sets_equivalence.rst",
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
        settings=CLINICAL_SETTINGS,
        gmt=ENRICHMENT_GMT,
    script:
        "../scripts/clinical_change.py"
