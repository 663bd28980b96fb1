"""Outputs of the thin-layer model: the bulk fields on the mesh, the surface fields on the body
surfaces (surface.vtu), and probes that resolve the layer with its 1D profile.

The mesh does not resolve lambda, so the bulk fields carry what lives on the scale of the body
(rho0, E0, phi, E outside, B outside) and the surface file carries the layer: its charge per
area, the field across it, the spin velocities and the Meissner current at the surface. A probe
point inside a body is projected onto the curved surface (the P2 interpolation of each facet's
six nodes) to find its depth d, and the layer's exp(-d/lambda) profile is added there, so a probe
across the surface resolves lambda whatever the mesh.
"""

import numpy as np

from giantatom import fields, probes, relations
from giantatom.backend import ufl
from giantatom.case import Probe
from giantatom.distance import p2_triangle
from giantatom.fields import Field, FieldSpaces
from giantatom.thinlayer.charge import ThinLayerSolution
from giantatom.thinlayer.magnetic import ThinLayerMagnetic
from giantatom.thinlayer.spin import ThinLayerSpin
from giantatom.units import E_CHARGE, EPS_0, MU_0

VTK_QUADRATIC_TRIANGLE = 22


def bulk_fields(
    sol: ThinLayerSolution, spaces: FieldSpaces, magnetic: ThinLayerMagnetic | None
) -> list[Field]:
    """The fields on the volume mesh, with the full model's names where they mean the same."""
    domain = sol.domain
    k = domain.constant
    n = len(domain.body_tags)
    phi = sol.phi0_free + sol.phi_layer
    E = sol.electric_field(phi)
    # E0 and phi0 in body m are its own rho0's (E = E0 in its bulk); outside, all bodies' rho0
    E0 = spaces.per_body(
        [sol.electric_field(p) for p in sol.phi0_bodies],
        "E0",
        vacuum=sol.electric_field(sol.phi0_free),
    )
    phi0 = [sol.phi0_bodies[m] + k(sol.layer_potential[m]) for m in range(n)]
    profile = 1.0 - sum(sol.conductors.potentials)  # v outside (first order)
    bulk = "bulk value: the layer lambda deep is in surface.vtu"
    out = [
        fields.region_field(spaces),
        Field(
            "rho",
            spaces.per_body([k(r) for r in sol.rho0], "rho"),
            "C/m^3",
            f"charge density, {bulk}",
        ),
        Field(
            "rho_minus_rho0",
            spaces.per_body([k(0.0)] * n, "rho_minus_rho0"),
            "C/m^3",
            f"rho - rho0, {bulk}",
        ),
        Field("phi", spaces.everywhere(phi, "phi"), "V", "electric potential (phi0 + layer)"),
        Field(
            "phi0",
            spaces.per_body(phi0, "phi0", vacuum=sol.phi0_free),
            "V",
            "potential of the body's own uniform rho0, shifted by its layer's potential "
            "(outside: all bodies' rho0)",
        ),
        Field("E", spaces.everywhere(E, "E"), "V/m", "electric field (E0 in the bulk)"),
        Field("E0", E0, "V/m", "field of the body's own uniform rho0 (outside: all bodies')"),
        Field(
            "screening_profile",
            spaces.everywhere(profile, "screening_profile"),
            "1",
            "v outside the bodies (1 far away, about lambda/R at the surface); 0 in the bulk",
        ),
    ]
    if magnetic is not None:
        B = spaces.per_body([ufl.as_vector([k(0.0)] * 3)] * n, "B", vacuum=magnetic.field())
        out.append(
            Field(
                "B",
                B,
                "T",
                "magnetic field: B_app + the diamagnet's field outside, 0 "
                "in the bulk (the surface field is in surface.vtu)",
            )
        )
    return out


def _surface_arrays(
    sol: ThinLayerSolution, magnetic: ThinLayerMagnetic | None, spins: ThinLayerSpin
) -> dict[str, tuple[np.ndarray, str, str]]:
    """name -> (values per sample, unit, description) for surface.vtu."""
    surface, lam = sol.surface, sol.domain.lambda_m
    n_s = spins.inputs.material.n_s
    rho0 = sol.rho0[surface.body][:, None]
    up, down = spins.v if spins.v_field is None else spins.v_field
    up_total, down_total = spins.v_total if spins.v_field is None else spins.v_total_field
    current = E_CHARGE * n_s / 2.0  # J_sigma = (e n_s / 2) v_sigma
    arrays = {
        "region": (np.repeat(surface.body[:, None] + 1.0, 6, axis=1), "", "body number"),
        "normal": (surface.n, "1", "outward unit normal"),
        "surface_charge": (sol.sigma, "C/m^2", "layer charge per area (the conductor charge)"),
        "rho": (sol.rho_surface, "C/m^3", "charge density at the surface, inside"),
        "rho_minus_rho0": (sol.rho_surface - rho0, "C/m^3", "expelled density at the surface"),
        "screening_profile": (
            surface.values(sol.domain.mesh, sol.conductors.profile),
            "1",
            "v at the surface (about lambda/R), the screening profile",
        ),
        "decay_rate": (sol.decay, "1/lambda", "k: the layer decays as exp(-k depth/lambda)"),
        "mean_curvature": (
            surface.values(sol.domain.mesh, sol.conductors.curvature) / lam,
            "1/m",
            "mean curvature H of the surface",
        ),
        "E0": (sol.E0, "V/m", "field of the body's own uniform rho0 at the surface"),
        "E_layer": (
            sol.E_layer,
            "V/m",
            "E - E0 just under the surface: (sigma/eps0) n - grad_t Phi_s",
        ),
        "E_max_over_depth": (sol.E_max, "V/m", "max over depth of |E| under this point"),
        "E_max_depth": (sol.E_max_depth, "lambda", "depth of that maximum"),
        "sharp_edge": (sol.sharp.astype(float), "", "1 on a sharp edge or corner (capped)"),
        "v_up": (up, "m/s", "v_up - v_up0 at the surface"),
        "v_down": (down, "m/s", "v_down - v_down0 at the surface"),
        "v_up_total": (up_total, "m/s", "v_up at the surface (reference flow included)"),
        "v_down_total": (down_total, "m/s", "v_down at the surface"),
        "J_up": (current * up, "A/m^2", "J_up - J_up0 at the surface"),
        "J_down": (current * down, "A/m^2", "J_down - J_down0 at the surface"),
        "J_spin": (current * (up_total - down_total), "A/m^2", "J_up - J_down at the surface"),
    }
    if magnetic is not None:
        arrays["B"] = (magnetic.B_t, "T", "surface magnetic field (tangential), decays inward")
        arrays["K"] = (
            magnetic.surface_current(surface.n),
            "A/m",
            "Meissner surface current n x B_t / mu0 (J integrated over depth)",
        )
        arrays["J"] = (
            magnetic.surface_current(surface.n) / lam,
            "A/m^2",
            "Meissner current density at the surface",
        )
        arrays["A"] = (
            magnetic.vector_potential(surface.n, lam),
            "T m",
            "vector potential at the surface (London gauge)",
        )
    return arrays


def surface_grid(
    sol: ThinLayerSolution,
    magnetic: ThinLayerMagnetic | None,
    spins: ThinLayerSpin,
):
    """The surface grid (surface.vtu): quadratic triangles on the body surfaces, every rank's
    facets gathered on rank 0 (a surface is small), coordinates in the geometry unit; and the
    documentation of its fields. The grid is None on the other ranks."""
    import pyvista

    arrays = _surface_arrays(sol, magnetic, spins)
    values = {name: np.asarray(v, dtype=float) for name, (v, _, _) in arrays.items()}
    gathered = _gather_surface(sol, values)
    documentation = {
        name: {"unit": unit, "description": text} for name, (_, unit, text) in arrays.items()
    }
    if gathered is None:
        return None, documentation
    facets = len(gathered["x"])
    points = gathered["x"].reshape(-1, 3) * sol.domain.lambda_in_units
    cells = np.hstack([np.full((facets, 1), 6), np.arange(6 * facets).reshape(facets, 6)])
    grid = pyvista.UnstructuredGrid(
        cells.ravel(), np.full(facets, VTK_QUADRATIC_TRIANGLE, dtype=np.uint8), points
    )
    for name in arrays:
        flat = gathered[name].reshape(6 * facets, -1)
        grid.point_data[name] = flat[:, 0] if flat.shape[1] == 1 else flat
    return grid, documentation


def project_to_surface(
    points: np.ndarray, nodes: np.ndarray, candidates: int = 8
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Closest points on curved P2 facets: for points (m, 3) and the facets' nodes (f, 6, 3),
    (facet index (m,), reference coordinates (m, 2), distance (m,)). Gauss-Newton on the
    facets with the nearest centroids, clamped to the reference triangle, all at once."""
    if len(points) == 0:
        return np.zeros(0, dtype=np.int64), np.zeros((0, 2)), np.zeros(0)
    centroids = nodes.mean(axis=1)
    k = min(candidates, len(nodes))
    near = np.argpartition(
        np.linalg.norm(points[:, None, :] - centroids[None, :, :], axis=2), k - 1, axis=1
    )[:, :k]  # (m, k)
    X = nodes[near]  # (m, k, 6, 3)
    p = np.broadcast_to(points[:, None, :], (len(points), k, 3))
    s = np.full(near.shape, 1.0 / 3.0)
    t = np.full(near.shape, 1.0 / 3.0)
    for _ in range(30):
        N, Ns, Nt = p2_triangle(s.ravel(), t.ravel())
        shape = (*near.shape, 6)
        x = np.einsum("mkj,mkjc->mkc", N.reshape(shape), X)
        a = np.einsum("mkj,mkjc->mkc", Ns.reshape(shape), X)
        b = np.einsum("mkj,mkjc->mkc", Nt.reshape(shape), X)
        r = p - x
        aa, ab, bb = (a * a).sum(-1), (a * b).sum(-1), (b * b).sum(-1)
        ar, br = (a * r).sum(-1), (b * r).sum(-1)
        det = aa * bb - ab * ab
        ds, dt = (bb * ar - ab * br) / det, (aa * br - ab * ar) / det
        s, t = np.maximum(s + ds, 0.0), np.maximum(t + dt, 0.0)
        over = s + t > 1.0
        total = np.where(over, s + t, 1.0)
        s, t = s / total, t / total
        if max(np.abs(ds).max(), np.abs(dt).max()) < 1e-12:
            break
    N, _, _ = p2_triangle(s.ravel(), t.ravel())
    x = np.einsum("mkj,mkjc->mkc", N.reshape(*near.shape, 6), X)
    distance = np.linalg.norm(p - x, axis=-1)
    best = np.argmin(distance, axis=1)
    rows = np.arange(len(points))
    return near[rows, best], np.stack([s[rows, best], t[rows, best]], axis=1), distance[rows, best]


def _gather_surface(sol: ThinLayerSolution, arrays: dict[str, np.ndarray]):
    """Every rank's surface samples on rank 0 (None elsewhere)."""
    local = {"body": sol.surface.body, "x": sol.surface.x, "n": sol.surface.n, **arrays}
    local = {key: np.asarray(value) for key, value in local.items()}
    gathered = sol.domain.comm.gather(local, root=0)
    if sol.domain.comm.rank != 0:
        return None
    return {key: np.concatenate([g[key] for g in gathered]) for key in local}


def probe_tables(
    lines: tuple[Probe, ...],
    sol: ThinLayerSolution,
    spins: ThinLayerSpin,
    bulk: list[Field],
    magnetic: ThinLayerMagnetic | None,
) -> dict[str, dict[str, np.ndarray]]:
    """The probe_<name>.csv tables (probe -> column -> values, on rank 0; empty elsewhere) with
    the layer resolved by its 1D profile: the bulk fields sampled, and inside a body replaced
    by the layer's profile at the point's depth."""
    tables: dict[str, dict[str, np.ndarray]] = {}
    if not lines:
        return tables
    domain = sol.domain
    axis = np.array(spins.axis)
    functions = {f.name: f.function for f in bulk}
    columns = [("region", functions["region"], 0), ("phi", functions["phi"], 0)]
    columns += [(f"E{c}", functions["E"], i) for i, c in enumerate("xyz")]
    if magnetic is not None:  # B in the bodies is the layer's (_probe_rows), zero in the bulk
        columns += [(f"B{c}", functions["B"], i) for i, c in enumerate("xyz")]
    layer = {"sigma": sol.sigma, "k": sol.decay, "E_layer": sol.E_layer}
    if magnetic is not None:
        layer["B_t"] = magnetic.B_t
    gathered = _gather_surface(sol, layer)
    header = ["x", "y", "z", "depth_m", "rho_C_m3", "phi_V", "Ex_V_m", "Ey_V_m", "Ez_V_m", "E_V_m"]
    if magnetic is not None:
        header += ["Bx_T", "By_T", "Bz_T", "Jx_A_m2", "Jy_A_m2", "Jz_A_m2"]
    header += [f"v{s}_{c}_m_s" for s in ("up", "down") for c in "xyz"]
    for probe in lines:
        points = probes.probe_points(probe)
        values = probes.sample(domain, points, columns)
        if domain.comm.rank != 0:
            continue
        rows = _probe_rows(sol, points / domain.lambda_in_units, values, gathered, axis)
        tables[probe.name] = dict(zip(header, np.hstack([points, rows]).T, strict=True))
    return tables


def _probe_rows(sol, points, values, surface, axis) -> np.ndarray:
    """Columns after x, y, z for each probe point (lambda units in, SI out)."""
    lam = sol.domain.lambda_m
    magnetic = "B_t" in surface
    region = values[:, 0]
    phi, E = values[:, 1].copy(), values[:, 2:5].copy()
    B = values[:, 5:8].copy() if magnetic else None
    m = len(points)
    depth = np.full(m, np.nan)
    rho = np.where(np.isnan(region), np.nan, 0.0)
    J = np.zeros((m, 3))
    A = np.zeros((m, 3))
    layer_E = np.zeros((m, 3))
    for k in range(len(sol.rho0)):
        inside = np.flatnonzero(np.round(region) == k + 1)
        if not len(inside):
            continue
        mine = surface["body"] == k
        nodes = surface["x"][mine]
        facet, st, d = project_to_surface(points[inside], nodes)
        N, _, _ = p2_triangle(st[:, 0], st[:, 1])
        n = np.einsum("mj,mjk->mk", N, surface["n"][mine][facet])
        n /= np.linalg.norm(n, axis=1)[:, None]
        sigma = np.einsum("mj,mj->m", N, surface["sigma"][mine][facet])
        rate = np.einsum("mj,mj->m", N, surface["k"][mine][facet])
        decay = np.exp(-rate * d)
        depth[inside] = d * lam
        rho[inside] = sol.rho0[k] + sigma / (lam * rate) * decay
        E_surface = np.einsum("mj,mjk->mk", N, surface["E_layer"][mine][facet])
        layer_E[inside] = decay[:, None] * E_surface
        E[inside] += layer_E[inside]
        phi[inside] -= lam * sigma / (EPS_0 * rate) * decay  # Eq. 23 in the layer
        if magnetic:
            london = np.exp(-d)  # B_t decays as exp(-depth/lambda)
            B_t = np.einsum("mj,mjk->mk", N, surface["B_t"][mine][facet])
            B[inside] = B_t * london[:, None]
            J[inside] = np.cross(n, B_t) * (london / (MU_0 * lam))[:, None]
            A[inside] = -lam * np.cross(n, B_t) * london[:, None]
    speeds = [relations.velocity_shift(layer_E, A, s * axis, lam, np.cross) for s in (1.0, -1.0)]
    columns = [depth[:, None], rho[:, None], phi[:, None], E, np.linalg.norm(E, axis=1)[:, None]]
    if magnetic:
        columns += [B, J]
    columns += speeds
    rows = np.hstack(columns)
    rows[np.isnan(region)] = np.nan
    return rows
