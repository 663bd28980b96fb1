"""Errors a user can act on. Each carries the case-file key it is about, when there is one."""


class GiantAtomError(Exception):
    """Base class: printed as one line by the CLI, never as a traceback."""

    def __init__(self, message: str, key: str | None = None):
        super().__init__(message)
        self.key = key
        self.message = message

    def __str__(self) -> str:
        return f"{self.key}: {self.message}" if self.key else self.message


class CaseError(GiantAtomError):
    """The case file is malformed or inconsistent."""


class MeshError(GiantAtomError):
    """gmsh could not build or mesh the geometry."""


class SolveError(GiantAtomError):
    """A linear solve did not converge, or produced something unphysical."""


class FigureError(GiantAtomError):
    """A picture could not be drawn from a results directory (``giantatom plot``)."""


class SweepError(GiantAtomError):
    """Some members of a parameter sweep failed (the others ran; see sweep.csv)."""


class OutputError(GiantAtomError):
    """The results (or mesh) directory cannot be written: not writable, a file in its place."""
