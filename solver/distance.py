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
facet). The nearest facet comes from DOLFINx's bounding-box search over the facets split into
four flat triangles through their six nodes; p is then found on the curved facet by
Gauss-Newton (clamped to the facet). On a degree-2 mesh d is then exact to rounding for the
meshed surface, up to a choice between two facets equally near within the flat-triangle
sagitta (about h^2/(8R)), where d is off by less than that; on a degree-3 mesh the surface
facets are replaced by the quadratic through six of their points (an O(h^3) change).
"""

import basix.ufl
import numpy as np

from solver.backend import MPI, dolfinx, fem, geometry, ufl
from solver.domain import Domain

# Six points of a triangle facet, reference coordinates: the vertices, then the midpoints of
# the edges 01, 12, 20. A quadratic facet is the quadratic through its values there.
FACET_POINTS = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [0.5, 0.0], [0.5, 0.5], [0.0, 0.5]])
# The four flat triangles through them, and their centroids (reference coordinates).
SUBTRIANGLES = np.array([[0, 3, 5], [3, 1, 4], [5, 4, 2], [3, 4, 5]])
SUB_CENTROIDS = FACET_POINTS[SUBTRIANGLES].mean(axis=1)
CHUNK = 50_000  # points projected at once


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
        # the search mesh: four flat triangles per facet, on this rank alone
        cells = (SUBTRIANGLES[None] + 6 * np.arange(len(self.nodes))[:, None, None]).reshape(-1, 3)
        element = ufl.Mesh(basix.ufl.element("Lagrange", "triangle", 1, shape=(3,)))
        self.search = dolfinx.mesh.create_mesh(
            MPI.COMM_SELF, cells.astype(np.int64), element, self.nodes.reshape(-1, 3)
        )
        self.tree = geometry.bb_tree(self.search, 2)
        self.midpoints = geometry.create_midpoint_tree(
            self.search, 2, np.arange(len(cells), dtype=np.int32)
        )
        self.original = np.asarray(self.search.topology.original_cell_index)

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
        """The nearest surface points p (m, 3) of points (m, 3)."""
        if len(points) == 0:
            return np.zeros((0, 3))
        closest = geometry.compute_closest_entity(self.tree, self.midpoints, self.search, points)
        sub = self.original[closest]
        count = len(SUBTRIANGLES)
        facets, st = sub // count, SUB_CENTROIDS[sub % count].copy()
        for _ in range(30):  # Gauss-Newton for min |x - p(s, t)|, clamped to the facet
            p, a, b = self._map(facets, st)
            r = points - p
            aa, ab, bb = (a * a).sum(-1), (a * b).sum(-1), (b * b).sum(-1)
            ar, br = (a * r).sum(-1), (b * r).sum(-1)
            det = aa * bb - ab * ab
            step = np.stack([(bb * ar - ab * br) / det, (aa * br - ab * ar) / det], axis=1)
            st = np.maximum(st + step, 0.0)
            st /= np.maximum(st.sum(axis=1), 1.0)[:, None]
            if np.abs(step).max() < 1e-13:
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
