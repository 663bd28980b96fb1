"""Logging: rank 0 alone speaks, each line stamped with the seconds since the start.

The library logs to the logger ``giantatom`` and, like any library, prints nothing until told
to: the ``giantatom`` command installs its console handler (``configure``), a notebook calls
``giantatom.log_to_console()`` (or ``logging.basicConfig``). Under MPI only rank 0's records
pass, whatever handlers the user adds.
"""

import logging
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

log = logging.getLogger("giantatom")


def world_rank() -> int:
    """This process's rank in MPI_COMM_WORLD, without importing MPI when it is not loaded."""
    mpi = sys.modules.get("mpi4py.MPI")
    if mpi is not None:
        return mpi.COMM_WORLD.rank
    for var in ("PMI_RANK", "OMPI_COMM_WORLD_RANK", "PMIX_RANK", "SLURM_PROCID"):
        if var in os.environ:
            return int(os.environ[var])
    return 0


class _RootOnly(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return world_rank() == 0


log.addFilter(_RootOnly())
log.addHandler(logging.NullHandler())  # no "last resort" printing of warnings to stderr


class _Elapsed(logging.Formatter):
    def __init__(self) -> None:
        super().__init__()
        self.start = time.perf_counter()

    def format(self, record: logging.LogRecord) -> str:
        stamp = time.perf_counter() - self.start
        prefix = "WARNING: " if record.levelno >= logging.WARNING else ""
        return f"[{stamp:7.1f} s] {prefix}{record.getMessage()}"


FORMATTER = _Elapsed()


def log_to_console(level: int = logging.INFO) -> None:
    """Print the library's log on stdout (rank 0), as the ``giantatom`` command does."""
    log.handlers.clear()
    log.propagate = False
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(FORMATTER)
    log.addHandler(handler)
    log.setLevel(level)


def configure(rank: int, verbose: bool = False, quiet: bool = False) -> None:
    """The command's logging: stdout on rank 0; the other ranks stay silent."""
    if rank != 0:
        log.handlers.clear()
        log.propagate = False
        log.addHandler(logging.NullHandler())
        log.setLevel(logging.CRITICAL + 1)
        return
    log_to_console(logging.WARNING if quiet else logging.DEBUG if verbose else logging.INFO)


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
