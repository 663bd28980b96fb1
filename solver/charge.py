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
from giantatom.case import Case
from giantatom.domain import Domain
from giantatom.electrodes import ElectrodeConditions, electrode_conditions
from giantatom.linalg import SolveStats, SPDSolver, assemble_rhs, dirichlet_rhs
from giantatom.log import log
from giantatom.parallel import global_max, global_min
from giantatom.phase import GradientProjection, phase_degree
from giantatom.units import C_LIGHT, E_CHARGE, EPS_0, M_E

CLOSURE_EVALUATION = (
    "rho0 is a ground-state property of each body: every closure is evaluated on the body's own "
    "expulsion solution, neutral and field-free, with its neighbours inert (rho0 = 0, neutral); "
    "neither neighbours, nor applied fields, nor the body's net charge move it. "
    "rho0_by_closure lists what each closure gives for each body"
)


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


def centroids(domain: Domain) -> np.ndarray:
    """Centroid of each body, lambda (mesh coordinates), shape (bodies, 3)."""
    x = ufl.SpatialCoordinate(domain.mesh)
    one = domain.constant(1.0)
    moments = [[domain.integrate(x[i] * domain.dx(t)) for i in range(3)] for t in domain.body_tags]
    volumes = [domain.integrate(one * domain.dx(t)) for t in domain.body_tags]
    return np.array(moments) / np.array(volumes)[:, None]


def point_charge_load(domain: Domain, w, point: np.ndarray) -> PETSc.Vec | None:
    """int_Gamma_inf g w ds with g = (d/dn + 1/R_out) 1/(4 pi |x - point|): the Robin data that
    makes the monopole condition exact for a unit charge at ``point`` (a body's centroid)
    instead of at the centre of the outer sphere. None when ``point`` is that centre, where the
    data vanish (within 1e-3 R_out, the spurious field below is then 1e-3 of that of a body a
    radius R_out away: the meshed centroid of a centred body is off by rounding and mesh error).
    Without it, the potential of a charge off the centre carries a spurious uniform field of
    about Q d/(8 pi R_out^3), d its distance from the centre."""
    center = np.array(domain.report.center, dtype=float)
    if np.linalg.norm(point - center) < 1e-3 * domain.outer_radius:  # a meshed centroid
        return None
    x = ufl.SpatialCoordinate(domain.mesh)
    r = x - ufl.as_vector([domain.constant(c) for c in point])
    n = ufl.FacetNormal(domain.mesh)
    distance = ufl.sqrt(ufl.dot(r, r))
    g = (-ufl.dot(r, n) / distance**3 + domain.robin / distance) / (4.0 * np.pi)
    return assemble_rhs(fem.form(g * w * quadrature(domain.ds, _degree(w))(meshes.OUTER)))


def dipole_load(domain: Domain, w, axis: int) -> PETSc.Vec:
    """int_Gamma_inf g w ds with g = (d/dn + 1/R_out) of the potential (x - x_c)_i/(4 pi r^3)
    of a unit dipole along ``axis`` at the centre x_c: -n_i/(4 pi R_out^3). Added to the
    monopole Robin condition, it makes it exact for the dipole far field as well."""
    n = ufl.FacetNormal(domain.mesh)
    g = -n[axis] * domain.robin**3 / (4.0 * np.pi)
    return assemble_rhs(fem.form(g * w * quadrature(domain.ds, _degree(w))(meshes.OUTER)))


def applied_potential(domain: Domain, space: fem.FunctionSpace, field_V_m) -> fem.Function:
    """-E_a . (x - x_c), V, with x_c the centre of the outer sphere (positions in lambda)."""
    center = np.array(domain.report.center, dtype=float)
    E = np.asarray(field_V_m, dtype=float) * domain.lambda_m
    f = fem.Function(space, name="applied potential")
    f.interpolate(lambda x: -(E @ (x - center[:, None])))
    return f


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


@dataclass
class FieldResponse:
    """The bodies' answer to a uniform applied field E_a (docs/formulation.md section 4): in
    body m rho_E = (Y_A - A)/s + sum_j c_j (delta_mj - u_j) - sum_i p_i D_i, and
    phi_E = A - Y_A + s sum_j c_j u_j + s sum_i p_i D_i, with A = -E_a . (x - x_c), Y_A the
    screened response to A in the bodies, D_i the response to the Robin data of a unit dipole
    at the centre (so the far field carries the induced dipole p exactly), c_j keeping every
    body neutral. rho0 does not move: the closures are evaluated without the field."""

    field_V_m: np.ndarray
    applied: fem.Function  # A, V
    screened: fem.Function  # Y_A, V
    dipole_responses: list[fem.Function]  # D_i, per unit dipole (lambda units)
    coefficients: np.ndarray  # c_j, C/m^3
    dipole: np.ndarray  # p, C/m^3 lambda^4 (the induced dipole about x_c)

    def density_terms(self, s: float) -> list[tuple[float, fem.Function]]:
        """rho_E less its u_j terms (those join the expulsion's), C/m^3."""
        terms = [(1.0 / s, self.screened), (-1.0 / s, self.applied)]
        return terms + [(-p, D) for p, D in zip(self.dipole, self.dipole_responses, strict=True)]

    def potential_terms(self, s: float) -> list[tuple[float, fem.Function]]:
        """phi_E less its u_j terms, V."""
        terms = [(1.0, self.applied), (-1.0, self.screened)]
        return terms + [(s * p, D) for p, D in zip(self.dipole, self.dipole_responses, strict=True)]


@dataclass
class ChargeSolution:
    """The charge sector, SI: rho in C/m^3, potentials in V (positions in lambda).

    The pieces u_k, P_b, Y_b and c_j are those of the module docstring."""

    domain: Domain
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
    electrodes: dict = field(default_factory=dict)  # electrodes.summary's entries
    response: list[tuple[float, fem.Function]] = field(default_factory=list)  # its rho terms

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
        dx = quadrature(domain.dx, _degree(self.phi))
        charges = [
            domain.integrate(self.density(m) * dx(t)) for m, t in enumerate(domain.body_tags)
        ]
        return np.array(charges) * domain.lambda_m**3

    def surface_means(self) -> np.ndarray:
        """Area mean of rho over each body's surface, C/m^3."""
        domain = self.domain
        dS = quadrature(domain.dS, _degree(self.phi))
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


def spin_shift_speeds(
    domain: Domain, case: Case, excess: list, projection: GradientProjection
) -> np.ndarray:
    """Per body m: the largest surface value of the spin-velocity shift |v_sigma - v_sigma0|,
    m/s, for the field excess ``excess[m]`` (E - E0 in body m, V/m; no applied field):
    -(e/m_e)(X - grad chi), X = lambda s x (E - E0)/c, chi its gradient part in the body (the
    phase term, docs/formulation.md section 3.4). The same for both spins; taken at the surface
    nodes of the vector Lagrange space of the case's order, as the spin summary does."""
    axis = fem.Constant(domain.mesh, np.array(case.spin.axis, dtype=float))
    space = fem.functionspace(domain.mesh, ("Lagrange", case.mesh.order, (3,)))
    points = space.element.interpolation_points
    f = fem.Function(space)
    speeds = []
    for tag, name, E in zip(domain.body_tags, domain.body_names, excess, strict=True):
        X = ufl.cross(axis, E) * domain.constant(domain.lambda_m / C_LIGHT)
        chi = projection.solve(X, f"spin phase for rho0({name}) = 1")
        shift = (X - ufl.grad(chi)) * domain.constant(-E_CHARGE / M_E)
        f.interpolate(fem.Expression(shift, points), cells0=domain.body_cells(tag))
        values = f.x.array.reshape(-1, 3)[domain.surface_dofs(space, tag)]
        speeds.append(global_max(domain.comm, np.linalg.norm(values, axis=1)))
    return np.array(speeds)


def _constitutive_residual(sol: ChargeSolution) -> np.ndarray:
    """Per body: the relative L2 spread of phi - phi0 + (lambda^2/eps0)(rho - rho0) about its
    mean, Eq. 23's discrete residual (round-off, since phi is built to satisfy it)."""
    domain = sol.domain
    scale = domain.constant(sol.scale)
    residuals = np.zeros(len(sol.rho0))
    dx = quadrature(domain.dx, _degree(sol.phi))
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
    dx = quadrature(domain.dx, _degree(w))
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
        ds = quadrature(domain.ds, _degree(w))(meshes.OUTER)
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


def _combination(space: fem.FunctionSpace, terms, name: str) -> fem.Function:
    """sum of coefficient * function over (coefficient, function) pairs, as one function."""
    f = fem.Function(space, name=name)
    for coefficient, g in terms:
        f.x.array[:] += coefficient * g.x.array
    return f


def _field_response(
    domain: Domain,
    weights: BodyWeights,
    profiles: list[fem.Function],
    K: np.ndarray,
    field_V_m,
    applied: fem.Function,
    screened: fem.Function,
    dipoles: list[fem.Function],
) -> FieldResponse:
    """The constants c_j (each body neutral) and the induced dipole p (the far-field data), one
    small linear system: int_m rho_E = 0 for every body m and p_i = int (x - x_c)_i rho_E."""
    n = len(profiles)
    s = domain.lambda_m**2 / EPS_0
    w = ufl.TestFunction(profiles[0].function_space)
    x = ufl.SpatialCoordinate(domain.mesh)
    center = np.array(domain.report.center, dtype=float)
    dx = quadrature(domain.dx, _degree(w))
    moment = [
        [
            assemble_rhs(fem.form((x[i] - domain.constant(center[i])) * w * dx(t)))
            for t in domain.body_tags
        ]
        for i in range(3)
    ]  # moment[i][m] . f = int over body m of (x - x_c)_i f

    source = fem.Function(applied.function_space)
    source.x.array[:] = (screened.x.array - applied.x.array) / s  # (Y_A - A)/s

    def first(functions: list) -> np.ndarray:  # [i, k] = int over the bodies of (x - x_c)_i f_k
        return np.array([weights.integrals(row, functions).sum(axis=0) for row in moment])

    # unknowns z = (c_1..c_n, p_x, p_y, p_z)
    arms = np.array([[v.sum() for v in row] for row in moment])  # [i, j] = int_j (x - x_c)_i
    matrix = np.block(
        [
            [K, -weights.integrals(weights.volume, dipoles)],
            [first(profiles) - arms, np.eye(3) + first(dipoles)],
        ]
    )
    rhs = np.concatenate(
        [-weights.integrals(weights.volume, [source])[:, 0], first([source])[:, 0]]
    )
    z = np.linalg.solve(matrix, rhs)
    for row in moment:
        for v in row:
            v.destroy()
    return FieldResponse(
        field_V_m=np.asarray(field_V_m, dtype=float),
        applied=applied,
        screened=screened,
        dipole_responses=dipoles,
        coefficients=z[:n],
        dipole=z[n:],
    )


def solve_charge(case: Case, domain: Domain) -> ChargeSolution:
    """Steps 1-5 of docs/formulation.md section 1 for every body of the case."""
    material, spec = case.material, case.charge
    stats = SolveStats()
    V = fem.functionspace(domain.mesh, ("Lagrange", case.mesh.order))
    u, w = ufl.TrialFunction(V), ufl.TestFunction(V)
    names = domain.body_names
    n = len(names)
    s = domain.lambda_m**2 / EPS_0
    log.info("charge sector: P%d, %d dofs", case.mesh.order, V.dofmap.index_map.size_global)
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
        screening_form(domain, u, w), "charge", case.solver, stats, bcs=bcs, p_multigrid=True
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
    if case.electric.active:
        applied = applied_potential(domain, V, case.electric.applied_field)
        load = fem.form(applied * w * quadrature(domain.dx_bodies, case.mesh.order))
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
        dx = quadrature(domain.dx, case.mesh.order)
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
        response = _field_response(
            domain, weights, profiles, K, case.electric.applied_field, *field_pieces
        )
    weights.destroy()
    charges = np.array([b.net_charge for b in case.geometry.bodies]) / domain.lambda_m**3
    c_q = np.linalg.solve(K, charges + K_far @ charges)
    G = -np.linalg.solve(K, np.diag(volumes) + W + K_far @ np.diag(volumes))

    def own_potential(m: int) -> fem.Function:
        """phi of body m's neutral expulsion solution for rho0_m = 1 (neighbours inert)."""
        terms = [(s, potentials[m])] + [(s * G[j, m], uj) for j, uj in enumerate(profiles)]
        if external:
            terms.append((-s, external[m]))
        if far[m] is not None:
            terms.append((-s * volumes[m], far[m]))
        return _combination(V, terms, f"phi for rho0({names[m]}) = 1")

    def own_excess(m: int) -> fem.Function:
        """phi - phi0^(m) of that solution: its E - E0 is the spin sector's field excess."""
        excess = own_potential(m)
        excess.x.array[:] -= s * potentials[m].x.array
        return excess

    # Closures: each body's own neutral, field-free expulsion solution is linear in rho0_m.
    unit_mean = 1.0 + np.diag(S @ G + W_surface + S_far @ np.diag(volumes)) / areas
    degree = max(case.mesh.order - 1, 1)
    unit_field = np.array(
        [max_field(domain, electric_field(domain, own_potential(m)), degree)[m] for m in range(n)]
    )
    # the phase projection is set up once here and handed on to the spin sector
    projection = GradientProjection(domain, case.solver, phase_degree(case.mesh.order), stats)
    unit_speed = spin_shift_speeds(
        domain, case, [electric_field(domain, own_excess(m)) for m in range(n)], projection
    )
    rho0_by_closure = [
        {
            "surface-mean": material.rho_minus / unit_mean[m],
            "max-field": material.E_m / unit_field[m],
            "spin-speed": material.v_0 / unit_speed[m],
        }
        for m in range(n)
    ]
    if spec.closure == "rho0":
        rho0 = np.full(n, spec.rho0)
    else:
        rho0 = np.array([values[spec.closure] for values in rho0_by_closure])
    for name, r, values in zip(names, rho0, rho0_by_closure, strict=True):
        others = ", ".join(f"{k} {v:.6g}" for k, v in values.items() if k != spec.closure)
        log.info("  rho0(%s) = %.6g C/m^3 (closure %s; %s)", name, r, spec.closure, others)

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
        held = electrodes.superpose(
            domain,
            case.geometry.electrodes,
            conditions,
            unit_potentials,
            profiles,
            K,
            _combination(V, phi_terms, "phi with the electrodes grounded"),
        )
        coefficients = coefficients + held.coefficients
        phi_terms += held.potential_terms
        density_terms += held.density_terms(s)
        electrode_summary = held.summary
    sol = ChargeSolution(
        domain=domain,
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
        phi=_combination(V, phi_terms, "phi"),
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


def multipole_moments(sol: ChargeSolution) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per body: its dipole moment int rho y dV (C m) and quadrupole moment
    Q_ij = int rho (3 y_i y_j - |y|^2 delta_ij) dV (C m^2), y the position from its centroid."""
    domain = sol.domain
    lam = domain.lambda_m
    x = ufl.SpatialCoordinate(domain.mesh)
    dx = quadrature(domain.dx, _degree(sol.phi))
    out = []
    for m, (tag, c) in enumerate(zip(domain.body_tags, centroids(domain), strict=True)):
        y = x - ufl.as_vector([domain.constant(ci) for ci in c])
        rho = sol.density(m)
        dipole = np.array([domain.integrate(rho * y[i] * dx(tag)) for i in range(3)])
        quadrupole = np.zeros((3, 3))
        for i in range(3):
            for j in range(i, 3):
                shape = 3 * y[i] * y[j] - (ufl.dot(y, y) if i == j else 0)
                quadrupole[i, j] = quadrupole[j, i] = domain.integrate(rho * shape * dx(tag))
        out.append((dipole * lam**4, quadrupole * lam**5))
    return out


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
    E_max = max_field(domain, sol.electric_field(sol.phi), max(case.mesh.order - 1, 1))
    charges, means = sol.body_charges(), sol.surface_means()
    moments = multipole_moments(sol)
    bodies = []
    for m, name in enumerate(domain.body_names):
        surface = sol.surface_values(m)
        bodies.append(
            {
                "name": name,
                "rho0_C_m3": float(sol.rho0[m]),
                "rho0_by_closure": sol.rho0_by_closure[m],
                "net_charge_C": float(charges[m]),
                "net_charge_requested_C": case.geometry.bodies[m].net_charge,
                "surface_rho_mean_C_m3": float(means[m]),
                "surface_rho_min_C_m3": global_min(comm, surface),
                "surface_rho_max_C_m3": global_max(comm, surface),
                "E_max_V_m": float(E_max[m]),
                "dipole_moment_C_m": moments[m][0],
                "quadrupole_moment_C_m2": moments[m][1],
                "volume_m3": float(sol.volumes[m] * lam**3),
                "area_m2": float(sol.areas[m] * lam**2),
            }
        )
    electric = {}
    if sol.field_response is not None:
        r = sol.field_response
        electric = {
            "electric": {
                "applied_field_V_m": r.field_V_m,
                "induced_dipole_C_m": r.dipole * lam**4,
                "note": "the bodies' linear response to the uniform applied field, screened "
                "over lambda (Eq. 23); rho0 is the isolated, field-free body's (the closure "
                "does not move with the field); dipole_moment_C_m per body includes it",
            }
        }
    if sol.electrodes:
        electric.setdefault("electric", {}).update(sol.electrodes)
    return {
        **electric,
        "closure": case.charge.closure,
        "closure_evaluation": CLOSURE_EVALUATION,
        **case_totals(bodies, charges, means, sol.areas),
        "constitutive_residual": sol.residual,
        "poisson_residual": sol.poisson_residual,
        "phi0_shift_V": sol.phi0_shift,
        "solver": {"iterations": sol.stats.iterations, "seconds": sol.stats.seconds},
        "bodies": bodies,
    }
