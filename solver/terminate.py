"""SIGTERM, which a batch system sends at its time limit, handled like Ctrl-C.

No MPI here: the CLI installs it before PETSc and MPI are loaded (PETSC_OPTIONS is read then,
and the watchdog is forked while the process is still small and single-threaded).
"""

import os
import select
import signal
import sys
import threading
import time

TERMINATED_EXIT = 143  # 128 + SIGTERM, as a shell reports a process that SIGTERM ended
TERMINATE_GRACE_S = 20.0  # then a rank stuck in a collective call is killed
PEER_WAIT_S = 3.0  # ranks > 0 after SIGTERM: rank 0's time to report

_installed = False


class Terminated(KeyboardInterrupt):
    """SIGTERM (a batch system's time limit, ``kill``): handled like Ctrl-C, so the results
    directory being written is removed on the way out (output.ResultsDir)."""


def interruption(error: BaseException | None) -> KeyboardInterrupt | None:
    """The Ctrl-C or SIGTERM behind ``error``: itself, or one raised inside a C library's
    callback (a PETSc error handler) that the library reported as an error of its own."""
    seen = set()
    while error is not None and id(error) not in seen:
        if isinstance(error, KeyboardInterrupt):
            return error
        seen.add(id(error))
        error = error.__cause__ or error.__context__
    return None


def terminate_like_interrupt(grace: float = TERMINATE_GRACE_S) -> None:
    """Raise Terminated in the main thread on SIGTERM. mpirun sends SIGTERM to every rank, and
    each leaves through the same exceptions. A rank blocked inside a C call (a collective that
    a rank which has already left will never join) never returns to Python to see it, and
    holds the GIL, so no thread of its own can help: a small watchdog process, woken by the
    signal itself (set_wakeup_fd writes it to a pipe from C), kills the rank if it is still
    there after ``grace`` seconds. A directory left half-written that way is removed by the
    next run into the same place."""
    global _installed
    if _installed or threading.current_thread() is not threading.main_thread():
        return  # once per process (tests call the CLI many times); signals are the main thread's
    _installed = True
    # PETSc replaces SIGTERM's handler with its own, which aborts MPI; keep ours.
    os.environ["PETSC_OPTIONS"] = os.environ.get("PETSC_OPTIONS", "") + " -no_signal_handler"

    def raise_terminated(signum, frame):
        raise Terminated()

    signal.signal(signal.SIGTERM, raise_terminated)
    read, write = os.pipe()
    parent = os.getpid()
    if os.fork() == 0:
        try:
            os.close(write)
            _watch(read, parent, grace)
        finally:
            os._exit(0)
    os.close(read)
    os.set_blocking(write, False)
    os.set_inheritable(write, False)
    signal.set_wakeup_fd(write, warn_on_full_buffer=False)


def _watch(read: int, parent: int, grace: float) -> None:
    """The watchdog process: wait for SIGTERM's byte on the pipe, then for the parent to exit
    (the pipe's end of file) for ``grace`` seconds, else kill it. Leaves with the parent."""
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # a signal to the process group is not ours
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    while True:
        data = os.read(read, 64)
        if not data:
            return  # the parent is gone
        if int(signal.SIGTERM) in data:
            break
    deadline = time.monotonic() + grace
    while (left := deadline - time.monotonic()) > 0:
        if select.select([read], [], [], left)[0] and not os.read(read, 64):
            return
    os.kill(parent, signal.SIGKILL)


def leave_terminated(rank: int) -> None:
    """End this rank after SIGTERM, its results directory already removed: one line from rank
    0, and exit code 143 without MPI_Finalize, which would wait for ranks held in a collective
    call that this rank has left (those the watchdog ends). No MPI_Abort: it prints MPICH's
    banner. Ranks > 0 leave rank 0 ``PEER_WAIT_S`` to report first: a rank 0 still busy when
    they exit (a long C call, a collective they left) is ended with them, without a line."""
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # one SIGTERM is enough
    several = "mpi4py.MPI" in sys.modules and sys.modules["mpi4py.MPI"].COMM_WORLD.size > 1
    if rank != 0 and several:
        time.sleep(PEER_WAIT_S)  # rank 0, busy in gmsh or a solve, is ended once this rank is
    if rank == 0:
        print("giantatom: terminated (SIGTERM); the run being written was removed", file=sys.stderr)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(TERMINATED_EXIT)
