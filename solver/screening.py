"""The charge sector's discrete pieces (docs/formulation.md section 1), lengths in lambda: the
quadrature, the screened and Poisson operators, the bodies' load vectors and centroids, and
fields sampled per body. Shared by both models (the thin layer uses the weights, centroids and
E = -grad phi)."""

import numpy as np

from giantatom import meshes
from giantatom.backend import PETSc, fem, ufl
from giantatom.domain import Domain
from giantatom.linalg import assemble_rhs
from giantatom.parallel import global_max


def quadrature(measure: ufl.Measure, degree: int) -> ufl.Measure:
    """``measure`` with the quadrature of the charge sector's forms for Lagrange ``degree``:
    UFL's estimate up to P2; from P3 on, 2 * degree, exact on straight cells (all but those
    at a curved surface), since UFL's estimate on a cubic geometry (10 to 12) made the P3
    assembly 2.2 times slower for no gain in accuracy (README "Performance")."""
    return measure if degree <= 2 else measure(degree=2 * degree)


def geometry_degree(domain: Domain) -> int:
    """The degree of the mesh's curved cells: the run's element order (``[mesh] order``)."""
    return domain.mesh.geometry.cmaps[0].degree


def degree_of(u) -> int:
    return u.ufl_function_space().ufl_element().embedded_superdegree


def screening_form(domain: Domain, u, w) -> ufl.Form:
    """Screened operator -lap u + chi_Omega u (lengths in lambda), Robin on Gamma_inf."""
    dx, ds = quadrature(domain.dx, degree_of(u)), quadrature(domain.ds, degree_of(u))
    return (
        ufl.inner(ufl.grad(u), ufl.grad(w)) * dx
        + u * w * dx(domain.body_tags)
        + u * w * domain.robin * ds(meshes.OUTER)
    )


def poisson_form(domain: Domain, u, w) -> ufl.Form:
    """Poisson operator -lap u, with the monopole Robin condition on Gamma_inf."""
    dx, ds = quadrature(domain.dx, degree_of(u)), quadrature(domain.ds, degree_of(u))
    return ufl.inner(ufl.grad(u), ufl.grad(w)) * dx + u * w * domain.robin * ds(meshes.OUTER)


def centroids(domain: Domain) -> np.ndarray:
    """Centroid of each body, lambda (mesh coordinates), shape (bodies, 3)."""
    x = ufl.SpatialCoordinate(domain.mesh)
    one = domain.constant(1.0)
    moments = [[domain.integrate(x[i] * domain.dx(t)) for i in range(3)] for t in domain.body_tags]
    volumes = [domain.integrate(one * domain.dx(t)) for t in domain.body_tags]
    return np.array(moments) / np.array(volumes)[:, None]


def electric_field(domain: Domain, potential: fem.Function) -> ufl.core.expr.Expr:
    """E = -grad(potential), V/m (the mesh's length unit is lambda)."""
    return -ufl.grad(potential) * domain.constant(1.0 / domain.lambda_m)


class BodyWeights:
    """Load vectors int_{Omega_k} w dx and int_{dOmega_k} w dS of every body.

    They are the screening right-hand sides, and they double as integration weights: for a
    function u of the space, int_{Omega_k} u = weights . u, and the volume is their sum
    (Lagrange basis functions add up to 1)."""

    def __init__(self, domain: Domain, space: fem.FunctionSpace):
        w = ufl.TestFunction(space)
        dx, dS = quadrature(domain.dx, degree_of(w)), quadrature(domain.dS, degree_of(w))
        self.volume = [assemble_rhs(fem.form(w * dx(t))) for t in domain.body_tags]
        self.surface = [assemble_rhs(fem.form(w("+") * dS(t))) for t in domain.body_tags]

    def volumes(self) -> np.ndarray:
        return np.array([v.sum() for v in self.volume])

    def areas(self) -> np.ndarray:
        return np.array([v.sum() for v in self.surface])

    def integrals(self, weights: list[PETSc.Vec], functions: list) -> np.ndarray:
        """[m, i] = int over body m of functions[i] (zero where it is None)."""
        table = np.zeros((len(weights), len(functions)))
        for m, weight in enumerate(weights):
            for i, f in enumerate(functions):
                if f is not None:
                    table[m, i] = weight.dot(f.x.petsc_vec)
        return table

    def destroy(self) -> None:
        for v in self.volume + self.surface:
            v.destroy()


def field_values(domain: Domain, expr: ufl.core.expr.Expr, degree: int) -> list[np.ndarray]:
    """A vector expression sampled at the nodes of a DG space, per body: arrays (n, 3).

    For order-p potentials E is a polynomial of degree p-1 in each cell, so with degree p-1
    (at least 1) the node values hold the extremes of |E| on affine cells."""
    W = fem.functionspace(domain.mesh, ("DG", degree, (3,)))
    f = fem.Function(W)
    f.interpolate(fem.Expression(expr, W.element.interpolation_points))
    values = f.x.array.reshape(-1, 3)
    return [values[domain.cell_dofs(W, tag)] for tag in domain.body_tags]


def max_field(domain: Domain, E: ufl.core.expr.Expr, degree: int) -> np.ndarray:
    """max |E| over each body (node values, see ``field_values``), V/m, on every rank."""
    return np.array(
        [
            global_max(domain.comm, np.linalg.norm(v, axis=1))
            for v in field_values(domain, E, degree)
        ]
    )


def combination(space: fem.FunctionSpace, terms, name: str) -> fem.Function:
    """sum of coefficient * function over (coefficient, function) pairs, as one function."""
    f = fem.Function(space, name=name)
    for coefficient, g in terms:
        f.x.array[:] += coefficient * g.x.array
    return f
