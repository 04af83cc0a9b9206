"""Report: the one h5ad that holds the whole analysis, and the self-contained HTML report."""
