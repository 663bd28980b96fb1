"""MPI helpers: work done on rank 0 alone, with every rank learning how it went."""

import os
import resource
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from giantatom.backend import MPI
from giantatom.errors import GiantAtomError
from giantatom.terminate import interruption


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
            if interruption(err) is not None:  # Ctrl-C or SIGTERM inside a library's callback
                raise
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


MEMORY_VARIABLE = "GIANTATOM_MEMORY"  # bytes a run may use in all, overriding what is measured


def node_memory() -> float | None:
    """Bytes this node can still give: MemAvailable (/proc/meminfo, else sysconf), and no more
    than the cgroup's limit less its use (a container, a batch job); None if unknown."""
    available = None
    try:
        for line in open("/proc/meminfo"):
            if line.startswith("MemAvailable:"):
                available = float(line.split()[1]) * 1024.0
    except OSError:
        try:
            available = float(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
        except (ValueError, OSError, AttributeError):
            pass
    try:
        limit = open("/sys/fs/cgroup/memory.max").read().strip()
        if limit != "max":
            used = float(open("/sys/fs/cgroup/memory.current").read())
            free = float(limit) - used
            available = free if available is None else min(available, free)
    except (OSError, ValueError):
        pass
    return available


def available_memory(comm: MPI.Comm) -> float | None:
    """Bytes the ranks of ``comm`` can use together: the available memory of each node they run
    on, summed over the nodes (collective); $GIANTATOM_MEMORY (bytes) overrides it."""
    try:
        return float(os.environ[MEMORY_VARIABLE])
    except (KeyError, ValueError):
        pass
    node = comm.Split_type(MPI.COMM_TYPE_SHARED)
    mine = node_memory() if node.rank == 0 else 0.0
    node.Free()
    gathered = comm.allgather(mine)
    return None if any(m is None for m in gathered) else float(sum(gathered))
