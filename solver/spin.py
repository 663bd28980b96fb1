"""Stage 3c: the spin sector (docs/formulation.md section 3, Eqs. 55-64), in SI, from the charge and
magnetic solutions.

For spin sigma = +1 (up) and -1 (down) along the unit axis s, sigma_vec = sigma s. The paper's
Gaussian relations become, in SI (a Gaussian E has the units of B, E_SI = c B_SI; the time
component of the four-potential is phi/c and that of the four-current c rho):

    A_sigma - A_sigma0     = lambda sigma_vec x (E - E0) / c + A                 Eqs. 58a-b
    phi_sigma - phi_sigma0 = phi - phi0 - c lambda sigma_vec . B                 Eqs. 59a-b
    J_sigma - J_sigma0     = -(A_sigma - A_sigma0) / (2 mu0 lambda^2)            Eq. 55, space
    rho_sigma - rho_sigma0 = -eps0 (phi_sigma - phi_sigma0) / (2 lambda^2)       Eq. 55, time
    J_sigma = (e n_s / 2) v_sigma                                                Eq. 60a

Conservation (docs/formulation.md section 3): no spin current may leave a body. The spin-orbit
part X_sigma = lambda sigma_vec x (E - E0)/c is divergence-free (E - E0 is a gradient) but, where
rho varies along the surface (any body but a sphere, a long cylinder or a slab), not tangential
at it. The phase of each spin's condensate takes that up: the physical shift is

    A_sigma - A_sigma0 - grad chi_sigma,   lap chi_sigma = 0 in each body,
    d chi_sigma/dn = n . (A_sigma - A_sigma0) on its surface,

where only X_sigma contributes (A is in the London gauge). X_sigma is odd in sigma, so
chi_- = -chi_+ and the charge current is unchanged: one Neumann problem for all bodies,
solved as the projection of X_+ onto gradients in each body, int grad chi . grad w =
int X_+ . grad w for every w (for a divergence-free X_+ the weak form of the Neumann problem),
with Lagrange elements one degree above the case's order (at most 3), chi fixed at one node per
body (the constant nullspace) and zero outside the bodies. With Eq. 8 (e^2 n_s / m_e =
1/(mu0 lambda^2)) the first and third relations then give the velocity

    v_sigma - v_sigma0 = -(e / m_e) (lambda sigma_vec x (E - E0) / c - grad chi_sigma + A),  e < 0,

which at the surface of a large neutral body (E = 0, E0 = E_m outward, A = 0, chi = 0) has the
magnitude |e| lambda E_m / (m_e c) = hbar / (4 m_e lambda) = v_0 (Eq. 38). Velocities, currents
and all derived from them use the corrected shift; ``potential`` is A_sigma - A_sigma0 before
the phase term (Eq. 58, which the direct check of Eq. 62a is about: grad chi is harmonic, not
screened). The relative size ||grad chi|| / ||X|| over the bodies is reported.

Choices the paper leaves open, made here and stated in the outputs:
- the reference flow. Eq. 61 gives it for a cylinder,
  v_sigma0 = -(c/(e n_s)) rho0 sigma_vec x r_hat; for any shape we use
  v_sigma0 = (c/(e n_s)) rho0 sigma_vec x grad d, d the distance below the body's own surface
  (grad d = -r_hat in a sphere and a cylinder: Eq. 61 there), rho0 that of the body.
  sigma_vec x grad d is divergence-free, also across the ridge where grad d jumps, and
  tangential at the surface. It is computed as sigma_vec x grad d_h, d_h the Lagrange
  interpolant of d (solver/distance.py: d exact at the nodes): since s x grad d = -curl(d s),
  that is divergence-free and tangential exactly, cell by cell. J_sigma - J_sigma0 does not
  depend on this choice and is output on its own.
- the reference density per spin, rho_sigma0 = rho0/2 (the two spins share rho0 equally, so
  that rho_+0 + rho_-0 = rho0 as Eq. 64 requires). With Eq. 23 in SI,
  rho - rho0 = -eps0 (phi - phi0)/lambda^2, the time component then reads
      rho_sigma = rho/2 + eps0 c sigma_vec . B / (2 lambda),
  which is what is computed (from the charge sector's rho, so that rho_+ + rho_- = rho holds to
  rounding; the form through phi - phi0 differs from it by the charge sector's Eq. 23 residual).

Eq. 64 is then an identity: J_+ + J_- = -A/(mu0 lambda^2) is the London current,
(A_+ + A_-)/2 = A and (phi_+ + phi_-)/2 = phi - phi0 the charge four-potential, rho_+ + rho_- =
rho. (With an n_s given in the case file, J_sigma = (e n_s/2) v_sigma uses that n_s while the
velocities keep lambda: the current identities then hold only for the n_s of Eq. 8.)

Independent check (``direct_check``): A_sigma - A_sigma0 obeys the screened equation of Eq. 62a,
-lap X + X/lambda^2 = 0 in the bodies. Each Cartesian component is solved for directly with
Lagrange elements, the value computed above (before the phase term) as Dirichlet data on the
body surfaces, and the relative L2 difference from the computed field over the bodies is
reported.

The pointwise relations (Eq. 58, v = -(e/m_e) A) are in giantatom.relations, shared with the
charge sector's spin-speed closure and the thin-layer model.
"""

import time
from dataclasses import dataclass

import numpy as np

from giantatom import distance
from giantatom.backend import dolfinx, fem, ufl
from giantatom.case import SolverSpec, SpinSpec
from giantatom.charge import ChargeSolution
from giantatom.linalg import SolveStats, SPDSolver, dirichlet_rhs
from giantatom.log import log
from giantatom.magnetic import MagneticSolution
from giantatom.material import Material
from giantatom.phase import (
    GradientProjection,
    phase_degree,
    relative_size,
)
from giantatom.relations import SPINS, potential_shift, velocity_of
from giantatom.screening import geometry_degree, quadrature
from giantatom.units import C_LIGHT, E_CHARGE, EPS_0

REFERENCE_FLOW = (
    "v_sigma0 = (c/(e n_s)) rho0 sigma x grad d with d the distance below the body's own surface "
    "(grad d = (x - p)/|x - p|, p the nearest surface point; the inward normal at the surface), "
    "rho0 that of the body: Eq. 61 for a cylinder and a sphere (grad d = -r_hat), the "
    "generalization used for other shapes (divergence-free, tangential at the surface); computed "
    "as sigma x grad d_h, d_h the Lagrange interpolant of d (divergence-free and tangential "
    "exactly); v_sigma - v_sigma0 and J_sigma - J_sigma0 do not depend on it"
)
PHASE = (
    "v_sigma - v_sigma0 = -(e/m_e)(A_sigma - A_sigma0 - grad chi_sigma): lap chi_sigma = 0 in "
    "each body, d chi_sigma/dn = n . lambda sigma x (E - E0)/c on its surface (the condensate "
    "phase that keeps the spin current inside the body; chi_- = -chi_+)"
)


@dataclass(frozen=True)
class SpinInputs:
    """What the spin sector needs besides the charge and magnetic solutions (the pipeline maps
    a case to it)."""

    material: Material
    spin: SpinSpec  # the axis s, and whether to run the direct check of Eq. 62a
    solver: SolverSpec
    order: int  # Lagrange degree of the mesh
    applied_field: tuple[float, float, float] = (0.0, 0.0, 0.0)  # T: the stop field's


class SpinSolution:
    """The spin sector as UFL expressions in SI, built on the charge and magnetic solutions,
    with the phase chi_+ and the depth d_h below the body surfaces (Lagrange functions of degree
    ``phase_degree``, computed here).

    ``applied=False`` drops A and B: the state with no applied field (the charge sector does not
    depend on the field). Arguments ``body`` are 0-based body indices: the reference flow and
    phi0 carry one constant per body.

    Methods: ``potential`` (A_sigma - A_sigma0, Eq. 58, before the phase term),
    ``phase_gradient`` (grad chi_sigma), ``corrected_potential`` (A_sigma - A_sigma0 -
    grad chi_sigma), ``velocity_shift``, ``current_shift``, ``reference_velocity``,
    ``velocity``, ``current``, ``spin_current`` (all from the corrected potential),
    ``scalar_potential``, ``density``."""

    def __init__(
        self, inputs: SpinInputs, charge: ChargeSolution, magnetic: MagneticSolution | None
    ):
        domain = charge.domain
        mesh = domain.mesh
        k = domain.constant
        self.domain, self.charge, self.magnetic = domain, charge, magnetic
        self.inputs = inputs
        self.material = inputs.material
        self.stop_map = None  # the stop-field map, set by spin_summary with an applied field
        self.axis = np.array(inputs.spin.axis, dtype=float)
        self.sigma_vec = {sigma: fem.Constant(mesh, sigma * self.axis) for _, sigma in SPINS}
        zero = fem.Constant(mesh, np.zeros(3))
        self.A = magnetic.london_potential() if magnetic is not None else zero
        self.B = magnetic.magnetic_field() if magnetic is not None else zero
        self.zero = zero
        self.E0 = charge.reference_field_in_bodies()  # E0 of each point's own body
        self.field_excess = charge.electric_field(charge.phi) - self.E0
        self.lambda_m = k(domain.lambda_m)
        n_s = self.material.n_s
        self._current_per_velocity = k(E_CHARGE * n_s / 2.0)  # e n_s / 2, C/m^3
        # (c/(e n_s)) rho0 per body: the speed of the reference flow, m/s
        self._reference_speed = [k(C_LIGHT * r / (E_CHARGE * n_s)) for r in charge.rho0]
        self._spin_density = k(EPS_0 * C_LIGHT / (2.0 * domain.lambda_m))  # eps0 c/(2 lambda)
        self._phi_spin = k(C_LIGHT * domain.lambda_m)  # c lambda, m^2/s
        self.check_residual: dict[str, float] | None = None
        self.check_stats = SolveStats()
        start = time.perf_counter()
        self.phase_degree = phase_degree(inputs.order)
        self.depth = distance.depth(domain, self.phase_degree)
        self.distance_seconds = time.perf_counter() - start
        self.phase_stats = SolveStats()
        self.solver_spec = inputs.solver
        projection = charge.phase_projection  # the charge sector's, for its spin-speed closure
        if projection is None or projection.degree != self.phase_degree:
            projection = GradientProjection(
                domain, inputs.solver, self.phase_degree, self.phase_stats
            )
        projection.solver.stats = self.phase_stats  # its solves from here on are the spin's
        charge.phase_projection = None
        # chi_+: the gradient part of the spin-orbit part of spin up (module docstring)
        self.phase = projection.solve(self.potential(1, applied=False), "spin phase chi")
        self.phase.name = "chi_up"
        self.phase_relative = relative_size(
            domain, self.phase_gradient(1), self.potential(1, applied=False)
        )
        # the flows with no field, spin up (spin down: the same, reversed)
        self.conservation = {
            "v_sigma - v_sigma0": flow_leaks(
                self, self.velocity_shift(1, False), projection, "spin check v_sigma - v_sigma0"
            ),
            "v_sigma": flow_leaks(
                self, self.velocity_in_bodies(1, False), projection, "spin check v_sigma"
            ),
        }
        projection.destroy()

    def _A(self, applied: bool):
        return self.A if applied else self.zero

    def _B(self, applied: bool):
        return self.B if applied else self.zero

    def potential(self, sigma: int, applied: bool = True):
        """A_sigma - A_sigma0 (Eq. 58, before the phase term), T m."""
        return potential_shift(
            self.field_excess, self._A(applied), self.sigma_vec[sigma], self.lambda_m, ufl.cross
        )

    def phase_gradient(self, sigma: int):
        """grad chi_sigma = sigma grad chi_+, T m (zero outside the bodies)."""
        return self.domain.constant(sigma) * ufl.grad(self.phase)

    def corrected_potential(self, sigma: int, applied: bool = True):
        """A_sigma - A_sigma0 - grad chi_sigma: the shift that stays inside the bodies, T m."""
        return self.potential(sigma, applied) - self.phase_gradient(sigma)

    def scalar_potential(self, sigma: int, body: int, applied: bool = True):
        """phi_sigma - phi_sigma0 = phi - phi0 - c lambda sigma_vec . B, V (phi0 shifted so that
        Eq. 23 holds in the body)."""
        charge = self.charge
        phi0 = charge.reference_potential(body)
        spin_field = ufl.dot(self.sigma_vec[sigma], self._B(applied))
        return charge.phi - phi0 - self._phi_spin * spin_field

    def velocity_shift(self, sigma: int, applied: bool = True):
        """v_sigma - v_sigma0 = -(e/m_e)(A_sigma - A_sigma0 - grad chi_sigma), m/s."""
        return velocity_of(self.corrected_potential(sigma, applied))

    def reference_velocity(self, sigma: int, body: int):
        """v_sigma0 = (c/(e n_s)) rho0 sigma_vec x grad d, m/s (see REFERENCE_FLOW)."""
        return self._reference_speed[body] * ufl.cross(self.sigma_vec[sigma], ufl.grad(self.depth))

    def velocity(self, sigma: int, body: int, applied: bool = True):
        """v_sigma, m/s."""
        return self.reference_velocity(sigma, body) + self.velocity_shift(sigma, applied)

    def velocity_in_bodies(self, sigma: int, applied: bool = True):
        """v_sigma in every body at once (each body's reference flow with its own rho0), m/s."""
        speed = fem.Function(fem.functionspace(self.domain.mesh, ("DG", 0)))
        for tag, r in zip(self.domain.body_tags, self._reference_speed, strict=True):
            speed.x.array[self.domain.body_cells(tag)] = r.value
        reference = speed * ufl.cross(self.sigma_vec[sigma], ufl.grad(self.depth))
        return reference + self.velocity_shift(sigma, applied)

    def current_shift(self, sigma: int, applied: bool = True):
        """J_sigma - J_sigma0 = (e n_s/2)(v_sigma - v_sigma0), A/m^2."""
        return self._current_per_velocity * self.velocity_shift(sigma, applied)

    def current(self, sigma: int, body: int, applied: bool = True):
        """J_sigma = (e n_s/2) v_sigma, A/m^2."""
        return self._current_per_velocity * self.velocity(sigma, body, applied)

    def spin_current(self, body: int, applied: bool = True):
        """J_spin = J_+ - J_-, A/m^2."""
        return self.current(1, body, applied) - self.current(-1, body, applied)

    def density(self, sigma: int, body: int, applied: bool = True):
        """rho_sigma = rho/2 + eps0 c sigma_vec . B/(2 lambda), C/m^3 (see the module doc)."""
        spin_field = ufl.dot(self.sigma_vec[sigma], self._B(applied))
        return self.charge.density(body) / 2.0 + self._spin_density * spin_field


def flow_leaks(
    sol: SpinSolution,
    v,
    projection: GradientProjection | None = None,
    label: str = "spin flow check",
) -> dict[str, float]:
    """How far the flow ``v`` (an expression valid in every body) is from staying in the bodies:

    - ``normal_fraction``: int |v . n| dS / int |v| dS over the body surfaces (body side);
    - ``gradient_fraction``: ||grad psi|| / ||v|| over the bodies (the worst body), grad psi
      the part of v that is a gradient (GradientProjection): what of v leaks through the
      surface or has a divergence, measured weakly, i.e. as net fluxes through the
      boundaries of the patches of the Lagrange basis functions. It vanishes for the shift by
      construction (the Galerkin condition of chi) and for the reference flow exactly (a curl);
      a nonzero value says something is wrong. (Cell by cell, s x grad d_h and s x grad phi_h are
      divergence-free with continuous normal parts, while grad chi_h has a Laplacian and normal
      jumps of the size of its discretisation error.)

    ``projection``: a GradientProjection to reuse (else one of degree ``phase_degree`` is set
    up and destroyed here)."""
    domain = sol.domain
    ind = domain.body_indicator
    n = ufl.FacetNormal(domain.mesh)
    v_side = ind("+") * v("+") + ind("-") * v("-")
    n_body = ind("+") * n("+") + ind("-") * n("-")
    dS = domain.dS(domain.body_tags, metadata={"quadrature_degree": 6})
    normal = domain.integrate(abs(ufl.dot(v_side, n_body)) * dS)
    magnitude = domain.integrate(ufl.sqrt(ufl.dot(v_side, v_side)) * dS)
    own = projection is None
    if own:
        projection = GradientProjection(sol.domain, sol.solver_spec, sol.phase_degree, SolveStats())
    psi = projection.solve(v, label)
    if own:
        projection.destroy()
    return {
        "normal_fraction": normal / magnitude if magnitude > 0 else 0.0,
        "gradient_fraction": max(relative_size(sol.domain, ufl.grad(psi), v)),
    }


def solve_spin(
    inputs: SpinInputs, charge: ChargeSolution, magnetic: MagneticSolution | None
) -> SpinSolution:
    """The spin sector, and its direct check when the inputs ask for it."""
    sol = SpinSolution(inputs, charge, magnetic)
    log.info("spin sector: axis %s", np.array2string(sol.axis, precision=4))
    log.info(
        "  phase chi: ||grad chi|| / ||lambda s x (E - E0)/c|| = %s over the bodies; depth d_h "
        "in %.1f s",
        ", ".join(f"{r:.3e}" for r in sol.phase_relative),
        sol.distance_seconds,
    )
    if inputs.spin.direct_check:
        sol.check_residual = direct_check(sol)
        log.info(
            "  Eq. 62a direct check: relative L2 difference up %.2e, down %.2e",
            sol.check_residual["up"],
            sol.check_residual["down"],
        )
    return sol


def _fixed_dofs(sol: SpinSolution, V: fem.FunctionSpace) -> np.ndarray:
    """Local dofs of V that are not strictly inside a body (vacuum and body surfaces), marked
    consistently on every rank that holds them."""
    domain = sol.domain
    inside, surface = fem.Function(V), fem.Function(V)
    for tag in domain.body_tags:
        inside.x.array[V.dofmap.list[domain.body_cells(tag)].ravel()] = 1.0
        surface.x.array[domain.surface_dofs(V, tag)] = 1.0
    for marks in (inside, surface):
        marks.x.scatter_reverse(dolfinx.la.InsertMode.add)
        marks.x.scatter_forward()
    return np.flatnonzero((inside.x.array == 0.0) | (surface.x.array > 0.0)).astype(np.int32)


def direct_check(sol: SpinSolution) -> dict[str, float]:
    """Solve -lap X + X = 0 (lengths in lambda) in the bodies for every component of
    X = A_sigma - A_sigma0, with the computed value on the body surfaces, and return the
    relative L2 difference ||X_direct - X|| / ||X|| over the bodies, per spin.

    By linearity the components of the spin-orbit part lambda s x (E - E0)/c and of A are
    solved for once each (A only with a field), and X_sigma = sigma (spin-orbit) + A."""
    domain = sol.domain
    V = fem.functionspace(domain.mesh, ("Lagrange", sol.inputs.order))
    u, w = ufl.TrialFunction(V), ufl.TestFunction(V)
    dx = quadrature(domain.dx_bodies, geometry_degree(domain))  # P3 runs: 2 x degree
    a = (ufl.inner(ufl.grad(u), ufl.grad(w)) + u * w) * dx
    g = fem.Function(V)
    bc = fem.dirichletbc(g, _fixed_dofs(sol, V))
    solver = SPDSolver(a, "spin_check", sol.inputs.solver, sol.check_stats, bcs=[bc])
    b = fem.petsc.create_vector(V)  # ghosted, as apply_lifting needs
    cells = np.concatenate([domain.body_cells(tag) for tag in domain.body_tags])
    points = V.element.interpolation_points

    def solve_for(expr, label: str) -> fem.Function:
        g.x.array[:] = 0.0
        g.interpolate(fem.Expression(expr, points), cells0=cells)
        g.x.scatter_forward()
        return solver.solve(dirichlet_rhs(solver, None, b), label)  # no source: the bc alone

    # X_sigma = sigma X_so + A_h: X_so the spin-orbit part of X_up, A_h the field's part
    spin_orbit = sol.potential(1, applied=False)
    X_so = ufl.as_vector(
        [solve_for(spin_orbit[i], f"spin check s x (E-E0) {c}") for i, c in enumerate("xyz")]
    )
    A_h = sol.zero
    if sol.magnetic is not None:
        A_h = ufl.as_vector([solve_for(sol.A[i], f"spin check A {c}") for i, c in enumerate("xyz")])
    b.destroy()
    solver.destroy()

    residuals = {}
    for name, sigma in SPINS:
        computed = sol.potential(sigma)
        difference = domain.constant(sigma) * X_so + A_h - computed
        error = domain.integrate(ufl.dot(difference, difference) * dx)
        size = domain.integrate(ufl.dot(computed, computed) * dx)
        residuals[name] = float(np.sqrt(error / size)) if size > 0 else 0.0
    return residuals
