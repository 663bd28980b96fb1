"""The thin-layer model's body surfaces: samples at the six nodes of every surface facet, the
flux of the layer through them, the decay rate from the curvature, sharp edges, the search of
max |E| over depth."""

import math
from dataclasses import dataclass

import numpy as np

from giantatom.backend import MPI, fem, ufl
from giantatom.domain import Domain
from giantatom.linalg import assemble_rhs

# The nodes of a quadratic triangle on every surface facet, in VTK order: vertices, then the
# midpoints of edges 01, 12, 20 (reference coordinates of the facet).
REFERENCE_POINTS = np.array(
    [[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [0.5, 0.0], [0.5, 0.5], [0.0, 0.5]]
)
MAX_DEPTH = 40.0  # lambda: exp(-40) is far below any tolerance
SHARP_EDGE_DEGREES = 30.0  # normals of neighbouring facets differing more than this: an edge


@dataclass
class Surface:
    """This rank's owned body-surface facets, sampled at the 6 nodes of each."""

    body: np.ndarray  # (f,) 0-based body index
    entities: np.ndarray  # (f, 2) the body-side cell and its local facet index
    x: np.ndarray  # (f, 6, 3) lambda
    n: np.ndarray  # (f, 6, 3) outward unit normal

    def values(self, mesh, expr) -> np.ndarray:
        """``expr`` at the nodes, evaluated in the body-side cell: (f, 6, *shape)."""
        shape = ufl.shape(expr)
        compiled = fem.Expression(expr, REFERENCE_POINTS)  # collective (JIT): every rank
        if len(self.entities) == 0:
            return np.zeros((0, len(REFERENCE_POINTS), *shape))
        return compiled.eval(mesh, self.entities).reshape(len(self.entities), -1, *shape)


def body_surface(domain: Domain) -> Surface:
    """The owned surface facets of every body, with their body-side cells."""
    mesh = domain.mesh
    mesh.topology.create_connectivity(2, 3)
    mesh.topology.create_connectivity(3, 2)
    f2c, c2f = mesh.topology.connectivity(2, 3), mesh.topology.connectivity(3, 2)
    owned = mesh.topology.index_map(2).size_local
    bodies, entities = [], []
    for k, tag in enumerate(domain.body_tags):
        facets = domain.surface_facets(tag)
        for f in facets[facets < owned]:
            cell = next(c for c in f2c.links(f) if domain.cell_region[c] == tag)
            local = int(np.flatnonzero(c2f.links(cell) == f)[0])
            bodies.append(k)
            entities.append((cell, local))
    surface = Surface(
        body=np.array(bodies, dtype=np.int32),
        entities=np.array(entities, dtype=np.int32).reshape(-1, 2),
        x=np.zeros((0, 6, 3)),
        n=np.zeros((0, 6, 3)),
    )
    surface.x = surface.values(mesh, ufl.SpatialCoordinate(mesh))
    surface.n = surface.values(mesh, ufl.FacetNormal(mesh))
    return surface


class SurfaceFlux:
    """Surface values as P1 nodal values on the body surfaces, lumped: for a linear form
    f(phi_i) that equals int_surface g phi_i dA, g_i = f(phi_i) / int_surface phi_i dA.

    For a normal derivative the form is the variationally consistent flux: for a solution u of
    the vacuum Laplace problem, int_surface du/dn phi_i = -int_vacuum grad u . grad phi_i (n out
    of the bodies). It is a patch average over the mesh scale, as accurate as the solution's
    energy where a pointwise P2/P3 gradient at the surface is not (measured on a sphere at
    h = R/10 with P3: 0.3% against 1%; the totals to 1e-6)."""

    def __init__(self, domain: Domain):
        self.domain = domain
        self.space = fem.functionspace(domain.mesh, ("Lagrange", 1))
        self.test = ufl.TestFunction(self.space)
        self.mass = assemble_rhs(fem.form(self.test("+") * domain.dS(domain.body_tags)))
        size = self.space.dofmap.index_map.size_local
        self.nodes = []  # owned P1 surface nodes of each body
        for tag in domain.body_tags:
            dofs = fem.locate_dofs_topological(self.space, 2, domain.surface_facets(tag))
            self.nodes.append(dofs[dofs < size])
        self.all_nodes = np.concatenate(self.nodes)

    def lumped(self, form: ufl.Form, name: str) -> fem.Function:
        """The nodal values of ``form`` (linear in ``self.test``) over the lumped mass."""
        vector = assemble_rhs(fem.form(form))
        values = fem.Function(self.space, name=name)
        nodes = self.all_nodes
        values.x.array[nodes] = vector.array[nodes] / self.mass.array[nodes]
        values.x.scatter_forward()
        vector.destroy()
        return values

    def mean_curvature(self) -> fem.Function:
        """H = (k1 + k2)/2 at the surface nodes, per lambda (> 0 where convex), from the
        surface divergence theorem: int div_S(phi_i e_c) dA = int 2 H n_c phi_i dA."""
        domain = self.domain
        vector = fem.functionspace(domain.mesh, ("Lagrange", 1, (3,)))
        test = ufl.TestFunction(vector)
        n_body = body_normal(domain)
        tangential = ufl.Identity(3) - ufl.outer(n_body, n_body)
        surfaces = domain.dS(domain.body_tags)
        curvature = assemble_rhs(fem.form(ufl.tr(tangential * ufl.grad(test)("+")) * surfaces))
        normal = assemble_rhs(fem.form(ufl.dot(n_body, test("+")) * surfaces))
        nodes = self.all_nodes
        Hn = curvature.array.reshape(-1, 3)[nodes] / self.mass.array[nodes, None]
        n = normal.array.reshape(-1, 3)[nodes]
        n /= np.linalg.norm(n, axis=1)[:, None]
        H = fem.Function(self.space, name="H")
        H.x.array[nodes] = 0.5 * np.einsum("ij,ij->i", Hn, n)
        H.x.scatter_forward()
        curvature.destroy()
        normal.destroy()
        return H

    def integrals(self, values: np.ndarray) -> np.ndarray:
        """Lumped surface integral of P1 nodal ``values`` per body (lambda^2 units)."""
        local = [float(np.dot(values[nodes], self.mass.array[nodes])) for nodes in self.nodes]
        return np.array(self.domain.comm.allreduce(np.array(local), op=MPI.SUM))


def decay_rate(H: np.ndarray) -> np.ndarray:
    """The layer's decay rate k (per lambda) at mean curvature H: inside, v'' - 2H v' = v gives
    k = 1 - H to first order (exactly coth(R) - 1/R for a sphere). Where H > 1/2 (a radius of
    curvature below 2 lambda: edges, tips, where the thin layer does not hold) it continues as
    1/(4H), which keeps it positive and C^1."""
    H = np.asarray(H, dtype=float)
    return np.where(H <= 0.5, 1.0 - H, 0.25 / np.maximum(H, 0.5))


def quadrature(form: ufl.Form, degree: int) -> ufl.Form:
    """``form`` with every integral's quadrature degree set to ``degree``. On curved P3 cells
    UFL estimates degree 10 (16 on curved facets) for a stiffness matrix, exact only for
    polynomials that the rational geometry terms are not anyway; 2p is enough and 3x faster."""
    return ufl.Form(
        [
            i.reconstruct(metadata={**i.metadata(), "quadrature_degree": degree})
            for i in form.integrals()
        ]
    )


def bulk_dofs(domain: Domain, space: fem.FunctionSpace) -> list[np.ndarray]:
    """Per body, the dofs of ``space`` inside it and on no body surface: the bulk, which the
    thin-layer vacuum problems fix."""
    inside = [fem.locate_dofs_topological(space, 3, domain.body_cells(t)) for t in domain.body_tags]
    surface = np.concatenate([domain.surface_dofs(space, t) for t in domain.body_tags])
    return [np.setdiff1d(dofs, surface).astype(np.int32) for dofs in inside]


def body_normal(domain: Domain) -> ufl.core.expr.Expr:
    """The outward normal of the bodies on their surfaces (interior facets): the normal of the
    body side."""
    indicator = domain.body_indicator
    normal = ufl.FacetNormal(domain.mesh)
    return indicator("+") * normal("+") + indicator("-") * normal("-")


def layer_field_max(
    a: np.ndarray, b: np.ndarray, c: np.ndarray, rate: np.ndarray, d_max: float, chunk: int = 4096
) -> tuple[np.ndarray, np.ndarray]:
    """max over 0 <= d <= d_max of |a - d b + exp(-rate d) c| for each row of the (m, 3) arrays
    (rate: (m,)), and where: a grid, then golden-section refinement around the best grid
    point."""
    grid = np.linspace(0.0, d_max, 49)
    best, where = np.zeros(len(a)), np.zeros(len(a))

    def magnitude(d, a, b, c, k):
        return np.linalg.norm(a - d[..., None] * b + np.exp(-k * d)[..., None] * c, axis=-1)

    ratio = 0.5 * (math.sqrt(5.0) - 1.0)
    for start in range(0, len(a), chunk):
        rows = slice(start, start + chunk)
        A, B, Cc, K = a[rows, None, :], b[rows, None, :], c[rows, None, :], rate[rows, None]
        values = magnitude(grid[None, :], A, B, Cc, K)
        i = np.argmax(values, axis=1)
        lo, hi = grid[np.maximum(i - 1, 0)], grid[np.minimum(i + 1, len(grid) - 1)]
        A, B, Cc, K = a[rows], b[rows], c[rows], rate[rows]
        for _ in range(40):  # golden section: the bracket shrinks to 1e-8 of the grid step
            d1, d2 = hi - ratio * (hi - lo), lo + ratio * (hi - lo)
            left = magnitude(d1, A, B, Cc, K) > magnitude(d2, A, B, Cc, K)
            hi = np.where(left, d2, hi)
            lo = np.where(left, lo, d1)
        d = 0.5 * (lo + hi)
        refined = magnitude(d, A, B, Cc, K)
        on_grid = values[np.arange(len(i)), i]
        better = refined >= on_grid
        best[rows] = np.where(better, refined, on_grid)
        where[rows] = np.where(better, d, grid[i])
    return best, where


def sharp_samples(surface: Surface) -> np.ndarray:
    """Samples at facet vertices where the normals of the facets that meet there differ by
    more than SHARP_EDGE_DEGREES (this rank's facets)."""
    sharp = np.zeros(surface.x.shape[:2], dtype=bool)
    if len(surface.x) == 0:
        return sharp
    x = surface.x[:, :3].reshape(-1, 3)
    n = surface.n[:, :3].reshape(-1, 3)
    scale = max(float(np.abs(x).max()), 1.0)
    _, group = np.unique(np.round(x / (1e-9 * scale)), axis=0, return_inverse=True)
    group = group.ravel()
    mean = np.zeros((group.max() + 1, 3))
    np.add.at(mean, group, n)
    mean /= np.maximum(np.linalg.norm(mean, axis=1), 1e-300)[:, None]
    cosine = np.einsum("ij,ij->i", n, mean[group])
    worst = np.ones(len(mean))
    np.minimum.at(worst, group, cosine)
    # the normals at a vertex spread over at least the angle each makes with their mean
    sharp[:, :3] = (worst[group] < math.cos(math.radians(0.5 * SHARP_EDGE_DEGREES))).reshape(-1, 3)
    return sharp


def tangential_gradients(
    domain: Domain, surface: Surface, flux: SurfaceFlux, functions: list[fem.Function]
) -> list[np.ndarray]:
    """The tangential gradient of each function's trace at the surface samples, per lambda:
    (f, 6, 3) each. Lumped on the P1 surface nodes like the fluxes (int grad_S f phi_i dA /
    int phi_i dA): the pointwise P3 value carries the trace's noise at the vertices, about
    2e-3 of the normal layer field on a sphere at h = R/10 where the exact value is zero; the
    patch average 10 times less. One compiled form serves all (values copied in turn)."""
    mesh = domain.mesh
    vector = fem.functionspace(mesh, ("Lagrange", 1, (3,)))
    test = ufl.TestFunction(vector)
    work = fem.Function(functions[0].function_space)
    n = body_normal(domain)
    surface_gradient = (ufl.Identity(3) - ufl.outer(n, n)) * ufl.grad(work)("+")
    degree = 2 * work.function_space.ufl_element().embedded_superdegree
    form = fem.form(
        quadrature(ufl.dot(surface_gradient, test("+")) * domain.dS(domain.body_tags), degree)
    )
    nodes = flux.all_nodes
    mass = flux.mass.array[nodes, None]
    lumped = fem.Function(vector)
    values, out, assembled = lumped.x.array.reshape(-1, 3), [], None
    for f in functions:
        work.x.array[:] = f.x.array
        assembled = assemble_rhs(form, assembled)
        values[:] = 0.0
        values[nodes] = assembled.array.reshape(-1, 3)[nodes] / mass
        lumped.x.scatter_forward()
        out.append(surface.values(mesh, lumped))
    if assembled is not None:
        assembled.destroy()
    return out
