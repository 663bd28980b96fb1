"""Stage 3: the charge sector (physics.md section 1), on a mesh in units of lambda.

For N bodies the potential constant of Eq. 23 is one unknown per body, fixed by its net charge.
With u_k the response to a unit source in body k,

    -lap u_k + chi_Omega u_k = chi_k   in D,      du_k/dn + u_k / R_out = 0  on Gamma_inf,

the density in body m is  rho = rho0_m + sum_j c_j (delta_mj - u_j),  and the body charges fix c.
For one body, 1 - u_1 is the screening profile v of physics.md (v -> 1 far away, the same
discrete system); in general v = 1 - sum_k u_k. Everything is affine in the rho0_m, so each
closure is a small dense problem once the profiles are known.

phi solves Poisson with the Robin condition dphi/dn + phi/R_out = 0, which is exact for a
monopole far field; phi0 is the same solve with the uniform rho0 alone. Eq. 23 says their
difference is -(lambda^2/eps0)(rho - rho0) in each body up to a constant, phi0's free additive
constant. That holds for the discrete systems too, so only phi0 needs a Poisson solve: with
s = lambda^2/eps0, the screened system (K + M_Omega + R) u_j = b_j gives (K + R) u_j = b_j -
M_Omega u_j, which is the Poisson load of the density delta_mj - u_j. Hence

    phi = phi0_free + s sum_j c_j u_j,     phi0 = phi0_free + s c_m  in body m,

with phi0_free the potential of the uniform rho0 alone: N screened and one Poisson solve for N
bodies (N Poisson solves with the max-field closure, one per body for a unit rho0 in it), on one
matrix and one multigrid hierarchy (linalg.SPDSolver).
Eq. 23 then holds to round-off; what is checked and reported instead is that phi solves
Poisson's equation for the full density (its relative residual).
"""

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

import meshes
from solver.backend import PETSc, fem, ufl
from solver.case import Case
from solver.domain import Domain
from solver.errors import SolveError
from solver.linalg import SolveStats, SPDSolver, assemble_rhs
from solver.log import log
from solver.parallel import global_max, global_min
from solver.units import EPS_0


def quadrature(measure: ufl.Measure, degree: int) -> ufl.Measure:
    """``measure`` with the quadrature of the charge sector's forms for Lagrange ``degree``:
    UFL's estimate up to P2; from P3 on, 2 * degree, exact on straight cells (all but those
    at a curved surface), since UFL's estimate on a cubic geometry (10 to 12) made the P3
    assembly 2.2 times slower for no gain in accuracy (README "Performance")."""
    return measure if degree <= 2 else measure(degree=2 * degree)


def _degree(u) -> int:
    return u.ufl_function_space().ufl_element().embedded_superdegree


def screening_form(domain: Domain, u, w) -> ufl.Form:
    """Screened operator -lap u + chi_Omega u (lengths in lambda), Robin on Gamma_inf."""
    dx, ds = quadrature(domain.dx, _degree(u)), quadrature(domain.ds, _degree(u))
    return (
        ufl.inner(ufl.grad(u), ufl.grad(w)) * dx
        + u * w * dx(domain.body_tags)
        + u * w * domain.robin * ds(meshes.OUTER)
    )


def poisson_form(domain: Domain, u, w) -> ufl.Form:
    """Poisson operator -lap u, with the monopole Robin condition on Gamma_inf."""
    dx, ds = quadrature(domain.dx, _degree(u)), quadrature(domain.ds, _degree(u))
    return ufl.inner(ufl.grad(u), ufl.grad(w)) * dx + u * w * domain.robin * ds(meshes.OUTER)


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
        dx, dS = quadrature(domain.dx, _degree(w)), quadrature(domain.dS, _degree(w))
        self.volume = [assemble_rhs(fem.form(w * dx(t))) for t in domain.body_tags]
        self.surface = [assemble_rhs(fem.form(w("+") * dS(t))) for t in domain.body_tags]

    def volumes(self) -> np.ndarray:
        return np.array([v.sum() for v in self.volume])

    def areas(self) -> np.ndarray:
        return np.array([v.sum() for v in self.surface])

    def integrals(self, weights: list[PETSc.Vec], profiles: list[fem.Function]) -> np.ndarray:
        """[m, j] = int over body m of (delta_mj - u_j)."""
        n = len(profiles)
        table = np.empty((n, n))
        for m, weight in enumerate(weights):
            total = weight.sum()
            for j, u in enumerate(profiles):
                table[m, j] = (total if m == j else 0.0) - weight.dot(u.x.petsc_vec)
        return table

    def destroy(self) -> None:
        for v in self.volume + self.surface:
            v.destroy()


@dataclass
class ChargeSolution:
    """The charge sector, SI: rho in C/m^3, potentials in V (positions in lambda)."""

    domain: Domain
    space: fem.FunctionSpace
    profiles: list[fem.Function]  # u_k, dimensionless
    rho0: np.ndarray  # per body, C/m^3
    coefficients: np.ndarray  # c_j, C/m^3
    phi: fem.Function  # V
    phi0_free: fem.Function  # V, uniform rho0 alone, zero at infinity
    phi0_shift: np.ndarray  # per body, V: phi0 = phi0_free + shift in that body
    residual: float  # relative L2 spread of the Eq. 23 constant, worst body
    volumes: np.ndarray  # lambda^3
    areas: np.ndarray  # lambda^2
    K: np.ndarray  # [m, j] = int_{Omega_m} (delta_mj - u_j), lambda^3
    S: np.ndarray  # the same over the surface of body m, lambda^2
    stats: SolveStats = field(default_factory=SolveStats)
    poisson_residual: float = 0.0  # ||A phi - b|| / ||b|| of Poisson's equation for rho

    def density(self, index: int) -> ufl.core.expr.Expr:
        """rho in body ``index`` (0-based), C/m^3, as a UFL expression valid on that body."""
        k = self.domain.constant
        return k(self.rho0[index]) + sum(
            k(c) * (k(1.0 if j == index else 0.0) - u)
            for j, (c, u) in enumerate(zip(self.coefficients, self.profiles, strict=True))
        )

    def screening_profile(self) -> ufl.core.expr.Expr:
        """v = 1 - sum_k u_k: 1 far away, about lambda/R on the surface, decaying inside."""
        return 1.0 - sum(self.profiles)

    def electric_field(self, potential: fem.Function) -> ufl.core.expr.Expr:
        return electric_field(self.domain, potential)

    def body_charges(self) -> np.ndarray:
        """int rho over each body, C."""
        return (self.rho0 * self.volumes + self.K @ self.coefficients) * self.domain.lambda_m**3

    def surface_means(self) -> np.ndarray:
        """Area mean of rho over each body's surface, C/m^3."""
        return self.rho0 + (self.S @ self.coefficients) / self.areas

    def surface_values(self, index: int) -> np.ndarray:
        """rho at this rank's nodes on the surface of body ``index``, C/m^3."""
        dofs = self.domain.surface_dofs(self.space, self.domain.body_tags[index])
        return self.rho0[index] + sum(
            c * ((1.0 if j == index else 0.0) - u.x.array[dofs])
            for j, (c, u) in enumerate(zip(self.coefficients, self.profiles, strict=True))
        )


def field_values(domain: Domain, expr: ufl.core.expr.Expr, degree: int) -> list[np.ndarray]:
    """A vector expression sampled at the nodes of a DG space, per body: arrays (n, 3).

    For order-p potentials E is a polynomial of degree p-1 in each cell, so with degree p-1
    (at least 1) the node values hold the extremes of |E| on affine cells."""
    W = fem.functionspace(domain.mesh, ("DG", degree, (3,)))
    f = fem.Function(W)
    f.interpolate(fem.Expression(expr, W.element.interpolation_points))
    values = f.x.array.reshape(-1, 3)
    return [values[domain.cell_dofs(W, tag)] for tag in domain.body_tags]


def _max_field_rho0(
    domain: Domain, fields: list[list[np.ndarray]], charge_field, E_m: float, guess: np.ndarray
) -> np.ndarray:
    """rho0 per body with max |E| over each body equal to E_m.

    ``fields[b][m]`` are the E values (V/m, shape (n, 3)) in body m for rho0_b = 1, and
    ``charge_field[m]`` those of the net charges (or None)."""
    n = len(domain.body_tags)

    def max_field(rho0: np.ndarray, m: int) -> float:
        E = sum(rho0[b] * fields[b][m] for b in range(n))
        if charge_field is not None:
            E = E + charge_field[m]
        return global_max(domain.comm, np.linalg.norm(E, axis=1))

    return max_field_closure(domain, max_field, E_m, guess)


def max_field_closure(
    domain: Domain, max_field: Callable[[np.ndarray, int], float], E_m: float, guess: np.ndarray
) -> np.ndarray:
    """rho0 per body with ``max_field(rho0, m)`` (max |E| over body m, V/m, the same on every
    rank) equal to E_m. E is affine in rho0, so max |E| over body m is convex in rho0_m, and
    each body's condition is a bracketed 1D root; the bodies are swept in turn until they agree
    (one sweep for a single body)."""
    n = len(domain.body_tags)
    rho0 = np.array(guess, dtype=float)
    for _ in range(100):
        previous = rho0.copy()
        for m in range(n):
            trial = rho0.copy()

            def f(x: float, m: int = m, trial: np.ndarray = trial) -> float:
                trial[m] = x
                return max_field(trial, m) - E_m

            if f(0.0) >= 0.0:
                raise SolveError(
                    f"closure max-field: the field in body {domain.body_names[m]!r} already "
                    "reaches E_m with rho0 = 0 (net charge or neighbours); use surface-mean",
                    "charge.closure",
                )
            lo, hi = 0.0, max(abs(rho0[m]), 1e-30)
            while f(hi) < 0.0:
                lo, hi = hi, 2.0 * hi
            while hi - lo > 1e-13 * hi:  # bisection: robust on a convex, piecewise-smooth max
                mid = 0.5 * (lo + hi)
                lo, hi = (mid, hi) if f(mid) < 0.0 else (lo, mid)
            rho0[m] = 0.5 * (lo + hi)
        if np.allclose(rho0, previous, rtol=1e-12, atol=0.0):
            return rho0
    raise SolveError("closure max-field: rho0 of the bodies did not settle", "charge.closure")


def _constitutive_residual(sol: ChargeSolution) -> np.ndarray:
    """Per body: the relative L2 spread of phi - phi0 + (lambda^2/eps0)(rho - rho0) about its
    mean, Eq. 23's discrete residual (round-off, since phi is built to satisfy it)."""
    domain = sol.domain
    scale = domain.constant(domain.lambda_m**2 / EPS_0)
    residuals = np.zeros(len(sol.rho0))
    dx = quadrature(domain.dx, _degree(sol.phi))
    for m, tag in enumerate(domain.body_tags):
        screened = scale * (sol.density(m) - domain.constant(sol.rho0[m]))
        spread = sol.phi - sol.phi0_free + screened - domain.constant(sol.phi0_shift[m])
        size = domain.integrate(screened**2 * dx(tag))
        residuals[m] = np.sqrt(domain.integrate(spread**2 * dx(tag)) / size) if size else 0.0
    return residuals


def _poisson_residual(sol: ChargeSolution, operator: PETSc.Mat) -> float:
    """||A phi - b|| / ||b|| for Poisson's equation with the full density: the check that the
    potential built from the profiles (module docstring) is the potential of rho."""
    domain = sol.domain
    w = ufl.TestFunction(sol.space)
    dx = quadrature(domain.dx, _degree(w))
    source = sum(sol.density(m) * w * dx(tag) for m, tag in enumerate(domain.body_tags))
    # -lap~ phi = (lambda^2/eps0) rho in lambda units
    b = assemble_rhs(fem.form(domain.constant(domain.lambda_m**2 / EPS_0) * source))
    r = b.duplicate()
    operator.mult(sol.phi.x.petsc_vec, r)
    r.axpy(-1.0, b)
    residual = r.norm() / b.norm() if b.norm() > 0 else 0.0
    r.destroy()
    b.destroy()
    return residual


def solve_charge(case: Case, domain: Domain) -> ChargeSolution:
    """Steps 1-5 of physics.md section 1 for every body of the case."""
    material, spec = case.material, case.charge
    stats = SolveStats()
    V = fem.functionspace(domain.mesh, ("Lagrange", case.mesh.order))
    u, w = ufl.TrialFunction(V), ufl.TestFunction(V)
    names = domain.body_names
    n = len(names)
    log.info("charge sector: P%d, %d dofs", case.mesh.order, V.dofmap.index_map.size_global)

    # 1. Screening profiles u_k (v = 1 - sum u_k); the body load vectors are their sources.
    weights = BodyWeights(domain, V)
    solver = SPDSolver(screening_form(domain, u, w), "charge", case.solver, stats, p_multigrid=True)
    profiles = [
        solver.solve(b, f"screening profile {name}")
        for b, name in zip(weights.volume, names, strict=True)
    ]

    # 2. Charge balance per body: vol_m rho0_m + (K c)_m = Q_m  ->  c = c_q + G rho0.
    volumes, areas = weights.volumes(), weights.areas()
    K = weights.integrals(weights.volume, profiles)
    S = weights.integrals(weights.surface, profiles)
    charges = np.array([b.net_charge for b in case.geometry.bodies]) / domain.lambda_m**3
    c_q = np.linalg.solve(K, charges)
    G = -np.linalg.solve(K, np.diag(volumes))

    # Poisson from here on, on the same matrix and GAMG hierarchy. The load of a uniform
    # density rho0_b in each body b is sum_b rho0_b (body load vector b), times s.
    scale = domain.lambda_m**2 / EPS_0
    solver.reassemble(poisson_form(domain, u, w))

    def uniform_potential(rho0: np.ndarray, label: str) -> fem.Function:
        """phi0_free: the potential of rho0_b in each body b, zero at infinity."""
        load = weights.volume[0].duplicate()
        load.set(0.0)
        for r, b in zip(rho0, weights.volume, strict=True):
            load.axpy(r, b)
        f = solver.solve(load, label)
        f.x.array[:] *= scale
        load.destroy()
        return f

    def potential(free: fem.Function, c: np.ndarray) -> fem.Function:
        """phi of rho0_m + sum_j c_j (delta_mj - u_j), with ``free`` the potential of the
        rho0_m alone: free + s sum_j c_j u_j (module docstring)."""
        f = fem.Function(V, name="phi")
        f.x.array[:] = free.x.array
        for cj, uj in zip(c, profiles, strict=True):
            f.x.array[:] += scale * cj * uj.x.array
        return f

    # 3. Closure for rho0 (one per body: each body is its own superconductor).
    if spec.closure == "rho0":
        rho0 = np.full(n, spec.rho0)
    else:
        # Area mean of rho over each body's surface equals rho_- (also max-field's first guess).
        mean = S / areas[:, None]
        rho0 = np.linalg.solve(np.eye(n) + mean @ G, material.rho_minus - mean @ c_q)
    unit = None
    if spec.closure == "max-field":
        # |E| is not affine in rho0: one Poisson solve per body for rho0 = 1 in it, then any
        # rho0 is a combination.
        unit = [uniform_potential(np.eye(n)[b], f"phi0 for rho0({names[b]}) = 1") for b in range(n)]
        degree = max(case.mesh.order - 1, 1)
        E = [
            field_values(domain, electric_field(domain, potential(unit[b], G[:, b])), degree)
            for b in range(n)
        ]
        charge_field = None
        if np.any(c_q):
            zero = fem.Function(V)
            charge_field = field_values(
                domain, electric_field(domain, potential(zero, c_q)), degree
            )
        rho0 = _max_field_rho0(domain, E, charge_field, material.E_m, rho0)
    coefficients = c_q + G @ rho0
    for name, r in zip(names, rho0, strict=True):
        log.info("  rho0(%s) = %.6g C/m^3 (closure %s)", name, r, spec.closure)

    # 4. phi0 from the uniform rho0 alone (shifted per body below); 5. phi from the full density.
    if unit is None:
        phi0_free = uniform_potential(rho0, "phi0 (Poisson, uniform rho0)")
    else:
        phi0_free = fem.Function(V)
        for r, P in zip(rho0, unit, strict=True):
            phi0_free.x.array[:] += r * P.x.array
    phi0_free.name = "phi0"
    phi = potential(phi0_free, coefficients)
    weights.destroy()

    sol = ChargeSolution(
        domain=domain,
        space=V,
        profiles=profiles,
        rho0=rho0,
        coefficients=coefficients,
        phi=phi,
        phi0_free=phi0_free,
        phi0_shift=scale * coefficients,
        residual=0.0,
        volumes=volumes,
        areas=areas,
        K=K,
        S=S,
        stats=stats,
    )
    sol.poisson_residual = _poisson_residual(sol, solver.matrix)
    solver.destroy()
    sol.residual = float(_constitutive_residual(sol).max())
    log.info(
        "  Poisson residual of phi %.2e; Eq. 23 residual (relative L2 spread of the phi0 "
        "constant) %.2e",
        sol.poisson_residual,
        sol.residual,
    )
    return sol


def case_totals(bodies: list[dict], charges, means, areas) -> dict:
    """The whole case's numbers of the charge summary from its per-body entries (both models):
    rho0 (one value, or one per body), net charge, area-weighted surface mean, extremes."""
    rho0 = [b["rho0_C_m3"] for b in bodies]
    return {
        "rho0_C_m3": rho0[0] if len(rho0) == 1 else rho0,
        "net_charge_C": float(np.sum(charges)),
        "surface_rho_mean_C_m3": float(np.dot(means, areas) / np.sum(areas)),
        "surface_rho_min_C_m3": min(b["surface_rho_min_C_m3"] for b in bodies),
        "surface_rho_max_C_m3": max(b["surface_rho_max_C_m3"] for b in bodies),
        "E_max_V_m": max(b["E_max_V_m"] for b in bodies),
    }


def summarize(sol: ChargeSolution, case: Case) -> dict:
    """The charge sector's key numbers, SI, overall and per body."""
    domain = sol.domain
    comm, lam = domain.comm, domain.lambda_m
    E_nodes = field_values(domain, sol.electric_field(sol.phi), max(case.mesh.order - 1, 1))
    charges, means = sol.body_charges(), sol.surface_means()
    bodies = []
    for m, name in enumerate(domain.body_names):
        surface = sol.surface_values(m)
        bodies.append(
            {
                "name": name,
                "rho0_C_m3": float(sol.rho0[m]),
                "net_charge_C": float(charges[m]),
                "net_charge_requested_C": case.geometry.bodies[m].net_charge,
                "surface_rho_mean_C_m3": float(means[m]),
                "surface_rho_min_C_m3": global_min(comm, surface),
                "surface_rho_max_C_m3": global_max(comm, surface),
                "E_max_V_m": global_max(comm, np.linalg.norm(E_nodes[m], axis=1)),
                "volume_m3": float(sol.volumes[m] * lam**3),
                "area_m2": float(sol.areas[m] * lam**2),
            }
        )
    return {
        "closure": case.charge.closure,
        **case_totals(bodies, charges, means, sol.areas),
        "constitutive_residual": sol.residual,
        "poisson_residual": sol.poisson_residual,
        "phi0_shift_V": sol.phi0_shift,
        "solver": {"iterations": sol.stats.iterations, "seconds": sol.stats.seconds},
        "bodies": bodies,
    }
