"""The thin-layer charge sector (package docstring): rho0 by the closures, the layer's charge,
potential and field, and its summary (the full model's keys plus charge.thin_layer)."""

from dataclasses import dataclass, field

import numpy as np

from giantatom import meshes, relations
from giantatom.backend import MPI, fem, ufl
from giantatom.charge import ChargeInputs
from giantatom.charge_summary import BodyCharge, ChargeSummary, totals
from giantatom.closures import chosen_rho0, closure_densities, log_closures
from giantatom.domain import Domain
from giantatom.linalg import SolveStats, SPDSolver
from giantatom.log import log
from giantatom.parallel import global_max, global_min
from giantatom.screening import BodyWeights, centroids, electric_field
from giantatom.thinlayer.conductors import Conductors, field_traces, solve_conductors
from giantatom.thinlayer.electric import LayerFieldResponse, solve_applied_field
from giantatom.thinlayer.surface import (
    MAX_DEPTH,
    Surface,
    SurfaceFlux,
    body_surface,
    layer_field_max,
    quadrature,
    sharp_samples,
    tangential_gradients,
)
from giantatom.units import EPS_0


@dataclass
class ThinLayerSolution:
    """The thin-layer charge sector, SI (positions in lambda). Surface arrays are per sample:
    (facets, 6) for scalars, (facets, 6, 3) for vectors, on this rank's owned facets."""

    domain: Domain
    inputs: ChargeInputs
    space: fem.FunctionSpace
    surface: Surface
    conductors: Conductors
    rho0: np.ndarray  # per body, C/m^3
    layer_charge: np.ndarray  # q_k = Q_k - rho0_k |Omega_k|, C
    layer_potential: np.ndarray  # C_k, V: phi0's shift in body k (Eq. 23's constant)
    volumes: np.ndarray  # lambda^3
    areas: np.ndarray  # lambda^2
    phi0_free: fem.Function  # V: the uniform rho0 of all bodies, zero at infinity
    phi_layer: fem.Function  # V: eta, the layers' potential (C_m - the others' phi0 in body m)
    sigma: np.ndarray  # layer charge per area, C/m^2
    rho_surface: np.ndarray  # rho at the surface, C/m^3
    E0: np.ndarray  # E0 of the body's own rho0 at its surface (body side), V/m
    E_layer: np.ndarray  # E - E0 just under the surface: (sigma/eps0) n - grad_t Phi_s, V/m
    E_max: np.ndarray  # max over depth of |E| under each sample, V/m
    E_max_depth: np.ndarray  # where, lambda
    depth_limit: np.ndarray  # the depth searched, per body, lambda
    sharp: np.ndarray  # (facets, 6) bool: sample on a sharp edge or corner
    surface_means: np.ndarray  # area mean of rho over each body's surface, C/m^3
    decay: np.ndarray  # k per sample: the layer decays as exp(-k depth/lambda)
    phi0_bodies: list[fem.Function] = field(default_factory=list)  # V: phi0^(m), own rho0_m
    # per body, closure -> rho0 (C/m^3), each body alone, neutral, without a field
    rho0_by_closure: list[dict[str, float]] = field(default_factory=list)
    stats: SolveStats = field(default_factory=SolveStats)
    field_response: LayerFieldResponse | None = None  # with an applied electric field

    def electric_field(self, potential) -> ufl.core.expr.Expr:
        return electric_field(self.domain, potential)

    def density_scale(self) -> np.ndarray:
        """1/(lambda k) per sample: rho_s = sigma * this (the layer sigma = int rho_s
        exp(-k d/lambda) (1 - 2 H d) dd to first order)."""
        return 1.0 / (self.domain.lambda_m * self.decay)


def solve_thin_layer(domain: Domain, inputs: ChargeInputs) -> ThinLayerSolution:
    """The thin-layer charge sector for every body of the case (docs/formulation.md section 1:
    each body's rho0 screens its own potential phi0^(m) only; the other bodies' rho0 is an
    external potential to it, screened by its layer)."""
    material = inputs.material
    stats = SolveStats()
    lam = domain.lambda_m
    order = domain.report.order
    mesh, comm = domain.mesh, domain.comm
    V = fem.functionspace(mesh, ("Lagrange", order))
    names = domain.body_names
    n = len(names)
    log.info(
        "thin-layer charge sector: P%d, %d dofs (lambda is not resolved: the layer is analytic)",
        order,
        V.dofmap.index_map.size_global,
    )
    surface = body_surface(domain)
    flux = SurfaceFlux(domain)
    mine = [surface.body == b for b in range(n)]

    # P_b: the potential of rho0 = 1 in body b alone, zero at infinity (phi0^(b) = rho0_b P_b).
    # Its Robin condition on Gamma_inf is the monopole's about body b's centroid c_b,
    # dP/dn + P (x - c_b).n/|x - c_b|^2 = 0. About the domain's centre, an off-centre body's
    # P_b carries the truncation's spurious dipole field, which is part of its own E0 and so
    # not screened: measured 2e-3 E_m at the centres of two spheres R = 30 lambda, 100 apart
    # (far_field = 3), 1e-6 E_m with the centroid.
    weights = BodyWeights(domain, V)
    volumes, areas = weights.volumes(), weights.areas()
    u, w = ufl.TrialFunction(V), ufl.TestFunction(V)
    x = ufl.SpatialCoordinate(mesh)
    centroid = fem.Constant(mesh, np.zeros(3))
    r, normal = x - centroid, ufl.FacetNormal(mesh)
    poisson_about = quadrature(
        ufl.inner(ufl.grad(u), ufl.grad(w)) * domain.dx
        + ufl.dot(r, normal) / ufl.dot(r, r) * u * w * domain.ds(meshes.OUTER),
        2 * order,
    )
    body_centroids = centroids(domain)
    poisson = None
    unit_potentials = []
    for b, name in enumerate(names):
        centroid.value = body_centroids[b]
        if poisson is None:
            poisson = SPDSolver(poisson_about, "poisson", inputs.solver, stats)
        else:
            poisson.reassemble(poisson_about)
        rhs = weights.volume[b].copy()
        rhs.scale(lam**2 / EPS_0)  # -lap~ phi = (lambda^2/eps0) rho in lambda units
        unit_potentials.append(poisson.solve(rhs, f"phi0 for rho0({name}) = 1"))
        rhs.destroy()
    poisson.destroy()
    weights.destroy()
    charges = np.array(inputs.net_charges)
    conductors = solve_conductors(
        inputs.solver, domain, V, flux, stats, unit_potentials, body_centroids, charges != 0.0
    )
    decay = surface.values(mesh, conductors.decay)

    # E0 under the surface of body m is that of body m's own rho0 (its bulk field): per unit
    # rho0_m, at body m's samples, with (grad E0) n for E0(x - d n) = E0(x) - d (grad E0) n.
    E0_unit, gradient_unit = np.zeros_like(surface.n), np.zeros_like(surface.n)
    for b in range(n):
        E0, Gn = field_traces(domain, surface, flux, unit_potentials[b], b)
        E0_unit[mine[b]], gradient_unit[mine[b]] = E0[mine[b]], Gn[mine[b]]

    # The layer of body m carries Phi_s = phi - phi0^(m) - C_m at its surface: sum_j C_j
    # (psi_j - delta_jm) + sum_b rho0_b (chi_b + [b != m] P_b). Its normal derivative (k/lambda)
    # Phi_s gives sigma = -eps0 dPhi/dn, its tangential gradient the layer's tangential field.
    dpsi = [surface.values(mesh, d) for d in conductors.normal_derivatives]
    dchi = [surface.values(mesh, d) for d in conductors.external_derivatives]
    dD = [surface.values(mesh, d) for d in conductors.far_field_derivatives]
    traces = tangential_gradients(
        domain,
        surface,
        flux,
        conductors.potentials + conductors.external + unit_potentials + conductors.far_field,
    )
    tpsi, tchi, tP, tD = (traces[i * n : (i + 1) * n] for i in range(4))
    tchi = [t + np.where(mine[b][:, None, None], 0.0, tP[b]) for b, t in enumerate(tchi)]

    cinv = np.linalg.inv(conductors.capacitance)
    depth_limit = np.minimum(MAX_DEPTH, np.maximum(2.0, 1.5 * volumes / areas))  # ~ half thickness

    def constants(rho0: np.ndarray, Q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The layer charges q = Q - rho0 |Omega| and the constants C of Eq. 23 (V) that give
        them: q = capacitance C + external_charge rho0 + far_field_charge Q."""
        q = Q - rho0 * volumes * lam**3
        rest = conductors.external_charge @ rho0 + conductors.far_field_charge @ Q
        return q, cinv @ (q - rest)

    def layer_state(rho0: np.ndarray, Q: np.ndarray = charges):
        q, C = constants(rho0, Q)
        normal = sum(c * d for c, d in zip(C, dpsi, strict=True))
        normal = normal + sum(r * d for r, d in zip(rho0, dchi, strict=True))
        normal = normal + sum(c * d for c, d in zip(Q, dD, strict=True))
        sigma = (-EPS_0 / lam) * normal
        tangential = sum(c * t for c, t in zip(C, tpsi, strict=True))
        tangential = tangential + sum(r * t for r, t in zip(rho0, tchi, strict=True))
        tangential = tangential + sum(c * t for c, t in zip(Q, tD, strict=True))
        E_layer = (sigma / EPS_0)[..., None] * surface.n - tangential / lam
        own = rho0[surface.body][:, None, None]
        return q, C, sigma, own * E0_unit, own * gradient_unit, E_layer

    def field_maxima(state, m: int | None = None):
        """max over depth of |E| at each sample (of body m only, if given), and where."""
        _, _, sigma, E0, Gn, E_layer = state
        rows = np.ones(len(surface.body), dtype=bool) if m is None else mine[m]
        limit = depth_limit[surface.body[rows]]
        best, where = np.zeros(sigma[rows].shape), np.zeros(sigma[rows].shape)
        for d_max in np.unique(limit):
            sel = limit == d_max
            a, b, c = E0[rows][sel], Gn[rows][sel], E_layer[rows][sel]
            values, depths = layer_field_max(
                a.reshape(-1, 3),
                b.reshape(-1, 3),
                c.reshape(-1, 3),
                decay[rows][sel].ravel(),
                d_max,
            )
            best[sel], where[sel] = values.reshape(a.shape[:2]), depths.reshape(a.shape[:2])
        return best, where

    def surface_means(rho0: np.ndarray, Q: np.ndarray = charges) -> np.ndarray:
        """The area mean of rho = rho0 + sigma/(lambda k) over each body's surface (P1 nodes)."""
        _, C = constants(rho0, Q)
        nodes = flux.all_nodes
        pairs = zip(
            [*C, *rho0, *Q],
            conductors.normal_derivatives
            + conductors.external_derivatives
            + conductors.far_field_derivatives,
            strict=True,
        )
        normal = sum(c * d.x.array[nodes] for c, d in pairs)
        density = fem.Function(flux.space)
        density.x.array[nodes] = (-EPS_0 / lam**2) * normal / conductors.decay.x.array[nodes]
        return rho0 + flux.integrals(density.x.array) / areas

    # Closures: each body alone, neutral, without a field (rho0 is a ground-state property);
    # "alone" here is the others present, neutral, with rho0 = 0 (exact where the body's own
    # exterior field vanishes, as for any neutral body to leading order). Everything is linear
    # in rho0_m then: each closure is one division.
    axis = np.array(inputs.spin_axis, dtype=float)
    unit_mean, unit_field, unit_speed = np.zeros(n), np.zeros(n), np.zeros(n)
    for m in range(n):
        alone = np.eye(n)[m]
        state = layer_state(alone, np.zeros(n))
        unit_mean[m] = surface_means(alone, np.zeros(n))[m]
        unit_field[m] = global_max(comm, field_maxima(state, m)[0])  # the bulk: see below
        shift = relations.velocity_shift(state[5][mine[m]], 0.0, axis, lam, np.cross)
        unit_speed[m] = global_max(comm, np.linalg.norm(shift, axis=-1))
    # (Deeper than the layer E = E0, whose components are harmonic in a body (div E0 is
    # uniform there): |E0| is subharmonic, so its maximum over the bulk lies on the bulk's
    # boundary, the bottom of the searched depth. The layer search covers the whole body.)
    by_closure = closure_densities(material, unit_mean, unit_field, unit_speed)
    rho0 = chosen_rho0(inputs.closure.closure, inputs.closure.rho0, by_closure)
    log_closures(names, rho0, inputs.closure.closure, by_closure)

    state = layer_state(rho0)
    response = None
    if inputs.applied_field is not None:  # the layers' answer to E_a adds (rho0 does not move)
        response = solve_applied_field(
            inputs.applied_field, inputs.solver, domain, V, flux, surface, conductors, stats
        )
        state = response.added_to(state)
    q, potentials, sigma, E0, _, E_layer = state
    phi0_bodies = []
    for r, P, name in zip(rho0, unit_potentials, names, strict=True):
        phi0_bodies.append(fem.Function(V, name=f"phi0 {name}"))
        phi0_bodies[-1].x.array[:] = r * P.x.array
    phi0_free = fem.Function(V, name="phi0")
    phi0_free.x.array[:] = sum(p.x.array for p in phi0_bodies)
    # The layers' potential eta, with its bulk value C_m - sum_{b != m} phi0^(b) in body m:
    # phi = phi0_free + phi_layer is phi0^(m) + C_m there.
    phi_layer = fem.Function(V, name="phi_layer")
    phi_layer.x.array[:] = sum(
        c * psi.x.array for c, psi in zip(potentials, conductors.potentials, strict=True)
    ) + sum(r * chi.x.array for r, chi in zip(rho0, conductors.external, strict=True))
    phi_layer.x.array[:] += sum(
        c * D.x.array for c, D in zip(charges, conductors.far_field, strict=True)
    )
    if response is not None:
        phi_layer.x.array[:] += response.potential.x.array
    E_max, E_max_depth = field_maxima(state)
    solution = ThinLayerSolution(
        domain=domain,
        inputs=inputs,
        space=V,
        surface=surface,
        conductors=conductors,
        rho0=rho0,
        layer_charge=q,
        layer_potential=potentials,
        volumes=volumes,
        areas=areas,
        phi0_free=phi0_free,
        phi_layer=phi_layer,
        sigma=sigma,
        rho_surface=np.zeros_like(sigma),
        E0=E0,
        E_layer=E_layer,
        E_max=E_max,
        E_max_depth=E_max_depth,
        depth_limit=depth_limit,
        sharp=sharp_samples(surface),
        surface_means=np.zeros(n),
        decay=decay,
        phi0_bodies=phi0_bodies,
        rho0_by_closure=by_closure,
        stats=stats,
    )
    solution.rho_surface = rho0[surface.body][:, None] + sigma * solution.density_scale()
    solution.surface_means = surface_means(rho0)
    if response is not None:
        solution.surface_means += response.surface_means
        solution.field_response = response
    sharp = domain.comm.allreduce(int(solution.sharp.sum()), op=MPI.SUM)
    if sharp:
        log.warning(
            "thin-layer: %d surface nodes lie on sharp edges or corners, where the conductor "
            "charge diverges; the values there are averages over the mesh scale. Round the "
            "edges (fillet) for values that converge",
            sharp,
        )
    return solution


def _located_max(comm, values: np.ndarray, positions: np.ndarray) -> tuple[float, np.ndarray]:
    """Global max of per-sample ``values`` and the position (same units as ``positions``)."""
    local = (-np.inf, [np.nan] * 3)
    if values.size:
        index = np.unravel_index(np.argmax(values), values.shape)
        local = (float(values[index]), positions[index].tolist())
    value, position = max(comm.allgather(local), key=lambda t: t[0])
    return value, np.array(position)


def summarize(sol: ThinLayerSolution) -> ChargeSummary:
    """The charge summary with the keys of the full model, plus what is particular to the thin
    layer (under charge.thin_layer)."""
    domain = sol.domain
    comm, lam = domain.comm, domain.lambda_m
    surface = sol.surface
    charges = sol.rho0 * sol.volumes * lam**3 + sol.layer_charge
    means = sol.surface_means
    net_charges = sol.inputs.net_charges
    response = sol.field_response
    bodies = []
    for m, name in enumerate(domain.body_names):
        mine = surface.body == m
        rho = sol.rho_surface[mine]
        E_layer, depth_at = sol.E_max[mine], sol.E_max_depth[mine]
        E_max = global_max(comm, E_layer)
        sharp = sol.sharp[mine]
        bodies.append(
            BodyCharge(
                name=name,
                rho0_C_m3=float(sol.rho0[m]),
                rho0_by_closure=sol.rho0_by_closure[m],
                net_charge_C=float(charges[m]),
                net_charge_requested_C=net_charges[m],
                surface_rho_mean_C_m3=float(means[m]),
                surface_rho_min_C_m3=global_min(comm, rho),
                surface_rho_max_C_m3=global_max(comm, rho),
                E_max_V_m=float(E_max),
                dipole_moment_C_m=response.body_dipoles[m] if response else None,
                volume_m3=float(sol.volumes[m] * lam**3),
                area_m2=float(sol.areas[m] * lam**2),
                thin_layer={
                    "layer_charge_C": float(sol.layer_charge[m]),
                    "layer_potential_V": float(sol.layer_potential[m]),
                    "decay_rate_min_per_lambda": global_min(comm, sol.decay[mine]),
                    "decay_rate_max_per_lambda": global_max(comm, sol.decay[mine]),
                    "surface_charge_min_C_m2": global_min(comm, sol.sigma[mine]),
                    "surface_charge_max_C_m2": global_max(comm, sol.sigma[mine]),
                    "E_max_depth_m": float(_located_max(comm, E_layer, depth_at[..., None])[1][0])
                    * lam,
                    "depth_searched_m": float(sol.depth_limit[m] * lam),
                    "sharp_edge_nodes": comm.allreduce(int(sharp.sum()), op=MPI.SUM),
                },
            )
        )
        if bodies[-1].thin_layer["sharp_edge_nodes"]:
            extreme = np.where(sharp, np.abs(sol.sigma[mine]), -np.inf)
            value, where = _located_max(comm, extreme, surface.x[mine])
            bodies[-1].thin_layer["sharp_edges"] = {
                "largest_surface_charge_C_m2": value,
                "at_m": where * lam,
                "note": "the conductor charge diverges at a sharp edge: the value is its average "
                "over the mesh scale there and grows as the mesh is refined; give the edges a "
                "fillet radius for values that converge",
            }
    summary = ChargeSummary(
        electric=response.summary() if response else None,
        closure=sol.inputs.closure.closure,
        **totals(bodies, sol.areas),
        constitutive_residual=0.0,  # Eq. 23 holds in the layer by construction
        phi0_shift_V=sol.layer_potential,
        solver={"iterations": sol.stats.iterations, "seconds": sol.stats.seconds},
        bodies=bodies,
        model="thin-layer",
        thin_layer={
            "E_max_at_m": _located_max(comm, sol.E_max, surface.x)[1] * lam,
            "capacitance_F": sol.conductors.capacitance,
            "formulas": {
                "rho": "rho0 + rho_s exp(-k depth/lambda), rho_s = sigma/(lambda k)",
                "k": "1 - lambda H (H mean curvature; 1/(4 lambda H) where lambda H > 1/2)",
                "phi": "sum_b phi0^(b) + eta outside; phi0^(m) + C_m in the bulk of body m "
                "(phi0^(b): body b's own uniform rho0 alone)",
                "layer": "Phi = phi - phi0^(m) - C_m = Phi_s exp(-k d/lambda) in body m; eta "
                "harmonic outside with d(eta + S_m)/dn = (k/lambda)(eta + S_m - C_m) on body m, "
                "S_m = sum_{b != m} phi0^(b) (the other bodies' rho0, external to body m)",
                "sigma": "-eps0 dPhi/dn = -eps0 (k/lambda) Phi_s, layer charge q = Q - rho0 "
                "|Omega| per body (fixes C_m)",
                "E": "E0^(m)(x - d n) + ((sigma/eps0) n - grad_t Phi_s) exp(-k d/lambda) in the "
                "layer, E0^(m) (own rho0) in the bulk",
            },
            "closures": "rho0 of each body from its own neutral solution without a field, the "
            "other bodies present, neutral, with rho0 = 0: surface-mean rho_-/<rho>, max-field "
            "E_m/max|E|, spin-speed v_0/max|v_sigma - v_sigma0| at the surface, each for "
            "rho0 = 1 (bodies[].rho0_by_closure); neighbours and net charge add linearly",
            "accuracy": "first order in lambda/L (L: radii of curvature, size): exact for a "
            "sphere up to O((lambda/R)^2); edges sharper than a few lambda are not resolved",
        },
    )
    return summary
