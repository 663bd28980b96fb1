"""Holes and trapped flux (docs/formulation.md section 2), shared by the full and the
thin-layer magnetic sectors; lengths in lambda, as on the mesh.

Around each hole of a body the fluxoid oint (A + mu0 lambda^2 J) . dl = n Phi_0 (SI), Phi_0 =
h/(2|e|), n an input of the case file (``Hole.fluxoid``; 0: zero-field cooled, n != 0: flux
trapped by cooling in a field), n > 0 meaning flux along the hole's axis, dl right-handed about
it. The hole is described by a straight line through it (axis a through the point c) that
does not touch the body. Two fields are built from that line:

* ``cut_gradient``: h = a x r / (2 pi |a x r|^2) (r = x - c), the gradient of the azimuthal
  angle about the line over 2 pi: curl-free off the line, oint h . dl = 1 around it. The full
  model imposes the fluxoid with J = -(A - n Phi_0 h)/(mu0 lambda^2) in the body.
* ``loop``: a circle around the line inside the body (centre on the line, at the height of the
  body's centroid), whose Biot-Savart field (``circle_field``) is curl-free in the vacuum with a
  circulation of mu0 (per ampere) around every loop that links the ring: the thin-layer model
  builds the cyclic exterior field of a net ring current from it.

``located_holes`` checks each hole on the mesh: its line must avoid the body and the body must
go all the way round it; and it warns when a body has more holes than are known (the genus of
its surface mesh, ``surface_holes``).
"""

import math
from dataclasses import dataclass

import numpy as np

from giantatom.backend import MPI, dolfinx, geometry, ufl
from giantatom.case import Hole
from giantatom.domain import Domain
from giantatom.errors import CaseError
from giantatom.log import log
from giantatom.units import E_CHARGE, HBAR

FLUX_QUANTUM = math.pi * HBAR / abs(E_CHARGE)  # Phi_0 = h/(2|e|), Wb
_BINS = 24  # azimuth sectors that must each hold some of the body around a hole


@dataclass(frozen=True)
class HoleOnMesh:
    """A hole of body ``body`` (0-based) in lambda units."""

    body: int
    hole: Hole
    axis: np.ndarray  # unit
    center: np.ndarray  # a point of the axis line, lambda

    @property
    def fluxoid(self) -> int:
        return self.hole.fluxoid

    @property
    def name(self) -> str:
        return self.hole.key

    def cut_gradient(self, mesh: dolfinx.mesh.Mesh) -> ufl.core.expr.Expr:
        """h = a x r / (2 pi |a x r|^2) on the mesh, per lambda."""
        x = ufl.SpatialCoordinate(mesh)
        around = ufl.cross(
            dolfinx.fem.Constant(mesh, self.axis), x - dolfinx.fem.Constant(mesh, self.center)
        )
        # the tiny constant keeps h finite (zero) on the line itself, in the hole
        return around / (2.0 * math.pi * (ufl.dot(around, around) + 1e-30))

    def summary(self, lambda_m: float, unit_m: float) -> dict:
        return {
            "key": self.hole.key,
            "axis": self.axis,
            "center": self.center * lambda_m / unit_m,
            "fluxoid": self.fluxoid,
            "fluxoid_Wb": self.fluxoid * FLUX_QUANTUM,
        }


def _reduce(comm, values: np.ndarray, op) -> np.ndarray:
    """Elementwise MPI reduction of a numeric array (``allreduce`` of a numpy array with MIN
    or MAX compares whole arrays)."""
    result = np.ascontiguousarray(values, dtype=np.float64).copy()
    comm.Allreduce(MPI.IN_PLACE, result, op=op)
    return result


def _in_body(domain: Domain, body_tag: int, points: np.ndarray) -> np.ndarray:
    """Whether each point (lambda) lies in a cell of the body, over all ranks."""
    points = np.ascontiguousarray(points, dtype=np.float64)
    candidates = geometry.compute_collisions_points(domain.tree, points)
    colliding = geometry.compute_colliding_cells(domain.mesh, candidates, points)
    inside = np.array(
        [
            bool(np.any(domain.cell_region[colliding.links(i)] == body_tag))
            for i in range(len(points))
        ]
    )
    return _reduce(domain.comm, inside, MPI.MAX) > 0.5


def _body_points(domain: Domain, tag: int) -> np.ndarray:
    """The midpoints of this rank's owned cells of a body, lambda."""
    cells = domain.body_cells(tag)
    cells = cells[cells < domain.mesh.topology.index_map(3).size_local]
    return dolfinx.mesh.compute_midpoints(domain.mesh, 3, cells.astype(np.int32))


def _cylindrical(points: np.ndarray, axis: np.ndarray, center: np.ndarray):
    """(axial coordinate, distance from the axis, azimuth) of points about a line."""
    r = points - center
    z = r @ axis
    perp = r - np.outer(z, axis)
    e1 = np.cross(axis, [1.0, 0.0, 0.0] if abs(axis[0]) < 0.9 else [0.0, 1.0, 0.0])
    e1 /= np.linalg.norm(e1)
    e2 = np.cross(axis, e1)
    return z, np.linalg.norm(perp, axis=1), np.arctan2(perp @ e2, perp @ e1), (e1, e2)


def surface_holes(domain: Domain, tag: int) -> int:
    """The number of holes through a body, from its surface triangulation: each closed surface
    component has Euler characteristic V - E + F = 2 - 2 g, g its genus."""
    mesh, comm = domain.mesh, domain.comm
    mesh.topology.create_connectivity(2, 0)
    facets = domain.surface_facets(tag)
    facets = facets[facets < mesh.topology.index_map(2).size_local]
    local = mesh.topology.connectivity(2, 0).array.reshape(-1, 3)[facets]  # triangles
    triangles = comm.gather(mesh.topology.index_map(0).local_to_global(local.ravel()), root=0)
    holes = 0
    if comm.rank == 0:
        triangles = np.concatenate(triangles).reshape(-1, 3)
        vertices, triangles = np.unique(triangles, return_inverse=True)
        triangles = triangles.reshape(-1, 3)
        edges = np.sort(triangles[:, [0, 1, 1, 2, 2, 0]].reshape(-1, 2), axis=1)
        edges = np.unique(edges, axis=0)
        parent = np.arange(len(vertices))

        def root(i: int) -> int:
            while parent[i] != i:
                parent[i] = parent[parent[i]]
                i = parent[i]
            return i

        for a, b in edges:
            parent[root(a)] = root(b)
        components = len({root(i) for i in range(len(vertices))})
        euler = len(vertices) - len(edges) + len(triangles)
        holes = (2 * components - euler) // 2
    return comm.bcast(int(holes), root=0)


def located_holes(
    domain: Domain, holes: tuple[tuple[Hole, ...], ...], unit_m: float
) -> list[HoleOnMesh]:
    """The holes of every body, checked on the mesh: the axis line must not pass through the
    body, and the body must surround it (its cells fill every one of 24 sectors of azimuth
    about the line). A hole the case file declares (fluxoid, hole_axis, hole_center) that fails
    is a CaseError naming its table; one taken from a torus or a subtracted cylinder alone is
    left out with a note in the log (a blind hole, a notch)."""
    comm, scale = domain.comm, unit_m / domain.lambda_m
    found = []
    for k, (body_holes, tag) in enumerate(zip(holes, domain.body_tags, strict=True)):
        points = _body_points(domain, tag)
        for hole in body_holes:
            axis = np.array(hole.axis, dtype=float)
            center = np.array(hole.center, dtype=float) * scale
            z, _, phi, _ = _cylindrical(points, axis, center)
            lo = comm.allreduce(float(z.min()) if len(z) else np.inf, op=MPI.MIN)
            hi = comm.allreduce(float(z.max()) if len(z) else -np.inf, op=MPI.MAX)
            t = np.linspace(lo - 1.0, hi + 1.0, 401)
            pierced = _in_body(domain, tag, center + np.outer(t, axis)).any()
            sectors = np.zeros(_BINS, dtype=np.int8)
            sectors[((phi + math.pi) / (2 * math.pi) * _BINS).astype(int) % _BINS] = 1
            around = (_reduce(comm, sectors, MPI.MAX) > 0.5).all()
            if not pierced and around:
                found.append(HoleOnMesh(k, hole, axis, center))
                continue
            why = (
                "its axis line passes through the body"
                if pierced
                else "the body does not go all the way round its axis line"
            )
            if hole.declared:
                raise CaseError(
                    f"is not a hole through the body: {why} (hole_axis {list(hole.axis)}, "
                    f"hole_center {list(hole.center)}); give hole_axis and hole_center of a line "
                    "that runs through the hole",
                    f"{hole.key}.fluxoid",
                )
            log.info("  %s: not a hole through the body (%s); no fluxoid there", hole.key, why)
        known = sum(1 for hole in found if hole.body == k)
        genus = surface_holes(domain, tag)
        if genus > known:
            log.warning(
                "geometry.body[%d]: its surface has %d hole(s) through the body, %d of them "
                "known (a torus, a subtracted cylinder, or hole_axis and hole_center): the "
                "others have zero fluxoid in the full model but no net ring current in the "
                "thin-layer model; give each its hole_axis and hole_center",
                k + 1,
                genus,
                known,
            )
    return found


def loop(domain: Domain, hole: HoleOnMesh) -> tuple[np.ndarray, float]:
    """A circle about the hole's line inside its body: (centre, radius), lambda. The centre is
    the point of the line at the axial height of the body's centroid; the radius is midway
    between the largest inner and the smallest outer radius of the body's cells near that
    height, over 24 sectors of azimuth. Checked: 96 points of the circle lie in the body."""
    comm, tag = domain.comm, domain.body_tags[hole.body]
    points = _body_points(domain, tag)
    total = _reduce(comm, np.concatenate([points.sum(axis=0), [len(points)]]), MPI.SUM)
    centroid = total[:3] / total[3]
    center = hole.center + ((centroid - hole.center) @ hole.axis) * hole.axis
    z, rho, phi, (e1, e2) = _cylindrical(points, hole.axis, center)
    extent = comm.allreduce(float(np.abs(z).max()) if len(z) else 0.0, op=MPI.MAX)
    sector = ((phi + math.pi) / (2 * math.pi) * _BINS).astype(int) % _BINS
    for fraction in (0.05, 0.1, 0.2, 0.4, 1.0):
        near = np.abs(z) <= fraction * extent
        inner, outer = np.full(_BINS, -np.inf), np.full(_BINS, np.inf)
        np.maximum.at(inner, sector[near], -rho[near])  # -min rho per sector
        np.minimum.at(outer, sector[near], -rho[near])  # -max rho per sector
        inner = -_reduce(comm, inner, MPI.MAX)  # smallest radius in each sector
        outer = -_reduce(comm, outer, MPI.MIN)  # largest radius in each sector
        if np.isfinite(inner).all():
            break
    radius = 0.5 * (inner.max() + outer.min())
    angles = np.linspace(0.0, 2.0 * math.pi, 96, endpoint=False)
    circle = center + radius * (np.outer(np.cos(angles), e1) + np.outer(np.sin(angles), e2))
    if not (inner.max() < outer.min() and _in_body(domain, tag, circle).all()):
        raise CaseError(
            "the thin-layer model found no circle about the hole's axis inside the body to carry "
            "its ring current (it looks at the body's cross-section at the height of its "
            'centroid); use [model] kind = "full"',
            f"{hole.name}.fluxoid",
        )
    return center, float(radius)


def circle_field(center: np.ndarray, axis: np.ndarray, radius: float, scale: float, segments=256):
    """The Biot-Savart field of a unit current on a circle (right-handed about ``axis``), for
    ``Function.interpolate``: ``scale`` (mu0/(4 pi lambda_m)) times the integral in lambda units,
    i.e. T per A. The trapezoidal rule on the circle converges exponentially away from it."""
    e1 = np.cross(axis, [1.0, 0.0, 0.0] if abs(axis[0]) < 0.9 else [0.0, 1.0, 0.0])
    e1 /= np.linalg.norm(e1)
    e2 = np.cross(axis, e1)
    t = np.linspace(0.0, 2.0 * math.pi, segments, endpoint=False)
    source = center + radius * (np.outer(np.cos(t), e1) + np.outer(np.sin(t), e2))
    dl = (2.0 * math.pi * radius / segments) * (np.outer(-np.sin(t), e1) + np.outer(np.cos(t), e2))

    def values(x: np.ndarray) -> np.ndarray:
        points = x.T
        result = np.zeros_like(points)
        for start in range(0, len(points), 2048):
            r = points[start : start + 2048, None, :] - source[None, :, :]
            norm = np.linalg.norm(r, axis=2)[..., None]
            result[start : start + 2048] = (np.cross(dl[None, :, :], r) / norm**3).sum(axis=1)
        return (scale * result).T

    return values
