"""Quality control of the counts object: per-sample metrics, normalisation layers, PCA, pairing
check and outlier flags (see docs/qc.md)."""
