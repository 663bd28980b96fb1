"""d, the distance below a body's own surface, as a Lagrange function: the reference flow.

The reference flow of the spin sector (docs/formulation.md section 3.3) is sigma_vec x grad d.
Since s x grad d = -curl(d s) for the constant axis s, it is computed as s x grad d_h with d_h
the Lagrange interpolant of d (continuous: d is, only its gradient jumps across the medial
surface, the ridge where two surface points are nearest). Like s x grad d itself, s x grad d_h
is then divergence-free in every cell with a continuous normal part across every facet (grad
d_h jumps only along the facet normal), exactly, and tangential at the surface, where d_h = 0:
the flow leaves neither a cell nor the body. Where d is smooth grad d_h = grad d + O(h^k), a
unit vector, -r_hat in a sphere and a cylinder (Eq. 61); the ridge's jump is spread over the
cells the ridge cuts, with no divergence. (grad d evaluated pointwise at the nodes of a
discontinuous space keeps the jump but not the zero divergence: measured on the cube of side
8 lambda of the README, its gradient part is 8 % of the flow, from the cells the ridge cuts.)

d = |x - p| at every node inside a body, p the point of the body's own surface nearest to x
(0 on the surface). The surface is the mesh's own: the curved (degree-2) surface facets of the
body, gathered on every rank (each rank needs the whole surface of each body: 18 numbers per
facet). The nearest facet is the one of the nearest of the flat triangles through their six
nodes (four per facet), found for all the nodes at once by a bounding-volume tree over the
triangles searched level by level in numpy (TriangleTree: about 16 us a node, 4 s for the
232k nodes of an R = 8 lambda sphere where DOLFINx's bounding-box search, one point at a time,
took 75 s); p is then found on the curved facet by Gauss-Newton (clamped to the facet), on each
of the facets of flat triangles equally near to rounding (a node whose nearest flat point is on
an edge or a vertex), the nearest of their points kept. On a degree-2 mesh d is then exact to
rounding for the meshed surface, up to a choice between two facets equally near within the
flat-triangle sagitta (about h^2/(8R)), where d is off by less than that; on a degree-3 mesh
the surface facets are replaced by the quadratic through six of their points (an O(h^3)
change).
"""

import numpy as np

from giantatom.backend import fem, ufl
from giantatom.domain import Domain

# Six points of a triangle facet, reference coordinates: the vertices, then the midpoints of
# the edges 01, 12, 20. A quadratic facet is the quadratic through its values there.
FACET_POINTS = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [0.5, 0.0], [0.5, 0.5], [0.0, 0.5]])
# The four flat triangles through them, and their centroids (reference coordinates).
SUBTRIANGLES = np.array([[0, 3, 5], [3, 1, 4], [5, 4, 2], [3, 4, 5]])
SUB_CENTROIDS = FACET_POINTS[SUBTRIANGLES].mean(axis=1)
CHUNK = 50_000  # points projected at once
SEARCH_CHUNK = 4096  # points searched at once (the candidate pairs of a chunk are held in memory)
MAX_PAIRS = 4_000_000  # a chunk whose search holds more (point, node) pairs is split in two


def p2_triangle(s: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Quadratic shape functions on FACET_POINTS and their s, t derivatives at (s, t): three
    (m, 6) arrays."""
    L = np.stack([1.0 - s - t, s, t], axis=-1)
    dL = np.array([[-1.0, 1.0, 0.0], [-1.0, 0.0, 1.0]])  # [s or t, vertex]
    pairs = [(0, 1), (1, 2), (2, 0)]
    N = np.concatenate(
        [L * (2.0 * L - 1.0), np.stack([4.0 * L[:, a] * L[:, b] for a, b in pairs], axis=-1)],
        axis=-1,
    )
    dN = []
    for k in range(2):
        vertex = (4.0 * L - 1.0) * dL[k]
        edge = [4.0 * (L[:, a] * dL[k, b] + L[:, b] * dL[k, a]) for a, b in pairs]
        dN.append(np.concatenate([vertex, np.stack(edge, axis=-1)], axis=-1))
    return N, dN[0], dN[1]


def distance2_to_triangles(x: np.ndarray, tri: np.ndarray) -> np.ndarray:
    """Squared distance from points x (m, 3) to the flat triangles tri (m, 3, 3), pairwise
    (the closest point by its region of the triangle: Ericson, Real-Time Collision Detection,
    section 5.1.5)."""
    a, b, c = tri[:, 0], tri[:, 1], tri[:, 2]
    ab, ac = b - a, c - a
    ap, bp, cp = x - a, x - b, x - c
    d1, d2 = (ab * ap).sum(1), (ac * ap).sum(1)
    d3, d4 = (ab * bp).sum(1), (ac * bp).sum(1)
    d5, d6 = (ab * cp).sum(1), (ac * cp).sum(1)
    va, vb, vc = d3 * d6 - d5 * d4, d5 * d2 - d1 * d6, d1 * d4 - d3 * d2
    with np.errstate(divide="ignore", invalid="ignore"):
        on_ab, on_ac = d1 / (d1 - d3), d2 / (d2 - d6)
        on_bc = (d4 - d3) / ((d4 - d3) + (d5 - d6))
        total = va + vb + vc
        # barycentric (v, w) of the closest point a + v ab + w ac, region by region
        regions = [
            (d1 <= 0) & (d2 <= 0),  # vertex a
            (d3 >= 0) & (d4 <= d3),  # vertex b
            (d6 >= 0) & (d5 <= d6),  # vertex c
            (vc <= 0) & (d1 >= 0) & (d3 <= 0),  # edge ab
            (vb <= 0) & (d2 >= 0) & (d6 <= 0),  # edge ac
            (va <= 0) & (d4 >= d3) & (d5 >= d6),  # edge bc
        ]
        v = np.select(regions, [0.0, 1.0, 0.0, on_ab, 0.0, 1.0 - on_bc], vb / total)
        w = np.select(regions, [0.0, 0.0, 1.0, 0.0, on_ac, on_bc], vc / total)
    r = ap - v[:, None] * ab - w[:, None] * ac
    return (r * r).sum(1)


class TriangleTree:
    """A bounding-volume tree over flat triangles (n, 3, 3) for the nearest triangle of many
    points at once: a complete binary tree (2^depth leaves, the triangles in median-split order,
    the last one repeated to fill), searched level by level for all points together.

    Each node has a surface point c (the centroid of one of its triangles, the one nearest the
    middle of its box), a unit direction n (its triangles' mean normal) and bounds: all its
    points y have n.(y - c) in [lo, hi] and a distance from the line c + R n at most ``rad``.
    The distance from x to the node is then at least sqrt(slab^2 + gap^2), slab the distance of
    n.(x - c) from [lo, hi] and gap = max(0, |x - c - (n.(x - c)) n| - rad), and at most |x - c|:
    a node is passed over when its lower bound exceeds the least upper bound seen for x. The
    slab keeps the candidates few below a curved surface, where many triangles are nearly
    equally near (near a centre of curvature): there the nodes off the normal through x are
    farther along their own normals."""

    def __init__(self, tri: np.ndarray):
        n = len(tri)
        self.depth = max(int(np.ceil(np.log2(n))), 0)
        size = 1 << self.depth
        centroid = tri.mean(axis=1)
        order = np.concatenate([np.arange(n), np.full(size - n, n - 1)])
        # arrays of a level are (member, node, ...): reduced over the members, axis 0
        for level in range(self.depth):  # split each node at the median of its widest axis
            members = order.reshape(1 << level, -1).T
            c = centroid[members]
            axis = np.argmax(c.max(axis=0) - c.min(axis=0), axis=1)
            key = np.take_along_axis(c, axis[None, :, None], axis=2)[..., 0]
            order = np.take_along_axis(members, np.argsort(key, axis=0, kind="stable"), 0).T.ravel()
        self.tri, self.order = tri, order
        area_normal = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
        self.c = np.zeros((2 * size, 3))
        self.n = np.zeros((2 * size, 3))
        self.lo, self.hi, self.rad = np.zeros(2 * size), np.zeros(2 * size), np.zeros(2 * size)
        for level in range(self.depth + 1):  # node k of a level: heap index 2^level + k
            nodes = slice(1 << level, 2 << level)
            members = order.reshape(1 << level, -1).T
            normal = area_normal[members].sum(axis=0)
            length = np.sqrt((normal * normal).sum(axis=1))
            normal = normal / np.where(length > 0, length, 1.0)[:, None]
            normal[length == 0] = [1.0, 0.0, 0.0]
            vertices = tri[members].transpose(0, 2, 1, 3).reshape(-1, len(normal), 3)
            middle = 0.5 * (vertices.max(axis=0) + vertices.min(axis=0))
            c = centroid[members]
            e = c - middle
            pick = np.argmin(e[..., 0] ** 2 + e[..., 1] ** 2 + e[..., 2] ** 2, axis=0)
            c = c[pick, np.arange(len(normal))]
            r = vertices - c
            t = r[..., 0] * normal[:, 0] + r[..., 1] * normal[:, 1] + r[..., 2] * normal[:, 2]
            perp2 = r[..., 0] ** 2 + r[..., 1] ** 2 + r[..., 2] ** 2 - t * t
            self.c[nodes], self.n[nodes] = c, normal
            self.lo[nodes], self.hi[nodes] = t.min(axis=0), t.max(axis=0)
            self.rad[nodes] = np.sqrt(np.maximum(perp2.max(axis=0), 0.0))
        self.c0, self.c1, self.c2 = self.c.T.copy()
        self.n0, self.n1, self.n2 = self.n.T.copy()
        extent = np.ptp(tri.reshape(-1, 3), axis=0).max() if n else 1.0
        self.tol = 1e-9 * max(extent, 1.0)  # slack on the bounds, for rounding

    def nearest(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The triangles nearest to the points x (m, 3): pairs (point index, triangle index),
        by point, one per point but for ties (triangles as near as the nearest to rounding,
        all given, the nearest first)."""
        m = len(x)
        pt, node = np.arange(m), np.ones(m, dtype=np.int64)
        x0, x1, x2 = x[:, 0].copy(), x[:, 1].copy(), x[:, 2].copy()
        least = np.full(m, np.inf)  # upper bound of the squared distance
        for level in range(self.depth + 1):
            if level:
                pt, node = np.repeat(pt, 2), (2 * node[:, None] + np.array([0, 1])).ravel()
            if len(pt) > MAX_PAIRS and m > 1:
                first, second = self.nearest(x[: m // 2]), self.nearest(x[m // 2 :])
                return np.r_[first[0], second[0] + m // 2], np.r_[first[1], second[1]]
            r0, r1, r2 = x0[pt] - self.c0[node], x1[pt] - self.c1[node], x2[pt] - self.c2[node]
            dist2 = r0 * r0 + r1 * r1 + r2 * r2
            t = r0 * self.n0[node] + r1 * self.n1[node] + r2 * self.n2[node]
            slab = np.maximum(np.maximum(t - self.hi[node], self.lo[node] - t), 0.0)
            gap = np.maximum(np.sqrt(np.maximum(dist2 - t * t, 0.0)) - self.rad[node], 0.0)
            starts = np.flatnonzero(pt[1:] != pt[:-1]) + 1
            starts = np.concatenate([[0], starts])
            first = pt[starts]
            least[first] = np.minimum(least[first], np.minimum.reduceat(dist2, starts))
            bound = (np.sqrt(least) + self.tol) ** 2
            keep = slab * slab + gap * gap <= bound[pt]
            pt, node = pt[keep], node[keep]
        tri = self.order[node - (1 << self.depth)]
        dist = np.sqrt(distance2_to_triangles(x[pt], self.tri[tri]))
        best = np.lexsort((tri, dist, pt))  # by point, then distance, then triangle
        pt, tri, dist = pt[best], tri[best], dist[best]
        starts = np.flatnonzero(np.r_[True, pt[1:] != pt[:-1]])
        tie = dist <= np.repeat(dist[starts], np.diff(np.r_[starts, len(pt)])) + 1e-2 * self.tol
        tie &= np.r_[True, (pt[1:] != pt[:-1]) | (tri[1:] != tri[:-1])]  # the leaves repeated
        return pt[tie], tri[tie]


class BodySurface:
    """The whole surface of one body on every rank: its curved facets (nodes (f, 6, 3), lambda)
    and a search tree over them."""

    def __init__(self, domain: Domain, tag: int):
        mesh = domain.mesh
        mesh.topology.create_connectivity(2, 3)
        mesh.topology.create_connectivity(3, 2)
        f2c, c2f = mesh.topology.connectivity(2, 3), mesh.topology.connectivity(3, 2)
        facets = domain.surface_facets(tag)
        facets = facets[facets < mesh.topology.index_map(2).size_local]
        entities = []
        for f in facets:
            cell = next(c for c in f2c.links(f) if domain.cell_region[c] == tag)
            entities.append((cell, int(np.flatnonzero(c2f.links(cell) == f)[0])))
        entities = np.array(entities, dtype=np.int32).reshape(-1, 2)
        at_points = fem.Expression(ufl.SpatialCoordinate(mesh), FACET_POINTS)  # collective JIT
        nodes = np.zeros((0, 6, 3))
        if len(entities):
            nodes = at_points.eval(mesh, entities).reshape(-1, 6, 3)
        self.nodes = np.concatenate(domain.comm.allgather(nodes))
        self.tree = TriangleTree(self.nodes[:, SUBTRIANGLES].reshape(-1, 3, 3))

    def _map(self, facets: np.ndarray, st: np.ndarray):
        """Position and tangents d/ds, d/dt of the curved facets at reference points st."""
        N, Ns, Nt = p2_triangle(st[:, 0], st[:, 1])
        X = self.nodes[facets]
        return (
            np.einsum("mj,mjc->mc", N, X),
            np.einsum("mj,mjc->mc", Ns, X),
            np.einsum("mj,mjc->mc", Nt, X),
        )

    def nearest(self, points: np.ndarray) -> np.ndarray:
        """The nearest surface points p (m, 3) of points (m, 3): on the curved facet of the
        nearest flat triangle (of those equally near, the facet whose nearest point is)."""
        if len(points) == 0:
            return np.zeros((0, 3))
        rows, sub = [], []
        for start in range(0, len(points), SEARCH_CHUNK):
            pt, tri = self.tree.nearest(points[start : start + SEARCH_CHUNK])
            rows.append(pt + start)
            sub.append(tri)
        rows, sub = np.concatenate(rows), np.concatenate(sub)
        count = len(SUBTRIANGLES)
        # one row per point and facet (ties in one facet: its nearest flat triangle)
        first = np.sort(np.unique(rows * len(self.nodes) + sub // count, return_index=True)[1])
        rows, sub = rows[first], sub[first]
        p = self.project(points[rows], sub // count, SUB_CENTROIDS[sub % count])
        if len(rows) > len(points):  # ties: the nearest of the facets' points
            best = np.lexsort((np.linalg.norm(points[rows] - p, axis=1), rows))
            best = best[np.r_[True, rows[best][1:] != rows[best][:-1]]]
            p = p[best]
        return p

    def project(self, points: np.ndarray, facets: np.ndarray, st: np.ndarray) -> np.ndarray:
        """The nearest points p (m, 3) to points (m, 3) on the curved facets ``facets``: Gauss-
        Newton for min |x - p(s, t)| from the reference points st, clamped to the facet, point by
        point until its step is below 1e-13 or the clamp holds it."""
        st, active = st.copy(), np.arange(len(points))
        for _ in range(30):
            p, a, b = self._map(facets[active], st[active])
            r = points[active] - p
            aa, ab, bb = (a * a).sum(-1), (a * b).sum(-1), (b * b).sum(-1)
            ar, br = (a * r).sum(-1), (b * r).sum(-1)
            det = aa * bb - ab * ab
            step = np.stack([(bb * ar - ab * br) / det, (aa * br - ab * ar) / det], axis=1)
            new = np.maximum(st[active] + step, 0.0)
            new /= np.maximum(new.sum(axis=1), 1.0)[:, None]
            done = (np.abs(step).max(axis=1) < 1e-13) | (new == st[active]).all(axis=1)
            st[active] = new
            active = active[~done]
            if len(active) == 0:
                break
        return self._map(facets, st)[0]


def depth(domain: Domain, degree: int) -> fem.Function:
    """d_h: the Lagrange interpolant of degree ``degree`` of the distance below each body's own
    surface (module docstring), lambda; zero on the surfaces and in vacuum. Computed at every
    local node of the bodies' cells (ghosts included), once per node."""
    space = fem.functionspace(domain.mesh, ("Lagrange", degree))
    coordinates = space.tabulate_dof_coordinates()
    d = fem.Function(space, name="depth")
    for tag in domain.body_tags:
        surface = BodySurface(domain, tag)  # collective
        nodes = np.unique(space.dofmap.list[domain.body_cells(tag)].ravel())
        nodes = np.setdiff1d(nodes, domain.surface_dofs(space, tag))
        for start in range(0, len(nodes), CHUNK):
            x = coordinates[nodes[start : start + CHUNK]]
            d.x.array[nodes[start : start + CHUNK]] = np.linalg.norm(x - surface.nearest(x), axis=1)
    d.x.scatter_forward()
    return d
