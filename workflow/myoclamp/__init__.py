"""myoclamp: clamp-trial skeletal-muscle RNA-seq analysis."""

__version__ = "0.1.0"
