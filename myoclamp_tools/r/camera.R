#!/usr/bin/env Rscript
# Reference run of R limma's camera (Debian r-bioc-limma) and edgeR's log-CPM on the same data,
# design and sets as myoclamp.enrichment.camera, for tests/test_enrichment_rlimma.py.
#
# usage: Rscript myoclamp_tools/r/camera.R Y DESIGN CONTRAST SETS OUT [COR] [COUNTS LIBSIZE CPM]
#   Y        TSV, genes x samples, first column the gene key (log expression)
#   DESIGN   TSV, samples x design columns, first column the sample id (full-rank model matrix)
#   CONTRAST TSV with columns `column` and `weight` (design column names; others weigh 0)
#   SETS     TSV with columns `collection`, `set`, `gene` (one row per member)
#   OUT      TSV: collection set NGenes Correlation Direction PValue FDR, camera() run once per
#            collection (so FDR is BH within the collection)
#   COR      inter.gene.cor: NA (estimated per set, the default here) or a number
#   COUNTS LIBSIZE CPM  optional: raw counts (genes x samples TSV), effective library sizes (TSV
#            sample, lib_size) and the output path of edgeR::cpm(counts, lib.size, log = TRUE,
#            prior.count = 2) (genes x samples TSV)
# Prints `limma_version<TAB>x` and `elapsed_seconds<TAB>y` (camera calls) on stdout.
suppressPackageStartupMessages(library(limma))

args <- commandArgs(trailingOnly = TRUE)
if (!(length(args) %in% c(5, 6, 9, 10))) {
    stop("usage: Rscript camera.R Y DESIGN CONTRAST SETS OUT [COR] [COUNTS LIBSIZE CPM] [ALLOWNEG]")
}
y <- as.matrix(read.delim(args[1], row.names = 1, check.names = FALSE))
mm <- as.matrix(read.delim(args[2], row.names = 1, check.names = FALSE))
con <- read.delim(args[3], check.names = FALSE, stringsAsFactors = FALSE)
sets <- read.delim(args[4], check.names = FALSE, stringsAsFactors = FALSE,
                   colClasses = "character")
cor <- if (length(args) >= 6) args[6] else "NA"
cor <- if (cor == "NA") NA else as.numeric(cor)
allow_neg <- length(args) >= 10 && toupper(args[10]) == "TRUE"

if (!identical(rownames(mm), colnames(y))) stop("design rows and Y columns differ")
contrast <- setNames(rep(0, ncol(mm)), colnames(mm))
contrast[con$column] <- con$weight

elapsed <- 0
out <- list()
for (coll in unique(sets$collection)) {
    sub <- sets[sets$collection == coll, ]
    index <- split(sub$gene, factor(sub$set, levels = unique(sub$set)))
    start <- proc.time()[["elapsed"]]
    res <- camera(y, index, design = mm, contrast = contrast, inter.gene.cor = cor,
                  allow.neg.cor = allow_neg, sort = FALSE)
    elapsed <- elapsed + proc.time()[["elapsed"]] - start
    if (!"Correlation" %in% colnames(res)) res$Correlation <- cor
    if (!"FDR" %in% colnames(res)) res$FDR <- res$PValue
    out[[coll]] <- data.frame(collection = coll, set = rownames(res), NGenes = res$NGenes,
                              Correlation = res$Correlation, Direction = res$Direction,
                              PValue = res$PValue, FDR = res$FDR)
}
write.table(do.call(rbind, out), args[5], sep = "\t", quote = FALSE, row.names = FALSE)

if (length(args) >= 9) {
    suppressPackageStartupMessages(library(edgeR))
    counts <- as.matrix(read.delim(args[7], row.names = 1, check.names = FALSE))
    lib <- read.delim(args[8], check.names = FALSE, stringsAsFactors = FALSE)
    lib_size <- setNames(lib$lib_size, lib$sample)[colnames(counts)]
    logcpm <- edgeR::cpm(counts, lib.size = lib_size, log = TRUE, prior.count = 2)
    write.table(data.frame(gene = rownames(logcpm), logcpm, check.names = FALSE), args[9],
                sep = "\t", quote = FALSE, row.names = FALSE)
}
cat("limma_version\t", as.character(packageVersion("limma")), "\n", sep = "")
cat("elapsed_seconds\t", elapsed, "\n", sep = "")
