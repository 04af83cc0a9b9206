REPORT_TARGETS = ["results/myoclamp.h5ad", "results/report.html"]
# the report shows the resolved config and records it in the h5ad: every section is its setting
REPORT_SETTINGS = settings()
# the treatment's equivalence figure (genes of interest, curated sets, M-value), drawn by the
# report from the run's tables
REPORT_EQUIVALENCE = (
    ["results/de/plots/treatment/equivalence.png"]
    if "treatment" in DE_CONTRASTS
    else []
)


rule report_h5ad:
    input:
        qc="results/adata/qc.h5ad",
        de_summary="results/de/summary.tsv",
        de_tables=expand("results/de/{contrast}.tsv", contrast=DE_CONTRASTS),
        detectable_tables=tables(DE_TARGETS, "results/de/detectable/"),
        other_de_tables=DE_OTHER_TABLES,
        concordance=DE_CONCORDANCE,
        enrichment_tables=tables(ENRICHMENT_TARGETS, "results/enrichment/"),
        clinical_tables=tables(CLINICAL_TARGETS, "results/clinical/"),
    output:
        h5ad="results/myoclamp.h5ad",
    log:
        "logs/report/h5ad.log",
    benchmark:
        "benchmarks/report/h5ad.tsv"
    conda:
        "../../envs/myoclamp.yaml"
    threads: 1
    resources:
        mem_mb=RESOURCES.mem_mb("report_h5ad"),
        runtime=RESOURCES.runtime("report_h5ad"),
    params:
        settings=REPORT_SETTINGS,
        command=RUN_COMMAND,
    script:
        "../scripts/report_h5ad.py"


# the report reads qc.h5ad (obs, symbols, the normalized layer), not myoclamp.h5ad: the two
# report jobs run side by side
rule report_html:
    input:
        adata="results/adata/qc.h5ad",
        qc_samples="results/qc/samples.tsv",
        qc_figures=pngs(QC_TARGETS),
        de_summary="results/de/summary.tsv",
        de_tables=expand("results/de/{contrast}.tsv", contrast=DE_CONTRASTS),
        de_figures=pngs(DE_TARGETS),
        detectable_tables=expand(
            "results/de/detectable/{contrast}.tsv", contrast=DE_CONTRASTS
        ),
        concordance=DE_CONCORDANCE,
        enrichment_tables=tables(ENRICHMENT_TARGETS, "results/enrichment/"),
        enrichment_figures=pngs(ENRICHMENT_TARGETS),
        clinical_tables=tables(CLINICAL_TARGETS, "results/clinical/"),
        clinical_figures=pngs(CLINICAL_TARGETS),
        manifest=Path(workflow.basedir) / "resources/genesets/manifest.tsv",
    output:
        html=report(
            "results/report.html",
            caption="../report/report_html.rst",
            category="Report",
        ),
        equivalence=report(
            REPORT_EQUIVALENCE,
            caption="../report/de_equivalence.rst",
            category="Differential expression",
        ),
    log:
        "logs/report/html.log",
    benchmark:
        "benchmarks/report/html.tsv"
    conda:
        "../../envs/myoclamp.yaml"
    threads: 1
    resources:
        mem_mb=RESOURCES.mem_mb("report_html"),
        runtime=RESOURCES.runtime("report_html"),
    params:
        settings=REPORT_SETTINGS,
        command=RUN_COMMAND,
    script:
        "../scripts/report_html.py"
