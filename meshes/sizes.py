"""Element sizes given on a previous mesh, as a gmsh background size field (rank 0).

The adaptive loop (giantatom.adapt) asks for a size per cell of the mesh it solved on; gmsh
takes them as a post-processing view on that mesh's linear tetrahedra ("PostView" field), which
the model's own size field is combined with (Min). The geometry is rebuilt from the case, so
curved surfaces stay exact: only the sizes come from the old mesh.
"""

from dataclasses import dataclass

import gmsh
import numpy as np


@dataclass(frozen=True)
class CellSizes:
    """Wanted element sizes (lambda) on the cells of a previous mesh."""

    vertices: np.ndarray  # (cells, 4, 3): each tetrahedron's corners, lambda
    sizes: np.ndarray  # (cells,): the wanted element size in and around that cell, lambda


def size_view_field(wanted: CellSizes) -> int:
    """A gmsh "PostView" size field interpolating ``wanted`` (constant on each old cell); points
    no old cell covers (curved surfaces cut by the old linear cells) get gmsh's huge default,
    so the Min with the model's own field leaves them to it."""
    view = gmsh.view.add("adapted sizes")
    n = len(wanted.sizes)
    # "SS": scalar tetrahedra, each as its 4 x, 4 y, 4 z coordinates and then 4 nodal values
    corners = np.transpose(wanted.vertices, (0, 2, 1)).reshape(n, 12)
    values = np.repeat(wanted.sizes[:, None], 4, axis=1)
    gmsh.view.addListData(view, "SS", n, np.hstack([corners, values]).ravel().tolist())
    fields = gmsh.model.mesh.field
    field = fields.add("PostView")
    fields.setNumber(field, "ViewTag", view)
    return field
