INGEST_TARGETS = ["results/adata/counts.h5ad"]


rule ingest_counts:
    input:
        counts=config["inputs"]["counts"],
        samples=config["inputs"]["samples"],
        clinical=config["inputs"]["clinical"] or [],
    output:
        adata="results/adata/counts.h5ad",
    log:
        "logs/ingest/counts.log",
    benchmark:
        "benchmarks/ingest/counts.tsv"
    conda:
        "../../envs/myoclamp.yaml"
    threads: 1
    resources:
        mem_mb=RESOURCES.mem_mb("ingest_counts"),
        runtime=RESOURCES.runtime("ingest_counts"),
    params:
        settings=settings("inputs", "columns", "levels", "exclude", "clinical"),
    script:
        "../scripts/ingest_counts.py"
