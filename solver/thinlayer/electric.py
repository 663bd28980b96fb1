"""The thin-layer model in a uniform applied electric field E_a (docs/formulation.md 4 and 5.8).

The field's potential A = -E_a . (x - x_c) is an external potential to every body, screened by
its layer like the other bodies' rho0 (5.5): with phi = A + eta_E outside (eta_E decaying),

    d(eta_E + A)/dn = (k/lambda)(eta_E + A - C_m)    on body m,

so eta_E = chi_A + sum_j C_j psi_j + sum_i p_i D_i/(eps0 lambda^2):

* chi_A: the layers' answer to A (bulk value -A, data int (dA/dn - k A) w dA, as chi_b's);
* psi_j: the conductor potentials of thinlayer.solve_conductors, C_j keeping each body neutral;
* D_i: the same exterior problem with the far-field data of a unit dipole at x_c, so that the
  outer boundary carries the induced dipole p exactly (4.3; without it p is 1.7% low on a
  sphere at far_field 3, and the finite-lambda correction 3 lambda/R 57% off);
* p, self-consistently: the dipole of the layers' charge, whose centroid lies lambda/k under the
  surface, p = int (x - x_c - (lambda/k) n) sigma dA with sigma = -eps0 (k/lambda) Phi_s.

One (n + 3) linear system gives C and p. rho0 does not move (the closures are field-free), and
sigma, the layer field E_layer (normal and tangential) and the layers' potential add to the
expulsion's."""

from dataclasses import dataclass

import numpy as np

from giantatom import farfield
from giantatom.backend import fem, ufl
from giantatom.case import SolverSpec
from giantatom.domain import Domain
from giantatom.linalg import dirichlet_rhs
from giantatom.log import log
from giantatom.thinlayer.conductors import Conductors, impedance_solver
from giantatom.thinlayer.surface import (
    Surface,
    SurfaceFlux,
    body_normal,
    quadrature,
    tangential_gradients,
)
from giantatom.units import EPS_0


@dataclass
class LayerFieldResponse:
    """The layers' linear answer to E_a, SI (surface arrays per sample, as ThinLayerSolution)."""

    field_V_m: np.ndarray
    potential: fem.Function  # A + eta_E, V: the applied potential with the layers' answer
    constants: np.ndarray  # C_m, V: each body's shift of Eq. 23's constant (neutral bodies)
    dipole: np.ndarray  # p, C m: the induced dipole of all layers
    body_dipoles: np.ndarray  # (bodies, 3), C m: each body's share (each is neutral)
    sigma: np.ndarray  # layer charge per area, C/m^2
    E_layer: np.ndarray  # E - E0 under the surface, V/m: (sigma/eps0) n - grad_t Phi_s/lambda
    surface_means: np.ndarray  # per body: the area mean of sigma/(lambda k), C/m^3

    def added_to(self, state: tuple) -> tuple:
        """The thin layer's state (q, C, sigma, E0, grad E0 n, E_layer) with the field added."""
        q, C, sigma, E0, Gn, E_layer = state
        return q, C + self.constants, sigma + self.sigma, E0, Gn, E_layer + self.E_layer

    def summary(self) -> dict:
        """charge.electric in summary.json, the full model's keys."""
        return {
            "applied_field_V_m": self.field_V_m,
            "induced_dipole_C_m": self.dipole,
            "note": "the layers' linear response to the uniform applied field (thin-layer "
            "model: screened over lambda, the charge lambda/k deep); rho0 is the isolated, "
            "field-free body's; dipole_moment_C_m per body is the field-induced layer dipole",
        }


def solve_applied_field(
    applied_field,
    solver_spec: SolverSpec,
    domain: Domain,
    space: fem.FunctionSpace,
    flux: SurfaceFlux,
    surface: Surface,
    conductors: Conductors,
    stats,
) -> LayerFieldResponse:
    """chi_A and D_i on the layers' exterior operator, then C and p (module docstring) for the
    field ``applied_field`` (V/m)."""
    lam, n = domain.lambda_m, len(domain.body_tags)
    field_V_m = np.asarray(applied_field, dtype=float)
    k = conductors.decay
    applied = farfield.applied_potential(domain, space, field_V_m)
    solver, g, bulk = impedance_solver(solver_spec, domain, space, k, stats)
    w = ufl.TestFunction(space)
    bodies = domain.dS(domain.body_tags)
    degree = 2 * space.ufl_element().embedded_superdegree

    # chi_A: bulk -A (phi = A + chi_A = 0 there); data int (dA/dn - k A) w on the surfaces,
    # dA/dn as the consistent flux from inside (A is harmonic).
    for dofs in bulk:
        g.x.array[dofs] = -applied.x.array[dofs]
    data = ufl.inner(ufl.grad(applied), ufl.grad(w)) * domain.dx_bodies
    data -= k("+") * applied("+") * w("+") * bodies
    rhs = dirichlet_rhs(solver, fem.form(quadrature(data, degree)))
    screened = solver.solve(rhs, "layers screening the applied field")
    screened.x.array[:] += applied.x.array  # Phi_s of A's part: chi_A + A on the surfaces
    g.x.array[:] = 0.0
    unit_dipoles = []  # D_i/(eps0 lambda^2): V per C m
    for i in range(3):
        rhs = dirichlet_rhs(solver, fem.form(farfield.dipole_data(domain, w, i)), rhs)
        D = solver.solve(rhs, f"far field of a unit dipole along {'xyz'[i]}")
        D.x.array[:] /= EPS_0 * lam**2
        unit_dipoles.append(D)
    solver.destroy()
    rhs.destroy()

    # Phi_s of psi_j on body m is psi_j - delta_jm: psi_j less 1 on body j (bulk and surface).
    traces = []
    for j, (psi, tag) in enumerate(zip(conductors.potentials, domain.body_tags, strict=True)):
        trace = fem.Function(space)
        trace.x.array[:] = psi.x.array
        trace.x.array[np.union1d(bulk[j], domain.surface_dofs(space, tag))] -= 1.0
        traces.append(trace)

    # Per unit of each piece: the layer charges (-eps0 lambda int_m k Phi_s dA) and the layer
    # dipoles about x_c (-eps0 lambda^2 int_m (k (x - x_c) - n) Phi_s dA).
    x = ufl.SpatialCoordinate(domain.mesh)
    centre = ufl.as_vector([domain.constant(c) for c in domain.report.center])
    arm = k("+") * (x - centre) - body_normal(domain)
    pieces = [screened, *traces, *unit_dipoles]
    work = fem.Function(space)  # each piece in turn: one compiled form per body and moment
    charge = np.zeros((n, len(pieces)))
    moment = np.zeros((n, 3, len(pieces)))
    for m, tag in enumerate(domain.body_tags):
        integrands = [k("+") * work("+"), *(arm[i] * work("+") for i in range(3))]
        forms = [fem.form(quadrature(f * domain.dS(tag), degree)) for f in integrands]
        for c, f in enumerate(pieces):
            work.x.array[:] = f.x.array
            values = [domain.comm.allreduce(fem.assemble_scalar(a)) for a in forms]
            charge[m, c] = -EPS_0 * lam * values[0]
            moment[m, :, c] = -EPS_0 * lam**2 * np.array(values[1:])
    # unknowns z = (C_1..C_n, p_x, p_y, p_z): every body neutral, p the layers' dipole
    total = moment.sum(axis=0)
    matrix = np.block([[charge[:, 1:]], [total[:, 1:] - np.hstack([np.zeros((3, n)), np.eye(3)])]])
    z = np.linalg.solve(matrix, -np.concatenate([charge[:, 0], total[:, 0]]))
    weights = np.concatenate([[1.0], z])
    body_dipoles = np.einsum("mic,c->mi", moment, weights)
    log.info(
        "  applied field %s V/m: induced dipole %s C m (layer constants %s V)",
        field_V_m,
        z[n:],
        z[:n],
    )

    Phi = fem.Function(space, name="Phi_s applied")  # Phi_s on the surfaces (0 in the bulk)
    Phi.x.array[:] = sum(c * f.x.array for c, f in zip(weights, pieces, strict=True))
    potential = fem.Function(space, name="phi applied")  # A + eta_E: C_m in the bulk of body m
    potential.x.array[:] = Phi.x.array
    for j, tag in enumerate(domain.body_tags):
        potential.x.array[np.union1d(bulk[j], domain.surface_dofs(space, tag))] += z[j]

    lumped = flux.lumped(k("+") * Phi("+") * flux.test("+") * bodies, "k Phi_s applied")
    sigma = (-EPS_0 / lam) * surface.values(domain.mesh, lumped)
    (tangential,) = tangential_gradients(domain, surface, flux, [Phi])
    E_layer = (sigma / EPS_0)[..., None] * surface.n - tangential / lam
    nodes = flux.all_nodes
    density = np.zeros_like(lumped.x.array)
    density[nodes] = (-EPS_0 / lam**2) * lumped.x.array[nodes] / k.x.array[nodes]
    areas = flux.integrals(np.ones_like(density))
    return LayerFieldResponse(
        field_V_m=field_V_m,
        potential=potential,
        constants=z[:n],
        dipole=z[n:],
        body_dipoles=body_dipoles,
        sigma=sigma,
        E_layer=E_layer,
        surface_means=flux.integrals(density) / areas,
    )
