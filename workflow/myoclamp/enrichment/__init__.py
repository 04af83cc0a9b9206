"""Gene-set enrichment of the DE results: GSEA prerank, over-representation, plots."""
