"""Stage 3b: the magnetic sector (docs/formulation.md section 2), on a mesh in units of lambda.

The London equation J = -A/(mu0 lambda^2) in the bodies with B = curl A everywhere. In units of
lambda (A = lambda_m * a, B = curl a in tesla) the weak form is: find a in N1curl(D) with

    int_D curl a . curl w + int_Omega a . w + eps int_vacuum a . w = 0,
    n x a = n x a_far   on the outer sphere Gamma_inf.

The mass term inside the bodies puts a into the London gauge there by itself (div a = 0, a.n = 0
on the inside of the surface, so no current leaves a body); eps only makes the vacuum part
invertible. Curl-conforming (Nedelec) elements are essential: a vector Lagrange field would let
current flow out through the surface of a non-spherical body.

Far-field condition: ``boundary = "uniform"`` imposes the applied field alone, a_far = (1/2)
B_applied x r (docs/formulation.md section 2.4). That clamps the normal field on Gamma_inf and makes
the moment of a sphere too large by the factor 1/(1 - f (R/R_out)^3), f the London shape factor of
``london_sphere_moment`` (+3.1 % at R = 5 lambda, far_field = 3). The default ``"dipole"`` adds the
field of the induced moment, a_far = (1/2) B_applied x r + (mu0/4pi) m x r/|r|^3, with m the moment
of the computed currents: the problem is linear, so one solve for the applied field and three for
unit dipoles give m self-consistently from a 3x3 system (one matrix, four right-hand sides). What is
left is the octupole and higher, (R/R_out)^5 and smaller.

Holes (docs/formulation.md section 2). The formulation above makes the fluxoid of every hole
zero by itself: the London state of a ring cooled in zero field. A hole with fluxoid n != 0
(flux trapped by field cooling, ``solver.fluxoid``) gets J = -(A - n Phi_0 h)/(mu0 lambda^2) in
its body, h curl-free there with oint h . dl = 1 around the hole: in lambda units the source
int_body c h . w on the right-hand side, c = n Phi_0 / lambda^2 (tesla). Tested against the
exact London solution of a long hollow cylinder (tests/test_fluxoid.py).
"""

import dataclasses
import math
import time
from dataclasses import dataclass, field

import numpy as np

from giantatom import exact, fluxoid, meshes
from giantatom.backend import PETSc, dolfinx, fem, ufl
from giantatom.case import EPS_BIAS, Hole, MagneticSpec, SolverSpec, vacuum_eps
from giantatom.curlcurl import CurlCurlSolver
from giantatom.domain import Domain
from giantatom.linalg import SolveStats, assemble_rhs, dirichlet_rhs
from giantatom.log import log
from giantatom.screening import degree_of, geometry_degree
from giantatom.units import MU_0


def curl_curl_form(domain: Domain, a, w, eps: fem.Constant) -> ufl.Form:
    """The London curl-curl operator in lambda units: curl-curl everywhere, mass 1 in the
    bodies (the Meissner current), mass eps in the vacuum (a gauge regularisation)."""
    dx = domain.dx
    if geometry_degree(domain) >= 3:
        # UFL's estimate on cubic cells is 8 (degree 1) and 10 (degree 2); 2 x degree is exact
        # on the straight cells, at least 4 keeps the curved ones: the same moment errors at
        # R = 4 lambda (2.1e-2, 1.5e-4) in half the time (benchmarks/london_order.py)
        dx = dx(degree=max(2 * degree_of(a), 4))
    return (
        ufl.inner(ufl.curl(a), ufl.curl(w)) * dx
        + ufl.inner(a, w) * dx(domain.body_tags)
        + eps * ufl.inner(a, w) * dx(meshes.VACUUM)
    )


def uniform_potential(B: np.ndarray, center: np.ndarray):
    """a = (1/2) B x (x - center): the uniform field B (T), for ``Function.interpolate``."""

    def values(x: np.ndarray) -> np.ndarray:
        return 0.5 * np.cross(B, (x.T - center)).T

    return values


def dipole_potential(direction: np.ndarray, center: np.ndarray):
    """a = d x r / |r|^3 (r = x - center): the vector potential shape of a point dipole."""

    def values(x: np.ndarray) -> np.ndarray:
        r = x.T - center
        norm = np.maximum(np.linalg.norm(r, axis=1), 1e-12)[:, None]
        return (np.cross(direction, r) / norm**3).T

    return values


def london_sphere_moment(B: np.ndarray, radius_m: float, lambda_m: float) -> np.ndarray:
    """Exact moment (A m^2) of a London sphere in the uniform field B (T):
    m = -(2 pi R^3 B / mu0) [1 - 3 (lambda/R) coth(R/lambda) + 3 (lambda/R)^2]."""
    return exact.london_moment(radius_m / lambda_m, B, lambda_m)


@dataclass(frozen=True)
class MagneticInputs:
    """What the magnetic sector solves for besides the domain (the pipeline maps a case to it)."""

    spec: MagneticSpec  # applied field, element, linear solver, far-field condition, eps
    solver: SolverSpec
    holes: tuple[tuple[Hole, ...], ...] = ()  # per body: its holes and their fluxoids
    unit_m: float = 1.0  # the geometry unit of the holes' centres, m
    order: int = 2  # Lagrange degree of the mesh: B and J are sampled at max(order, element's)
    sphere_radius_m: float | None = None  # one sphere, no holes: checked against London's moment


@dataclass
class MagneticSolution:
    """The magnetic sector. ``a`` is the vector potential in mesh units (T lambda): SI values
    come from the methods below."""

    domain: Domain
    inputs: MagneticInputs
    spec: MagneticSpec  # as solved: eps chosen for the outer radius
    a: fem.Function
    applied: np.ndarray  # T
    center: np.ndarray  # moment origin (the centre of the outer sphere), lambda
    moment: np.ndarray  # A m^2, all bodies
    body_moments: np.ndarray  # (bodies, 3), A m^2
    dipole_bc: np.ndarray  # dipole in the far-field condition, A m^2 (zero for "uniform")
    net_current: np.ndarray  # int_Omega J dV per body, (bodies, 3), A m (zero in the continuum)
    dofs: int
    solver: str
    stats: SolveStats = field(default_factory=SolveStats)
    holes: list = field(default_factory=list)  # fluxoid.HoleOnMesh of every body
    trapped: ufl.core.expr.Expr | None = None  # sum of n Phi_0 h / lambda^2 in their bodies, T

    def london_potential(self) -> ufl.core.expr.Expr:
        """A - sum n Phi_0 h (T m): -mu0 lambda^2 J, the gauge-invariant potential that the
        London current and the spin sector see in the bodies (A itself without trapped flux)."""
        if self.trapped is None:
            return self.vector_potential()
        return self.domain.constant(self.domain.lambda_m) * (self.a - self.trapped)

    def vector_potential(self) -> ufl.core.expr.Expr:
        """A, T m."""
        return self.domain.constant(self.domain.lambda_m) * self.a

    def magnetic_field(self) -> ufl.core.expr.Expr:
        """B = curl A, T (the lambda of A and of the derivative cancel)."""
        return ufl.curl(self.a)

    def current_density(self) -> ufl.core.expr.Expr:
        """J = -A/(mu0 lambda^2), A/m^2 (with trapped flux -(A - n Phi_0 h)/(mu0 lambda^2)):
        the London current, meaningful inside the bodies."""
        a = self.a if self.trapped is None else self.a - self.trapped
        return self.domain.constant(-1.0 / (MU_0 * self.domain.lambda_m)) * a


def _moment_weights(domain: Domain, space, center: fem.Constant) -> list[list[PETSc.Vec]]:
    """[body][i]: the vector of int_body ((x - center) x w)_i, so that for a solution a the
    integral int_body (x - center) x a is the dot product with a's dofs."""
    w = ufl.TestFunction(space)
    r = ufl.SpatialCoordinate(domain.mesh) - center
    moment = ufl.cross(r, w)
    return [
        [assemble_rhs(fem.form(moment[i] * domain.dx(tag))) for i in range(3)]
        for tag in domain.body_tags
    ]


def _integrals(weights: list[list[PETSc.Vec]], u: fem.Function) -> np.ndarray:
    """(bodies, 3): int_body (x - center) x u, lambda units."""
    return np.array([[wi.dot(u.x.petsc_vec) for wi in body] for body in weights])


def regularised(spec: MagneticSpec, outer_radius: float) -> MagneticSpec:
    """``spec`` with the eps the solve uses (case.vacuum_eps), logged with its moment bias."""
    eps = vacuum_eps(spec, outer_radius)
    log.info(
        "  vacuum regularisation eps = %.3g%s: eps (R_out/lambda)^2 = %.3g, moment bias about %.1e",
        eps,
        "" if spec.eps_given or eps == spec.eps else " (capped for the outer radius)",
        eps * outer_radius**2,
        EPS_BIAS * eps * outer_radius**2,
    )
    return dataclasses.replace(spec, eps=eps)


def trapped_source(domain: Domain, holes: list) -> ufl.core.expr.Expr | None:
    """sum over the holes with n != 0 of c h in their body (zero elsewhere), c = n Phi_0 /
    lambda^2 in tesla and h per lambda: the part of the vector potential (T lambda) that carries
    no current. None without trapped flux."""
    trapped = [hole for hole in holes if hole.fluxoid]
    if not trapped:
        return None
    mesh = domain.mesh
    cells = fem.functionspace(mesh, ("DG", 0))
    total = 0
    for hole in trapped:
        inside = fem.Function(cells)  # 1 in the hole's body: h may be singular elsewhere
        inside.x.array[domain.body_cells(domain.body_tags[hole.body])] = 1.0
        c = hole.fluxoid * fluxoid.FLUX_QUANTUM / domain.lambda_m**2
        total = total + domain.constant(c) * inside * hole.cut_gradient(mesh)
    return total


def solve_magnetic(domain: Domain, inputs: MagneticInputs) -> MagneticSolution:
    """The London solve for the applied field and the trapped fluxoids (docs/formulation.md
    section 2)."""
    spec = inputs.spec
    stats = SolveStats()
    start = time.perf_counter()
    mesh = domain.mesh
    holes = fluxoid.located_holes(domain, inputs.holes, inputs.unit_m)
    trapped = trapped_source(domain, holes)
    for hole in holes:
        log.info(
            "  hole %s: fluxoid %d Phi_0 along %s", hole.name, hole.fluxoid, hole.axis.tolist()
        )
    V = fem.functionspace(mesh, ("N1curl", spec.order))
    dofs = V.dofmap.index_map.size_global * V.dofmap.index_map_bs
    log.info("magnetic sector: N1curl degree %d, %d dofs, solver %s", spec.order, dofs, spec.solver)
    spec = regularised(spec, domain.outer_radius)
    applied = np.array(spec.applied_field, dtype=float)
    center = np.array(domain.report.center, dtype=float)

    a, w = ufl.TrialFunction(V), ufl.TestFunction(V)
    eps = domain.constant(spec.eps)
    a_form = fem.form(curl_curl_form(domain, a, w, eps))

    outer = domain.facet_tags.find(meshes.OUTER)
    boundary_dofs = fem.locate_dofs_topological(V, 2, outer)
    mesh.topology.create_connectivity(2, 3)
    boundary_cells = dolfinx.mesh.compute_incident_entities(mesh.topology, outer, 2, 3)
    g = fem.Function(V)
    bc = fem.dirichletbc(g, boundary_dofs)

    solver = CurlCurlSolver(a_form, V, [bc], spec, inputs.solver.rtol, inputs.solver.max_iterations)
    stats.seconds += time.perf_counter() - start
    log.info("  operator assembled and preconditioner set up: %.1f s", stats.seconds)
    b = fem.petsc.create_vector(V)  # ghosted, as apply_lifting needs

    # the trapped fluxoids: int_Omega c h . w, which the first solve carries
    source = None if trapped is None else fem.form(ufl.inner(trapped, w) * domain.dx_bodies)

    def solve_for(far_field, label: str, load: fem.Form | None = None) -> fem.Function:
        """The solution whose tangential trace on Gamma_inf is that of ``far_field``."""
        g.x.array[:] = 0.0
        g.interpolate(far_field, cells0=boundary_cells)
        g.x.scatter_forward()
        u = fem.Function(V, name=label)
        solver.solve(dirichlet_rhs(solver, load, b), u, label, stats)  # no load: the bc alone
        return u

    center_c = fem.Constant(mesh, center)
    weights = _moment_weights(domain, V, center_c)
    lam = domain.lambda_m
    to_si = -(lam**3) / (2.0 * MU_0)  # m = (1/2) int r x J dV in SI, from a in lambda units

    # int_body r x (c h): the moment integrals of the trapped part, which carries no current
    offset = np.zeros((len(domain.body_tags), 3))
    if trapped is not None:
        r = ufl.SpatialCoordinate(mesh) - center_c
        offset = np.array(
            [
                [domain.integrate(ufl.cross(r, trapped)[i] * domain.dx(tag)) for i in range(3)]
                for tag in domain.body_tags
            ]
        )
    label = "applied field" if trapped is None else "applied field and fluxoids"
    solution = solve_for(uniform_potential(applied, center), label, source)
    dipole = np.zeros(3)
    if spec.boundary == "dipole":
        # a_far = (1/2) B x r + c x r/|r|^3 in lambda units with c = (mu0 / (4 pi lambda^3)) m
        # and m = to_si * sum_bodies int r x a: linear in c, so c solves a 3x3 system.
        base = (_integrals(weights, solution) - offset).sum(axis=0)
        responses = [
            solve_for(dipole_potential(e, center), f"unit dipole {axis}")
            for e, axis in zip(np.eye(3), "xyz", strict=True)
        ]
        T = np.array([_integrals(weights, r).sum(axis=0) for r in responses]).T
        k = MU_0 / (4.0 * math.pi * lam**3) * to_si
        c = np.linalg.solve(np.eye(3) - k * T, k * base)
        for ci, r in zip(c, responses, strict=True):
            solution.x.array[:] += ci * r.x.array
        dipole = c * 4.0 * math.pi * lam**3 / MU_0
    solution.name = "a"
    b.destroy()
    solver.destroy()

    body_moments = to_si * (_integrals(weights, solution) - offset)
    for body in weights:
        for v in body:
            v.destroy()
    london = solution if trapped is None else solution - trapped
    net = (-(lam**2) / MU_0) * np.array(  # int J dV = -(lambda^3/(mu0 lambda)) int a
        [
            [domain.integrate(london[i] * domain.dx(tag)) for i in range(3)]
            for tag in domain.body_tags
        ]
    )
    stats.seconds = time.perf_counter() - start
    moment = body_moments.sum(axis=0)
    log.info(
        "  moment %s A m^2 (far-field dipole %s A m^2); %.1f s",
        np.array2string(moment, precision=5),
        np.array2string(dipole, precision=5),
        stats.seconds,
    )
    return MagneticSolution(
        domain=domain,
        inputs=inputs,
        spec=spec,
        a=solution,
        applied=applied,
        center=center,
        moment=moment,
        body_moments=body_moments,
        dipole_bc=dipole,
        net_current=net,
        dofs=dofs,
        solver=spec.solver,
        stats=stats,
        holes=holes,
        trapped=trapped,
    )
