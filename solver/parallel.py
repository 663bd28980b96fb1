"""MPI helpers: work done on rank 0 alone, with every rank learning how it went."""

import resource
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from solver.backend import MPI
from solver.errors import GiantAtomError


def wait_quietly(comm: MPI.Comm) -> None:
    """A barrier that sleeps instead of spinning, so ranks waiting on rank 0 leave it the cores
    (gmsh meshes with threads on rank 0 while the others wait)."""
    request = comm.Ibarrier()
    while not request.Test():
        time.sleep(0.01)


def on_root(comm: MPI.Comm, work: Callable[[], Any]) -> Any:
    """Run ``work`` on rank 0 and broadcast its result; an error raised there is raised on
    every rank, so no rank is left waiting in a collective that will never come."""
    result, failure = None, None
    if comm.rank == 0:
        try:
            result = work()
        except GiantAtomError as err:
            failure = (type(err), err.message, err.key)
        except Exception as err:  # gmsh and file-system errors become one-line messages too
            failure = (GiantAtomError, f"{type(err).__name__}: {err}", None)
    wait_quietly(comm)
    result, failure = comm.bcast((result, failure), root=0)
    if failure is not None:
        kind, message, key = failure
        raise kind(message, key)
    return result


def global_max(comm: MPI.Comm, values: np.ndarray) -> float:
    """The largest of the local ``values`` of every rank (-inf if there are none)."""
    return comm.allreduce(float(np.max(values, initial=-np.inf)), op=MPI.MAX)


def global_min(comm: MPI.Comm, values: np.ndarray) -> float:
    """The smallest of the local ``values`` of every rank (inf if there are none)."""
    return comm.allreduce(float(np.min(values, initial=np.inf)), op=MPI.MIN)


def peak_memory(comm: MPI.Comm) -> dict:
    """Peak resident memory (RSS) of every rank so far, MiB, gathered on all ranks. Rank 0's
    includes gmsh's mesh, which only rank 0 holds."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux, bytes on macOS
    peak /= 1024.0**2 if sys.platform == "darwin" else 1024.0
    per_rank = comm.allgather(peak)
    return {"peak_rss_MiB": per_rank, "max_MiB": max(per_rank), "total_MiB": sum(per_rank)}
