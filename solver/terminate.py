"""SIGTERM, which a batch system sends at its time limit, handled like Ctrl-C.

No MPI here: the CLI installs it before PETSc is loaded (PETSC_OPTIONS is read then).
"""

import os
import signal
import threading
import time

TERMINATED_EXIT = 143  # 128 + SIGTERM, as a shell reports a process that SIGTERM ended
TERMINATE_GRACE_S = 20.0  # then a rank stuck in a collective call exits without cleaning up


_installed = False


class Terminated(KeyboardInterrupt):
    """SIGTERM (a batch system's time limit, ``kill``): handled like Ctrl-C, so the results
    directory being written is removed on the way out (output.ResultsDir)."""


def terminate_like_interrupt(grace: float = TERMINATE_GRACE_S) -> None:
    """Raise Terminated in the main thread on SIGTERM. mpirun sends SIGTERM to every rank, and
    each leaves through the same exceptions; a rank blocked inside a C call (a collective whose
    partner has left) never returns to Python to see it, so a watcher thread, woken by the
    signal itself (set_wakeup_fd), ends the process after ``grace`` seconds. A directory left
    half-written that way is removed by the next run into the same place."""

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
    os.set_blocking(write, False)
    signal.set_wakeup_fd(write, warn_on_full_buffer=False)

    def watch() -> None:
        while int(signal.SIGTERM) not in os.read(read, 64):
            pass
        time.sleep(grace)
        os._exit(TERMINATED_EXIT)

    threading.Thread(target=watch, name="sigterm-watch", daemon=True).start()
