"""The thin-layer model's exterior problem: the bodies as conductors with their layers (the
capacitance matrix, the layers' answer to each body's rho0 and to a charge off the centre)."""

import math
from dataclasses import dataclass, field

import numpy as np

from giantatom import meshes
from giantatom.backend import fem, ufl
from giantatom.case import SolverSpec
from giantatom.domain import Domain
from giantatom.linalg import SPDSolver, assemble_rhs, dirichlet_rhs
from giantatom.screening import electric_field
from giantatom.thinlayer.surface import Surface, SurfaceFlux, bulk_dofs, decay_rate, quadrature
from giantatom.units import EPS_0


@dataclass
class Conductors:
    """The bodies as a system of conductors with their screening layers (lengths in lambda)."""

    potentials: list[fem.Function]  # psi_j: 1 + O(lambda/L) on body j, O(lambda/L) on the others
    normal_derivatives: list[fem.Function]  # dpsi_j/dn on the surfaces (P1, lumped), 1/lambda
    capacitance: np.ndarray  # F
    profile: fem.Function  # v_s: the screening profile at the surface (P1)
    decay: fem.Function  # k: the layer decays as exp(-k depth/lambda) (P1 on the surfaces)
    curvature: fem.Function  # mean curvature H, 1/lambda (P1 on the surfaces)
    # chi_b: the layers' answer to the potential P_b of rho0_b = 1 (V per C/m^3), which the
    # other bodies screen like an external potential; bulk value -P_b in the others, 0 in b
    external: list[fem.Function] = field(default_factory=list)
    # d(chi_b + P_b)/dn on the other bodies, dchi_b/dn on body b (P1, lumped), V per C/m^3/lambda
    external_derivatives: list[fem.Function] = field(default_factory=list)
    external_charge: np.ndarray | None = None  # [m, b]: layer charge of m per unit rho0_b, m^3
    # D_j: the far-field correction for a unit net charge of body j at its centroid (V per C;
    # zero for a neutral body or one at the domain's centre), its dD/dn (P1, lumped, per lambda)
    # and the layer charges it induces, [m, j] (C per C)
    far_field: list[fem.Function] = field(default_factory=list)
    far_field_derivatives: list[fem.Function] = field(default_factory=list)
    far_field_charge: np.ndarray | None = None


def vacuum_laplace(domain: Domain, space, robin: fem.Constant):
    """-lap u in the vacuum with a Robin condition on Gamma_inf. The zero term on the bodies
    keeps their nodes in the sparsity pattern, so that their Dirichlet rows get a diagonal."""
    u, w = ufl.TrialFunction(space), ufl.TestFunction(space)
    form = (
        ufl.inner(ufl.grad(u), ufl.grad(w)) * domain.dx(meshes.VACUUM)
        + robin * u * w * domain.ds(meshes.OUTER)
        + domain.constant(0.0) * u * w * domain.dx_bodies
    )
    return quadrature(form, 2 * space.ufl_element().embedded_superdegree)


def impedance_solver(
    solver_spec: SolverSpec, domain: Domain, space, k: fem.Function, stats
) -> tuple[SPDSolver, fem.Function, list[np.ndarray]]:
    """The layers' exterior problem: -lap u = 0 in the vacuum, du/dn = (k/lambda) u + data on
    the body surfaces, Robin on Gamma_inf; the bulk dofs of each body (returned) are held at the
    values of the returned function, set before each solve."""
    bulk = bulk_dofs(domain, space)
    g = fem.Function(space)
    bc = fem.dirichletbc(g, np.concatenate(bulk))
    u, w = ufl.TrialFunction(space), ufl.TestFunction(space)
    impedance = k("+") * u("+") * w("+") * domain.dS(domain.body_tags)
    a = vacuum_laplace(domain, space, domain.robin) + quadrature(
        impedance, 2 * space.ufl_element().embedded_superdegree
    )
    return SPDSolver(a, "conductor", solver_spec, stats, bcs=[bc]), g, bulk


def solve_conductors(
    solver_spec: SolverSpec,
    domain: Domain,
    space,
    flux: SurfaceFlux,
    stats,
    sources: list[fem.Function] | None = None,
    centroids: np.ndarray | None = None,
    charged: np.ndarray | None = None,
) -> Conductors:
    """psi_j for every body j: harmonic in the vacuum with the layer's impedance condition
    dpsi_j/dn = (k/lambda)(psi_j - delta_jm) on body m (the exponential layer inside, matched to
    first order in lambda/L), Robin dpsi/dn + psi/R_out = 0 on Gamma_inf. For k -> infinity
    psi_j is the conductor potential w_j (1 on body j, 0 on the others).

    With ``sources`` (P_b: the potential of rho0_b = 1 in body b, zero at infinity), also chi_b,
    the layers' answer to P_b as an external potential of the other bodies: harmonic in the
    vacuum, d(chi_b + P_b)/dn = (k/lambda)(chi_b + P_b) on every body m != b and dchi_b/dn =
    (k/lambda) chi_b on body b (docs/formulation.md section 1, several bodies). Weakly, the data
    is int_m (dP_b/dn - k P_b) w dA, dP_b/dn taken as the consistent flux from inside body m,
    int_{Omega_m} grad P_b . grad w dx (P_b is harmonic there). P_b obeys the monopole Robin
    condition about its body's centroid c_b, beta_b = (x - c_b).n/|x - c_b|^2; chi_b gets the
    data -int (1/R_out - beta_b) P_b w on Gamma_inf, so that the total potential P_b + chi_b
    (like the psi_j) obeys the one about the domain's centre. And D_j for each ``charged`` body
    off the centre: the same exterior problem (dD/dn = (k/lambda) D on the bodies) with the
    data int g_j w on Gamma_inf, g_j = (d/dn + 1/R_out) G_j, G_j = 1/(4 pi eps0 |x - c_j|) the
    potential of a unit charge at the centroid: with Q_j D_j added, the far field of a charged
    body's monopole is exact where it sits, as in the full model (docs/formulation.md 1.5)."""
    lam = domain.lambda_m
    H = flux.mean_curvature()
    k = fem.Function(flux.space, name="k")
    k.x.array[flux.all_nodes] = decay_rate(H.x.array[flux.all_nodes])
    k.x.scatter_forward()
    # The bulk of the bodies takes no part; it is set to psi_j's constant there (1 in body j,
    # 0 in the others), so that psi_j and the potential of the layers are smooth in the bodies.
    solver, g, bulk = impedance_solver(solver_spec, domain, space, k, stats)
    w = ufl.TestFunction(space)
    potentials, derivatives = [], []
    test = flux.test
    rhs = None
    for j, (name, tag) in enumerate(zip(domain.body_names, domain.body_tags, strict=True)):
        g.x.array[:] = 0.0
        g.x.array[bulk[j]] = 1.0
        rhs = dirichlet_rhs(solver, fem.form(k("+") * w("+") * domain.dS(tag)), rhs)
        psi = solver.solve(rhs, f"conductor potential {name}")
        potentials.append(psi)
        derivatives.append(
            flux.lumped(
                k("+") * psi("+") * test("+") * domain.dS(domain.body_tags)
                - k("+") * test("+") * domain.dS(tag),
                f"dpsi/dn {name}",
            )
        )
    external, external_derivatives = [], []
    degree = 2 * space.ufl_element().embedded_superdegree
    mesh = domain.mesh
    centroid = fem.Constant(mesh, np.zeros(3))
    r = ufl.SpatialCoordinate(mesh) - centroid
    mismatch = domain.robin - ufl.dot(r, ufl.FacetNormal(mesh)) / ufl.dot(r, r)
    centre = np.array(domain.report.center)
    for b, name in enumerate(domain.body_names if sources is not None else []):
        others = [t for m, t in enumerate(domain.body_tags) if m != b]
        P = sources[b]
        centroid.value = centroids[b]
        g.x.array[:] = 0.0
        for m in range(len(bulk)):
            if m != b:
                g.x.array[bulk[m]] = -P.x.array[bulk[m]]
        terms = []
        if others:
            terms.append(ufl.inner(ufl.grad(P), ufl.grad(w)) * domain.dx(tuple(others)))
            terms.append(-k("+") * P("+") * w("+") * domain.dS(tuple(others)))
        if np.linalg.norm(centroids[b] - centre) > 1e-9 * domain.outer_radius:
            terms.append(-mismatch * P * w * domain.ds(meshes.OUTER))
        data = fem.form(quadrature(sum(terms[1:], terms[0]), degree)) if terms else None
        rhs = dirichlet_rhs(solver, data, rhs)
        chi = solver.solve(rhs, f"layers screening rho0 of {name}")
        external.append(chi)
        layer = k("+") * chi("+") * test("+") * domain.dS(domain.body_tags)
        if others:
            layer = layer + k("+") * P("+") * test("+") * domain.dS(tuple(others))
        external_derivatives.append(flux.lumped(layer, f"dchi/dn {name}"))
    far_field, far_field_derivatives = [], []
    unit_charge = 1.0 / (4.0 * math.pi * EPS_0 * lam * ufl.sqrt(ufl.dot(r, r)))  # V per C
    for m, name in enumerate(domain.body_names if sources is not None else []):
        centroid.value = centroids[m]
        g.x.array[:] = 0.0
        data = None
        if charged[m] and np.linalg.norm(centroids[m] - centre) > 1e-9 * domain.outer_radius:
            data = fem.form(
                quadrature(unit_charge * mismatch * w * domain.ds(meshes.OUTER), degree)
            )
        rhs = dirichlet_rhs(solver, data, rhs)
        D = solver.solve(rhs, f"far field of the charge of {name}")
        far_field.append(D)
        layer = k("+") * D("+") * test("+") * domain.dS(domain.body_tags)
        far_field_derivatives.append(flux.lumped(layer, f"dD/dn {name}"))
    solver.destroy()
    rhs.destroy()

    # C_mj = -eps0 lambda int_m dpsi_j/dn dA (lambda^2 dA_lambda, dpsi/dn per lambda).
    capacitance = np.array([-EPS_0 * lam * flux.integrals(d.x.array) for d in derivatives]).T
    external_charge = np.array(
        [-EPS_0 * lam * flux.integrals(d.x.array) for d in external_derivatives]
    ).T
    far_field_charge = np.array(
        [-EPS_0 * lam * flux.integrals(d.x.array) for d in far_field_derivatives]
    ).T
    profile = fem.Function(flux.space, name="v_s")  # v = 1 - sum_j psi_j: -dv/dn / k
    nodes = flux.all_nodes
    profile.x.array[nodes] = -sum(d.x.array[nodes] for d in derivatives) / k.x.array[nodes]
    profile.x.scatter_forward()
    return Conductors(
        potentials,
        derivatives,
        capacitance,
        profile,
        k,
        H,
        external=external,
        external_derivatives=external_derivatives,
        external_charge=external_charge,
        far_field=far_field,
        far_field_derivatives=far_field_derivatives,
        far_field_charge=far_field_charge,
    )


def field_traces(
    domain: Domain, surface: Surface, flux: SurfaceFlux, potential: fem.Function, body: int
) -> tuple[np.ndarray, np.ndarray]:
    """E0 and (grad E0) n at the surface samples (body side) for the potential of rho0 = 1 in
    ``body``, V/m and V/m per lambda.

    Pointwise, the P3 gradient at the surface is off by about 0.5% at h = R/10, and its
    derivative in the surface cells by tens of percent: too much for E_max. So the normal
    component of E0 is Gauss's law on the body side in the consistent (lumped) form,
    -(1/lambda) [int grad phi0 . grad phi_i - int (lambda^2 rho0/eps0) phi_i] / int phi_i, and
    grad E0 is averaged over the body cells around each P1 node, int grad E0 phi_i dx / int phi_i
    dx (E0 is smooth there; measured within 4% of a finite difference where the pointwise
    value is 70% off)."""
    mesh, lam = domain.mesh, domain.lambda_m
    test = flux.test
    source = domain.constant(lam**2 / EPS_0)
    E_n = flux.lumped(
        domain.constant(-1.0 / lam)
        * (
            ufl.inner(ufl.grad(potential), ufl.grad(test)) * domain.dx_bodies
            - source * test * domain.dx(domain.body_tags[body])
        ),
        "E0.n",
    )
    E0 = electric_field(domain, potential)
    tensors = fem.functionspace(mesh, ("Lagrange", 1, (3, 3)))
    patch = assemble_rhs(
        fem.form(ufl.inner(ufl.grad(E0), ufl.TestFunction(tensors)) * domain.dx_bodies)
    )
    volume = assemble_rhs(fem.form(test * domain.dx_bodies))
    gradient = fem.Function(tensors, name="grad E0")
    size = len(volume.array)
    weights = np.where(volume.array > 0.0, volume.array, 1.0)
    gradient.x.array[: 9 * size] = (patch.array.reshape(-1, 9) / weights[:, None]).ravel()
    gradient.x.scatter_forward()
    patch.destroy()
    volume.destroy()
    n = surface.n
    E = surface.values(mesh, E0)
    E += (surface.values(mesh, E_n) - np.einsum("fpi,fpi->fp", E, n))[..., None] * n
    Gn = np.einsum("fpij,fpj->fpi", surface.values(mesh, gradient), n)
    return E, Gn
