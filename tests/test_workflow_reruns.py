"""Reruns and faults: one target runs only what it needs, --forcerun reruns a rule and its
dependents only, and a run killed in the middle of a rule resumes without ever taking a
half-written output as done.

The DAG checks are dry runs (``snakemake -n``) of the workflow's real ``rule all``, so they follow
the stages as they land; the kill tests run the ingest rule for real on the tiny cohort.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import anndata as ad
import numpy as np
import pytest
from cli import snakemake_cli, snakemake_command
from cohort import cohort_tables, write_cohort

STAGES = ["ingest", "qc", "de", "enrichment", "clinical", "report"]
ADATA = "results/adata/counts.h5ad"


def snakemake(
    workdir: Path,
    configfile: Path,
    *args: str,
    env: dict | None = None,
    timeout: int = 600,
) -> subprocess.CompletedProcess:
    """Run the workflow's CLI in ``workdir`` (2 cores) and capture its output."""
    return snakemake_cli(workdir, configfile, *args, env=env, timeout=timeout)


@dataclass
class Job:
    """One job of a dry run: its rule, wildcards and files."""

    rule: str
    wildcards: dict[str, str] = field(default_factory=dict)
    inputs: list[str] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)

    @property
    def stage(self) -> str:
        return self.rule.split("_", 1)[0]


def parse_jobs(text: str) -> list[Job]:
    """The jobs a ``snakemake -n`` printed (rule ``all`` left out)."""
    jobs: list[Job] = []
    job: Job | None = None
    for line in text.splitlines():
        head = re.fullmatch(r"(?:local)?rule (\S+):", line.strip())
        if head and not line.startswith(" "):
            job = Job(head.group(1))
            jobs.append(job)
            continue
        item = re.fullmatch(r" {4}(input|output|wildcards): (.*)", line)
        if job is None or not item:
            continue
        values = [v.strip() for v in item.group(2).split(", ") if v.strip()]
        if item.group(1) == "wildcards":
            job.wildcards = dict(v.split("=", 1) for v in values)
        elif item.group(1) == "input":
            job.inputs = values
        else:
            job.outputs = values
    return [j for j in jobs if j.rule != "all"]


def dry_run(workdir: Path, configfile: Path, *args: str) -> list[Job]:
    res = snakemake(workdir, configfile, "-n", *args)
    assert res.returncode == 0, res.stderr[-3000:] + res.stdout[-3000:]
    return parse_jobs(res.stdout + res.stderr)


def dependents(jobs: list[Job], roots: list[Job]) -> list[Job]:
    """``roots`` and every job that reads, directly or not, an output of one of them."""
    made = {o: j for j in jobs for o in j.outputs}
    chosen = {id(j) for j in roots}
    changed = True
    while changed:
        changed = False
        for job in jobs:
            if id(job) not in chosen and any(id(made.get(i)) in chosen for i in job.inputs):
                chosen.add(id(job))
                changed = True
    return [j for j in jobs if id(j) in chosen]


def ancestors(jobs: list[Job], roots: list[Job]) -> list[Job]:
    """``roots`` and every job whose outputs they need, directly or not."""
    made = {o: j for j in jobs for o in j.outputs}
    chosen: dict[int, Job] = {}
    todo = list(roots)
    while todo:
        job = todo.pop()
        if id(job) not in chosen:
            chosen[id(job)] = job
            todo.extend(made[i] for i in job.inputs if i in made)
    return list(chosen.values())


def key(job: Job) -> tuple:
    return job.rule, tuple(sorted(job.wildcards.items()))


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> Path:
    """Config of the tiny cohort (8 participants x 200 genes)."""
    return write_cohort(tmp_path_factory.mktemp("tiny") / "in")


@pytest.fixture(scope="module")
def all_jobs(tiny, tmp_path_factory) -> list[Job]:
    """Every job of ``rule all`` on the tiny cohort, from a dry run in an empty directory."""
    return dry_run(tmp_path_factory.mktemp("plan"), tiny)


def design_jobs(all_jobs: list[Job]) -> list[Job]:
    """The DE jobs, one per design (``de_fit_<design>``: the fit and each of its contrasts)."""
    jobs = [j for j in all_jobs if j.rule.startswith("de_fit_")]
    assert len(jobs) >= 2, [j.rule for j in all_jobs]
    return jobs


def contrast_table(job: Job) -> str:
    """The first contrast table a design job writes (``results/de/<contrast>.tsv``)."""
    return next(o for o in job.outputs if re.fullmatch(r"results/de/\w+\.tsv", o))


def test_one_contrast_table_runs_only_what_it_needs(tiny, all_jobs, tmp_path):
    producer = design_jobs(all_jobs)[0]
    jobs = dry_run(tmp_path, tiny, contrast_table(producer))
    assert sorted(j.rule for j in jobs) == sorted(["ingest_counts", producer.rule]), jobs
    assert {key(j) for j in jobs} == {key(j) for j in ancestors(all_jobs, [producer])}
    assert len(jobs) < len(all_jobs)


def test_one_contrast_enrichment_runs_its_design_only(tiny, all_jobs, tmp_path):
    producer = design_jobs(all_jobs)[0]
    name = Path(contrast_table(producer)).stem
    table = f"results/enrichment/{name}.tsv"
    enrich = [j for j in all_jobs if j.stage == "enrichment" and table in j.outputs]
    assert len(enrich) == 1, f"no enrichment job of contrast {name}"
    jobs = dry_run(tmp_path, tiny, table)
    assert sorted(j.rule for j in jobs) == sorted(["ingest_counts", producer.rule, enrich[0].rule])
    assert {key(j) for j in jobs} == {key(j) for j in ancestors(all_jobs, enrich)}


def fake_complete_run(workdir: Path, jobs: list[Job]) -> None:
    """Create every output of ``jobs`` (empty files), each newer than the files it is made from."""
    made = {o: j for j in jobs for o in j.outputs}
    order: list[Job] = []
    seen: set[int] = set()

    def visit(job: Job) -> None:
        if id(job) in seen:
            return
        seen.add(id(job))
        for i in job.inputs:
            if i in made:
                visit(made[i])
        order.append(job)

    for job in jobs:
        visit(job)
    # after the newest of the workflow's own inputs (counts, sheets, gene sets), which stay as
    # they are; the stand-ins may lie a few minutes in the future
    sources = [Path(i) for j in jobs for i in j.inputs if i not in made and Path(i).is_file()]
    start = max([p.stat().st_mtime for p in sources] + [time.time() - 10 * len(order)]) + 10
    for n, job in enumerate(order):
        for out in job.outputs:
            path = workdir / out
            path.parent.mkdir(parents=True, exist_ok=True)
            path.touch()
            os.utime(path, (start + n, start + n))


def test_forcerun_reruns_one_rule_and_its_dependents_only(tiny, all_jobs, tmp_path):
    """On a finished run, --forcerun R plans R's jobs and what reads their outputs, nothing else."""
    fits = design_jobs(all_jobs)
    fake_complete_run(tmp_path, all_jobs)
    # outputs are empty stand-ins without Snakemake metadata: judge them by time only
    done = ("--rerun-triggers", "mtime")
    assert dry_run(tmp_path, tiny, *done) == [], "a finished run should have nothing to do"

    planned = dry_run(tmp_path, tiny, *done, "--forcerun", *[j.rule for j in fits])
    assert {key(j) for j in planned} == {key(j) for j in dependents(all_jobs, fits)}
    assert "ingest_counts" not in {j.rule for j in planned}
    assert "qc_adata" not in {j.rule for j in planned}

    # one design: force its job by one of its tables; other designs stay as they are
    producer = fits[0]
    planned = dry_run(tmp_path, tiny, *done, "--forcerun", contrast_table(producer))
    assert {key(j) for j in planned} == {key(j) for j in dependents(all_jobs, [producer])}
    assert [j.rule for j in planned if j.stage == "de" and j.rule != "de_summary"] == [
        producer.rule
    ]


def test_forcerun_of_the_voom_engine_leaves_the_deseq2_fits_alone(tiny, all_jobs, tmp_path):
    """The engines' fits are separate jobs: rerunning one engine replans its jobs and what reads
    them (summary, concordance, report), never the other engine's fits or the enrichment of the
    primary engine's tables."""
    voom = [j for j in all_jobs if j.rule.startswith("de_voom_")]
    fits = design_jobs(all_jobs)
    assert len(voom) == len(fits)  # de.compare_engines: both engines by default
    assert all(
        re.fullmatch(r"results/de/voom/(meta/)?\w+\.(tsv|json)", o) for j in voom for o in j.outputs
    )
    fake_complete_run(tmp_path, all_jobs)
    done = ("--rerun-triggers", "mtime")
    planned = dry_run(tmp_path, tiny, *done, "--forcerun", *[j.rule for j in voom])
    assert {key(j) for j in planned} == {key(j) for j in dependents(all_jobs, voom)}
    assert not [j for j in planned if j.rule.startswith("de_fit_") or j.stage == "enrichment"]
    assert "de_summary" in {j.rule for j in planned}


# --- killed runs ---------------------------------------------------------------------------

# Loaded by every Python process of the test run (PYTHONPATH): when the rule moves its finished
# temporary file onto OUTPUT (myoclamp.io.atomic_path -> os.replace), it signals the test and
# sleeps, before or after the move, so the test can kill the run at that moment.
HOOK = """
import os
import time

_replace = os.replace
_target = os.environ["MYOCLAMP_TEST_OUTPUT"]
_when = os.environ["MYOCLAMP_TEST_PAUSE"]
_signal = os.environ["MYOCLAMP_TEST_SIGNAL"]


def _pause():
    with open(_signal, "w") as fh:
        fh.write(str(os.getpid()))
    time.sleep(600)


def replace(src, dst, *args, **kwargs):
    hit = str(dst).endswith(_target) and os.path.basename(str(src)).startswith(".tmp-")
    if hit and _when == "before":
        _pause()
    _replace(src, dst, *args, **kwargs)
    if hit and _when == "after":
        _pause()


os.replace = replace
"""


def run_and_kill(workdir: Path, config: Path, when: str, sig: signal.Signals) -> str:
    """Start the workflow for ADATA, wait until its rule pauses at the hook, send ``sig`` to the
    whole process group, and return Snakemake's output."""
    hook = workdir.parent / "hook"
    hook.mkdir(exist_ok=True)
    (hook / "sitecustomize.py").write_text(HOOK)
    flag = workdir.parent / "paused"
    env = dict(
        os.environ,
        PYTHONPATH=str(hook),
        MYOCLAMP_TEST_OUTPUT=ADATA,
        MYOCLAMP_TEST_PAUSE=when,
        MYOCLAMP_TEST_SIGNAL=str(flag),
    )
    cmd = snakemake_command(workdir, config, ADATA, cores=1)
    log = workdir.parent / "killed_run.log"
    with open(log, "w") as out:
        proc = subprocess.Popen(
            cmd, stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True
        )
        try:
            deadline = time.monotonic() + 300
            while not flag.exists():
                assert proc.poll() is None, "the run ended before the rule paused"
                assert time.monotonic() < deadline, "the rule never reached its write"
                time.sleep(0.2)
            os.killpg(proc.pid, sig)
            try:
                proc.wait(timeout=120)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
                pytest.fail(f"snakemake did not stop on {sig.name}")
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
    # the paused rule (same process group) must be gone too, or it would finish its write later
    paused = int(flag.read_text())
    for _ in range(50):
        if not Path(f"/proc/{paused}").exists() or "Z" in _proc_state(paused):
            break
        time.sleep(0.1)
    else:
        pytest.fail(f"the killed rule (pid {paused}) still runs")
    assert proc.returncode != 0
    return log.read_text()


def _proc_state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return "Z"


def unlock(work: Path, config: Path) -> None:
    """After SIGKILL the directory stays locked (a run would stop): --unlock frees it."""
    locks = work / ".snakemake" / "locks"
    assert list(locks.iterdir())
    res = snakemake(work, config, "--unlock")
    assert res.returncode == 0, res.stderr[-3000:]
    assert not locks.exists() or not list(locks.iterdir())


def assert_adata_matches_inputs(path: Path) -> None:
    """The AnnData holds the tiny cohort's counts, all of them."""
    adata = ad.read_h5ad(path)
    X = adata.X.toarray() if hasattr(adata.X, "toarray") else adata.X
    assert np.array_equal(X, cohort_tables()["counts"].to_numpy().T)


@pytest.mark.parametrize(
    "sig",
    [signal.SIGKILL, pytest.param(signal.SIGTERM, marks=pytest.mark.slow)],
    ids=["sigkill", "sigterm"],
)
def test_run_killed_while_writing_never_leaves_the_output(tmp_path, sig):
    """Killed after the rule wrote its temporary file but before the move: no output, and the
    plain rerun makes it."""
    config = write_cohort(tmp_path / "in")
    work = tmp_path / "work"
    run_and_kill(work, config, "before", sig)
    assert not (work / ADATA).exists(), "a half-made output appeared under its final name"
    if sig == signal.SIGKILL:  # nothing could clean up: the temporary file is still there
        assert list((work / ADATA).parent.glob(".tmp-*counts.h5ad"))
        unlock(work, config)
    res = snakemake(work, config, ADATA)
    assert res.returncode == 0, res.stderr[-3000:]
    assert_adata_matches_inputs(work / ADATA)


def test_run_killed_after_the_write_is_caught_as_incomplete(tmp_path):
    """SIGKILL after the output is in place but before the job ended: Snakemake does not take
    it as done (it stops and names the file), and --rerun-incomplete makes it again."""
    config = write_cohort(tmp_path / "in")
    work = tmp_path / "work"
    run_and_kill(work, config, "after", signal.SIGKILL)
    assert (work / ADATA).exists()
    before = (work / ADATA).stat().st_mtime_ns
    unlock(work, config)

    res = snakemake(work, config, ADATA)
    assert res.returncode != 0
    assert "incomplete" in res.stderr + res.stdout
    assert ADATA in res.stderr + res.stdout
    assert (work / ADATA).stat().st_mtime_ns == before

    res = snakemake(work, config, "--rerun-incomplete", ADATA)
    assert res.returncode == 0, res.stderr[-3000:]
    assert (work / ADATA).stat().st_mtime_ns != before
    assert_adata_matches_inputs(work / ADATA)
    # and now the run is done: nothing left to do
    res = snakemake(work, config, "-n", ADATA)
    assert res.returncode == 0 and "Nothing to be done" in res.stdout + res.stderr


def test_a_changed_config_section_reruns_the_stages_that_read_it(tmp_path):
    """Every rule has the config sections it reads as params (``settings(...)`` of common.smk,
    myoclamp.config.settings): Snakemake's params trigger reruns ingest when ``exclude`` changes,
    not when ``de`` does."""
    import yaml

    config = write_cohort(tmp_path / "in")
    work = tmp_path / "work"
    res = snakemake(work, config, ADATA)
    assert res.returncode == 0, res.stderr[-3000:]
    settings = yaml.safe_load(config.read_text())

    def variant(name: str, **changes) -> Path:
        path = tmp_path / f"{name}.yaml"
        path.write_text(yaml.safe_dump({**settings, **changes}))
        return path

    assert dry_run(work, config, ADATA) == []
    de_changed = variant("de", de={**settings.get("de", {}), "alpha": 0.1})
    assert dry_run(work, de_changed, ADATA) == []
    first = (tmp_path / "in" / "samples.tsv").read_text().splitlines()[1].split("\t")[0]
    excluded = variant("exclude", exclude=[{"sample": first, "reason": "haemolysed"}])
    assert [j.rule for j in dry_run(work, excluded, ADATA)] == ["ingest_counts"]
