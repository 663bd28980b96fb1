"""The thin-layer magnetic sector: a perfect diamagnet outside, the London layer B_t
exp(-depth/lambda) inside, the ring currents of holes with their fluxoids; its summary."""

import math
from dataclasses import dataclass, field

import numpy as np

from giantatom import fluxoid, meshes
from giantatom.backend import MPI, fem, ufl
from giantatom.linalg import SPDSolver, dirichlet_rhs
from giantatom.log import log
from giantatom.magnetic import MagneticInputs
from giantatom.magnetic_summary import BodyMagnetic, MagneticSummary
from giantatom.parallel import global_max
from giantatom.thinlayer.charge import ThinLayerSolution
from giantatom.thinlayer.conductors import vacuum_laplace
from giantatom.thinlayer.surface import body_normal, bulk_dofs, quadrature
from giantatom.units import MU_0


@dataclass
class ThinLayerMagnetic:
    """The perfect diamagnet with its London layer."""

    charge: ThinLayerSolution  # the surface and the space it lives on
    applied: np.ndarray  # T
    potentials: list[fem.Function]  # psi_i for a unit field along e_i, lambda
    B_t: np.ndarray  # surface field (tangential), T, per sample
    center: np.ndarray  # moment origin, lambda
    moment_leading: np.ndarray  # (bodies, 3) A m^2, perfect diamagnet
    moment: np.ndarray  # (bodies, 3) A m^2, with the first-order penetration correction
    polarizability: np.ndarray  # (3, 3) A m^2 / T, all bodies, corrected
    holes: list = field(default_factory=list)  # fluxoid.HoleOnMesh of every body
    currents: np.ndarray = field(default_factory=lambda: np.zeros(0))  # I_k around each hole, A
    ring_fields: list = field(default_factory=list)  # b_k = b0_k - grad chi_k, T per A
    inductance: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))  # corrected, H
    hole_tables: list = field(default_factory=list)  # [body][hole]: summary of each hole

    def field(self) -> ufl.core.expr.Expr:
        """B outside the bodies, T (meaningful in the vacuum)."""
        return (
            ufl.as_vector(list(self.applied))
            - sum(
                float(b) * ufl.grad(p) for b, p in zip(self.applied, self.potentials, strict=True)
            )
            + sum(
                (float(i) * b for i, b in zip(self.currents, self.ring_fields, strict=True)),
                ufl.as_vector([0.0, 0.0, 0.0]),  # a body without holes: no ring fields
            )
        )

    def surface_current(self, normals: np.ndarray) -> np.ndarray:
        """K = n x B_t / mu0, A/m (the Meissner current integrated over depth)."""
        return np.cross(normals, self.B_t) / MU_0

    def vector_potential(self, normals: np.ndarray, lambda_m: float) -> np.ndarray:
        """A at the surface (London gauge), T m."""
        return -lambda_m * np.cross(normals, self.B_t)


def solve_magnetic(sol: ThinLayerSolution, inputs: MagneticInputs) -> ThinLayerMagnetic:
    """Perfect-diamagnet exterior problem for unit fields along x, y, z, and the layer."""
    domain, V = sol.domain, sol.space
    mesh, lam = domain.mesh, domain.lambda_m
    applied = np.array(inputs.spec.applied_field, dtype=float)
    log.info("thin-layer magnetic sector: perfect diamagnet, B = %s T", applied)
    # Only the vacuum carries psi: the nodes inside the bodies (not on their surfaces) are fixed.
    bc = fem.dirichletbc(0.0, np.concatenate(bulk_dofs(domain, V)), V)
    solver = SPDSolver(
        vacuum_laplace(domain, V, domain.constant(2.0 / domain.outer_radius)),  # dipole decay
        "diamagnet",
        inputs.solver,
        sol.stats,
        bcs=[bc],
    )
    n_body = body_normal(domain)
    w = ufl.TestFunction(V)
    direction = fem.Constant(mesh, np.zeros(3))
    rhs_form = fem.form(-ufl.dot(direction, n_body) * w("+") * domain.dS(domain.body_tags))
    potentials, rhs = [], None
    for i, axis in enumerate("xyz"):
        direction.value = np.eye(3)[i]
        rhs = dirichlet_rhs(solver, rhs_form, rhs)
        potentials.append(solver.solve(rhs, f"psi for a unit B along {axis}"))
    # The ring current around each hole: b = b0 - grad chi per ampere, b . n = 0 on the bodies.
    holes = fluxoid.located_holes(domain, inputs.holes, inputs.unit_m)
    ring_fields = []
    if holes:
        vectors = fem.functionspace(mesh, ("Lagrange", V.ufl_element().embedded_superdegree, (3,)))
        vacuum = domain.cell_tags.find(meshes.VACUUM)
        for hole in holes:
            center, radius = fluxoid.loop(domain, hole)
            log.info(
                "  hole %s: fluxoid %d Phi_0; ring current on a circle of radius %.4g lambda",
                hole.name,
                hole.fluxoid,
                radius,
            )
            b0 = fem.Function(vectors, name=f"b0 {hole.name}")
            b0.interpolate(
                fluxoid.circle_field(center, hole.axis, radius, MU_0 / (4.0 * math.pi * lam)),
                cells0=vacuum,
            )
            b0.x.scatter_forward()
            load = fem.form(-ufl.dot(b0("+"), n_body) * w("+") * domain.dS(domain.body_tags))
            rhs = dirichlet_rhs(solver, load, rhs)
            chi = solver.solve(rhs, f"chi for the ring current of {hole.name}")
            ring_fields.append(b0 - ufl.grad(chi))
    solver.destroy()
    rhs.destroy()

    # Surface fields for the unit fields: the tangential part of e_i - grad psi_i, which only
    # depends on psi's trace, so the body-side cell gives it.
    n_cell = ufl.FacetNormal(mesh)
    tangential = ufl.Identity(3) - ufl.outer(n_cell, n_cell)
    units = [fem.Constant(mesh, e) for e in np.eye(3)]  # constants: one compiled kernel for all
    unit_fields = [
        sol.surface.values(mesh, tangential * (e - ufl.grad(p)))
        for e, p in zip(units, potentials, strict=True)
    ] + [sol.surface.values(mesh, tangential * b) for b in ring_fields]

    # Moments (lambda units in the integrals): m0 = (1/2mu0) int r x (n x B_t) dA and
    # dm_i = (lambda/mu0) int B_t(e_i) . B_t dA, per body and unit field.
    center = np.array(domain.report.center)
    r = ufl.SpatialCoordinate(mesh) - fem.Constant(mesh, center)
    fields_t = [
        ufl.dot(ufl.Identity(3) - ufl.outer(n_body, n_body), e - ufl.grad(p)("+"))
        for e, p in zip(units, potentials, strict=True)
    ] + [ufl.dot(ufl.Identity(3) - ufl.outer(n_body, n_body), b("+")) for b in ring_fields]
    # Constants pick the components and the unit fields, so two compiled forms serve them all.
    states = 3 + len(holes)  # unit B along x, y, z; unit current around each hole
    pick = fem.Constant(mesh, np.zeros(3))
    first, second = (fem.Constant(mesh, np.zeros(states)) for _ in range(2))
    B_first = sum(first[i] * fields_t[i] for i in range(states))
    B_second = sum(second[i] * fields_t[i] for i in range(states))
    nb = len(domain.body_tags)
    leading = np.zeros((nb, 3, states))  # [body, i, s]: m_i per unit state s
    correction = np.zeros((nb, states, states))  # (lambda/mu0) int s_t . s'_t dA

    def integral(form: fem.Form) -> float:
        return domain.comm.allreduce(fem.assemble_scalar(form), op=MPI.SUM)

    for k, tag in enumerate(domain.body_tags):
        dS = domain.dS(tag)
        moment = fem.form(ufl.dot(pick, ufl.cross(r("+"), ufl.cross(n_body, B_second))) * dS)
        overlap = fem.form(ufl.dot(B_first, B_second) * dS)
        for j in range(states):
            second.value = np.eye(states)[j]
            for i in range(states):
                first.value = np.eye(states)[i]
                if i < 3:
                    pick.value = np.eye(3)[i]
                    leading[k, i, j] = integral(moment) * lam**3 / (2.0 * MU_0)
                if i <= j:
                    correction[k, i, j] = correction[k, j, i] = integral(overlap) * lam**3 / MU_0
    total = leading + correction[:, :3, :]
    currents, inductance = _ring_currents(domain, holes, ring_fields, leading, correction, applied)
    x = np.concatenate([applied, currents])  # the amplitudes of the states
    B_t = sum(c * f for c, f in zip(x, unit_fields, strict=True))
    log.info(
        "  moment %s A m^2 (perfect diamagnet %s; first-order penetration correction)",
        np.array2string(np.einsum("kis,s->i", total, x), precision=5),
        np.array2string(np.einsum("kis,s->i", leading, x), precision=5),
    )
    return ThinLayerMagnetic(
        charge=sol,
        applied=applied,
        potentials=potentials,
        B_t=B_t,
        center=center,
        moment_leading=np.einsum("kis,s->ki", leading, x),
        moment=np.einsum("kis,s->ki", total, x),
        polarizability=total[:, :, :3].sum(axis=0),
        holes=holes,
        currents=x[3:],
        ring_fields=ring_fields,
        inductance=inductance,
        hole_tables=[
            [
                {
                    **hole.summary(lam, inputs.unit_m),
                    "circulating_current_A": float(current),
                    "inductance_H": float(inductance[i, i]),
                }
                for i, (hole, current) in enumerate(zip(holes, currents, strict=True))
                if hole.body == k
            ]
            for k in range(nb)
        ],
    )


def _ring_currents(domain, holes, ring_fields, leading, correction, applied):
    """The net current around each hole (A) from the fluxoid conditions (the package docstring),
    and the inductance matrix of the holes (H)."""
    if not holes:
        return np.zeros(0), np.zeros((0, 0))
    lam = domain.lambda_m
    h = len(holes)
    degree = 2 * domain.report.order
    energy = np.array(
        [
            [
                domain.integrate(
                    quadrature(
                        ufl.dot(ring_fields[k], ring_fields[j]) * domain.dx(meshes.VACUUM), degree
                    )
                )
                for j in range(h)
            ]
            for k in range(h)
        ]
    ) * (lam**3 / MU_0)
    moments = leading[:, :, 3:].sum(axis=0)  # (3, holes): the moment of each unit ring current
    radius = domain.outer_radius * lam
    tail = MU_0 * (moments.T @ moments) / (6.0 * math.pi * radius**3)
    layers = correction.sum(axis=0)
    to_field = moments.T + layers[3:, :3]  # flux through hole k per unit applied field
    inductance = energy + tail + layers[3:, 3:]
    quanta = np.array([hole.fluxoid for hole in holes]) * fluxoid.FLUX_QUANTUM
    currents = np.linalg.solve(inductance, quanta - to_field @ applied)
    for hole, current, self_l in zip(holes, currents, np.diag(inductance), strict=True):
        log.info(
            "  hole %s: fluxoid %d Phi_0, ring current %.6g A (inductance %.6g H)",
            hole.name,
            hole.fluxoid,
            current,
            self_l,
        )
    return currents, inductance


def summarize(magnetic: ThinLayerMagnetic) -> MagneticSummary:
    """The magnetic summary with the keys of the full model where they mean the same."""
    sol = magnetic.charge
    comm, lam = sol.domain.comm, sol.domain.lambda_m
    B_surface = np.linalg.norm(magnetic.B_t, axis=-1)
    bodies = []
    for k, name in enumerate(sol.domain.body_names):
        B_max = global_max(comm, B_surface[sol.surface.body == k])
        bodies.append(
            BodyMagnetic(
                name=name,
                moment_A_m2=magnetic.moment[k],
                moment_leading_A_m2=magnetic.moment_leading[k],
                B_max_inside_T=B_max,
                J_max_A_m2=B_max / (MU_0 * lam),
                holes=magnetic.hole_tables[k] or None,
            )
        )
    B_max = max(b.B_max_inside_T for b in bodies)
    return MagneticSummary(
        applied_field_T=magnetic.applied,
        moment_A_m2=magnetic.moment.sum(axis=0),
        moment_leading_A_m2=magnetic.moment_leading.sum(axis=0),
        moment_origin_m=magnetic.center * lam,
        polarizability_A_m2_T=magnetic.polarizability,
        B_max_inside_T=B_max,
        J_max_A_m2=B_max / (MU_0 * lam),
        model="thin-layer: perfect diamagnet outside, B_t exp(-depth/lambda) inside; "
        "moment with the first-order penetration correction (lambda/mu0) int B_t . B_t dA",
        fluxoid="n Phi_0 through each hole (bodies[].holes, n from the case file, 0 = "
        "zero-field cooled): the net ring current I around it makes the flux through a "
        "surface spanning the hole, bounded deep in the body, n Phi_0 (leading order and the "
        "first-order flux in the layer)",
        bodies=bodies,
    )
