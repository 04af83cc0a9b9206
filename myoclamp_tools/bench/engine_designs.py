"""The designs of the engine benchmark (``scripts/benchmark_engine.py``), built by the workflow.

Three sources, every design filtered as ``myoclamp.de.fit.fit_design`` filters it:

- ``demo``: the cohort of a config (``config.yaml``: ``resources/demo/``) ingested in memory with
  ``myoclamp.ingest.build.build_anndata`` (what the ``ingest`` rule writes), and every design the
  workflow fits on it, from ``myoclamp.de.designs`` (``build_design``; first contrast of each);
- ``real``: GSE202295 with ``~ id + time`` and the nested ``~ group + group:idn + group:time``
  (``myoclamp.de.designs.full_rank_matrix``), >= 10 reads in >= 10 samples;
- ``resampled_<n>``: the demo resampled to ``n`` samples with ``myoclamp_tools.bench.resample`` (the
  resampler of ``scripts/benchmark.py``), ingested and designed like the demo.

A :class:`BenchDesign` is pickled by the parent process and read by each measured child.
"""

from __future__ import annotations

import copy
import pickle
from dataclasses import dataclass
from pathlib import Path

import anndata as ad
import numpy as np
import pandas as pd

from myoclamp.adata import counts_frame
from myoclamp.de.design import Design, build_design, full_rank_matrix
from myoclamp.de.fit import add_unwanted_factors, expression_filter
from myoclamp.de.settings import de_settings
from myoclamp.de.specs import contrast_designs
from myoclamp.de.unwanted import control_gene_keys
from myoclamp.errors import InputError
from myoclamp.io import atomic_path
from myoclamp_tools.bench.resample import resample_folder

#: GSE202295 designs: formula, contrast name and its weights on design columns
REAL_DESIGNS: dict[str, tuple[str, str, dict[str, float]]] = {
    "real_id_time": ("~ id + time", "post_vs_basal", {"time[T.post]": 1.0}),
    "real_nested": (
        "~ group + group:idn + group:time",
        "T2D_vs_NGT_post",
        {"group[T2D]:time[T.post]": 1.0, "group[NGT]:time[T.post]": -1.0},
    ),
}
#: the DE stage's filter of the real counts (the DE stage's min_count; fixed min_samples)
REAL_SETTINGS = {"min_count": 10, "min_samples": 10}
#: the cohorts ``--designs`` can name (design names start with one of them)
SOURCES = ("demo", "real", "resampled")
#: seed of the random gene samples (pydeseq2 on large designs, ``--genes`` try-outs)
GENE_SEED = 7


@dataclass
class BenchDesign:
    """One benchmark design: the workflow's ``Design``, its filtered counts and first contrast.

    ``counts`` is samples x genes (int64) after the expression filter; ``design.metadata`` keeps
    only the participant column (no clinical values leave the parent process).
    """

    name: str
    cohort: str
    design: Design
    counts: pd.DataFrame
    contrast: str
    settings: dict
    genes_before_filter: int

    @property
    def vector(self) -> np.ndarray:
        return self.design.contrasts[self.contrast]

    def size(self) -> dict[str, int]:
        """Samples, design columns, participants and fitted genes."""
        return {
            "samples": int(self.counts.shape[0]),
            "columns": int(self.design.matrix.shape[1]),
            "participants": int(self.design.metadata["participant"].nunique()),
            "genes": int(self.counts.shape[1]),
        }


def sources_for(items: list[str]) -> set[str]:
    """The cohorts to build for ``--designs`` items (``all``, a cohort, or a design name)."""
    if "all" in items:
        return set(SOURCES)
    return {s for s in SOURCES for item in items if item == s or item.startswith(f"{s}_")}


def is_selected(name: str, items: list[str]) -> bool:
    """Whether design ``name`` is asked for by the ``--designs`` items."""
    return "all" in items or name.split("_", 1)[0] in items or name in items


def gene_sample(n_total: int, n: int | None, seed: int = GENE_SEED) -> np.ndarray:
    """Sorted positions of a random sample of ``n`` of ``n_total`` genes (all if ``n`` >= total)."""
    if not n or n >= n_total:
        return np.arange(n_total)
    if n < 1:
        raise ValueError(f"gene sample size must be positive, got {n}")
    return np.sort(np.random.default_rng(seed).choice(n_total, n, replace=False))


def fit_min_samples(design: Design, settings: dict) -> int:
    """The expression filter's ``min_samples`` as ``fit_design`` sets it."""
    return int(settings.get("min_samples") or design.min_group)


def bench_design(
    name: str,
    cohort: str,
    design: Design,
    counts: pd.DataFrame,
    settings: dict,
    control: list[str] | None = None,
) -> BenchDesign:
    """Filter ``counts`` (the design's samples) and add ``de.unwanted``'s factors as
    ``fit_design`` does; keep the first contrast."""
    if design.matrix is None or design.reason or not design.contrasts:
        raise ValueError(f"design {name!r} is not estimable: {design.reason or 'no contrast'}")
    sub = counts.loc[design.matrix.index]
    keep = expression_filter(sub, settings["min_count"], fit_min_samples(design, settings))
    lean = copy.copy(design)
    lean.metadata = design.metadata.loc[design.matrix.index, ["participant"]].astype(str)
    add_unwanted_factors(lean, sub.loc[:, keep], settings, control)
    return BenchDesign(
        name=name,
        cohort=cohort,
        design=lean,
        counts=sub.loc[:, keep],
        contrast=next(iter(design.contrasts)),
        settings=settings,
        genes_before_filter=int(counts.shape[1]),
    )


# --------------------------------------------------------------------------- workflow cohorts


def with_inputs(config: dict, inputs: dict[str, str | Path], base: Path) -> dict:
    """A copy of ``config`` whose count table, sample sheet and clinical table are absolute paths.

    ``inputs`` overrides the config's; relative paths are taken relative to ``base``.
    """
    out = copy.deepcopy(config)
    for key in ("counts", "samples", "clinical"):
        path = Path(inputs.get(key) or out["inputs"][key])
        out["inputs"][key] = str(path if path.is_absolute() else (base / path).resolve())
    return out


def workflow_designs(adata: ad.AnnData, config: dict, cohort: str) -> list[BenchDesign]:
    """Every design the workflow fits on ``adata`` (its ``DE_DESIGNS``), as benchmark designs."""
    settings = de_settings(config)
    names = list(dict.fromkeys(contrast_designs(config, adata.obs).values()))
    out = []
    for name in names:
        design = build_design(adata.obs, name, config)
        samples = design.matrix.index if design.matrix is not None else adata.obs_names[:0]
        counts = counts_frame(adata, samples)
        control = control_gene_keys(adata.var, settings, name)
        out.append(bench_design(f"{cohort}_{name}", cohort, design, counts, settings, control))
    return out


def cohort_designs(config: dict, cohort: str) -> list[BenchDesign]:
    """Ingest the cohort of ``config`` in memory (as the ``ingest`` rule) and build its designs."""
    from myoclamp.ingest.build import build_anndata  # parent only: children skip its imports

    adata = build_anndata(config, root=Path(config["inputs"]["counts"]).parent)
    return workflow_designs(adata, config, cohort)


def resampled_config(config: dict, base: Path, out: Path, n_samples: int, seed: int) -> dict:
    """Resample the demo folder ``base`` to ``n_samples`` into ``out``; ``config`` pointed there."""
    paths = resample_folder(base, out, n_samples, seed=seed)
    return with_inputs(config, paths, out)


# --------------------------------------------------------------------------- GSE202295


def _number_within(sheet: pd.DataFrame) -> pd.Series:
    """``idn``: participants numbered within their group (for the nested design)."""
    out = pd.Series(index=sheet.index, dtype=object)
    for _, grp in sheet.groupby("group"):
        rank = {p: i for i, p in enumerate(sorted(grp["id"].unique()))}
        out[grp.index] = [f"{rank[p]:03d}" for p in grp["id"]]
    return out


def load_real(
    gse: str | Path, min_count: int = 10, min_samples: int = 10
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """GSE202295 counts (samples x genes, >= ``min_count`` reads in >= ``min_samples`` samples,
    first of duplicated symbols) and the sample sheet with ``idn``."""
    gse = Path(gse)
    for name in ("counts.csv.gz", "samples.csv"):
        if not (gse / name).exists():
            raise InputError(gse / name, "", "missing", "point --gse at the GSE202295 folder")
    counts = pd.read_csv(gse / "counts.csv.gz", index_col=0).T
    sheet = pd.read_csv(gse / "samples.csv", dtype=str).set_index("seq_sample_id")
    counts = counts.loc[sheet.index].round().astype(np.int64)
    counts = counts.loc[:, expression_filter(counts, min_count, min_samples)]
    counts = counts.loc[:, ~counts.columns.duplicated()]
    sheet["idn"] = _number_within(sheet)
    sheet["participant"] = sheet["id"]
    return counts, sheet


def contrast_vector(columns: list[str], weights: dict[str, float], where: str) -> np.ndarray:
    """Weights on named design columns as a vector over ``columns``."""
    missing = [c for c in weights if c not in columns]
    if missing:
        raise ValueError(f"{where}: design has no column(s) {missing}; columns are {columns}")
    vec = np.zeros(len(columns))
    for col, w in weights.items():
        vec[columns.index(col)] = w
    return vec


def real_designs(gse: str | Path, names: list[str] | None = None) -> list[BenchDesign]:
    """The GSE202295 designs (``names``, default all of :data:`REAL_DESIGNS`)."""
    counts, sheet = load_real(gse, REAL_SETTINGS["min_count"], REAL_SETTINGS["min_samples"])
    settings = de_settings({"de": REAL_SETTINGS})
    out = []
    for name in names or list(REAL_DESIGNS):
        formula, contrast, weights = REAL_DESIGNS[name]
        matrix, dropped = full_rank_matrix(sheet, formula)
        design = Design(
            name=name,
            formula=formula,
            metadata=sheet[["participant"]].copy(),
            matrix=matrix,
            dropped_columns=dropped,
            min_group=REAL_SETTINGS["min_samples"],
            contrasts={contrast: contrast_vector(list(matrix.columns), weights, name)},
        )
        out.append(bench_design(name, "real", design, counts, settings))
    return out


# --------------------------------------------------------------------------- persistence


def save_design(design: BenchDesign, path: str | Path) -> None:
    """Pickle a benchmark design atomically (read back by the measured child)."""
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        pickle.dump(design, fh, protocol=pickle.HIGHEST_PROTOCOL)


def load_design(path: str | Path) -> BenchDesign:
    """A design written by :func:`save_design` in this benchmark run (trusted)."""
    with open(path, "rb") as fh:
        design = pickle.load(fh)
    if not isinstance(design, BenchDesign):
        raise TypeError(f"{path}: not a benchmark design; rerun scripts/benchmark_engine.py")
    return design


def subsample_genes(design: BenchDesign, n: int | None) -> BenchDesign:
    """The design on a seeded random sample of ``n`` of its genes (try-outs: ``--genes``)."""
    pick = gene_sample(design.counts.shape[1], n)
    if len(pick) == design.counts.shape[1]:
        return design
    out = copy.copy(design)
    out.counts = design.counts.iloc[:, pick]
    return out


def reorder_samples(design: BenchDesign, seed: int) -> BenchDesign:
    """The same design with its samples in a seeded random order (counts, matrix and metadata).

    Refitting it measures an engine's reproducibility: the data are unchanged, only the order in
    which sums run, so any difference is rounding amplified by the fit.
    """
    order = np.random.default_rng(seed).permutation(design.counts.shape[0])
    inner = copy.copy(design.design)
    inner.metadata = design.design.metadata.iloc[order]
    inner.matrix = design.design.matrix.iloc[order]
    out = copy.copy(design)
    out.design = inner
    out.counts = design.counts.iloc[order]
    return out
