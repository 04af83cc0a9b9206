"""The bundled demo trial: a simulated clamp-trial cohort calibrated on real muscle RNA-seq.

API::

    from myoclamp_tools.demo import generate
    paths = generate(out_dir, seed=20070510, n_participants=70, n_genes=None,
                     treatment_effect=False)

writes ``counts.tsv.gz`` (genes x samples, first column ``gene``), ``samples.tsv``,
``clinical.tsv`` and ``truth/{genes,participants,samples}.tsv`` plus ``truth/parameters.json``
into ``out_dir`` and returns their paths by name (``counts``, ``samples``, ``clinical``,
``truth_genes``, ``truth_participants``, ``truth_samples``, ``parameters``). The same arguments
give byte-identical files. ``treatment_effect=True`` plants a week-13 change in the anakinra arm
in ``myoclamp_tools.demo.effects.TREATMENT_GENES`` (truth column ``treatment_log2fc``);
everything else
(design, clinical table, random states) is unchanged by the switch. Small cohorts for fast tests:
``n_participants=12, n_genes=1500``.

Command line: ``python -m myoclamp_tools.demo --out DIR [--seed N] [--participants N] [--genes N]
[--treatment-effect]``. See docs/demo_cohort.md.
"""

from myoclamp_tools.demo.generate import generate

__all__ = ["generate"]
