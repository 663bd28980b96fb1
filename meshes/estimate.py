"""How big a case's mesh will be, before it is made: cells, dofs, memory and disk.

The cell count integrates the size field of ``meshes.model`` over the domain: a tetrahedron
of the target size h fills about CELL_VOLUME h^3 (fitted to gmsh's HXT meshes of the examples),
so the cells are int dV / (CELL_VOLUME h(x)^3), h the distance-graded size. The volume at a
distance d from a body's surface is taken from its volume V and area A alone, as for a sphere
or a cube of the same V/A (exact for both): with t = 3V/A the volume deeper than d is
V (1 - d/t)^3 and the shell at d outside has the area A (1 + d/t)^2. The vacuum beyond the
graded zones fills the outer sphere at the far size.

Memory and disk follow from the dofs with the per-dof costs measured in README "Performance"
and "Magnetic field"; see ``estimate``.
"""

import math
from dataclasses import dataclass

import numpy as np

CELL_VOLUME = 0.26  # volume of a tetrahedron of target size h, in h^3 (fitted, see module doc)
LAGRANGE_DOFS_PER_CELL = {1: 0.17, 2: 1.33, 3: 4.5}  # measured on the examples' meshes
NEDELEC_DOFS_PER_CELL = {1: 1.17, 2: 6.3, 3: 15.0}  # edges; 2 edges + 2 faces; 3 + 6 + 3
BYTES_PER_DOF = 1.6e3  # the whole run, per Lagrange dof (README "Performance": 1.7 GB at 819k)
MAGNETIC_BYTES_PER_DOF = {"direct": 11.3e3, "iterative": 2.8e3}  # per N1curl dof (MUMPS: more)
# Nodes of fields.pvtu per cell: the Lagrange nodes, shared within a region (a sphere: 1.45 P2)
NODES_PER_CELL = {order: 1.09 * dofs for order, dofs in LAGRANGE_DOFS_PER_CELL.items()}
FIELD_COMPONENTS = 44  # charge 13, spin 31 (README "Outputs"); + 10 with a field
BYTES_PER_VALUE = 2.4  # fields.pvtu: float32, zlib, with the cells (cases/sphere.toml: 34 MB)
BASE_BYTES = 300e6  # Python, DOLFINx, PETSc, gmsh: per rank


@dataclass
class MeshEstimate:
    cells: int
    dofs: int
    memory_bytes: float  # all ranks together
    disk_bytes: float  # fields.pvtu and its pieces


def _shell_cells(area, thickness, start, h_surface, flat, growth, h_far, outward, d_max):
    """Cells and volume of the shell from the surface to ``d_max`` (``outward``: the vacuum
    side) where h = h_surface up to ``flat`` and grows at ``growth`` to ``h_far`` after."""
    d = np.linspace(start, d_max, 2001)
    h = np.clip(h_surface + growth * (d - flat), h_surface, h_far)
    scale = 1.0 + d / thickness if outward else np.clip(1.0 - d / thickness, 0.0, None)
    dV = area * scale**2
    volume = float(np.trapezoid(dV, d))
    return float(np.trapezoid(dV / (CELL_VOLUME * h**3), d)), volume


def estimate_cells(
    bodies: list[tuple[float, float]],
    outer_radius: float,
    h_surface: float,
    layer: float,
    growth: float,
    h_far: float,
    vacuum_layer: float | None = None,
) -> tuple[int, int]:
    """(cells in the bodies, cells in the vacuum) for bodies given as (volume, area) in lambda
    units, the size field of ``meshes.model``: ``h_surface`` within ``layer`` under each surface
    and ``vacuum_layer`` (default min(layer, 1)) outside it, growing at ``growth`` to
    ``h_far``."""
    if vacuum_layer is None:
        vacuum_layer = min(layer, 1.0)
    inside = 0.0
    near, near_volume = 0.0, 0.0
    graded = (h_far - h_surface) / growth
    for volume, area in bodies:
        t = 3.0 * volume / area
        inside += _shell_cells(area, t, 0.0, h_surface, layer, growth, h_far, False, t)[0]
        cells, shell = _shell_cells(
            area, t, 0.0, h_surface, vacuum_layer, growth, h_far, True, vacuum_layer + graded
        )
        near += cells
        near_volume += shell
    vacuum = 4.0 / 3.0 * math.pi * outer_radius**3 - sum(v for v, _ in bodies)
    if near_volume > vacuum:  # the graded zones reach the outer sphere
        near *= vacuum / near_volume
        near_volume = vacuum
    far = (vacuum - near_volume) / (CELL_VOLUME * h_far**3)
    return round(inside), round(near + far)


def estimate(
    cells: int, order: int, magnetic: tuple[str, int] | None = None, ranks: int = 1
) -> MeshEstimate:
    """Dofs, memory and disk of a mesh of ``cells`` tetrahedra with Lagrange elements of
    ``order``; ``magnetic`` = (solver, N1curl degree) when the case applies a field."""
    dofs = LAGRANGE_DOFS_PER_CELL[order] * cells
    memory = BASE_BYTES * ranks + BYTES_PER_DOF * dofs
    components = FIELD_COMPONENTS
    if magnetic is not None:
        solver, degree = magnetic
        memory += MAGNETIC_BYTES_PER_DOF[solver] * NEDELEC_DOFS_PER_CELL[degree] * cells
        components += 10
    disk = cells * NODES_PER_CELL[order] * (components + 3) * BYTES_PER_VALUE  # + coordinates
    return MeshEstimate(cells=int(cells), dofs=round(dofs), memory_bytes=memory, disk_bytes=disk)


def body_measures(model) -> list[tuple[float, float]]:
    """(volume, area) of every body of a built ``meshes.model.GeometryModel``, lambda units
    (a body gmsh cannot measure before meshing, a .msh surface, counts as its bounding box)."""
    import gmsh

    occ = gmsh.model.occ
    measures = []
    for vols, surfaces in zip(model.body_volumes, model.body_surfaces, strict=True):
        try:
            volume = sum(occ.getMass(3, v) for v in vols)
            area = sum(occ.getMass(2, s) for s in surfaces)
        except Exception:
            boxes = np.array([gmsh.model.getBoundingBox(3, v) for v in vols])
            a, b, c = boxes[:, 3:].max(axis=0) - boxes[:, :3].min(axis=0)
            volume, area = a * b * c, 2.0 * (a * b + b * c + c * a)
        measures.append((float(volume), float(area)))
    return measures


def estimate_model(model, case, ranks: int = 1) -> MeshEstimate:
    """The estimate for ``case`` on its built geometry ``model`` (before meshing), with the
    size field ``giantatom.meshes.model.generate_mesh`` will use for the case's model."""
    from giantatom.meshes.model import body_dimensions, model_kind
    from giantatom.meshes.sizes import far_size

    smallest, half_diagonals = body_dimensions(model)
    measures = body_measures(model)
    h_far = far_size(model, case)
    if model_kind(case, smallest) == "thin-layer":
        resolution = case.model.resolution
        cells = 0
        for measure, dimension, half in zip(measures, smallest, half_diagonals, strict=True):
            h_surface = min(resolution * min(half, 2.0 * dimension), h_far)
            cells += sum(
                estimate_cells(
                    [measure], model.outer_radius, h_surface, 0.0, case.mesh.growth, h_far, 0.0
                )
            )
        return estimate(cells, case.model.order, None, ranks)
    spec = case.mesh
    cells = sum(
        estimate_cells(
            measures, model.outer_radius, spec.surface_size, spec.layer, spec.growth, h_far
        )
    )
    magnetic = (case.magnetic.solver, case.magnetic.order) if case.magnetic.active else None
    return estimate(cells, spec.order, magnetic, ranks)
