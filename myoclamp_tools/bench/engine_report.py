"""Tables of the engine benchmark: time and memory per design and engine, agreement, targets."""

from __future__ import annotations

import math
import time

import pandas as pd

from myoclamp_tools.bench.engine import BLOCKS_ON_SAMPLE, extrapolate, read_results
from myoclamp_tools.bench.report import cell, markdown_table, seconds_or_budget
from myoclamp_tools.rcompare import compare_results

#: issue 10's targets: speed-up on the demo's participant-block designs; time and memory of the
#: resampled 1,000-sample cohort's fits on the 2-core machine
MIN_SPEEDUP = 10.0
MAX_FIT_SECONDS = 180.0
MAX_FIT_MIB = 4096.0


def _ok(row: dict | None) -> bool:
    return bool(row) and row.get("status") == "ok" and row.get("fit_seconds") is not None


def all_genes_seconds(row: dict, key: str) -> float | None:
    """``row[key]`` scaled to all of the design's genes (pydeseq2 on a gene sample)."""
    if not _ok(row) or row.get(key) is None:
        return None
    return extrapolate(row[key], row["genes_fitted"], row["genes_total"])


def peak_mib(row: dict) -> float | None:
    """The larger of the process's own peak RSS and its largest reaped worker's."""
    values = [row.get(k) for k in ("peak_rss_mib", "workers_peak_rss_mib")]
    values = [v for v in values if v is not None]
    return max(values) if values else None


def by_engine(rows: list[dict]) -> dict[str, dict[str, dict]]:
    """design -> engine -> row."""
    out: dict[str, dict[str, dict]] = {}
    for row in rows:
        out.setdefault(row["design"], {})[row["engine"]] = row
    return out


def speedups(rows: list[dict]) -> None:
    """Add fit and shrink speed-ups vs pydeseq2 (all genes; same genes for the sample rows)."""
    for engines in by_engine(rows).values():
        py = engines.get("pydeseq2")
        for engine, row in engines.items():
            if engine == "pydeseq2" or not _ok(row) or not _ok(py):
                continue
            for key in ("fit_seconds", "shrink_seconds"):
                if engine == BLOCKS_ON_SAMPLE:  # measured on the same genes: no extrapolation
                    ref, own = py.get(key), row.get(key)
                else:
                    ref, own = all_genes_seconds(py, key), all_genes_seconds(row, key)
                name = key.replace("_seconds", "_speedup")
                row[name] = round(ref / own, 1) if ref and own else None


# --------------------------------------------------------------------------- agreement


def agreement(a: pd.DataFrame, b: pd.DataFrame, alpha: float = 0.05) -> dict[str, float]:
    """Spearman of log2FC and Wald stat, Jaccard of padj < alpha sets, on the genes of both."""
    common = a.index.intersection(b.index)
    got = compare_results(a.loc[common], b.loc[common], alpha)
    return {
        "genes": got["genes"],
        "spearman_log2fc": got["spearman_log2fc"],
        "spearman_stat": got["spearman_stat"],
        "sig_a": got["sig_pydeseq2"],
        "sig_b": got["sig_r"],
        "jaccard_padj05": got["jaccard_sig"],
    }


def agreement_rows(rows: list[dict], alpha: float = 0.05) -> list[dict]:
    """blocks vs pydeseq2 (pydeseq2's genes; the blocks fit on the same sample if there is one),
    blocks vs R and pydeseq2 vs R (when pydeseq2 fitted all genes), per design."""
    out = []
    for design, engines in by_engine(rows).items():
        tables = {
            e: read_results(r["results_path"]) for e, r in engines.items() if r.get("results_path")
        }
        py_all = "pydeseq2" in engines and not engines["pydeseq2"].get("extrapolated")
        pairs = [
            (
                "blocks vs pydeseq2",
                BLOCKS_ON_SAMPLE if BLOCKS_ON_SAMPLE in tables else "blocks",
                "pydeseq2",
            ),
            ("blocks vs R", "blocks", "R"),
            ("pydeseq2 vs R", "pydeseq2", "R") if py_all else None,
        ]
        for pair in filter(None, pairs):
            label, a, b = pair
            if a in tables and b in tables:
                got = agreement(tables[a], tables[b], alpha)
                sample = engines[a]["genes_fitted"] < engines[a]["genes_total"]
                out.append({"design": design, "comparison": label, "gene_sample": sample, **got})
    return out


# --------------------------------------------------------------------------- targets


def target_rows(rows: list[dict]) -> list[dict]:
    """Issue 10's targets, for the designs whose blocks fit used the block algebra."""
    out = []
    for design, engines in by_engine(rows).items():
        blocks = engines.get("blocks")
        if not _ok(blocks) or blocks.get("algebra") != "block":
            continue
        if design.startswith("demo_"):
            speed = blocks.get("fit_speedup")
            extrap = bool(engines.get("pydeseq2", {}).get("extrapolated"))
            out.append(
                {
                    "design": design,
                    "target": f"blocks fit >= {MIN_SPEEDUP:.0f}x faster than pydeseq2",
                    "measured": "-"
                    if speed is None
                    else f"{speed:.1f}x" + (" (pydeseq2 extrapolated)" if extrap else ""),
                    "met": None if speed is None else speed >= MIN_SPEEDUP,
                }
            )
        elif design.startswith("resampled_"):
            mib = max(peak_mib(blocks) or 0, blocks.get("tree_peak_rss_mib") or 0)
            seconds = blocks["fit_seconds"]
            shrink = blocks.get("shrink_seconds") or 0.0
            out.append(
                {
                    "design": design,
                    "target": f"blocks fit <= {MAX_FIT_SECONDS:.0f} s and <= {MAX_FIT_MIB:.0f} MiB "
                    f"({blocks['samples']} x {blocks['columns']})",
                    "measured": f"{cell(seconds)} s (+ {cell(shrink)} s shrink), "
                    f"{cell(float(mib))} MiB",
                    "met": seconds <= MAX_FIT_SECONDS and mib <= MAX_FIT_MIB,
                }
            )
    return out


# --------------------------------------------------------------------------- markdown

ENGINE_LABELS = {"pydeseq2": "pydeseq2", "blocks": "blocks", "R": "R DESeq2"}


def engine_label(row: dict) -> str:
    if row["engine"] == BLOCKS_ON_SAMPLE:
        return f"blocks (pydeseq2's {row['genes_fitted']:,} genes)"
    return ENGINE_LABELS.get(row["engine"], row["engine"])


def seconds_cell(row: dict, key: str) -> str:
    """Seconds, ``~all-genes (measured on n genes)`` when extrapolated, or the run's fate."""
    status = row.get("status", "ok")
    if status != "ok":
        return seconds_or_budget(None, status, row.get("budget_seconds"))
    value = row.get(key)
    if value is None:
        return "-"
    if row.get("extrapolated") and row["engine"] != BLOCKS_ON_SAMPLE:
        scaled = all_genes_seconds(row, key)
        return f"~{cell(float(scaled))} ({cell(float(value))} s on {row['genes_fitted']:,} genes)"
    return cell(float(value))


def _speedup(value: float | None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{value:,.1f}x"


def timing_table(rows: list[dict]) -> pd.DataFrame:
    """One row per (design, engine): the markdown timing table's cells."""
    out = []
    for row in rows:
        is_r = row["engine"] == "R"
        out.append(
            {
                "design": row["design"],
                "samples x columns": f"{row['samples']} x {row['columns']}",
                "genes": row["genes_total"],
                "engine": engine_label(row),
                "algebra": row.get("algebra", "-"),
                "fit s": seconds_cell(row, "fit_seconds"),
                "results s": "-" if is_r else seconds_cell(row, "results_seconds"),
                "shrink s": "no apeglm" if is_r else seconds_cell(row, "shrink_seconds"),
                "peak RSS MiB": peak_mib(row),
                "tree peak RSS MiB": row.get("tree_peak_rss_mib"),
                "fit speed-up": _speedup(row.get("fit_speedup")),
                "shrink speed-up": _speedup(row.get("shrink_speedup")),
                "load before / after": f"{row.get('load_before')} / {row.get('load_after')}",
            }
        )
    return pd.DataFrame(out)


def agreement_table(rows: list[dict]) -> pd.DataFrame:
    """The markdown agreement table's cells."""
    out = []
    for row in rows:
        out.append(
            {
                "design": row["design"],
                "comparison": row["comparison"],
                "genes": row["genes"] if not row["gene_sample"] else f"{row['genes']} (sample)",
                "Spearman log2FC": f"{row['spearman_log2fc']:.6f}",
                "Spearman stat": f"{row['spearman_stat']:.6f}",
                "padj < 0.05 (first / second)": f"{row['sig_a']} / {row['sig_b']}",
                "Jaccard": f"{row['jaccard_padj05']:.3f}",
            }
        )
    return pd.DataFrame(out)


NOTES = """\
Each (design, engine) ran in its own process with 2 CPUs (pydeseq2: joblib workers; blocks:
threads; BLAS single-threaded as in the workflow's `fit_design`). `fit s`: `DeseqDataSet` +
`deseq2()` (the fit's own time, as the workflow logs it); `results s`: `contrast_results` of the
first contrast without shrinkage (Wald test, Cook's and independent filtering); `shrink s`:
`contrast_results(..., shrink=True)` minus `results s`. `~N (x s on n genes)`: pydeseq2 fitted a
random sample of n genes and its time is scaled linearly to all genes (its per-gene cost does not
depend on the other genes; its fixed costs are scaled too, so this overstates slightly); the
`blocks (pydeseq2's n genes)` row fits the same sample (its speed-up is measured, not
extrapolated). R DESeq2: `DESeq()` + `results()` as timed inside R (one core; Debian has no
apeglm), peak RSS from `time -v`. `peak RSS MiB`: `getrusage` of the process, or of its largest
reaped worker if larger; `tree peak RSS MiB`: the process and its workers summed (sampled every
0.5 s). Speed-ups are pydeseq2's time over the engine's."""


def render(
    rows: list[dict],
    agreements: list[dict],
    targets: list[dict],
    machine_start: dict,
    machine_end: dict,
    command: str,
) -> str:
    """The markdown section of one benchmark run."""
    when = time.strftime("%Y-%m-%d %H:%M %Z")
    targets_frame = pd.DataFrame(targets)
    parts = [
        f"### Engine benchmark of {when}",
        "",
        f"Machine: {machine_start['cpu']}; nproc {machine_start['nproc']}; memory "
        f"{machine_start['memory_gib']} GiB; load average (1, 5, 15 min) {machine_start['load']} "
        f"at the start, {machine_end['load']} at the end.",
        "",
        f"Command: `{command}`",
        "",
        "#### Time and peak memory",
        "",
        markdown_table(timing_table(rows)) if rows else "(nothing run)",
        "",
        NOTES,
        "",
        "#### Agreement of the first contrast",
        "",
        markdown_table(agreement_table(agreements)) if agreements else "(no pair of results)",
        "",
        "#### Issue 10 targets",
        "",
        markdown_table(targets_frame) if len(targets_frame) else "(no block design measured)",
    ]
    return "\n".join(parts) + "\n"
