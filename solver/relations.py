"""Pure relations between the sectors' quantities (docs/formulation.md section 3), shared by the
charge sector's spin-speed closure, the spin sector and the thin-layer model. They take UFL
expressions or numpy arrays alike (``cross`` is ufl.cross or numpy.cross) and import no solver.
"""

from collections.abc import Callable

from giantatom.units import C_LIGHT, E_CHARGE, M_E

SPINS = (("up", 1), ("down", -1))  # name in the outputs, sigma


def spin_orbit_potential(field_excess, sigma_axis, lambda_m, cross: Callable):
    """X_sigma = lambda sigma_vec x (E - E0) / c (T m), the spin-orbit part of Eq. 58, from
    E - E0 (V/m) and sigma_axis = sigma * s. ``lambda_m`` is a number or a Constant."""
    return cross(sigma_axis, field_excess) * (lambda_m / C_LIGHT)


def potential_shift(field_excess, vector_potential, sigma_axis, lambda_m, cross: Callable):
    """A_sigma - A_sigma0 (T m) from E - E0 (V/m), A (T m; 0 without a field) and
    sigma_axis = sigma * s (Eqs. 58a-b in SI)."""
    return spin_orbit_potential(field_excess, sigma_axis, lambda_m, cross) + vector_potential


def velocity_of(potential):
    """v = -(e/m_e) times a (corrected) four-potential shift, m/s from T m (Eqs. 55, 60a with
    Eq. 8: e^2 n_s / m_e = 1/(mu0 lambda^2))."""
    return potential * (-E_CHARGE / M_E)


def velocity_shift(field_excess, vector_potential, sigma_axis, lambda_m, cross: Callable):
    """v_sigma - v_sigma0 (m/s) before the phase term, from E - E0 (V/m), A (T m; 0 without a
    field) and sigma_axis = sigma * s (sigma = +1 or -1, s the unit spin axis)."""
    return velocity_of(potential_shift(field_excess, vector_potential, sigma_axis, lambda_m, cross))
