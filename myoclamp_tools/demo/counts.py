"""Negative-binomial counts of the demo cohort from latent per-person and per-biopsy states.

Log mean of gene g in biopsy s of person p (natural log):

    log share_g - c_g + b_g F_s + beta_g z_p + u_gp + site + sex + stress + insulin + treatment

``F_s`` is the fibre-type factor of the biopsy (person factor plus biopsy jitter), ``z_p`` the
standardised M-value, ``u_gp`` the person's own deviation, ``c_g`` half the log-normal variance
(so mean shares match the real ones). The biological variance of one biopsy per person,
``log(1 + dispersion_g)`` from the real basal biopsies, is split into fibre, M-value, person
(share ``PERSON_SHARE`` of what is left) and biopsy-to-biopsy parts; the last is the NB dispersion.
Gamma-distributed expression (the NB dispersion) is turned into shares of each library
(compositional, as sequencing is: depth does not depend on the rRNA share), then Poisson counts.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from myoclamp_tools.demo.effects import LN2, LONG_GENES, M_HEALTHY, M_MEAN, M_SD

#: share of the non-fibre, non-M biological variance that is the person's own (repeated biopsies)
PERSON_SHARE = 0.45
#: share of the fibre-type factor's variance that is the person's (the rest differs by biopsy)
FIBRE_PERSON_SHARE = 0.7
#: immediate-early genes: share of their variance from a per-biopsy stress factor
IEG_STRESS_SHARE = 0.6
LOW_QUALITY_DEPTH = 0.12


@dataclass
class Variance:
    """Per-gene variance components (natural-log scale)."""

    fibre: np.ndarray  # loading on the fibre factor
    stress: np.ndarray  # loading on the biopsy-stress factor
    person_sd: np.ndarray
    within_dispersion: np.ndarray
    centre: np.ndarray  # c_g, half the total log-normal variance


def variance_components(params: pd.DataFrame, effects: pd.DataFrame) -> Variance:
    """Split each gene's biological variance into fibre, M, stress, person and biopsy parts."""
    total = np.log1p(params["dispersion"].to_numpy())
    fibre = params["fibre_loading"].to_numpy()
    beta = effects["m_value_log2fc_per_sd"].to_numpy() * LN2
    rest = np.maximum(total - fibre**2 - beta**2, 0.1 * total)
    ieg = effects["ieg"].to_numpy()
    stress = np.where(ieg, np.sqrt(IEG_STRESS_SHARE * rest), 0.0)
    rest = rest - stress**2
    person = np.where(ieg, 0.1, PERSON_SHARE) * rest
    within = np.expm1(rest - person)
    centre = (fibre**2 + beta**2 + stress**2 + person) / 2
    return Variance(fibre, stress, np.sqrt(person), np.maximum(within, 1e-4), centre)


def insulin_weight(m_value: np.ndarray) -> np.ndarray:
    """Weight of the healthy (vs T2D-attenuated) insulin response: 0 at M 4, 1 at ``M_HEALTHY``."""
    return np.clip((np.asarray(m_value, dtype=float) - M_MEAN) / (M_HEALTHY - M_MEAN), -0.5, 1.0)


def insulin_scale(m_value: np.ndarray, attenuation: np.ndarray) -> np.ndarray:
    """Fraction of the healthy insulin response per person (rows) and gene (columns).

    A person with the typical T2D M-value (4 mg/kg/min) gets the file's T2D attenuation, one at
    ``M_HEALTHY`` the full healthy response; linear in between, extrapolated down to half the
    attenuation gap below 4.
    """
    w = insulin_weight(m_value)
    att = np.asarray(attenuation)
    return np.maximum(att[None, :] + (1.0 - att[None, :]) * w[:, None], 0.0)


def simulate_counts(
    params: pd.DataFrame,
    effects: pd.DataFrame,
    persons: pd.DataFrame,
    samples: pd.DataFrame,
    library_median: float,
    library_cv: float,
    rng: np.random.Generator,
    keep: np.ndarray,
    treatment_effect: bool = False,
) -> tuple[np.ndarray, pd.DataFrame]:
    """Counts (kept genes x samples, int64) and per-sample latent values.

    ``persons``: one row per latent person (participants plus the outsider whose biopsy fills the
    swapped tube) with ``sex``, ``site``, ``m_value_latent``, ``fibre``. ``samples`` needs
    ``source`` (row of ``persons``), ``visit``, ``clamp``, ``arm``, ``site``, ``defect``.
    """
    var = variance_components(params, effects)
    n_p, n_s = len(persons), len(samples)
    kept = np.flatnonzero(keep)
    log_share = np.log(params["share"].to_numpy())
    z = (persons["m_value_latent"].to_numpy() - M_MEAN) / M_SD
    person_u = rng.normal(size=(n_p, len(kept))) * var.person_sd[kept]
    fibre_s = np.sqrt(FIBRE_PERSON_SHARE) * persons["fibre"].to_numpy()[
        samples["source"]
    ] + np.sqrt(1 - FIBRE_PERSON_SHARE) * rng.normal(size=n_s)
    stress_s = rng.normal(size=n_s)
    s2 = np.log1p(library_cv**2)
    library = np.exp(rng.normal(np.log(library_median), np.sqrt(s2), n_s))
    degrade = rng.normal(0.0, 0.5, len(kept))
    scale = insulin_scale(
        persons["m_value_latent"].to_numpy(), effects["insulin_attenuation"].to_numpy()[kept]
    )
    genes = params["gene"].to_numpy()[kept]

    eff = effects.iloc[kept]
    base = log_share[kept] - var.centre[kept]
    rest_share = params["share"].to_numpy()[~keep].sum()
    phi = var.within_dispersion[kept]
    # each biopsy draws from its own stream, so an effect planted in some samples leaves the
    # counts of all the others unchanged
    sample_seed = int(rng.integers(2**32))
    counts = np.empty((len(kept), n_s), dtype=np.int64)
    for j, s in enumerate(samples.itertuples()):
        p = s.source
        person = persons.iloc[p]
        log_mu = (
            base
            + var.fibre[kept] * fibre_s[j]
            + LN2 * eff["m_value_log2fc_per_sd"].to_numpy() * z[p]
            + person_u[p]
            + var.stress[kept] * stress_s[j]
        )
        if person["site"] == "site2":
            log_mu += LN2 * eff["site_log2fc"].to_numpy()
        if person["sex"] == "F":
            log_mu += LN2 * eff["female_log2fc"].to_numpy()
        if s.clamp == "insulin":
            log_mu += LN2 * eff["insulin_log2fc_healthy"].to_numpy() * scale[p]
        if treatment_effect and s.arm == "anakinra" and s.visit == "week13":
            log_mu += LN2 * eff["treatment_log2fc_if_on"].to_numpy()
        lib = float(library[j])
        if s.defect == "low_quality":
            lib *= LOW_QUALITY_DEPTH
            log_mu = log_mu + degrade
            log_mu[np.isin(genes, LONG_GENES)] -= np.log(4.0)
            log_mu[np.isin(genes, ("RNR1", "RNR2"))] += np.log(1.8)
        library[j] = lib
        # gamma-distributed expression, then shares of the library: depth is set by sequencing
        draw = np.random.default_rng([sample_seed, j])
        q = draw.gamma(1.0 / phi, np.exp(log_mu) * phi)
        counts[:, j] = draw.poisson(lib * q / (q.sum() + rest_share))
    latent = pd.DataFrame(
        {
            "sample": samples["sample"].to_numpy(),
            "library_planted": np.round(library, 0),
            "fibre_biopsy": np.round(fibre_s, 4),
            "stress": np.round(stress_s, 4),
        }
    )
    return counts, latent
