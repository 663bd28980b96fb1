"""The element size fields of the gmsh model (meshes/model.py builds the model and meshes it).

Full model: the size is ``surface_size`` at every body surface and within ``layer`` lambdas under
it (one lambda on the vacuum side), growing at ``growth`` to ``far_size`` towards the outer
sphere. Thin-layer model: the size follows the geometry alone (its dimensions and curvature).
The adaptive loop (giantatom.adapt) adds sizes given per cell of the mesh it solved on, as a
post-processing view on that mesh's linear tetrahedra ("PostView" field), combined (Min) with the
model's own field: the geometry is rebuilt from the case, so curved surfaces stay exact.
Sizes in lambda.
"""

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import gmsh
import numpy as np

from giantatom.case import Case, MeshSpec
from giantatom.meshes.curvature import curved_sizes

if TYPE_CHECKING:
    from giantatom.meshes.model import GeometryModel


# The adaptive loop's first mesh keeps a curved surface's size to this many times that size
# on both sides (rounded cube, fillet 0.5, faces 1.0, P3: at 0 gmsh untangled inverted curved
# cells, with quality 0.037 on the side-10 cube and an abort in its optimiser on the side-2.5
# one; at 0.5: none, quality 0.13; at 1: 53k cells on side 10, at 2: 67k, at 0.5: 47k).
CURVED_DEPTH = 0.5


@dataclass(frozen=True)
class CellSizes:
    """Wanted element sizes (lambda) on the cells of a previous mesh."""

    vertices: np.ndarray  # (cells, 4, 3): each tetrahedron's corners, lambda
    sizes: np.ndarray  # (cells,): the wanted element size in and around that cell, lambda


def far_size(model: "GeometryModel", case: Case) -> float:
    """Element size on the outer sphere, lambda."""
    return case.mesh.far_size or max(case.mesh.surface_size, model.outer_radius / 8.0)


def _threshold(distance: int, h_surface: float, h_far: float, depth: float, growth: float) -> int:
    fields = gmsh.model.mesh.field
    threshold = fields.add("Threshold")
    fields.setNumber(threshold, "InField", distance)
    fields.setNumber(threshold, "SizeMin", h_surface)
    fields.setNumber(threshold, "SizeMax", h_far)
    fields.setNumber(threshold, "DistMin", depth)
    fields.setNumber(threshold, "DistMax", depth + (h_far - h_surface) / growth)
    return threshold


def _restrict(field_tag: int, volumes: list[int]) -> int:
    fields = gmsh.model.mesh.field
    restricted = fields.add("Restrict")
    fields.setNumber(restricted, "InField", field_tag)
    fields.setNumbers(restricted, "VolumesList", volumes)
    fields.setNumber(restricted, "IncludeBoundary", 1)
    return restricted


def lambda_size_field(
    model: "GeometryModel", case: Case, wanted: list[CellSizes] | None = None
) -> None:
    """The full model's size field: fine within ``layer`` lambdas under each body surface, one
    lambda outside it (and between a body and an electrode), coarser away from both; the smaller
    of it and every round's sizes in ``wanted`` where given (the adaptive loop)."""
    spec = case.mesh
    h_far = far_size(model, case)
    fields = gmsh.model.mesh.field
    distance = fields.add("Distance")
    fields.setNumbers(distance, "SurfacesList", [s for surfs in model.body_surfaces for s in surfs])
    # Sample the surfaces at about half a layer depth, so no surface point looks far away.
    spacing = 0.5 * min(spec.layer, 4.0)
    sampling = math.ceil(2.0 * math.pi * model.bounding_radius / spacing)
    fields.setNumber(distance, "Sampling", min(max(sampling, 20), 600))
    # Inside, the charge layer decays as exp(-depth/lambda): keep it fine for `layer` lambdas.
    # Outside, the fields vary on the scale of the body, so one lambda of fine mesh is enough.
    inside = _threshold(distance, spec.surface_size, h_far, spec.layer, spec.growth)
    if model.electrode_surfaces:  # the vacuum between a body and an electrode: as fine
        distance = fields.add("Distance")
        surfaces = model.body_surfaces + model.electrode_surfaces
        fields.setNumbers(distance, "SurfacesList", [s for surfs in surfaces for s in surfs])
        fields.setNumber(distance, "Sampling", min(max(sampling, 20), 600))
    outside = _threshold(distance, spec.surface_size, h_far, min(spec.layer, 1.0), spec.growth)
    body_volumes = [v for vols in model.body_volumes for v in vols]
    restricted = [_restrict(inside, body_volumes), _restrict(outside, model.vacuum_volumes)]
    if spec.adapt:  # the loop's first mesh: coarse, but fine enough on the curved surfaces
        restricted += _curved_fields(model, spec, h_far)
    restricted += [size_view_field(dilated(cells)) for cells in wanted or []]
    _background(restricted, 16, h_far)


def _curved_fields(model: "GeometryModel", spec: MeshSpec, h_far: float) -> list[int]:
    """One threshold per distinct size h of the curved body surfaces finer than surface_size
    (meshes/curvature.py): h to CURVED_DEPTH h on both sides, growing at ``growth`` beyond."""
    surfaces = [s for surfs in model.body_surfaces for s in surfs]
    by_size: dict[float, list[int]] = {}
    for surface, h in curved_sizes(surfaces, spec.surface_size).items():
        by_size.setdefault(round(h, 6), []).append(surface)
    thresholds = []
    for h, group in sorted(by_size.items()):
        distance = gmsh.model.mesh.field.add("Distance")
        gmsh.model.mesh.field.setNumbers(distance, "SurfacesList", group)
        gmsh.model.mesh.field.setNumber(distance, "Sampling", 100)
        thresholds.append(_threshold(distance, h, h_far, CURVED_DEPTH * h, spec.growth))
    return thresholds


def _background(sizes: list[int], curvature: int, h_far: float) -> int:
    """The smallest of the size fields ``sizes`` as the background mesh size, refined only by
    ``curvature`` elements per 2 pi of surface curvature and at most ``h_far``."""
    fields = gmsh.model.mesh.field
    combined = fields.add("Min")
    fields.setNumbers(combined, "FieldsList", sizes)
    fields.setAsBackgroundMesh(combined)
    gmsh.option.setNumber("Mesh.MeshSizeExtendFromBoundary", 0)
    gmsh.option.setNumber("Mesh.MeshSizeFromPoints", 0)
    gmsh.option.setNumber("Mesh.MeshSizeFromCurvature", curvature)
    gmsh.option.setNumber("Mesh.MeshSizeMax", h_far)
    return combined


def geometric_size_field(model: "GeometryModel", case: Case, smallest, half_diagonals) -> int:
    """Thin-layer meshes follow the geometry alone: near body k the element size is
    resolution * min(half-diagonal_k, 2 * smallest dimension_k), smaller where the surface
    curves (resolution * radius of curvature: fillets, tips), growing towards the outer
    sphere. Nothing here depends on lambda."""
    resolution = case.model.resolution
    h_far = far_size(model, case)
    fields = gmsh.model.mesh.field
    thresholds = []
    for surfaces, dimension, half in zip(
        model.body_surfaces, smallest, half_diagonals, strict=True
    ):
        h_surface = min(resolution * min(half, 2.0 * dimension), h_far)
        distance = fields.add("Distance")
        fields.setNumbers(distance, "SurfacesList", surfaces)
        fields.setNumber(distance, "Sampling", 100)
        thresholds.append(_threshold(distance, h_surface, h_far, 0.0, case.mesh.growth))
    return _background(thresholds, math.ceil(2.0 * math.pi / resolution), h_far)


def extend_surface_sizes(model: "GeometryModel", case: Case, distance_field: int) -> None:
    """After the surfaces are meshed: the volume's size field is the smaller of the distance
    field and the body surfaces' own element sizes, growing away from them at ``growth``."""
    fields = gmsh.model.mesh.field
    h_far = far_size(model, case)
    extend = fields.add("Extend")
    fields.setNumbers(extend, "SurfacesList", [s for surfs in model.body_surfaces for s in surfs])
    fields.setNumber(extend, "DistMax", h_far / case.mesh.growth)
    fields.setNumber(extend, "SizeMax", h_far)
    fields.setNumber(extend, "Power", 1.0)
    combined = fields.add("Min")
    fields.setNumbers(combined, "FieldsList", [distance_field, extend])
    fields.setAsBackgroundMesh(combined)
    gmsh.option.setNumber("Mesh.MeshSizeFromCurvature", 0)


def dilated(wanted: CellSizes) -> CellSizes:
    """Each cell's size also on the cells across its faces (the smaller there): a curved
    surface bulges out of the old body cells into the old vacuum cells across it, so the sizes
    of the body's cells alone would miss the surface they were refined for. (Across vertices
    too reached 20 to 30 neighbours a cell: 69 cells refined made 7.5k cells 46k.)"""
    _, vertex = np.unique(np.round(wanted.vertices.reshape(-1, 3), 9), axis=0, return_inverse=True)
    opposite = [[1, 2, 3], [0, 2, 3], [0, 1, 3], [0, 1, 2]]  # the face opposite each corner
    faces = np.sort(vertex.reshape(-1, 4)[:, opposite], axis=2).reshape(-1, 3)
    _, face = np.unique(faces, axis=0, return_inverse=True)
    smallest = np.full(face.max() + 1, np.inf)
    np.minimum.at(smallest, face, np.repeat(wanted.sizes, 4))
    return CellSizes(wanted.vertices, smallest[face.reshape(-1, 4)].min(axis=1))


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
