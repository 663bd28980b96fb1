"""gmsh OpenCASCADE builders, one per shape of the case file.

Everything is built in units of lambda, the mesh's length unit: a case-file length times
``unit_m / lambda_m`` is a length in lambdas.
Each builder returns the dim-3 entities of the solid and its bounding sphere (centre, radius),
which sizes the outer vacuum sphere.
"""

import math
from collections.abc import Sequence

import gmsh
import numpy as np

from giantatom.case import Shape
from giantatom.errors import MeshError
from giantatom.units import LENGTH_UNITS

DimTags = list[tuple[int, int]]
occ = gmsh.model.occ


def _solid(
    shape: Shape, unit_m: float, lambda_m: float, key: str
) -> tuple[DimTags, np.ndarray, float]:
    scale = unit_m / lambda_m
    c = np.array(shape.center or (0.0, 0.0, 0.0)) * scale
    if shape.kind == "sphere":
        r = shape.radius * scale
        return [(3, occ.addSphere(*c, r))], c, r
    if shape.kind == "ellipsoid":
        a, b, cc = (s * scale for s in shape.semi_axes)
        tag = occ.addSphere(0, 0, 0, 1.0)
        occ.dilate([(3, tag)], 0, 0, 0, a, b, cc)
        occ.translate([(3, tag)], *c)
        return [(3, tag)], c, max(a, b, cc)
    if shape.kind == "box":
        size = np.array(shape.size) * scale
        dimtags = [(3, occ.addBox(*(c - size / 2), *size))]
        return _fillet(dimtags, shape.fillet * scale), c, 0.5 * float(np.linalg.norm(size))
    if shape.kind == "cylinder":
        r, h = shape.radius * scale, shape.height * scale
        axis = np.array(shape.axis)
        dimtags = [(3, occ.addCylinder(*(c - axis * h / 2), *(axis * h), r))]
        return _fillet(dimtags, shape.fillet * scale), c, math.hypot(r, h / 2)
    if shape.kind == "torus":
        R, r = shape.major_radius * scale, shape.minor_radius * scale
        return [(3, occ.addTorus(*c, R, r, zAxis=list(shape.axis)))], c, R + r
    if shape.kind == "file":
        return _import(shape, unit_m, lambda_m, key)
    raise MeshError(f"unknown shape {shape.kind!r}", f"{key}.shape")


def _fillet(dimtags: DimTags, radius: float) -> DimTags:
    if radius <= 0:
        return dimtags
    occ.synchronize()  # the model's topology queries see only synchronized OCC entities
    curves = gmsh.model.getBoundary(
        gmsh.model.getBoundary(dimtags, combined=False, oriented=False),
        combined=False,
        oriented=False,
    )
    tags = sorted({abs(t) for _, t in curves})
    return occ.fillet([t for _, t in dimtags], tags, [radius])


def _import(
    shape: Shape, unit_m: float, lambda_m: float, key: str
) -> tuple[DimTags, np.ndarray, float]:
    path = shape.path
    # OpenCASCADE converts STEP/IGES coordinates to millimetres; BREP carries no unit.
    gmsh.option.setString("Geometry.OCCTargetUnit", "MM")
    try:
        dimtags = occ.importShapes(str(path))
    except Exception as err:
        raise MeshError(f"gmsh could not read {path.name}: {err}", f"{key}.path") from None
    solids = [dt for dt in dimtags if dt[0] == 3]
    if not solids:
        raise MeshError(f"{path.name} contains no solid (closed volume)", f"{key}.path")
    occ.remove([dt for dt in dimtags if dt[0] != 3], recursive=True)
    f = file_scale(shape, unit_m, lambda_m)
    occ.dilate(solids, 0, 0, 0, f, f, f)
    lo, hi = _bbox(solids)
    mid = 0.5 * (lo + hi)
    if shape.center is not None:
        target = np.array(shape.center) * unit_m / lambda_m
        occ.translate(solids, *(target - mid))
        mid = target
    occ.synchronize()
    return solids, mid, 0.5 * float(np.linalg.norm(hi - lo))


def file_scale(shape: Shape, unit_m: float, lambda_m: float) -> float:
    """Lambdas per coordinate unit of a body file: its ``file_unit`` if given, else millimetres
    for STEP/IGES (OpenCASCADE converts them so), else the geometry unit; times ``scale``."""
    file_unit_m = unit_m
    if shape.file_unit is not None:
        file_unit_m = LENGTH_UNITS[shape.file_unit]
    elif shape.path.suffix.lower() in (".step", ".stp", ".iges", ".igs"):
        file_unit_m = LENGTH_UNITS["mm"]
    return shape.scale * file_unit_m / lambda_m


def _bbox(dimtags: DimTags) -> tuple[np.ndarray, np.ndarray]:
    boxes = np.array([occ.getBoundingBox(d, t) for d, t in dimtags])
    return boxes[:, :3].min(axis=0), boxes[:, 3:].max(axis=0)


def _rotate(dimtags: DimTags, center: np.ndarray, degrees: Sequence[float]) -> None:
    for axis, angle in zip(np.eye(3), degrees, strict=True):
        if angle:
            occ.rotate(dimtags, *center, *axis, math.radians(angle))


def build_shape(
    shape: Shape, unit_m: float, lambda_m: float, key: str
) -> tuple[DimTags, np.ndarray, float]:
    """One solid in lambda units, rotated about its centre: (entities, centre, bounding radius)."""
    dimtags, center, radius = _solid(shape, unit_m, lambda_m, key)
    _rotate(dimtags, center, shape.rotate)
    return dimtags, center, radius
