"""Geometry and mesh generation with gmsh (rank 0 only; ``giantatom.domain`` distributes).

shapes.py  one OpenCASCADE builder per case-file shape
model.py   bodies + outer vacuum sphere, physical groups, meshing, mesh report
sizes.py   the element size fields (lambda-resolving for the full model, geometric for the
           thin-layer model)
"""

from collections.abc import Iterator
from contextlib import contextmanager

import gmsh

from giantatom.meshes.model import (
    ELECTRODE,
    OUTER,
    VACUUM,
    GeometryModel,
    MeshReport,
    body_tag,
    build_geometry,
    electrode_tag,
    generate_mesh,
)

__all__ = [
    "ELECTRODE",
    "OUTER",
    "VACUUM",
    "GeometryModel",
    "MeshReport",
    "body_tag",
    "build_geometry",
    "electrode_tag",
    "generate_mesh",
    "gmsh_session",
]


@contextmanager
def gmsh_session() -> Iterator[None]:
    """An initialised, quiet gmsh that is finalised whatever happens."""
    gmsh.initialize(interruptible=False)
    gmsh.option.setNumber("General.Terminal", 0)
    try:
        yield
    finally:
        gmsh.finalize()
