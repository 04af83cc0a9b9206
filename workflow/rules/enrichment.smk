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
    *expand("results/enrichment/{contrast}.prerank.tsv", contrast=DE_CONTRASTS),
    *expand(
        "results/enrichment/plots/{contrast}/{plot}.png",
        contrast=DE_CONTRASTS,
        plot=ENRICHMENT_PLOTS,
    ),
]


# per design, each output kind of each of its contrasts
ENRICHMENT_OUTPUTS = {
    d: {
        "sets": [f"results/enrichment/{c}.tsv" for c in cs],
        "meta": [f"results/enrichment/meta/{c}.json" for c in cs],
        "prerank": [f"results/enrichment/{c}.prerank.tsv" for c in cs],
        **{
            p: [f"results/enrichment/plots/{c}/{p}.png" for c in cs]
            for p in ENRICHMENT_PLOTS
        },
    }
    for d, cs in DE_DESIGNS.items()
}


# One job per DE design: for each of its contrasts, the set tests (camera + permutation: what is
# called enriched) on the counts with the fit's own design, GSEA prerank of the DE statistic
# (ranking only), plots. The counts, the gene sets and the design's log-expression are read
# and computed once per job.
for _design, _contrasts in DE_DESIGNS.items():

    rule:
        name:
            f"enrichment_{_design}"
        input:
            adata="results/adata/counts.h5ad",
            # the design matrix of the DESeq2 fit the contrasts are read from, and their weights
            design=f"results/de/designs/{_design}.tsv",
            meta=[
                f"{engine_dir('deseq2', DE_PRIMARY)}/meta/{c}.json" for c in _contrasts
            ],
            de=[f"results/de/{c}.tsv" for c in _contrasts],
            gmt=list(ENRICHMENT_GMT.values()),
        output:
            sets=report(
                ENRICHMENT_OUTPUTS[_design]["sets"],
                caption="../report/enrichment_sets_table.rst",
                category="Pathway enrichment",
            ),
            meta=ENRICHMENT_OUTPUTS[_design]["meta"],
            prerank=report(
                ENRICHMENT_OUTPUTS[_design]["prerank"],
                caption="../report/enrichment_prerank_table.rst",
                category="Pathway enrichment",
            ),
            dot=report(
                ENRICHMENT_OUTPUTS[_design]["dot"],
                caption="../report/enrichment_dot.rst",
                category="Pathway enrichment",
            ),
            running_top=report(
                ENRICHMENT_OUTPUTS[_design]["running_top"],
                caption="../report/enrichment_running_top.rst",
                category="Pathway enrichment",
            ),
            running_curated=report(
                ENRICHMENT_OUTPUTS[_design]["running_curated"],
                caption="../report/enrichment_running_curated.rst",
                category="Pathway enrichment",
            ),
        log:
            f"logs/enrichment/{_design}.log",
        benchmark:
            f"benchmarks/enrichment/{_design}.tsv"
        priority: len(_contrasts)
        conda:
            "../../envs/myoclamp.yaml"
        threads: 1
        resources:
            mem_mb=RESOURCES.mem_mb("enrichment"),
            runtime=RESOURCES.runtime("enrichment"),
        params:
            contrasts=_contrasts,
            settings=settings("enrichment", "seed"),
            gmt=ENRICHMENT_GMT,
        script:
            "../scripts/enrichment.py"
