"""The closures of the charge sector (docs/formulation.md section 1.4): what fixes each body's
rho0. Every closure is evaluated on the body's own expulsion solution for rho0 = 1 (neutral,
field-free, neighbours inert), which is linear in rho0, so each closure is one division."""

import numpy as np

from giantatom.backend import fem, ufl
from giantatom.domain import Domain
from giantatom.log import log
from giantatom.material import Material
from giantatom.parallel import global_max
from giantatom.phase import GradientProjection
from giantatom.relations import spin_orbit_potential, velocity_of

CLOSURE_EVALUATION = (
    "rho0 is a ground-state property of each body: every closure is evaluated on the body's own "
    "expulsion solution, neutral and field-free, with its neighbours inert (rho0 = 0, neutral); "
    "neither neighbours, nor applied fields, nor the body's net charge move it. "
    "rho0_by_closure lists what each closure gives for each body"
)


def spin_shift_speeds(
    domain: Domain, excess: list, projection: GradientProjection, spin_axis, order: int
) -> np.ndarray:
    """Per body m: the largest surface value of the spin-velocity shift |v_sigma - v_sigma0|,
    m/s, for the field excess ``excess[m]`` (E - E0 in body m, V/m; no applied field):
    -(e/m_e)(X - grad chi), X = lambda s x (E - E0)/c, chi its gradient part in the body (the
    phase term, docs/formulation.md section 3.4). The same for both spins; taken at the surface
    nodes of the vector Lagrange space of degree ``order``, as the spin summary does."""
    axis = fem.Constant(domain.mesh, np.array(spin_axis, dtype=float))
    space = fem.functionspace(domain.mesh, ("Lagrange", order, (3,)))
    points = space.element.interpolation_points
    f = fem.Function(space)
    speeds = []
    for tag, name, E in zip(domain.body_tags, domain.body_names, excess, strict=True):
        X = spin_orbit_potential(E, axis, domain.constant(domain.lambda_m), ufl.cross)
        chi = projection.solve(X, f"spin phase for rho0({name}) = 1")
        shift = velocity_of(X - ufl.grad(chi))
        f.interpolate(fem.Expression(shift, points), cells0=domain.body_cells(tag))
        values = f.x.array.reshape(-1, 3)[domain.surface_dofs(space, tag)]
        speeds.append(global_max(domain.comm, np.linalg.norm(values, axis=1)))
    return np.array(speeds)


def closure_densities(
    material: Material, unit_mean: np.ndarray, unit_field: np.ndarray, unit_speed: np.ndarray
) -> list[dict[str, float]]:
    """Per body, rho0 (C/m^3) by each closure from the unit solution's surface mean of rho,
    max |E| and max spin-velocity shift (per C/m^3 of rho0): the surface mean equal to rho_-,
    max |E| equal to E_m, the largest spin-velocity shift equal to v_0."""
    return [
        {
            "surface-mean": material.rho_minus / mean,
            "max-field": material.E_m / field,
            "spin-speed": material.v_0 / speed,
        }
        for mean, field, speed in zip(unit_mean, unit_field, unit_speed, strict=True)
    ]


def chosen_rho0(closure: str, rho0: float, by_closure: list[dict[str, float]]) -> np.ndarray:
    """rho0 per body, C/m^3: the closure's values, or ``rho0`` for every body (closure "rho0")."""
    if closure == "rho0":
        return np.full(len(by_closure), rho0)
    return np.array([values[closure] for values in by_closure])


def log_closures(names: list[str], rho0: np.ndarray, closure: str, by_closure: list[dict]) -> None:
    """One log line per body: its rho0, the closure that chose it, what the others give."""
    for name, r, values in zip(names, rho0, by_closure, strict=True):
        others = ", ".join(f"{k} {v:.6g}" for k, v in values.items() if k != closure)
        log.info("  rho0(%s) = %.6g C/m^3 (closure %s; %s)", name, r, closure, others)
