#!/usr/bin/env Rscript
# Reference run of R DESeq2 (Debian r-bioc-deseq2) on the same counts and design matrix as the
# pydeseq2 step, for the comparison in tests/test_de_rdeseq2.py and docs/de.md.
#
# usage: Rscript myoclamp_tools/r/deseq2.R COUNTS DESIGN CONTRAST OUT [normal|useT [LFC ALT [DISP]]]
#   COUNTS   TSV, genes x samples, first column the gene key (raw integer counts)
#   DESIGN   TSV, samples x design columns, first column the sample id (full-rank model matrix)
#   CONTRAST TSV with columns `column` and `weight` (design column names; others weigh 0)
#   OUT      TSV of results: gene_id baseMean log2FoldChange lfcSE stat pvalue padj (MLE log2FC;
#            Debian has no apeglm, so no shrinkage here), dispGeneEst dispersion
#   useT     Wald p-values from a t distribution with samples - design columns df (DESeq2's
#            useT = TRUE); default normal
#   LFC ALT  results(..., lfcThreshold = LFC, altHypothesis = ALT), e.g. 0.585 lessAbs (the
#            equivalence test); default 0 greaterAbs (the usual test)
#   DISP     TSV with columns `gene_id` and `dispersion`: R's own size factors, then these
#            dispersions and nbinomWaldTest() instead of DESeq() (to compare the test alone)
# Prints `elapsed_seconds<TAB>x` and `cpu_seconds<TAB>y` (DESeq() + results()) on stdout.
suppressPackageStartupMessages(library(DESeq2))

args <- commandArgs(trailingOnly = TRUE)
if (!(length(args) %in% c(4, 5, 7, 8))) {
    stop("usage: Rscript myoclamp_tools/r/deseq2.R COUNTS DESIGN CONTRAST OUT [normal|useT [LFC ALT [DISP]]]")
}
disp_file <- if (length(args) == 8) args[8] else NA
use_t <- length(args) >= 5 && args[5] == "useT"
lfc_threshold <- if (length(args) >= 7) as.numeric(args[6]) else 0
alt_hypothesis <- if (length(args) >= 7) args[7] else "greaterAbs"
counts <- as.matrix(read.delim(args[1], row.names = 1, check.names = FALSE))
mm <- as.matrix(read.delim(args[2], row.names = 1, check.names = FALSE))
con <- read.delim(args[3], check.names = FALSE, stringsAsFactors = FALSE)

missing_samples <- setdiff(rownames(mm), colnames(counts))
if (length(missing_samples) > 0) {
    stop(args[1], ": no count column for sample(s) ", paste(head(missing_samples), collapse = ", "))
}
unknown <- setdiff(con$column, colnames(mm))
if (length(unknown) > 0) {
    stop(args[3], ": column(s) not in the design: ", paste(unknown, collapse = ", "))
}
counts <- counts[, rownames(mm), drop = FALSE]
storage.mode(counts) <- "integer"

weights <- setNames(rep(0, ncol(mm)), colnames(mm))
weights[con$column] <- con$weight
colnames(mm) <- paste0("x", seq_len(ncol(mm))) # formulaic names are not R-syntactic

col_data <- data.frame(row.names = rownames(mm), one = rep(1, nrow(mm)))
dds <- DESeqDataSetFromMatrix(counts, col_data, design = ~1)
start <- proc.time()
if (is.na(disp_file)) {
    dds <- DESeq(dds, full = mm, quiet = TRUE, useT = use_t)
} else {
    disp <- read.delim(disp_file, check.names = FALSE, stringsAsFactors = FALSE)
    dds <- estimateSizeFactors(dds)
    dispersions(dds) <- disp$dispersion[match(rownames(dds), disp$gene_id)]
    dds <- nbinomWaldTest(dds, modelMatrix = mm, useT = use_t, quiet = TRUE)
}
res <- results(dds, contrast = unname(weights), alpha = 0.05,
               lfcThreshold = lfc_threshold, altHypothesis = alt_hypothesis)
used <- proc.time() - start

out <- data.frame(gene_id = rownames(res), as.data.frame(res), check.names = FALSE)
# the fit's gene-wise (NA when given) and final dispersions, to compare the fits themselves
out$dispGeneEst <- if (is.null(mcols(dds)$dispGeneEst)) NA else mcols(dds)$dispGeneEst
out$dispersion <- dispersions(dds)
write.table(out, args[4], sep = "\t", quote = FALSE, row.names = FALSE, na = "NA")
cat(sprintf("elapsed_seconds\t%.2f\n", used[["elapsed"]]))
cat(sprintf("cpu_seconds\t%.2f\n", used[["user.self"]] + used[["sys.self"]]))
