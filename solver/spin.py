"""Spin sector relations (physics.md section 3, Eqs. 55-61), in SI.

Eq. 58a in Gaussian units, A_sigma = lambda sigma x E + A, becomes
A_sigma = lambda sigma x E / c + A in SI (a Gaussian E has the units of B; E_SI = c B_SI).
With Eq. 55 and Eq. 8 the part of the spin velocity that the theory fixes without any choice is

    v_sigma - v_sigma0 = -(e / m_e) (lambda sigma x (E - E0) / c + A),      e < 0,

which at the surface of a large neutral body (E = 0, E0 = E_m outward, A = 0) has the magnitude
|e| lambda E_m / (m_e c) = hbar / (4 m_e lambda) = v_0 (Eq. 38). The functions take UFL
expressions or numpy arrays alike (``cross`` is ufl.cross or numpy.cross).
"""

from collections.abc import Callable

from solver.units import C_LIGHT, E_CHARGE, M_E


def velocity_shift(field_excess, vector_potential, sigma_axis, lambda_m: float, cross: Callable):
    """v_sigma - v_sigma0 (m/s) from E - E0 (V/m), A (T m; 0 without a field) and
    sigma_axis = sigma * s (sigma = +1 or -1, s the unit spin axis)."""
    spin_orbit = cross(sigma_axis, field_excess) * (lambda_m / C_LIGHT)
    return (spin_orbit + vector_potential) * (-E_CHARGE / M_E)
