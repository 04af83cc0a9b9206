"""Running a command under a time budget and measuring it: wall time, ``/usr/bin/time -v``'s peak
RSS of the largest process, and the summed RSS of the whole process tree (sampled)."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import psutil

GNU_TIME = "/usr/bin/time"
TIME_FIELDS = {
    "Maximum resident set size (kbytes)": "max_rss_kb",
    "User time (seconds)": "user_seconds",
    "System time (seconds)": "system_seconds",
    "Exit status": "exit_status",
}


def parse_time_v(text: str) -> dict[str, float]:
    """The fields of GNU ``time -v`` output (peak RSS, user, system, exit status) found in text.

    ``time -v``'s peak RSS is that of the largest single process among the command and its
    waited-for descendants (``getrusage`` semantics), not the sum of concurrent processes.
    """
    out: dict[str, float] = {}
    for line in text.splitlines():
        key, sep, value = line.strip().rpartition(": ")
        if sep and key in TIME_FIELDS:
            out[TIME_FIELDS[key]] = float(value)
        elif line.strip().startswith("Elapsed (wall clock) time"):
            out["elapsed_seconds"] = _clock(line.rsplit(": ", 1)[-1])
    return out


def _clock(text: str) -> float:
    """``h:mm:ss`` or ``m:ss.ss`` -> seconds."""
    parts = [float(p) for p in text.strip().split(":")]
    seconds = 0.0
    for p in parts:
        seconds = seconds * 60 + p
    return seconds


def tree_rss(pid: int) -> int:
    """Summed RSS in bytes of ``pid`` and all its descendants (0 if it has ended).

    Shared pages are counted once per process, so this is an upper bound of the memory in use.
    """
    try:
        root = psutil.Process(pid)
        procs = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0
    total = 0
    for proc in procs:
        try:
            total += proc.memory_info().rss
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return total


class TreeSampler(threading.Thread):
    """Samples :func:`tree_rss` of a process every ``interval`` seconds; keeps the maximum."""

    def __init__(self, pid: int, interval: float = 0.5) -> None:
        super().__init__(daemon=True)
        self.pid, self.interval = pid, interval
        self.peak = 0
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.is_set():
            self.peak = max(self.peak, tree_rss(self.pid))
            self._stop_event.wait(self.interval)

    def stop(self) -> int:
        self._stop_event.set()
        self.join()
        return self.peak


@dataclass
class Measured:
    """What a command cost. ``status`` is ``ok``, ``failed`` (non-zero exit) or ``timeout``."""

    command: list[str]
    status: str
    returncode: int | None
    wall_seconds: float
    tree_peak_rss_mb: float
    time_v: dict[str, float] = field(default_factory=dict)
    stdout: str = ""
    stderr: str = ""

    @property
    def max_rss_mb(self) -> float | None:
        """Peak RSS of the largest single process (``time -v``), in MiB."""
        kb = self.time_v.get("max_rss_kb")
        return None if kb is None else kb / 1024


def stop_group(proc: subprocess.Popen, grace: float = 20.0) -> None:
    """SIGTERM the process group that ``proc`` leads, then SIGKILL it after ``grace`` seconds."""
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 10.0)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


def run_measured(
    command: list[str],
    budget: float | None,
    cwd: str | Path | None = None,
    log: str | Path | None = None,
    sample_interval: float = 0.5,
    env: dict[str, str] | None = None,
) -> Measured:
    """Run ``command`` under ``/usr/bin/time -v`` in its own process group, within ``budget`` s.

    A run over budget gets SIGTERM (Snakemake then stops its jobs), SIGKILL 20 s later, and status
    ``timeout``. Output goes to ``log`` if given (time's report is parsed from the end of it).
    """
    use_time = shutil.which(GNU_TIME) is not None
    full = [GNU_TIME, "-v", *command] if use_time else list(command)
    out_path = Path(log) if log else None
    if out_path:
        out_path.parent.mkdir(parents=True, exist_ok=True)
    out_fh = open(out_path, "w") if out_path else subprocess.PIPE  # noqa: SIM115
    start = time.perf_counter()
    proc = subprocess.Popen(
        full,
        cwd=cwd,
        stdout=out_fh,
        stderr=subprocess.STDOUT if out_path else subprocess.PIPE,
        text=True,
        start_new_session=True,
        env=env,
    )
    sampler = TreeSampler(proc.pid, sample_interval)
    sampler.start()
    status = "ok"
    stdout = stderr = ""
    try:
        stdout, stderr = proc.communicate(timeout=budget)
    except subprocess.TimeoutExpired:
        status = "timeout"
        stop_group(proc)
        stdout, stderr = proc.communicate()
    finally:
        wall = time.perf_counter() - start
        peak = sampler.stop()
        if out_path:
            out_fh.close()
    if out_path:
        stdout = out_path.read_text(errors="replace")
        stderr = stdout
    if status == "ok" and proc.returncode != 0:
        status = "failed"
    tail = (stderr or "")[-4000:]
    time_v = parse_time_v(tail) if use_time else {}
    return Measured(
        command=list(command),
        status=status,
        returncode=proc.returncode,
        wall_seconds=wall,
        tree_peak_rss_mb=peak / 2**20,
        time_v=time_v,
        stdout=stdout or "",
        stderr=stderr or "",
    )


def machine() -> dict[str, str]:
    """CPU model, cores, memory and the current load average."""
    model = ""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        found = re.search(r"^model name\s*:\s*(.+)$", cpuinfo.read_text(), re.MULTILINE)
        model = found.group(1).strip() if found else ""
    return {
        "cpu": model or "unknown",
        "nproc": str(os.cpu_count()),
        "memory_gib": f"{psutil.virtual_memory().total / 2**30:.1f}",
        "load": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }
