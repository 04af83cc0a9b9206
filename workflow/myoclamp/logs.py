"""Logging set-up for rules. Logs carry counts, names and timings, never clinical values."""

from __future__ import annotations

import contextlib
import logging
import sys
import time
import warnings
from collections.abc import Iterator
from pathlib import Path

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


@contextlib.contextmanager
def rule_logging(
    path: str | Path | None, rule: str | None = None, threads: int | None = None
) -> Iterator[None]:
    """Send log records and warnings of the enclosed block to ``path`` and stderr; with ``rule``,
    log its start (and threads) and end."""
    root = logging.getLogger()
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    if path is not None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        handlers.append(logging.FileHandler(path, mode="w"))
    for h in handlers:
        h.setFormatter(logging.Formatter(FORMAT))
        root.addHandler(h)
    old_level = root.level
    root.setLevel(logging.INFO)
    logging.captureWarnings(True)
    log = logging.getLogger("myoclamp")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("default")
            started = time.process_time()  # the process's CPU so far: interpreter and imports
            if rule:
                log.info("rule %s, %s thread(s)", rule, threads)
            yield
            if rule:
                log.info(
                    "rule %s done: %.1f CPU seconds, %.1f of them before its code ran (imports)",
                    rule,
                    time.process_time(),
                    started,
                )
    except Exception:
        log.exception("rule failed")
        raise
    finally:
        logging.captureWarnings(False)
        for h in handlers:
            root.removeHandler(h)
            h.close()
        root.setLevel(old_level)
