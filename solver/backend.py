"""The one place DOLFINx is imported.

The PyPI wheel ``dolfinx-solver-real`` needs ``import dolfinx_solver`` before ``dolfinx`` so that
its bundled MPI is loaded first. A conda, Spack or container DOLFINx has no such module, and then
the import is simply skipped. Every module that needs DOLFINx, PETSc or MPI imports them from here.
"""

import contextlib

with contextlib.suppress(ImportError):
    import dolfinx_solver  # noqa: F401  (orders MPI ahead of the compiled bindings)

import dolfinx
import dolfinx.fem.petsc
import dolfinx.io
import dolfinx.io.gmsh
import dolfinx.plot
import ufl
from dolfinx import fem, geometry, mesh
from mpi4py import MPI
from petsc4py import PETSc

__all__ = ["MPI", "PETSc", "dolfinx", "fem", "geometry", "mesh", "ufl", "versions"]


def versions() -> dict[str, str]:
    """Versions of the numerical stack, for the run summary."""
    import gmsh

    import giantatom

    petsc = ".".join(str(p) for p in PETSc.Sys.getVersion())
    return {
        "giantatom": giantatom.__version__,
        "dolfinx": dolfinx.__version__,
        "petsc": petsc,
        "gmsh": gmsh.__version__,
        "mpi": MPI.Get_library_version().splitlines()[0].strip(),
    }
