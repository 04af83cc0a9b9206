# limma-voom with the participant as a random effect, as limma's user guide runs it:
#   TMM (edgeR calcNormFactors) -> voom -> duplicateCorrelation(block) -> voom(block, correlation)
#   -> duplicateCorrelation(block) -> lmFit(block, correlation) -> contrasts.fit -> eBayes.
# Reference of myoclamp's voom engine (myoclamp_tools/rlimma.py, pytest -m rlimma).
#
# Rscript limma_voom.R counts.tsv design.tsv block.tsv contrasts.tsv outdir [robust]
#   counts.tsv    genes x samples, first column gene_id
#   design.tsv    samples x design columns, first column sample (same order as counts)
#   block.tsv     sample, block
#   contrasts.tsv column, then one column of weights per contrast
# Writes outdir/correlation.tsv (pass, consensus), outdir/norm_factors.tsv, outdir/voom.tsv
# (final voom weights and log-CPM of the first 5 genes), outdir/<contrast>.tsv (topTable columns
# plus lfcSE = stdev.unscaled * sqrt(s2.post), df_total, s2_prior, df_prior) and
# outdir/timing.tsv (elapsed and CPU seconds of the fit).
suppressPackageStartupMessages({
  library(limma)
  library(edgeR)
  library(statmod)
})
args <- commandArgs(trailingOnly = TRUE)
robust <- length(args) >= 6 && args[6] == "robust"
counts <- as.matrix(read.delim(args[1], row.names = 1, check.names = FALSE))
design <- as.matrix(read.delim(args[2], row.names = 1, check.names = FALSE))
block <- read.delim(args[3], colClasses = "character")
contr <- read.delim(args[4], row.names = 1, check.names = FALSE)
out <- args[5]
dir.create(out, showWarnings = FALSE, recursive = TRUE)
stopifnot(identical(colnames(counts), rownames(design)))
stopifnot(identical(block$sample, colnames(counts)))
stopifnot(identical(rownames(contr), colnames(design)))
b <- block$block

t0 <- proc.time()
dge <- calcNormFactors(DGEList(counts))
v <- voom(dge, design)
c1 <- duplicateCorrelation(v, design, block = b)$consensus.correlation
v <- voom(dge, design, block = b, correlation = c1)
c2 <- duplicateCorrelation(v, design, block = b)$consensus.correlation
fit <- lmFit(v, design, block = b, correlation = c2)
elapsed <- proc.time() - t0

write.table(data.frame(pass = 1:2, consensus = c(c1, c2)), file.path(out, "correlation.tsv"),
            sep = "\t", quote = FALSE, row.names = FALSE)
write.table(data.frame(sample = colnames(counts), norm_factor = dge$samples$norm.factors),
            file.path(out, "norm_factors.tsv"), sep = "\t", quote = FALSE, row.names = FALSE)
k <- min(5, nrow(counts))
vw <- data.frame(gene_id = rep(rownames(counts)[1:k], ncol(counts)),
                 sample = rep(colnames(counts), each = k),
                 E = as.vector(v$E[1:k, ]), weight = as.vector(v$weights[1:k, ]))
write.table(vw, file.path(out, "voom.tsv"), sep = "\t", quote = FALSE, row.names = FALSE)

for (name in colnames(contr)) {
  t1 <- proc.time()
  f2 <- eBayes(contrasts.fit(fit, as.matrix(contr[, name, drop = FALSE])), robust = robust)
  elapsed <- elapsed + (proc.time() - t1)
  tt <- topTable(f2, coef = 1, number = Inf, sort.by = "none")
  res <- data.frame(
    gene_id = rownames(counts), logFC = tt$logFC, AveExpr = tt$AveExpr, t = tt$t,
    P.Value = tt$P.Value, adj.P.Val = tt$adj.P.Val, B = tt$B,
    lfcSE = f2$stdev.unscaled[, 1] * sqrt(f2$s2.post), df_total = f2$df.total,
    s2_prior = rep_len(f2$s2.prior, nrow(counts)), df_prior = rep_len(f2$df.prior, nrow(counts))
  )
  write.table(res, file.path(out, paste0(name, ".tsv")), sep = "\t", quote = FALSE,
              row.names = FALSE)
}
write.table(data.frame(elapsed_seconds = elapsed[["elapsed"]],
                       cpu_seconds = elapsed[["user.self"]] + elapsed[["sys.self"]]),
            file.path(out, "timing.tsv"), sep = "\t", quote = FALSE, row.names = FALSE)
