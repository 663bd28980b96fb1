"""The thin-layer spin sector: the spin velocities at the surface from E - E0 (and A) in the
layer, and their summary."""

from dataclasses import dataclass

import numpy as np

from giantatom import relations, stopfield
from giantatom.parallel import global_max
from giantatom.spin import SpinInputs
from giantatom.spin_summary import SpinSummary
from giantatom.thinlayer.charge import ThinLayerSolution
from giantatom.thinlayer.magnetic import ThinLayerMagnetic
from giantatom.units import C_LIGHT, E_CHARGE


@dataclass
class ThinLayerSpin:
    """v_sigma - v_sigma0 and v_sigma at the surface samples, m/s, per spin (up, down);
    ``field`` holds the same with the applied field's A, when there is one."""

    charge: ThinLayerSolution
    inputs: SpinInputs
    axis: np.ndarray
    v: tuple[np.ndarray, np.ndarray]
    v_total: tuple[np.ndarray, np.ndarray]
    v_field: tuple[np.ndarray, np.ndarray] | None = None
    v_total_field: tuple[np.ndarray, np.ndarray] | None = None


def reference_velocity(sol: ThinLayerSolution, sigma_axis: np.ndarray, n_s: float) -> np.ndarray:
    """v_sigma0 = (c/(e n_s)) rho0 sigma x grad d at the surface, where grad d = -n (d the depth
    below the body's surface; docs/formulation.md section 3: Eq. 61 for a sphere and a
    cylinder, tangential at the surface of any body), m/s."""
    rho0 = sol.rho0[sol.surface.body][:, None, None]
    return (-C_LIGHT / (E_CHARGE * n_s)) * rho0 * np.cross(sigma_axis, sol.surface.n)


def solve_spin(
    inputs: SpinInputs, sol: ThinLayerSolution, magnetic: ThinLayerMagnetic | None
) -> ThinLayerSpin:
    """The spin velocities at the surface from E - E0 (and A) in the layer (giantatom.spin)."""
    axis = np.array(inputs.spin.axis)
    lam, n_s = sol.domain.lambda_m, inputs.material.n_s
    zero = np.zeros_like(sol.E_layer)

    def speeds(A):
        v = tuple(
            relations.velocity_shift(sol.E_layer, A, s * axis, lam, np.cross) for s in (1.0, -1.0)
        )
        total = tuple(
            vi + reference_velocity(sol, s * axis, n_s)
            for vi, s in zip(v, (1.0, -1.0), strict=True)
        )
        return v, total

    v, v_total = speeds(zero)
    result = ThinLayerSpin(charge=sol, inputs=inputs, axis=axis, v=v, v_total=v_total)
    if magnetic is not None:
        A = magnetic.vector_potential(sol.surface.n, lam)
        result.v_field, result.v_total_field = speeds(A)
    return result


def summarize(spins: ThinLayerSpin) -> SpinSummary:
    """The spin summary with the keys of the full model where they mean the same."""
    sol = spins.charge
    comm = sol.domain.comm

    def largest(pair) -> list[float]:
        return [global_max(comm, np.linalg.norm(v, axis=-1)) for v in pair]

    speeds = largest(spins.v)
    field = None
    if spins.v_field is not None:
        field = {
            "v_surface_max_field_m_s": largest(spins.v_field),
            "v_total_surface_max_field_m_s": largest(spins.v_total_field),
            **stopfield.stop_field_summary(
                comm,
                spins.v,
                spins.v_field,
                sol.surface.x,
                spins.inputs.applied_field,
                sol.domain.lambda_m,
            ),
        }
    return SpinSummary(
        axis=spins.axis,
        v_surface_max_m_s=speeds,
        v_total_surface_max_m_s=largest(spins.v_total),
        scales=stopfield.speed_scales(spins.inputs.material, max(speeds)),
        reference_flow="v_sigma0 = (c/(e n_s)) rho0 sigma x grad d, d the depth below the "
        "surface: -(c/(e n_s)) rho0 sigma x n at it (Eq. 61 generalised)",
        field=field,
        model="thin-layer: E - E0 = E_layer exp(-depth/lambda) in the layer, E_layer = "
        "(sigma/eps0) n to leading order; the normal part of sigma x (E - E0) and the phase "
        "term grad chi_sigma of the full model that takes it up are of higher order in "
        "lambda/L and left out",
    )
