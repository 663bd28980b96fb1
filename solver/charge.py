"""Stage 3: the charge sector (docs/formulation.md section 1), on a mesh in units of lambda.

Each body m is its own superconductor: in it Eq. 23 reads

    rho - rho0_m = -(phi - phi0^(m) - C_m) eps0 / lambda^2,

with phi0^(m) the potential of body m's OWN uniform rho0_m and C_m a constant fixed by its net
charge. The other bodies' rho0 is an external charge to body m, screened over lambda like any
external field. With s = lambda^2/eps0 and lengths in lambda, the discrete pieces are

    u_k  screened response to a unit source in body k:  (-lap + chi_Omega) u_k = chi_k,
    P_b  Poisson potential of a unit density in body b:  -lap P_b = chi_b,
    Y_b  screened response to P_b in the other bodies:
             (-lap + chi_Omega) Y_b = chi_(Omega - b) P_b,

all with the Robin condition du/dn + u/R_out = 0 on Gamma_inf (exact for a monopole far field).
Then, with c_m = C_m / s,

    phi = s sum_b rho0_b (P_b - Y_b) + s sum_j c_j u_j,
    rho = rho0_m + sum_j c_j (delta_mj - u_j) + sum_b rho0_b (Y_b - [b != m] P_b)   in body m,

which satisfies Poisson's equation and Eq. 23 in every body (substitute). For one body Y = 0 and
1 - u_1 is the screening profile v. The body charges fix c = c_q + G rho0 (a small dense system).

rho0 is a ground-state property of each body: every closure is evaluated on the body's own
expulsion solution, neutral, field-free and with its neighbours inert (rho0 = 0 and neutral:
what differs from a body truly alone is only the neighbours' reaction to its exterior field,
zero for a sphere). That solution is linear in rho0_m, so every closure is one division.
Net charges and neighbours then add linearly and do not move rho0.

Solves: N screened (u), N Poisson (P) and, with several bodies, N screened (Y), on one matrix
and one multigrid hierarchy (linalg.SPDSolver, reassembled between the operators). Eq. 23 then
holds to round-off; what is checked and reported instead is that phi solves Poisson's equation
for the full density (its relative residual).
"""

from dataclasses import dataclass, field

import numpy as np

from giantatom import electrodes, meshes
from giantatom.backend import PETSc, fem, ufl
from giantatom.case import ChargeSpec, Electrode, SolverSpec
from giantatom.closures import chosen_rho0, closure_densities, log_closures, spin_shift_speeds
from giantatom.domain import Domain
from giantatom.electrodes import ElectrodeConditions, electrode_conditions
from giantatom.farfield import (
    FieldResponse,
    applied_potential,
    dipole_load,
    field_response,
    point_charge_load,
)
from giantatom.linalg import SolveStats, SPDSolver, assemble_rhs, dirichlet_rhs
from giantatom.log import log
from giantatom.material import Material
from giantatom.phase import GradientProjection, phase_degree
from giantatom.screening import (
    BodyWeights,
    centroids,
    combination,
    degree_of,
    electric_field,
    max_field,
    poisson_form,
    quadrature,
    screening_form,
)
from giantatom.units import EPS_0


@dataclass(frozen=True)
class ChargeInputs:
    """What the charge sector solves for besides the domain (the pipeline maps a case to it)."""

    material: Material
    closure: ChargeSpec  # the closure and, for closure "rho0", its value
    solver: SolverSpec
    order: int  # Lagrange degree of the potentials
    net_charges: tuple[float, ...]  # C, per body
    applied_field: tuple[float, float, float] | None = None  # V/m, uniform; None: none
    spin_axis: tuple[float, float, float] = (0.0, 0.0, 1.0)  # of the spin-speed closure
    electrodes: tuple[Electrode, ...] = ()  # ideal normal conductors (electrodes.py)


@dataclass
class ChargeSolution:
    """The charge sector, SI: rho in C/m^3, potentials in V (positions in lambda).

    The pieces u_k, P_b, Y_b and c_j are those of the module docstring."""

    domain: Domain
    inputs: ChargeInputs
    space: fem.FunctionSpace
    profiles: list[fem.Function]  # u_k, dimensionless
    potentials: list[fem.Function]  # P_b, lambda^2 per lambda^2 (lengths in lambda)
    external: list[fem.Function]  # Y_b; empty for one body
    far: list[fem.Function | None]  # D_m: response to a unit charge at body m's centroid
    rho0: np.ndarray  # per body, C/m^3
    coefficients: np.ndarray  # c_j, C/m^3
    far_charges: np.ndarray  # a_m = Q_m - vol_m rho0_m, C/m^3 lambda^3 (charge of rho - rho0)
    phi: fem.Function  # V
    phi0_shift: np.ndarray  # per body, V: C_m = s c_m
    residual: float  # relative L2 spread of the Eq. 23 constant, worst body
    volumes: np.ndarray  # lambda^3
    areas: np.ndarray  # lambda^2
    rho0_by_closure: list[dict[str, float]]  # per body, C/m^3: what each closure gives
    stats: SolveStats = field(default_factory=SolveStats)
    poisson_residual: float = 0.0  # ||A phi - b|| / ||b|| of Poisson's equation for rho
    phase_projection: GradientProjection | None = None  # the closure's, for the spin sector
    field_response: FieldResponse | None = None  # the answer to an applied field
    response: list[tuple[float, fem.Function]] = field(default_factory=list)  # its rho terms
    electrodes: dict = field(default_factory=dict)  # electrodes.summary's entries

    @property
    def scale(self) -> float:
        """s = lambda^2/eps0: the potential (V) of a density (C/m^3) in lambda units."""
        return self.domain.lambda_m**2 / EPS_0

    def density_terms(self, index: int) -> tuple[float, list[tuple[float, fem.Function]]]:
        """rho in body ``index`` as a constant plus sum of coefficient * function, C/m^3."""
        constant = self.rho0[index] + self.coefficients[index]
        terms = [(-c, u) for c, u in zip(self.coefficients, self.profiles, strict=True)]
        for b, Y in enumerate(self.external):
            terms.append((self.rho0[b], Y))
            if b != index:
                terms.append((-self.rho0[b], self.potentials[b]))
        terms += [(-a, D) for a, D in zip(self.far_charges, self.far, strict=True) if D is not None]
        return constant, terms + self.response

    def density(self, index: int) -> ufl.core.expr.Expr:
        """rho in body ``index`` (0-based), C/m^3, as a UFL expression valid on that body."""
        k = self.domain.constant
        constant, terms = self.density_terms(index)
        return k(constant) + sum(k(c) * f for c, f in terms)

    def reference_potential(self, index: int) -> ufl.core.expr.Expr:
        """phi0 of body ``index``: the potential of its own uniform rho0 plus its constant C_m,
        so that Eq. 23 holds in it, V."""
        k = self.domain.constant
        P = self.potentials[index]
        return k(self.scale * self.rho0[index]) * P + k(self.phi0_shift[index])

    def reference_field(self, index: int) -> ufl.core.expr.Expr:
        """E0 of body ``index``: the field of its own uniform rho0 alone, V/m."""
        k = self.domain.constant
        return self.electric_field(k(self.scale * self.rho0[index]) * self.potentials[index])

    def reference_field_in_bodies(self) -> ufl.core.expr.Expr:
        """E0 of the body each point lies in (zero in vacuum), V/m."""
        indicators = self.domain.body_indicators
        return sum(chi * self.reference_field(m) for m, chi in enumerate(indicators))

    def screening_profile(self) -> ufl.core.expr.Expr:
        """v = 1 - sum_k u_k: 1 far away, about lambda/R on the surface, decaying inside."""
        return 1.0 - sum(self.profiles)

    def electric_field(self, potential) -> ufl.core.expr.Expr:
        return electric_field(self.domain, potential)

    def body_charges(self) -> np.ndarray:
        """int rho over each body, C."""
        domain = self.domain
        dx = quadrature(domain.dx, degree_of(self.phi))
        charges = [
            domain.integrate(self.density(m) * dx(t)) for m, t in enumerate(domain.body_tags)
        ]
        return np.array(charges) * domain.lambda_m**3

    def surface_means(self) -> np.ndarray:
        """Area mean of rho over each body's surface, C/m^3."""
        domain = self.domain
        dS = quadrature(domain.dS, degree_of(self.phi))
        # the expression of body m is continuous across its surface: either side gives it
        means = [
            domain.integrate(self.density(m)("+") * dS(t)) for m, t in enumerate(domain.body_tags)
        ]
        return np.array(means) / self.areas

    def surface_values(self, index: int) -> np.ndarray:
        """rho at this rank's nodes on the surface of body ``index``, C/m^3."""
        dofs = self.domain.surface_dofs(self.space, self.domain.body_tags[index])
        constant, terms = self.density_terms(index)
        return constant + sum(c * f.x.array[dofs] for c, f in terms)


def _constitutive_residual(sol: ChargeSolution) -> np.ndarray:
    """Per body: the relative L2 spread of phi - phi0 + (lambda^2/eps0)(rho - rho0) about its
    mean, Eq. 23's discrete residual (round-off, since phi is built to satisfy it)."""
    domain = sol.domain
    scale = domain.constant(sol.scale)
    residuals = np.zeros(len(sol.rho0))
    dx = quadrature(domain.dx, degree_of(sol.phi))
    for m, tag in enumerate(domain.body_tags):
        screened = scale * (sol.density(m) - domain.constant(sol.rho0[m]))
        spread = sol.phi - sol.reference_potential(m) + screened
        size = domain.integrate(screened**2 * dx(tag))
        residuals[m] = np.sqrt(domain.integrate(spread**2 * dx(tag)) / size) if size else 0.0
    return residuals


def _poisson_residual(
    sol: ChargeSolution,
    operator: PETSc.Mat,
    far_loads: list,
    charges: np.ndarray,
    conditions: ElectrodeConditions | None = None,
    form: fem.Form | None = None,
) -> float:
    """||A phi - b|| / ||b|| for Poisson's equation with the full density and the far-field
    data of the bodies' net charges (``far_loads``, ``charges`` in C/m^3 lambda^3): the check
    that the potential built from the pieces (module docstring) is the potential of rho."""
    domain = sol.domain
    w = ufl.TestFunction(sol.space)
    dx = quadrature(domain.dx, degree_of(w))
    source = sum(sol.density(m) * w * dx(tag) for m, tag in enumerate(domain.body_tags))
    # -lap~ phi = (lambda^2/eps0) rho in lambda units
    b = assemble_rhs(fem.form(domain.constant(sol.scale) * source))
    for q, g in zip(charges, far_loads, strict=True):
        if g is not None:
            b.axpy(sol.scale * q, g)
    response = sol.field_response
    if response is not None:
        n = ufl.FacetNormal(domain.mesh)
        A = response.applied
        ds = quadrature(domain.ds, degree_of(w))(meshes.OUTER)
        data = (ufl.dot(ufl.grad(A), n) + domain.robin * A) * w * ds
        for i, p in enumerate(response.dipole):
            data += (
                domain.constant(sol.scale * p) * (-n[i]) * domain.robin**3 / (4 * np.pi) * w * ds
            )
        b.axpy(1.0, assemble_rhs(fem.form(data)))
    if conditions:  # phi is the electrodes' potentials on their surfaces
        electrodes.lift(b, form, conditions, sol.phi)
    r = b.duplicate()
    operator.mult(sol.phi.x.petsc_vec, r)
    r.axpy(-1.0, b)
    residual = r.norm() / b.norm() if b.norm() > 0 else 0.0
    r.destroy()
    b.destroy()
    return residual


def solve_charge(domain: Domain, inputs: ChargeInputs) -> ChargeSolution:
    """Steps 1-5 of docs/formulation.md section 1 for every body of the domain."""
    order = inputs.order
    stats = SolveStats()
    V = fem.functionspace(domain.mesh, ("Lagrange", order))
    u, w = ufl.TrialFunction(V), ufl.TestFunction(V)
    names = domain.body_names
    n = len(names)
    s = domain.lambda_m**2 / EPS_0
    log.info("charge sector: P%d, %d dofs", order, V.dofmap.index_map.size_global)
    weights = BodyWeights(domain, V)
    volumes, areas = weights.volumes(), weights.areas()
    far_loads = [point_charge_load(domain, w, c) for c in centroids(domain)]
    # Every piece is solved with the electrodes grounded; their potentials add on top
    # (electrodes.py). Without electrodes there are no conditions.
    conditions = electrode_conditions(domain, V)
    bcs = conditions.bcs if conditions else None

    # Screened: u_k and the far-field responses D_m; then Poisson: P_b; then (several bodies)
    # screened again: Y_b. One matrix and one multigrid hierarchy, reassembled in between.
    solver = SPDSolver(
        screening_form(domain, u, w), "charge", inputs.solver, stats, bcs=bcs, p_multigrid=True
    )
    profiles = [
        solver.solve(b, f"screening profile {name}")
        for b, name in zip(weights.volume, names, strict=True)
    ]
    far = [
        None if g is None else solver.solve(g, f"far field of {name}")
        for g, name in zip(far_loads, names, strict=True)
    ]
    field_pieces = None
    if inputs.applied_field is not None:
        applied = applied_potential(domain, V, inputs.applied_field)
        load = fem.form(applied * w * quadrature(domain.dx_bodies, order))
        if conditions:  # Y_A = A on the electrodes: the applied field's piece A - Y_A is 0 there
            conditions.set(function=applied)
            load = dirichlet_rhs(solver, load)
            conditions.set()
        else:
            load = assemble_rhs(load)
        screened = solver.solve(load, "screening of the applied field")
        load.destroy()
        dipoles = []
        for i, c in enumerate("xyz"):
            load = dipole_load(domain, w, i)
            dipoles.append(solver.solve(load, f"far field of a dipole along {c}"))
            load.destroy()
        field_pieces = (applied, screened, dipoles)
    unit_potentials = electrodes.unit_potentials(domain, solver, conditions) if conditions else []
    solver.reassemble(poisson_form(domain, u, w))
    poisson_compiled = solver.form
    potentials = []
    for b, (load, g, name) in enumerate(zip(weights.volume, far_loads, names, strict=True)):
        if g is not None:  # P_b's own far field: its charge vol_b at its centroid
            load = load.copy()
            load.axpy(volumes[b], g)
        potentials.append(solver.solve(load, f"phi0 for rho0({name}) = 1"))
    poisson = solver.matrix.copy() if n > 1 else solver.matrix
    external = []
    if n > 1:
        solver.reassemble(screening_form(domain, u, w))
        dx = quadrature(domain.dx, order)
        for b, (P, name) in enumerate(zip(potentials, names, strict=True)):
            others = tuple(t for t in domain.body_tags if t != domain.body_tags[b])
            load = assemble_rhs(fem.form(P * w * dx(others)))
            external.append(solver.solve(load, f"screening of phi0({name})"))
            load.destroy()

    # Body charges (module docstring): vol rho0 + K c + W rho0 - K_D a = Q with a = Q - vol rho0
    # the charges of phi - sum_b phi0^(b) that sit at the centroids, so c = c_q + G rho0.
    def body_integrals(vectors: list[PETSc.Vec]) -> tuple[np.ndarray, ...]:
        """Over the bodies (volume weights) or their surfaces (surface weights):
        K[m, j] = int_m (delta_mj - u_j), W[m, b] = int_m (Y_b - [b != m] P_b), and
        K_far[m, i] = int_m D_i."""
        K = np.diag([v.sum() for v in vectors]) - weights.integrals(vectors, profiles)
        P = weights.integrals(vectors, potentials)
        Y = weights.integrals(vectors, external) if external else np.zeros((n, n))
        return K, Y - (P - np.diag(np.diag(P))), weights.integrals(vectors, far)

    K, W, K_far = body_integrals(weights.volume)
    S, W_surface, S_far = body_integrals(weights.surface)
    response = None
    if field_pieces is not None:
        response = field_response(domain, weights, profiles, K, inputs.applied_field, *field_pieces)
    weights.destroy()
    charges = np.array(inputs.net_charges) / domain.lambda_m**3
    c_q = np.linalg.solve(K, charges + K_far @ charges)
    G = -np.linalg.solve(K, np.diag(volumes) + W + K_far @ np.diag(volumes))

    def own_potential(m: int) -> fem.Function:
        """phi of body m's neutral expulsion solution for rho0_m = 1 (neighbours inert)."""
        terms = [(s, potentials[m])] + [(s * G[j, m], uj) for j, uj in enumerate(profiles)]
        if external:
            terms.append((-s, external[m]))
        if far[m] is not None:
            terms.append((-s * volumes[m], far[m]))
        return combination(V, terms, f"phi for rho0({names[m]}) = 1")

    def own_excess(m: int) -> fem.Function:
        """phi - phi0^(m) of that solution: its E - E0 is the spin sector's field excess."""
        excess = own_potential(m)
        excess.x.array[:] -= s * potentials[m].x.array
        return excess

    # Closures: each body's own neutral, field-free expulsion solution is linear in rho0_m.
    unit_mean = 1.0 + np.diag(S @ G + W_surface + S_far @ np.diag(volumes)) / areas
    degree = max(order - 1, 1)
    unit_field = np.array(
        [max_field(domain, electric_field(domain, own_potential(m)), degree)[m] for m in range(n)]
    )
    # the phase projection is set up once here and handed on to the spin sector
    projection = GradientProjection(domain, inputs.solver, phase_degree(order), stats)
    unit_speed = spin_shift_speeds(
        domain,
        [electric_field(domain, own_excess(m)) for m in range(n)],
        projection,
        inputs.spin_axis,
        order,
    )
    rho0_by_closure = closure_densities(inputs.material, unit_mean, unit_field, unit_speed)
    closure = inputs.closure.closure
    rho0 = chosen_rho0(closure, inputs.closure.rho0, rho0_by_closure)
    log_closures(names, rho0, closure, rho0_by_closure)

    coefficients = c_q + G @ rho0
    if response is not None:
        coefficients = coefficients + response.coefficients
    far_charges = charges - volumes * rho0
    phi_terms = [(s * r, P) for r, P in zip(rho0, potentials, strict=True)]
    phi_terms += [(-s * rho0[b], Y) for b, Y in enumerate(external)]
    phi_terms += [(s * c, uj) for c, uj in zip(coefficients, profiles, strict=True)]
    phi_terms += [(s * a, D) for a, D in zip(far_charges, far, strict=True) if D is not None]
    density_terms = response.density_terms(s) if response is not None else []
    if response is not None:
        phi_terms += response.potential_terms(s)
    electrode_summary = {}
    if conditions:
        grounded = combination(V, phi_terms, "phi with the electrodes grounded")
        held = electrodes.superpose(
            domain, inputs.electrodes, conditions, unit_potentials, profiles, K, grounded
        )
        coefficients = coefficients + held.coefficients
        phi_terms += held.potential_terms
        density_terms += held.density_terms(s)
        electrode_summary = held.summary
    sol = ChargeSolution(
        domain=domain,
        inputs=inputs,
        space=V,
        profiles=profiles,
        potentials=potentials,
        external=external,
        far=far,
        rho0=rho0,
        coefficients=coefficients,
        far_charges=far_charges,
        field_response=response,
        response=density_terms,
        electrodes=electrode_summary,
        phi=combination(V, phi_terms, "phi"),
        phi0_shift=s * coefficients,
        residual=0.0,
        volumes=volumes,
        areas=areas,
        rho0_by_closure=rho0_by_closure,
        stats=stats,
        phase_projection=projection,
    )
    sol.poisson_residual = _poisson_residual(
        sol, poisson, far_loads, charges, conditions, poisson_compiled
    )
    for g in far_loads:
        if g is not None:
            g.destroy()
    if poisson is not solver.matrix:
        poisson.destroy()
    solver.destroy()
    sol.residual = float(_constitutive_residual(sol).max())
    log.info(
        "  Poisson residual of phi %.2e; Eq. 23 residual (relative L2 spread of the phi0 "
        "constant) %.2e",
        sol.poisson_residual,
        sol.residual,
    )
    return sol
