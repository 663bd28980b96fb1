"""The charge sector's far field and its answer to a uniform applied field (docs/formulation.md
sections 1 and 4): the Robin data that make the outer boundary exact for a body's net charge
off the centre and for a dipole, the applied potential, and the bodies' linear response."""

from dataclasses import dataclass

import numpy as np

from giantatom import meshes
from giantatom.backend import PETSc, fem, ufl
from giantatom.domain import Domain
from giantatom.linalg import assemble_rhs
from giantatom.screening import BodyWeights, degree_of, quadrature
from giantatom.units import EPS_0


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
    return assemble_rhs(fem.form(g * w * quadrature(domain.ds, degree_of(w))(meshes.OUTER)))


def dipole_load(domain: Domain, w, axis: int) -> PETSc.Vec:
    """int_Gamma_inf g w ds with g = (d/dn + 1/R_out) of the potential (x - x_c)_i/(4 pi r^3)
    of a unit dipole along ``axis`` at the centre x_c: -n_i/(4 pi R_out^3). Added to the
    monopole Robin condition, it makes it exact for the dipole far field as well."""
    return assemble_rhs(fem.form(dipole_data(domain, w, axis)))


def dipole_data(domain: Domain, w, axis: int) -> ufl.Form:
    """The form of ``dipole_load`` (both models' far-field dipole data)."""
    n = ufl.FacetNormal(domain.mesh)
    g = -n[axis] * domain.robin**3 / (4.0 * np.pi)
    return g * w * quadrature(domain.ds, degree_of(w))(meshes.OUTER)


def applied_potential(domain: Domain, space: fem.FunctionSpace, field_V_m) -> fem.Function:
    """-E_a . (x - x_c), V, with x_c the centre of the outer sphere (positions in lambda)."""
    center = np.array(domain.report.center, dtype=float)
    E = np.asarray(field_V_m, dtype=float) * domain.lambda_m
    f = fem.Function(space, name="applied potential")
    f.interpolate(lambda x: -(E @ (x - center[:, None])))
    return f


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


def field_response(
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
    dx = quadrature(domain.dx, degree_of(w))
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
