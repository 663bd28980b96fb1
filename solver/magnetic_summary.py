"""The magnetic sector's summary (full model), typed: moments, fields, the current balance, the
holes and their fluxoids, the exact London sphere where the case is one."""

import math
from dataclasses import dataclass

import numpy as np

from giantatom.backend import MPI, fem, ufl
from giantatom.case import EPS_BIAS
from giantatom.domain import Domain
from giantatom.linalg import assemble_rhs
from giantatom.magnetic import MagneticSolution, london_sphere_moment
from giantatom.parallel import global_max
from giantatom.screening import field_values
from giantatom.summaries import Summary


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


FLUXOID = (
    "oint (A + mu0 lambda^2 J) . dl = n Phi_0 around each hole (bodies[].holes, n from the case "
    "file, 0 = zero-field cooled): J = -(A - n Phi_0 h)/(mu0 lambda^2), h = grad(azimuth about "
    "the hole's axis)/(2 pi)"
)


@dataclass
class BodyMagnetic(Summary):
    """One body's magnetic numbers (both models; None where a model does not have them)."""

    name: str
    moment_A_m2: np.ndarray
    moment_leading_A_m2: np.ndarray | None = None  # thin layer: the perfect diamagnet's
    B_max_inside_T: float = 0.0
    J_max_A_m2: float = 0.0
    circulating_current_A: float | None = None  # full model
    holes: list[dict] | None = None  # each hole's table, where the body has holes


@dataclass
class MagneticSummary(Summary):
    """The magnetic section of summary.json (both models; None where a model does not have it)."""

    applied_field_T: np.ndarray
    moment_A_m2: np.ndarray
    moment_leading_A_m2: np.ndarray | None = None
    moment_origin_m: np.ndarray | None = None
    polarizability_A_m2_T: np.ndarray | None = None
    B_max_inside_T: float = 0.0
    J_max_A_m2: float = 0.0
    circulating_current_A: float | None = None
    current_outflow_ratio: float | None = None
    surface_normal_current_ratio: float | None = None
    boundary: str | None = None
    far_field_dipole_A_m2: np.ndarray | None = None
    model: str | None = None
    fluxoid: str = FLUXOID
    element: str | None = None
    eps: float | None = None
    eps_R_out_sq: float | None = None  # eps (R_out/lambda)^2
    eps_moment_bias: float | None = None
    solver: dict | None = None
    bodies: list[BodyMagnetic] | None = None
    london_sphere: dict | None = None  # one sphere: the exact London moment


def summarize(sol: MagneticSolution) -> MagneticSummary:
    """The magnetic sector's key numbers, SI."""
    domain, inputs = sol.domain, sol.inputs
    comm = domain.comm
    degree = max(inputs.order, sol.spec.order)
    B_nodes = field_values(domain, sol.magnetic_field(), degree)
    J_nodes = field_values(domain, sol.current_density(), degree)
    normal, along = surface_normal_current(sol)
    outflow, circulating = current_balance(sol)
    holes = hole_summaries(domain, inputs.unit_m, sol.holes, hole_currents(sol))
    bodies = [
        BodyMagnetic(
            name=name,
            moment_A_m2=sol.body_moments[k],
            B_max_inside_T=global_max(comm, np.linalg.norm(B_nodes[k], axis=1)),
            J_max_A_m2=global_max(comm, np.linalg.norm(J_nodes[k], axis=1)),
            circulating_current_A=circulating[k],
            holes=holes[k] or None,
        )
        for k, name in enumerate(domain.body_names)
    ]
    london_sphere = None
    if inputs.sphere_radius_m is not None:
        radius_m = inputs.sphere_radius_m
        exact = london_sphere_moment(sol.applied, radius_m, domain.lambda_m)
        london_sphere = {
            "radius_m": radius_m,
            "exact_moment_A_m2": exact,
            "relative_error": float(np.linalg.norm(sol.moment - exact) / np.linalg.norm(exact)),
        }
    return MagneticSummary(
        applied_field_T=sol.applied,
        moment_A_m2=sol.moment,
        moment_origin_m=sol.center * domain.lambda_m,
        B_max_inside_T=max(b.B_max_inside_T for b in bodies),
        J_max_A_m2=max(b.J_max_A_m2 for b in bodies),
        circulating_current_A=float(circulating.sum()),
        current_outflow_ratio=outflow / circulating.sum() if circulating.sum() > 0 else 0.0,
        surface_normal_current_ratio=normal / along if along > 0 else 0.0,
        boundary=sol.spec.boundary,
        far_field_dipole_A_m2=sol.dipole_bc,
        element=f"N1curl degree {sol.spec.order}",
        eps=sol.spec.eps,
        eps_R_out_sq=sol.spec.eps * domain.outer_radius**2,
        eps_moment_bias=EPS_BIAS * sol.spec.eps * domain.outer_radius**2,
        solver={
            "type": sol.solver,
            "method": "MUMPS LU"
            if sol.solver == "direct"
            else "CG + Hiptmair-Xu (SOR + GAMG on gradients and vector Lagrange)",
            "dofs": sol.dofs,
            "iterations": sol.stats.iterations,
            "seconds": sol.stats.seconds,
        },
        bodies=bodies,
        london_sphere=london_sphere,
    )
