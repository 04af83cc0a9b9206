"""Negative-binomial log-likelihood and its derivative, vectorised over genes (rows)."""

from __future__ import annotations

import numpy as np
from scipy.special import digamma, gammaln


def nb_nll(y: np.ndarray, mu: np.ndarray, alpha: np.ndarray, lgy1: np.ndarray) -> np.ndarray:
    """pydeseq2's ``nb_nll`` per gene: ``y, mu`` (G, n), ``alpha`` (G,), ``lgy1 = gammaln(y+1)``."""
    a = alpha[:, None]
    inv = 1.0 / a
    logbinom = gammaln(y + inv) - lgy1 - gammaln(inv)
    n = y.shape[1]
    return n * (inv[:, 0] * np.log(alpha)) + (
        -logbinom + (y + inv) * np.log(inv + mu) - y * np.log(mu)
    ).sum(axis=1)


def dnb_nll(y: np.ndarray, mu: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """pydeseq2's ``dnb_nll``: derivative of :func:`nb_nll` in ``alpha`` per gene."""
    a = alpha[:, None]
    inv = 1.0 / a
    s = (digamma(inv) - digamma(y + inv) + np.log1p(mu * a) + (y - mu) / (mu + inv)).sum(axis=1)
    return -(1.0 / alpha**2) * s
