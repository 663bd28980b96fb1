"""Geometry of the drawn fields: the field grid as linear tetrahedra, the bodies cut open,
cut planes, and the magnitudes of vector fields as a renderer should draw them.

The fields are DG data on quadratic VTK Lagrange tetrahedra. Each is split into its 8 linear
sub-tetrahedra on its own 10 nodes, so every nodal value is drawn exactly and VTK's linear
filters (clip, slice, streamlines) apply.
"""

import numpy as np

from giantatom.errors import FigureError
from giantatom.figures.results import quiet_vtk

AXES = ("x", "y", "z")

# VTK quadratic (Lagrange) tetrahedron: vertices 0-3, then the edge nodes 01 12 02 03 13 23.
# Its 8 linear sub-tetrahedra: four at the corners, four around the diagonal 02-13.
_SUBTETS = np.array(
    [
        [0, 4, 6, 7],
        [4, 1, 5, 8],
        [6, 5, 2, 9],
        [7, 8, 9, 3],
        [6, 8, 4, 5],
        [6, 8, 5, 9],
        [6, 8, 9, 7],
        [6, 8, 7, 4],
    ]
)


class Mesh:
    """The field grid as linear tetrahedra: the whole domain, and the bodies with merged points."""

    def __init__(self, grid):
        import pyvista

        self.grid = grid  # linear tetrahedra, DG: each cell has its own points
        region = np.asarray(grid.point_data["region"])
        tets = grid.cell_connectivity.reshape(-1, 4)
        self.cell_region = np.rint(region[tets[:, 0]]).astype(int)
        body = grid.extract_cells(np.flatnonzero(self.cell_region > 0))
        if body.n_cells == 0:
            raise FigureError("the fields have no body cells (region > 0)")
        # One point per position inside the bodies, so that faces between cells are shared and
        # only the true surface is drawn. The merged values are averages: exact for rho and
        # phi (continuous inside a body), a smoothing of the cellwise E of a P2 potential.
        self.body = merge_points(pyvista.UnstructuredGrid(body))
        self.surface = shaded(self.body.extract_surface(algorithm="dataset_surface"))
        b = np.array(self.body.bounds).reshape(3, 2)
        self.center = b.mean(axis=1)
        self.extent = b[:, 1] - b[:, 0]

    @classmethod
    def from_grid(cls, grid) -> "Mesh":
        """The field grid (quadratic or linear tetrahedra) with its 'region' field."""
        if grid is None or grid.n_cells == 0 or "region" not in grid.point_data:
            raise FigureError("the fields have no cells with a 'region' field (damaged?)")
        return cls(linear_tetrahedra(grid))

    @property
    def size(self) -> float:
        return float(self.extent.max())

    def normal(self, clip: str | None) -> int:
        """Axis of the cut: ``clip`` if given, else the body's middle extent, so the cut
        contains its longest and its shortest direction (a disc is cut across, a rod along)."""
        if clip is not None:
            return AXES.index(clip)
        # Extents within 2% count as equal (a meshed sphere is not exactly round): x, y, z.
        rounded = np.round(self.extent / (0.02 * self.size))
        return int(np.argsort(rounded, kind="stable")[1])

    def box(self, margin: float = 0.3) -> list[float]:
        """Bounds around the bodies, ``margin`` of their size on every side."""
        half = 0.5 * self.extent + margin * self.size
        return [
            v
            for lo, hi in zip(self.center - half, self.center + half, strict=True)
            for v in (lo, hi)
        ]


def merge_points(data):
    """``data`` with its coincident points merged (DG data: every cell has its own points)."""
    tolerance = 1e-7 * float(np.ptp(np.asarray(data.points), axis=0).max())
    return data.clean(tolerance=tolerance)


def shaded(surface):
    """A surface as triangles with outward point normals, for smooth shading."""
    return surface.triangulate().compute_normals(auto_orient_normals=True, split_vertices=False)


def linear_tetrahedra(grid):
    """A grid of quadratic (or linear) tetrahedra as linear tetrahedra on the same nodes."""
    import pyvista

    types = np.unique(np.asarray(grid.celltypes))
    if not set(types.tolist()) <= {
        pyvista.CellType.TETRA,
        pyvista.CellType.LAGRANGE_TETRAHEDRON,
        pyvista.CellType.QUADRATIC_TETRA,
    }:
        raise FigureError(f"the fields: expected tetrahedra, got VTK cell types {types.tolist()}")
    offsets = np.asarray(grid.cell_offsets)
    per_cell = np.unique(np.diff(offsets))
    if len(per_cell) != 1:
        raise FigureError("the fields: cells of mixed order")
    nodes = np.asarray(grid.cell_connectivity).reshape(-1, int(per_cell[0]))
    if nodes.shape[1] == 10:
        tets = nodes[:, _SUBTETS].reshape(-1, 4)
    else:  # linear, or cubic: the vertices come first in VTK's node order
        tets = nodes[:, :4]
    cells = np.hstack([np.full((len(tets), 1), 4), tets]).ravel()
    out = pyvista.UnstructuredGrid(
        cells, np.full(len(tets), pyvista.CellType.TETRA, dtype=np.uint8), grid.points
    )
    for name in grid.point_data.keys():
        out.point_data[name] = grid.point_data[name]
    return out


def layer_surface(grid):
    """The thin-layer surface grid (quadratic triangles, each with its own nodes) as one
    triangulated surface with merged points and normals."""
    quiet_vtk()
    surface = grid.extract_surface(algorithm="dataset_surface", nonlinear_subdivision=2)
    return shaded(merge_points(surface.triangulate()))


def open_side(normal: int) -> np.ndarray:
    """The side the camera looks from: +x, -y or +z, so that the picture is right-handed with
    x (or y for a cut across x) to the right."""
    return np.eye(3)[normal] * (-1.0 if normal == 1 else 1.0)


def cut_open(mesh: Mesh, normal: int):
    """The bodies with the half on the camera's side of their centre removed."""
    return mesh.body.clip(normal=open_side(normal), origin=mesh.center, invert=True)


def outline(mesh: Mesh, normal: int):
    """The bodies' outline in the cut plane."""
    return mesh.surface.slice(normal=AXES[normal], origin=mesh.center)


def plane_points(mesh: Mesh, normal: int, count: int = 23) -> np.ndarray:
    """A square lattice of points in the cut plane, over the bodies and a margin."""
    a, b = [i for i in range(3) if i != normal]
    half = 0.5 * mesh.extent.max() * 1.15
    t = np.linspace(-half, half, count)
    u, v = np.meshgrid(t, t, indexing="ij")
    points = np.tile(mesh.center, (u.size, 1))
    points[:, a] += u.ravel()
    points[:, b] += v.ravel()
    return points


def applied_direction(mesh: Mesh) -> np.ndarray | None:
    """Direction of B far from the bodies (the applied field), or None where B vanishes."""
    B = np.asarray(mesh.grid.point_data["B"])
    far = np.linalg.norm(np.asarray(mesh.grid.points) - mesh.center, axis=1) > 1.5 * mesh.size
    mean = B[far].mean(axis=0) if far.any() else B.mean(axis=0)
    norm = np.linalg.norm(mean)
    return mean / norm if norm > 0 else None


def spread_points(points: np.ndarray, spacing: float) -> np.ndarray:
    """Indices of a subset of ``points`` about ``spacing`` apart (one per grid cell)."""
    keys = np.floor(points / spacing).astype(np.int64)
    _, first = np.unique(keys, axis=0, return_index=True)
    return np.sort(first)


# --------------------------------------------------------------------------------------------
# Magnitudes of vector fields, as drawn


MAGNITUDE_TOLERANCE = 2e-3  # of the largest magnitude: well under one step of a 256-colour map
MAGNITUDE_LEVELS = 12


def edge_midpoints(vectors: np.ndarray, triangles: np.ndarray) -> list[np.ndarray]:
    """The vectors at the midpoints of each triangle's edges 01, 12, 20 (linear fields)."""
    return [0.5 * (vectors[triangles[:, k]] + vectors[triangles[:, (k + 1) % 3]]) for k in range(3)]


def magnitude_error(vectors: np.ndarray, triangles: np.ndarray) -> np.ndarray:
    """Per triangle, how far the linear interpolation of the vertices' magnitudes (what a
    renderer draws) is from the magnitude of the interpolated vector, at the edge midpoints and
    the centroid. Zero for a field of fixed direction; at most the vertices' largest magnitude
    (the interpolated vector passes through zero: the cone of an interpolated |v|)."""
    norms = np.linalg.norm(vectors, axis=1)
    error = np.abs(
        norms[triangles].mean(axis=1) - np.linalg.norm(vectors[triangles].mean(axis=1), axis=1)
    )
    for k, middle in enumerate(edge_midpoints(vectors, triangles)):
        drawn = 0.5 * (norms[triangles[:, k]] + norms[triangles[:, (k + 1) % 3]])
        error = np.maximum(error, np.abs(drawn - np.linalg.norm(middle, axis=1)))
    return error


def with_magnitude(
    surface, vector: str, tolerance: float = MAGNITUDE_TOLERANCE, scale: float | None = None
):
    """``surface`` (polygons, or any dataset's outer surface) as triangles carrying
    ``_magnitude``, the magnitude of ``vector`` computed from its components at every point.

    A renderer interpolates the magnitude linearly across each triangle, which overshoots
    where the vector turns or passes through zero (the centre of a sphere, the axis of a
    current loop). The triangles where that differs from the magnitude of the interpolated
    vector by more than ``tolerance`` of ``scale`` (default: the largest magnitude on the
    surface; the top of the colour scale) are split in four (their
    neighbours in two, or in four, so that no point hangs on an edge), the point fields
    interpolated linearly, until none does: what is drawn is the magnitude of the vector's
    components to ``tolerance`` everywhere, not an interpolated nodal magnitude."""
    import pyvista

    if not isinstance(surface, pyvista.PolyData):
        surface = surface.extract_surface(algorithm="dataset_surface")
    surface = surface.triangulate()
    points = np.asarray(surface.points, dtype=float)
    triangles = np.asarray(surface.regular_faces, dtype=np.int64).reshape(-1, 3)
    data = {
        name: np.asarray(surface.point_data[name], dtype=float)
        for name in surface.point_data.keys()
        if np.issubdtype(np.asarray(surface.point_data[name]).dtype, np.floating)
    }
    largest = float(np.linalg.norm(data[vector], axis=1).max(initial=0.0))
    largest = largest if scale is None else scale
    for _ in range(MAGNITUDE_LEVELS):
        if not len(triangles) or largest == 0.0:
            break
        red = magnitude_error(data[vector], triangles) > tolerance * largest
        if not red.any():
            break
        n = len(points)
        ends = np.stack([triangles, np.roll(triangles, -1, axis=1)], axis=2)  # edges 01 12 20
        keys = ends.min(axis=2) * n + ends.max(axis=2)
        while True:  # a triangle with two or three split edges is split in four
            split = np.unique(keys[red])
            hanging = np.isin(keys, split) & ~red[:, None]
            promote = hanging.sum(axis=1) >= 2
            if not promote.any():
                break
            red |= promote
        green = hanging.any(axis=1)  # one split edge: halved through the opposite vertex
        middle = n + np.searchsorted(split, keys)  # the new point on each split edge
        lo, hi = split // n, split % n
        points = np.vstack([points, 0.5 * (points[lo] + points[hi])])
        data = {k: np.concatenate([v, 0.5 * (v[lo] + v[hi])]) for k, v in data.items()}
        a, b, c = triangles[red].T
        m01, m12, m20 = middle[red].T
        children = [
            triangles[~red & ~green],
            np.stack([a, m01, m20], axis=1),
            np.stack([m01, b, m12], axis=1),
            np.stack([m20, m12, c], axis=1),
            np.stack([m01, m12, m20], axis=1),
        ]
        k = np.argmax(hanging[green], axis=1)  # the split edge k runs from vertex k to k + 1
        t, m = triangles[green], middle[green]
        rows = np.arange(len(t))
        first, second, third = t[rows, k], t[rows, (k + 1) % 3], t[rows, (k + 2) % 3]
        middle_k = m[rows, k]
        children += [
            np.stack([first, middle_k, third], axis=1),
            np.stack([middle_k, second, third], axis=1),
        ]
        triangles = np.concatenate(children)
    cells = np.hstack([np.full((len(triangles), 1), 3), triangles]).ravel()
    out = pyvista.PolyData(points, faces=cells)
    for name, values in data.items():
        out.point_data[name] = values
    out.point_data["_magnitude"] = np.linalg.norm(data[vector], axis=1)
    return out


def magnitude_plane(mesh: Mesh, normal: int, vector: str):
    """The cut plane over the bodies and a margin of vacuum, with ``vector`` sliced (its
    components interpolated) and ``_magnitude`` computed from them (``with_magnitude``)."""
    import pyvista

    # The box clip merges coincident points, which would smear a field that jumps at the surface
    # (J is zero in vacuum) onto the neighbouring cells: cut the bodies and the vacuum apart.
    grid = mesh.grid
    pieces = [
        grid.extract_cells(np.flatnonzero(inside))
        .slice(normal=AXES[normal], origin=mesh.center)
        .clip_box(mesh.box(), invert=False)
        for inside in (mesh.cell_region > 0, mesh.cell_region == 0)
    ]
    pieces = [p for p in pieces if p.n_points]
    scale = max(float(np.linalg.norm(p.point_data[vector], axis=1).max()) for p in pieces)
    pieces = [with_magnitude(p, vector, scale=scale) for p in pieces]
    return pyvista.merge(pieces, merge_points=False)
