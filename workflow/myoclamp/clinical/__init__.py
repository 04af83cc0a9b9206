"""Clinical stage: the trial's endpoints by arm, and expression against insulin sensitivity.

Modules: ``endpoints`` (baseline/follow-up summaries and the ANCOVA arm effect), ``samples``
(which biopsies and covariates enter the expression models), ``stats`` (partial Spearman, BH),
``association`` (per-gene expression vs M-value: pydeseq2 and partial Spearman), ``sets``
(set scores vs M-value and GSEA prerank of the per-gene statistic), ``change`` (change vs
change), ``plots``, ``pipeline`` (read, compute, write) and ``steps`` (rule entry points).
See docs/clinical.md.
"""
