"""giantatom.backend imports a DOLFINx that has no ``dolfinx_solver`` module (conda, Spack, the
containers/ images), and still imports that module first where it exists (the PyPI wheel)."""

import json
import subprocess
import sys

from support import ROOT

# Runs in a fresh interpreter: a meta-path hook makes ``dolfinx_solver`` missing, as in a
# container. A container's DOLFINx finds its MPI by itself; with the wheel installed here,
# importing mpi4py.MPI first (all that dolfinx_solver does for the import order) stands in.
CHILD = """
import importlib.abc, json, sys

class NoWheel(importlib.abc.MetaPathFinder):
    attempts = 0

    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] == "dolfinx_solver":
            NoWheel.attempts += 1
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None

sys.meta_path.insert(0, NoWheel())
try:
    import dolfinx_solver
    blocked = False
except ImportError:
    blocked = True
NoWheel.attempts = 0

from mpi4py import MPI
import giantatom.backend as backend

mesh = backend.mesh.create_unit_cube(backend.MPI.COMM_WORLD, 2, 2, 2)
V = backend.fem.functionspace(mesh, ("Lagrange", 2))
print(json.dumps({
    "blocked": blocked,
    "attempts": NoWheel.attempts,
    "loaded": "dolfinx_solver" in sys.modules,
    "dofs": V.dofmap.index_map.size_global,
}))
"""


def test_backend_without_dolfinx_solver():
    proc = subprocess.run(
        [sys.executable, "-c", CHILD], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["blocked"], "the hook did not hide dolfinx_solver: the test proves nothing"
    # backend tried the wheel's module (the wheel needs it first) and went on without it
    assert result["attempts"] >= 1
    assert not result["loaded"]
    assert result["dofs"] == 125  # P2 on a 2x2x2 cube: 5^3 nodes


def test_only_the_backend_imports_the_stack():
    """``dolfinx_solver`` must be imported before DOLFINx: every module takes DOLFINx, PETSc,
    MPI and UFL from giantatom.backend, none imports them itself (``import dolfinx.plot`` in
    solver/output.py once could load DOLFINx first)."""
    import re

    direct = re.compile(r"^\s*(import|from)\s+(dolfinx|petsc4py|mpi4py|basix|ufl)\b", re.M)
    sources = [*(ROOT / "solver").glob("*.py"), *(ROOT / "meshes").glob("*.py")]
    offenders = [
        p.relative_to(ROOT).as_posix()
        for p in sources
        if p.name != "backend.py" and direct.search(p.read_text())
    ]
    assert offenders == []
