"""The charge sector's summary (both models): typed, per body and for the whole case, SI."""

from dataclasses import dataclass

import numpy as np

from giantatom.backend import ufl
from giantatom.charge import ChargeSolution
from giantatom.closures import CLOSURE_EVALUATION
from giantatom.parallel import global_max, global_min
from giantatom.screening import centroids, degree_of, max_field, quadrature
from giantatom.summaries import Summary


@dataclass
class BodyCharge(Summary):
    """One body's charge numbers; the moments are the full model's, ``thin_layer`` the thin
    layer's own numbers (None where a model does not have them)."""

    name: str
    rho0_C_m3: float
    rho0_by_closure: dict[str, float]
    net_charge_C: float
    net_charge_requested_C: float
    surface_rho_mean_C_m3: float
    surface_rho_min_C_m3: float
    surface_rho_max_C_m3: float
    E_max_V_m: float
    dipole_moment_C_m: np.ndarray | None = None
    quadrupole_moment_C_m2: np.ndarray | None = None
    volume_m3: float = 0.0
    area_m2: float = 0.0
    thin_layer: dict | None = None


@dataclass
class ChargeSummary(Summary):
    """The charge section of summary.json: the case's totals from its bodies (``totals``)."""

    closure: str
    rho0_C_m3: float | list[float]
    net_charge_C: float
    surface_rho_mean_C_m3: float
    surface_rho_min_C_m3: float
    surface_rho_max_C_m3: float
    E_max_V_m: float
    constitutive_residual: float
    phi0_shift_V: np.ndarray
    solver: dict
    bodies: list[BodyCharge]
    electric: dict | None = None  # the response to an applied electric field (full model)
    closure_evaluation: str | None = None
    poisson_residual: float | None = None
    model: str | None = None  # "thin-layer" for the thin-layer model
    thin_layer: dict | None = None

    def to_dict(self) -> dict:
        """Today's key order: electric first, the closure, the totals, the residuals, bodies."""
        d = super().to_dict()
        order = ["electric", "closure", "closure_evaluation", "rho0_C_m3", "net_charge_C"]
        order += ["surface_rho_mean_C_m3", "surface_rho_min_C_m3", "surface_rho_max_C_m3"]
        order += ["E_max_V_m", "constitutive_residual", "poisson_residual", "phi0_shift_V"]
        order += ["solver", "bodies", "model", "thin_layer"]
        return {k: d[k] for k in order if k in d}


def totals(bodies: list[BodyCharge], areas: np.ndarray) -> dict:
    """The whole case's numbers from its bodies (both models): rho0 (one value, or one per
    body), net charge, area-weighted surface mean, extremes."""
    rho0 = [b.rho0_C_m3 for b in bodies]
    means = np.array([b.surface_rho_mean_C_m3 for b in bodies])
    return {
        "rho0_C_m3": rho0[0] if len(rho0) == 1 else rho0,
        "net_charge_C": float(np.sum([b.net_charge_C for b in bodies])),
        "surface_rho_mean_C_m3": float(np.dot(means, areas) / np.sum(areas)),
        "surface_rho_min_C_m3": min(b.surface_rho_min_C_m3 for b in bodies),
        "surface_rho_max_C_m3": max(b.surface_rho_max_C_m3 for b in bodies),
        "E_max_V_m": max(b.E_max_V_m for b in bodies),
    }


def multipole_moments(sol: ChargeSolution) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per body: its dipole moment int rho y dV (C m) and quadrupole moment
    Q_ij = int rho (3 y_i y_j - |y|^2 delta_ij) dV (C m^2), y the position from its centroid."""
    domain = sol.domain
    lam = domain.lambda_m
    x = ufl.SpatialCoordinate(domain.mesh)
    dx = quadrature(domain.dx, degree_of(sol.phi))
    out = []
    for m, (tag, c) in enumerate(zip(domain.body_tags, centroids(domain), strict=True)):
        y = x - ufl.as_vector([domain.constant(ci) for ci in c])
        rho = sol.density(m)
        dipole = np.array([domain.integrate(rho * y[i] * dx(tag)) for i in range(3)])
        quadrupole = np.zeros((3, 3))
        for i in range(3):
            for j in range(i, 3):
                shape = 3 * y[i] * y[j] - (ufl.dot(y, y) if i == j else 0)
                quadrupole[i, j] = quadrupole[j, i] = domain.integrate(rho * shape * dx(tag))
        out.append((dipole * lam**4, quadrupole * lam**5))
    return out


def summarize(sol: ChargeSolution) -> ChargeSummary:
    """The charge sector's key numbers, SI, overall and per body."""
    domain, inputs = sol.domain, sol.inputs
    comm, lam = domain.comm, domain.lambda_m
    E_max = max_field(domain, sol.electric_field(sol.phi), max(inputs.order - 1, 1))
    charges, means = sol.body_charges(), sol.surface_means()
    moments = multipole_moments(sol)
    bodies = []
    for m, name in enumerate(domain.body_names):
        surface = sol.surface_values(m)
        bodies.append(
            BodyCharge(
                name=name,
                rho0_C_m3=float(sol.rho0[m]),
                rho0_by_closure=sol.rho0_by_closure[m],
                net_charge_C=float(charges[m]),
                net_charge_requested_C=inputs.net_charges[m],
                surface_rho_mean_C_m3=float(means[m]),
                surface_rho_min_C_m3=global_min(comm, surface),
                surface_rho_max_C_m3=global_max(comm, surface),
                E_max_V_m=float(E_max[m]),
                dipole_moment_C_m=moments[m][0],
                quadrupole_moment_C_m2=moments[m][1],
                volume_m3=float(sol.volumes[m] * lam**3),
                area_m2=float(sol.areas[m] * lam**2),
            )
        )
    electric = None
    if sol.field_response is not None:
        r = sol.field_response
        electric = {
            "applied_field_V_m": r.field_V_m,
            "induced_dipole_C_m": r.dipole * lam**4,
            "note": "the bodies' linear response to the uniform applied field, screened "
            "over lambda (Eq. 23); rho0 is the isolated, field-free body's (the closure "
            "does not move with the field); dipole_moment_C_m per body includes it",
        }
    return ChargeSummary(
        electric=electric,
        closure=inputs.closure.closure,
        closure_evaluation=CLOSURE_EVALUATION,
        **totals(bodies, sol.areas),
        constitutive_residual=sol.residual,
        poisson_residual=sol.poisson_residual,
        phi0_shift_V=sol.phi0_shift,
        solver={"iterations": sol.stats.iterations, "seconds": sol.stats.seconds},
        bodies=bodies,
    )
