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

from giantatom import fluxoid, meshes
from giantatom.backend import MPI, PETSc, dolfinx, fem, ufl
from giantatom.case import EPS_BIAS, Case, MagneticSpec, vacuum_eps
from giantatom.domain import Domain
from giantatom.errors import SolveError
from giantatom.linalg import REASONS, SolveStats, assemble_rhs, dirichlet_rhs
from giantatom.log import log
from giantatom.parallel import global_max
from giantatom.screening import field_values
from giantatom.units import MU_0


def curl_curl_form(domain: Domain, a, w, eps: fem.Constant) -> ufl.Form:
    """The London curl-curl operator in lambda units: curl-curl everywhere, mass 1 in the
    bodies (the Meissner current), mass eps in the vacuum (a gauge regularisation)."""
    return (
        ufl.inner(ufl.curl(a), ufl.curl(w)) * domain.dx
        + ufl.inner(a, w) * domain.dx_bodies
        + eps * ufl.inner(a, w) * domain.dx(meshes.VACUUM)
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
    q = lambda_m / radius_m
    shape = 1.0 - 3.0 * q / math.tanh(1.0 / q) + 3.0 * q * q
    return -(2.0 * math.pi * radius_m**3 / MU_0) * shape * np.asarray(B, dtype=float)


@dataclass
class MagneticSolution:
    """The magnetic sector. ``a`` is the vector potential in mesh units (T lambda): SI values
    come from the methods below."""

    domain: Domain
    spec: MagneticSpec
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


class HiptmairXu:
    """The auxiliary-space preconditioner of Hiptmair and Xu for H(curl), the method of hypre's
    AMS (absent from this PETSc), as a PETSc Python PC built from PETSc parts:

        B = SOR(A) + G GAMG(G^T A G) G^T + Pi GAMG(Pi^T A Pi) Pi^T

    G is the discrete gradient (Lagrange -> N1curl): the near-kernel of curl-curl, which the
    point smoother cannot reduce; Pi interpolates vector Lagrange fields into N1curl, where the
    rest of the operator looks like a vector Laplacian that GAMG handles. Each term is
    symmetric positive semi-definite, so B suits CG."""

    def __init__(self, A: PETSc.Mat, space: fem.FunctionSpace, prefix: str):
        mesh, comm = space.mesh, space.mesh.comm
        degree = space.element.basix_element.embedded_superdegree
        scalar = fem.functionspace(mesh, ("Lagrange", degree))
        vector = fem.functionspace(mesh, ("Lagrange", degree, (3,)))
        G = fem.petsc.discrete_gradient(scalar, space)
        Pi = fem.petsc.interpolation_matrix(vector, space)
        self.smoother = PETSc.PC().create(comm)
        self.smoother.setOperators(A)
        self.smoother.setType("sor")  # symmetric SOR: keeps B symmetric for CG
        self.smoother.setOptionsPrefix(f"{prefix}smoother_")
        self.smoother.setFromOptions()
        self.smoother.setUp()
        self.spaces = []
        for name, P in (("gradient", G), ("vector", Pi)):
            P.assemble()
            A_aux = A.ptap(P)
            pc = PETSc.PC().create(comm)
            pc.setOperators(A_aux)
            pc.setType("gamg")
            pc.setOptionsPrefix(f"{prefix}{name}_")
            pc.setFromOptions()
            pc.setUp()
            self.spaces.append((P, A_aux, pc, A_aux.createVecRight(), A_aux.createVecRight()))

    def apply(self, pc: PETSc.PC, x: PETSc.Vec, y: PETSc.Vec) -> None:
        self.smoother.apply(x, y)
        for P, _, inner, restricted, correction in self.spaces:
            P.multTranspose(x, restricted)
            inner.apply(restricted, correction)
            P.multAdd(correction, y, y)

    def destroy(self, pc: PETSc.PC) -> None:
        """Called by PETSc when the Python PC that holds this context is destroyed."""
        self.smoother.destroy()
        for P, A_aux, inner, restricted, correction in self.spaces:
            for obj in (P, A_aux, inner, restricted, correction):
                obj.destroy()


class CurlCurlSolver:
    """Solves the assembled curl-curl system for several right-hand sides.

    direct: MUMPS LU (the matrix is symmetric positive definite, but MUMPS's LDL^T was slower
    in our measurements): one factorisation, then cheap back-substitutions.
    iterative: CG preconditioned by ``HiptmairXu``.
    The settings are made on the KSP itself, not through the global options database, so one
    process can run several cases; PETSc options with the prefix giantatom_magnetic_ still win."""

    def __init__(
        self,
        a_form: fem.Form,
        space: fem.FunctionSpace,
        bcs: list[fem.DirichletBC],
        spec: MagneticSpec,
        rtol: float,
        max_it: int,
    ):
        start = time.perf_counter()
        self.form, self.bcs = a_form, bcs  # for the right-hand sides (linalg.dirichlet_rhs)
        self.matrix = fem.petsc.assemble_matrix(a_form, bcs=bcs)
        self.matrix.assemble()
        self.matrix.setOption(PETSc.Mat.Option.SPD, True)
        log.debug("  matrix assembled: %.1f s", time.perf_counter() - start)
        self.kind = spec.solver
        self.ksp = PETSc.KSP().create(space.mesh.comm)
        self.ksp.setOperators(self.matrix)
        prefix = "giantatom_magnetic_"
        self.ksp.setOptionsPrefix(prefix)
        pc = self.ksp.getPC()
        self.preconditioner: HiptmairXu | None = None
        start = time.perf_counter()
        if spec.solver == "direct":
            self.ksp.setType("preonly")
            pc.setType("lu")  # MUMPS's LDL^T (Cholesky) measured slower here
            pc.setFactorSolverType("mumps")
        else:
            self.ksp.setType("cg")
            self.ksp.setTolerances(rtol=rtol, atol=0.0, max_it=max_it)
            self.preconditioner = HiptmairXu(self.matrix, space, prefix)
            pc.setType("python")
            pc.setPythonContext(self.preconditioner)
        self.ksp.setFromOptions()  # -giantatom_magnetic_* options from the command line win
        self.ksp.setUp()
        log.debug("  %s solver set up: %.1f s", self.kind, time.perf_counter() - start)

    def solve(self, b: PETSc.Vec, u: fem.Function, label: str, stats: SolveStats) -> None:
        start = time.perf_counter()
        self.ksp.solve(b, u.x.petsc_vec)
        u.x.scatter_forward()
        reason = self.ksp.getConvergedReason()
        its = self.ksp.getIterationNumber()
        if reason <= 0:
            raise SolveError(
                f"the magnetic {label} solve did not converge ({REASONS.get(reason, reason)})"
                + (f" after {its} CG iterations" if self.kind == "iterative" else "")
                + '; raise solver.max_iterations, or use magnetic.solver = "direct" (MUMPS, '
                "the robust choice)",
                "magnetic.solver",
            )
        elapsed = time.perf_counter() - start
        stats.iterations[label] = its
        log.info("  %-28s %4d iterations  %6.1f s", label, its, elapsed)

    def destroy(self) -> None:
        self.ksp.destroy()  # also destroys the HiptmairXu context through its PC
        self.matrix.destroy()


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


def solve_magnetic(case: Case, domain: Domain) -> MagneticSolution:
    """The London solve for the case's applied field and trapped fluxoids (docs/formulation.md
    section 2, docs/formulation.md section 2)."""
    spec = case.magnetic
    stats = SolveStats()
    start = time.perf_counter()
    mesh = domain.mesh
    holes = fluxoid.located_holes(case, domain)
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

    solver = CurlCurlSolver(a_form, V, [bc], spec, case.solver.rtol, case.solver.max_iterations)
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


def surface_normal_current(sol: MagneticSolution) -> tuple[float, float]:
    """(int |J.n| dS, int |J| dS) over the body surfaces, A, J taken on the body side.

    Pointwise, the normal trace of an N1curl field converges like the field itself (O(h^k)),
    so their ratio is a mesh-quality diagnostic, not a conservation check: see
    ``current_balance`` for that."""
    domain = sol.domain
    inside = domain.body_indicator
    J = sol.current_density()
    n = ufl.FacetNormal(domain.mesh)
    # n(side) is the outward normal of that side's cell: on the body side it leaves the body.
    outward = inside("+") * ufl.dot(J("+"), n("+")) + inside("-") * ufl.dot(J("-"), n("-"))
    along = inside("+") * ufl.sqrt(ufl.dot(J("+"), J("+"))) + inside("-") * ufl.sqrt(
        ufl.dot(J("-"), J("-"))
    )
    surfaces = domain.dS(domain.body_tags)
    area = domain.lambda_m**2
    return (
        domain.integrate(abs(outward) * surfaces) * area,
        domain.integrate(along * surfaces) * area,
    )


def current_balance(sol: MagneticSolution) -> tuple[float, np.ndarray]:
    """(outflow, circulating per body) in A: does the current stay inside the bodies?

    outflow: sum over the surface nodes v of |int_Omega J . grad q_v dV|, q_v the linear hat
    function of v: for a divergence-free J this is the current leaving the body through the
    patch of surface around v, int q_v J.n dS. The gradients of the hats are N1curl test
    functions, so the discrete solution satisfies int_Omega a . grad q_v = -eps int_vacuum
    a . grad q_v: the current is conserved up to the vacuum regularisation. A vector-Lagrange
    formulation fails this by O(1).
    circulating: per body, the current around the applied-field axis through the body's
    centroid, (1/2 pi) int_body J . grad(azimuth) dV, i.e. the current through a half-plane
    bounded by that axis: what the outflow is measured against."""
    domain = sol.domain
    mesh = domain.mesh
    J = sol.current_density()
    area = domain.lambda_m**2  # J . grad q dV in lambda units -> A
    Q = fem.functionspace(mesh, ("Lagrange", 1))
    flux = assemble_rhs(fem.form(ufl.dot(J, ufl.grad(ufl.TestFunction(Q))) * domain.dx_bodies))
    facets = np.concatenate([domain.surface_facets(tag) for tag in domain.body_tags])
    nodes = fem.locate_dofs_topological(Q, 2, facets)
    owned = nodes[nodes < Q.dofmap.index_map.size_local]
    outflow = domain.comm.allreduce(float(np.abs(flux.array[owned]).sum()), op=MPI.SUM) * area
    flux.destroy()

    x = ufl.SpatialCoordinate(mesh)
    origin = fem.Constant(mesh, np.zeros(3))
    direction = fem.Constant(mesh, np.array([0.0, 0.0, 1.0]))
    around = ufl.cross(direction, x - origin)
    grad_azimuth = around / (ufl.dot(around, around) + domain.constant(1e-12))
    circulating = []
    for k, tag in enumerate(domain.body_tags):
        # about the applied field; with trapped flux alone, about the body's (first) hole
        axes = [h.axis for h in sol.holes if h.body == k] + [np.array([0.0, 0.0, 1.0])]
        norm = np.linalg.norm(sol.applied)
        direction.value = sol.applied / norm if norm > 0 else axes[0]
        volume = domain.integrate(domain.constant(1.0) * domain.dx(tag))
        origin.value = [domain.integrate(x[i] * domain.dx(tag)) / volume for i in range(3)]
        current = domain.integrate(ufl.dot(J, grad_azimuth) * domain.dx(tag)) * area
        circulating.append(abs(current) / (2.0 * math.pi))
    return outflow, np.array(circulating)


def hole_currents(sol: MagneticSolution) -> np.ndarray:
    """The net current around each hole, A: int_body J . h dV, the current through a
    half-plane bounded by the hole's axis (positive: right-handed about the axis)."""
    domain = sol.domain
    J = sol.current_density()
    return np.array(
        [
            domain.integrate(
                ufl.dot(J, hole.cut_gradient(domain.mesh)) * domain.dx(domain.body_tags[hole.body])
            )
            * domain.lambda_m**2
            for hole in sol.holes
        ]
    )


def hole_summaries(domain: Domain, unit_m: float, holes: list, currents) -> list[list[dict]]:
    """[body][hole]: each hole's table, its fluxoid and the net current around it (A)."""
    tables = [[] for _ in domain.body_tags]
    for hole, current in zip(holes, currents, strict=True):
        tables[hole.body].append(
            {**hole.summary(domain.lambda_m, unit_m), "circulating_current_A": float(current)}
        )
    return tables


def summarize(sol: MagneticSolution, case: Case) -> dict:
    """The magnetic sector's key numbers, SI."""
    domain = sol.domain
    comm = domain.comm
    degree = max(case.mesh.order, sol.spec.order)
    B_nodes = field_values(domain, sol.magnetic_field(), degree)
    J_nodes = field_values(domain, sol.current_density(), degree)
    normal, along = surface_normal_current(sol)
    outflow, circulating = current_balance(sol)
    holes = hole_summaries(domain, case.geometry.unit_m, sol.holes, hole_currents(sol))
    bodies = []
    for k, name in enumerate(domain.body_names):
        bodies.append(
            {
                "name": name,
                "moment_A_m2": sol.body_moments[k],
                "B_max_inside_T": global_max(comm, np.linalg.norm(B_nodes[k], axis=1)),
                "J_max_A_m2": global_max(comm, np.linalg.norm(J_nodes[k], axis=1)),
                "circulating_current_A": circulating[k],
                **({"holes": holes[k]} if holes[k] else {}),
            }
        )
    summary = {
        "applied_field_T": sol.applied,
        "moment_A_m2": sol.moment,
        "moment_origin_m": sol.center * domain.lambda_m,
        "B_max_inside_T": max(b["B_max_inside_T"] for b in bodies),
        "J_max_A_m2": max(b["J_max_A_m2"] for b in bodies),
        "circulating_current_A": float(circulating.sum()),
        "current_outflow_ratio": outflow / circulating.sum() if circulating.sum() > 0 else 0.0,
        "surface_normal_current_ratio": normal / along if along > 0 else 0.0,
        "boundary": sol.spec.boundary,
        "far_field_dipole_A_m2": sol.dipole_bc,
        "fluxoid": "oint (A + mu0 lambda^2 J) . dl = n Phi_0 around each hole (bodies[].holes, "
        "n from the case file, 0 = zero-field cooled): J = -(A - n Phi_0 h)/(mu0 lambda^2), "
        "h = grad(azimuth about the hole's axis)/(2 pi)",
        "element": f"N1curl degree {sol.spec.order}",
        "eps": sol.spec.eps,
        "eps_R_out_sq": sol.spec.eps * domain.outer_radius**2,  # eps (R_out/lambda)^2
        "eps_moment_bias": EPS_BIAS * sol.spec.eps * domain.outer_radius**2,
        "solver": {
            "type": sol.solver,
            "method": "MUMPS LU"
            if sol.solver == "direct"
            else "CG + Hiptmair-Xu (SOR + GAMG on gradients and vector Lagrange)",
            "dofs": sol.dofs,
            "iterations": sol.stats.iterations,
            "seconds": sol.stats.seconds,
        },
        "bodies": bodies,
    }
    bodies_cfg = case.geometry.bodies
    if len(bodies_cfg) == 1 and bodies_cfg[0].shape.kind == "sphere" and not bodies_cfg[0].subtract:
        radius_m = bodies_cfg[0].shape.radius * case.geometry.unit_m
        exact = london_sphere_moment(sol.applied, radius_m, domain.lambda_m)
        summary["london_sphere"] = {
            "radius_m": radius_m,
            "exact_moment_A_m2": exact,
            "relative_error": float(np.linalg.norm(sol.moment - exact) / np.linalg.norm(exact)),
        }
    return summary
