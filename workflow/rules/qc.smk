QC_PLOTS = [f"pca_{f}" for f in ["arm", "visit", "clamp", "site", "sex"]] + [
    "variance_explained",
    "sample_distances",
    "metrics",
]
QC_TARGETS = [
    "results/adata/qc.h5ad",
    "results/qc/samples.tsv",
    "results/qc/variance_explained.tsv",
] + [f"results/qc/plots/{p}.png" for p in QC_PLOTS]
QC_SETTINGS = settings("qc", "seed")


rule qc_adata:
    input:
        adata="results/adata/counts.h5ad",
    output:
        adata="results/adata/qc.h5ad",
        samples=report(
            "results/qc/samples.tsv",
            caption="../report/qc_samples_table.rst",
            category="QC",
        ),
        variance="results/qc/variance_explained.tsv",
        variance_by_pc="results/qc/variance_by_pc.tsv",
    log:
        "logs/qc/adata.log",
    benchmark:
        "benchmarks/qc/adata.tsv"
    conda:
        "../../envs/myoclamp.yaml"
    threads: MULTI_THREADS
    resources:
        mem_mb=RESOURCES.mem_mb("qc_adata"),
        runtime=RESOURCES.runtime("qc_adata"),
    params:
        settings=QC_SETTINGS,
    script:
        "../scripts/qc_adata.py"


rule qc_plots:
    input:
        adata="results/adata/qc.h5ad",
    output:
        pca_arm=report(
            "results/qc/plots/pca_arm.png",
            caption="../report/qc_pca.rst",
            category="QC",
        ),
        pca_visit=report(
            "results/qc/plots/pca_visit.png",
            caption="../report/qc_pca.rst",
            category="QC",
        ),
        pca_clamp=report(
            "results/qc/plots/pca_clamp.png",
            caption="../report/qc_pca.rst",
            category="QC",
        ),
        pca_site=report(
            "results/qc/plots/pca_site.png",
            caption="../report/qc_pca.rst",
            category="QC",
        ),
        pca_sex=report(
            "results/qc/plots/pca_sex.png",
            caption="../report/qc_pca.rst",
            category="QC",
        ),
        variance=report(
            "results/qc/plots/variance_explained.png",
            caption="../report/qc_variance_explained.rst",
            category="QC",
        ),
        distances=report(
            "results/qc/plots/sample_distances.png",
            caption="../report/qc_sample_distances.rst",
            category="QC",
        ),
        metrics=report(
            "results/qc/plots/metrics.png",
            caption="../report/qc_metrics.rst",
            category="QC",
        ),
        svg=[f"results/qc/plots/{p}.svg" for p in QC_PLOTS],
    log:
        "logs/qc/plots.log",
    benchmark:
        "benchmarks/qc/plots.tsv"
    conda:
        "../../envs/myoclamp.yaml"
    threads: 1
    resources:
        mem_mb=RESOURCES.mem_mb("qc_plots"),
        runtime=RESOURCES.runtime("qc_plots"),
    script:
        "../scripts/qc_plots.py"
