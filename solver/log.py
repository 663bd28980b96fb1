"""Logging: rank 0 alone speaks, each line stamped with the seconds since the start."""

import logging
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

log = logging.getLogger("giantatom")


class _Elapsed(logging.Formatter):
    def __init__(self) -> None:
        super().__init__()
        self.start = time.perf_counter()

    def format(self, record: logging.LogRecord) -> str:
        stamp = time.perf_counter() - self.start
        prefix = "WARNING: " if record.levelno >= logging.WARNING else ""
        return f"[{stamp:7.1f} s] {prefix}{record.getMessage()}"


FORMATTER = _Elapsed()


def configure(rank: int, verbose: bool = False, quiet: bool = False) -> None:
    """Log to stdout on rank 0; the other ranks stay silent."""
    log.handlers.clear()
    log.propagate = False
    if rank != 0:
        log.addHandler(logging.NullHandler())
        log.setLevel(logging.CRITICAL + 1)
        return
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(FORMATTER)
    log.addHandler(handler)
    log.setLevel(logging.WARNING if quiet else logging.DEBUG if verbose else logging.INFO)


class StageTimer:
    """Seconds spent in each stage of a run, for the log and the summary."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.start = time.perf_counter()

    @contextmanager
    def stage(self, name: str, message: str) -> Iterator[None]:
        log.info("%s ...", message)
        start = time.perf_counter()
        yield
        self.seconds[name] = time.perf_counter() - start
        log.info("%s: done in %.1f s", message, self.seconds[name])

    def total(self) -> dict[str, float]:
        return {**self.seconds, "total": time.perf_counter() - self.start}
