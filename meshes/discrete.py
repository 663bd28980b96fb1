"""A body given as a mesh (.msh): its triangulated surface, remeshed for lambda.

OpenCASCADE booleans do not apply to a mesh, so this path builds everything in gmsh's own
("geo") kernel: the file's surface triangles are classified into patches and reparametrised
(so gmsh can remesh them at ``surface_size``), closed into a volume, and the outer vacuum sphere
is made of eight geo patches around it. Hence a .msh body must be the only body of its case and
has no holes to subtract (cut them in the mesh itself).
"""

import math

import gmsh
import numpy as np

from giantatom.case import Case
from giantatom.errors import CaseError, MeshError
from giantatom.meshes.shapes import file_scale

geo = gmsh.model.geo


def _rotation(degrees) -> np.ndarray:
    matrix = np.eye(3)
    for axis, angle in enumerate(degrees):
        c, s = math.cos(math.radians(angle)), math.sin(math.radians(angle))
        i, j = [k for k in range(3) if k != axis]
        r = np.eye(3)
        r[i, i], r[i, j], r[j, i], r[j, j] = c, -s, s, c
        matrix = r @ matrix  # x first, then y, then z, as for the OpenCASCADE shapes
    return matrix


def _geo_sphere(center: np.ndarray, radius: float) -> int:
    """A sphere surface loop from eight geo patches (gmsh tutorial t5)."""
    x, y, z = center
    c = geo.addPoint(x, y, z)
    p = [
        geo.addPoint(x + radius, y, z),
        geo.addPoint(x, y + radius, z),
        geo.addPoint(x, y, z + radius),
        geo.addPoint(x - radius, y, z),
        geo.addPoint(x, y - radius, z),
        geo.addPoint(x, y, z - radius),
    ]
    arc = {}
    for a, b in [
        (0, 5),
        (5, 3),
        (3, 2),
        (2, 0),
        (1, 5),
        (5, 4),
        (4, 2),
        (2, 1),
        (0, 1),
        (1, 3),
        (3, 4),
        (4, 0),
    ]:
        arc[(a, b)] = geo.addCircleArc(p[a], c, p[b])

    def edge(a: int, b: int) -> int:
        return arc[(a, b)] if (a, b) in arc else -arc[(b, a)]

    octants = [
        (0, 1, 2),
        (1, 3, 2),
        (3, 4, 2),
        (4, 0, 2),
        (0, 5, 1),
        (1, 5, 3),
        (3, 5, 4),
        (4, 5, 0),
    ]
    patches = []
    for a, b, d in octants:
        loop = geo.addCurveLoop([edge(a, b), edge(b, d), edge(d, a)])
        patches.append(geo.addSurfaceFilling([loop], sphereCenterTag=c))
    return geo.addSurfaceLoop(patches)


def build_discrete_body(case: Case):
    """Bodies and outer sphere for a case whose single body is a .msh file."""
    from giantatom.meshes.model import GeometryModel, physical_groups, vacuum_radius

    body = case.geometry.bodies[0]
    key = "geometry.body[1]"
    if len(case.geometry.bodies) > 1:
        raise CaseError("a .msh body must be the only body of its case", f"{key}.path")
    if body.subtract:
        raise CaseError(
            "a .msh body cannot have holes subtracted; cut them in the mesh", f"{key}.subtract"
        )
    shape = body.shape
    gmsh.model.add(case.name)
    try:
        gmsh.merge(str(shape.path))
    except Exception as err:
        raise MeshError(f"gmsh could not read {shape.path.name}: {err}", f"{key}.path") from None
    gmsh.model.removeEntities(gmsh.model.getEntities(3))  # keep the surface triangles only
    _, tags, _ = gmsh.model.mesh.getElements(2)
    if not tags or not sum(len(t) for t in tags):
        raise MeshError(f"{shape.path.name} holds no surface triangles", f"{key}.path")

    # File units -> lambda, rotation about the bounding-box centre, optional move to `center`.
    _, coords, _ = gmsh.model.mesh.getNodes()
    coords = coords.reshape(-1, 3)
    mid = 0.5 * (coords.min(axis=0) + coords.max(axis=0))
    f = file_scale(shape, case.geometry.unit_m, case.material.lambda_m)
    target = f * mid
    if shape.center is not None:
        target = np.array(shape.center) * case.geometry.unit_m / case.material.lambda_m
    A = f * _rotation(shape.rotate)
    t = target - A @ mid
    gmsh.model.mesh.affineTransform([*A[0], t[0], *A[1], t[1], *A[2], t[2]])

    gmsh.model.mesh.classifySurfaces(math.radians(40), True, True, math.pi)
    gmsh.model.mesh.createGeometry()
    surfaces = [t for _, t in gmsh.model.getEntities(2)]
    _, coords, _ = gmsh.model.mesh.getNodes()
    coords = coords.reshape(-1, 3)
    center = 0.5 * (coords.min(axis=0) + coords.max(axis=0))
    bounding_radius = float(np.linalg.norm(coords - center, axis=1).max())
    outer_radius = vacuum_radius(case, center, {body.name: (center, bounding_radius)})
    body_loop = geo.addSurfaceLoop(surfaces)
    body_volume = geo.addVolume([body_loop])
    outer_loop = _geo_sphere(center, outer_radius)
    vacuum = geo.addVolume([outer_loop, body_loop])
    geo.synchronize()
    outer_surfaces = sorted(
        abs(t)
        for _, t in gmsh.model.getBoundary([(3, vacuum)], oriented=False)
        if abs(t) not in surfaces
    )
    model = GeometryModel(
        body_volumes=[[body_volume]],
        vacuum_volumes=[vacuum],
        body_surfaces=[sorted(surfaces)],
        outer_surfaces=outer_surfaces,
        center=center,
        bounding_radius=bounding_radius,
        outer_radius=outer_radius,
    )
    physical_groups(model)
    return model
