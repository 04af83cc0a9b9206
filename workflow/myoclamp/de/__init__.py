"""Differential expression with pydeseq2: designs, fits, contrasts, tables and plots.

Each design is fitted once (``fit``); every contrast of that design is a numeric vector over the
columns of its design matrix (``contrasts``). Designs are built here, with formulaic, from the
canonical obs columns, so pydeseq2 always receives a full-rank DataFrame ``design=``.
"""
