"""The condensate phase: the part of a flow in the bodies that is a gradient.

A flow v in a superconductor must stay in it: divergence-free, tangential at the surface. The
condensate's phase takes up what of v does not (docs/formulation.md section 3.4): the physical
flow is v - grad chi with lap chi = div v in each body and d chi/dn = n . v on its surface.
Used by the spin sector (the phase term of each spin) and by the charge sector (the spin-speed
closure, which is evaluated on the phase-corrected spin velocity).
"""

import numpy as np

from giantatom.backend import MPI, dolfinx, fem, ufl
from giantatom.case import SolverSpec
from giantatom.domain import Domain
from giantatom.linalg import SolveStats, SPDSolver, dirichlet_rhs
from giantatom.screening import geometry_degree, quadrature


def pinned_outside(domain: Domain, V: fem.FunctionSpace) -> np.ndarray:
    """Local dofs of V fixed in the phase solve: those in no body cell, and in each body the
    one with the lowest global index (chi's free constant), on every rank that holds them."""
    index_map = V.dofmap.index_map
    inside, pinned = fem.Function(V), fem.Function(V)
    for tag in domain.body_tags:
        dofs = np.unique(V.dofmap.list[domain.body_cells(tag)].ravel())
        inside.x.array[dofs] = 1.0
        owned = dofs[dofs < index_map.size_local]
        numbers = index_map.local_to_global(owned.astype(np.int32))
        first = domain.comm.allreduce(int(numbers.min()) if len(numbers) else 2**62, op=MPI.MIN)
        pinned.x.array[owned[numbers == first]] = 1.0
    inside.x.scatter_reverse(dolfinx.la.InsertMode.add)
    inside.x.scatter_forward()
    pinned.x.scatter_forward()
    return np.flatnonzero((inside.x.array == 0.0) | (pinned.x.array > 0.0)).astype(np.int32)


def phase_degree(order: int) -> int:
    """Lagrange degree of chi and of the depth d_h: one above the case's order (at most 3).
    Then grad chi is as rich as X (the gradient of a potential of that order) and
    n . (X - grad chi) at the surface, zero only weakly, is small pointwise too (measured on
    the cube of README's spin section at h = 0.6 lambda: 0.010 of the shift with degree 2,
    0.0031 with 3), and grad d_h is accurate in the coarse cells deep inside (measured in the
    cylinder of tests/test_spin.py, 2 lambda below the surface: 4.9 % off -r_hat with degree 2,
    1.4 % with 3)."""
    return min(order + 1, 3)


class GradientProjection:
    """psi with int grad psi . grad w = int v . grad w in each body for every Lagrange w (the
    weak form of lap psi = div v, d psi/dn = n . v): grad psi is the part of v that is a
    gradient, zero for a flow that is divergence-free in the bodies and tangential at their
    surfaces. psi is zero outside the bodies and at one node per body (the constant nullspace
    of the Neumann problem): one operator, set up once, for several flows v."""

    def __init__(self, domain: Domain, spec: SolverSpec, degree: int, stats: SolveStats):
        V = fem.functionspace(domain.mesh, ("Lagrange", degree))
        u, self.w = ufl.TrialFunction(V), ufl.TestFunction(V)
        # P3 runs (cubic geometry): the charge sector's quadrature, 2 x degree (screening.py)
        self.dx = quadrature(domain.dx_bodies, min(degree, geometry_degree(domain)))
        a = ufl.inner(ufl.grad(u), ufl.grad(self.w)) * self.dx
        bc = fem.dirichletbc(fem.Function(V), pinned_outside(domain, V))
        # GAMG on the degree of chi itself: the p-multigrid of solver/linalg.py took 20 CG
        # iterations instead of 39 on one rank, but its coarse Galerkin operator lacks diagonals
        # under MPI where a rank holds only vacuum (a form on the bodies alone), and with a
        # zero vacuum term for the sparsity it needed 119 iterations
        self.solver = SPDSolver(a, "spin_phase", spec, stats, bcs=[bc])
        self.degree = degree

    def solve(self, v, label: str) -> fem.Function:
        b = dirichlet_rhs(self.solver, fem.form(ufl.inner(v, ufl.grad(self.w)) * self.dx))
        psi = self.solver.solve(b, label)
        b.destroy()
        return psi

    def destroy(self) -> None:
        self.solver.destroy()


def relative_size(domain: Domain, part, whole) -> list[float]:
    """||part|| / ||whole|| over each body (L2)."""
    sizes, dx = [], quadrature(domain.dx, geometry_degree(domain))
    for tag in domain.body_tags:
        size = domain.integrate(ufl.dot(whole, whole) * dx(tag))
        share = domain.integrate(ufl.dot(part, part) * dx(tag))
        sizes.append(float(np.sqrt(share / size)) if size > 0 else 0.0)
    return sizes


def surface_values(domain: Domain, exprs: list, space: fem.FunctionSpace) -> list[np.ndarray]:
    """Vector expressions (one per body) at this rank's nodes of the body surfaces, taken from
    the body side: each is interpolated into ``space`` (continuous vector Lagrange) over its
    body's cells only, so a surface node holds the value of one of its body cells.
    Arrays (n, 3), one per body."""
    f = fem.Function(space)
    values = []
    for tag, expr in zip(domain.body_tags, exprs, strict=True):
        points = space.element.interpolation_points
        f.interpolate(fem.Expression(expr, points), cells0=domain.body_cells(tag))
        values.append(f.x.array.reshape(-1, 3)[domain.surface_dofs(space, tag)].copy())
    return values
