"""Exact solutions of docs/formulation.md, shared by the figures, the summaries and the tests.

A sphere of radius R = x lambda (sections 1 to 3): the charge expelled into a layer lambda
deep, the London sphere in a uniform field, the spin speed at its surface; the sphere and the
wide plate in an applied electric field. Lengths written r, x, z are in units of lambda; fields
come out in SI for the London depth ``lambda_m`` (default: the test cases' 1 um).

Hyperbolic functions of r are written as exp(r - x), so that spheres thousands of lambda
across neither overflow nor lose the layer to round-off.
"""

import math
from dataclasses import dataclass

import numpy as np

from giantatom.units import EPS_0, MU_0

LAMBDA = 1e-6  # m: lambda of the test cases (lengths in um, lambda = 1 um)


# --------------------------------------------------------------------------------------------
# The charged or neutral sphere (section 1): rho = rho0 + C sinh(r)/r inside, vacuum outside


def _scaled_sinh_cosh(r: np.ndarray, x: float) -> tuple[np.ndarray, np.ndarray]:
    """sinh(r) e^-x and cosh(r) e^-x, finite for any r <= x."""
    return 0.5 * (np.exp(r - x) - np.exp(-r - x)), 0.5 * (np.exp(r - x) + np.exp(-r - x))


def _scaled_layer(x: float) -> float:
    """(x cosh x - sinh x) e^-x: the layer's charge integral, 4 pi lambda^3 times this."""
    sinh_x, cosh_x = _scaled_sinh_cosh(np.array(x), x)
    return float(x * cosh_x - sinh_x)


@dataclass(frozen=True)
class SphereField:
    """rho (C/m^3), radial E (V/m) and phi (V, zero at infinity) at the radii asked for."""

    rho: np.ndarray
    E: np.ndarray
    phi: np.ndarray


def sphere(
    r: np.ndarray, x: float, rho0: float, charge: float = 0.0, lambda_m: float = LAMBDA
) -> SphereField:
    """The sphere of radius x with the uniform density rho0 (C/m^3) and the net ``charge`` (C):
    rho = rho0 + C sinh(r)/r inside, C fixed by the net charge; E from Gauss, phi from
    integrating E in from infinity. r in lambda, inside and outside (r >= 0)."""
    r = np.asarray(r, dtype=float)
    lam3 = lambda_m**3
    volume = 4.0 / 3.0 * math.pi * x**3 * lam3
    amplitude = (charge - rho0 * volume) / (4.0 * math.pi * lam3 * _scaled_layer(x))  # C e^x
    inside = r <= x
    s = np.where(inside, r, x)
    positive = s > 0
    s_safe = np.where(positive, s, 1.0)
    sinh_s, cosh_s = _scaled_sinh_cosh(s, x)
    sinh_over_s = np.where(positive, sinh_s / s_safe, math.exp(-x))  # sinh(s)/s at s -> 0
    rho = np.where(inside, rho0 + amplitude * sinh_over_s, 0.0)
    # the charge inside radius s: rho0 4/3 pi s^3 + C 4 pi lambda^3 (s cosh s - sinh s)
    enclosed = rho0 * 4.0 / 3.0 * math.pi * s**3 * lam3
    # s cosh s - sinh s, scaled like sinh and cosh; its series near the centre, where the
    # difference cancels to nothing (s^3/3 + s^5/30 + s^7/840 + ...)
    series = math.exp(-x) * (s**3 / 3.0 + s**5 / 30.0 + s**7 / 840.0)
    shell = np.where(s < 1e-2, series, s * cosh_s - sinh_s)
    enclosed = enclosed + amplitude * 4.0 * math.pi * lam3 * shell
    r_m = np.where(r > 0, r, 1.0) * lambda_m
    E = np.where(inside, enclosed, charge) / (4.0 * math.pi * EPS_0 * r_m**2)
    # at r -> 0 the enclosed charge goes as r^3: E -> rho(0) r / (3 eps0) = 0
    E = np.where(r > 0, E, 0.0)
    phi_surface = charge / (4.0 * math.pi * EPS_0 * x * lambda_m)
    sinh_x_over_x = float(_scaled_sinh_cosh(np.array(x), x)[0]) / x
    phi_inside = (
        phi_surface
        + rho0 * (x**2 - s**2) * lambda_m**2 / (6.0 * EPS_0)
        + amplitude * lambda_m**2 / EPS_0 * (sinh_x_over_x - sinh_over_s)
    )
    phi = np.where(inside, phi_inside, charge / (4.0 * math.pi * EPS_0 * r_m))
    return SphereField(rho=rho, E=E, phi=phi)


def surface_ratio(x: float) -> float:
    """rho(R)/rho0 of the neutral sphere: 1 - x^2 / (3 (x coth x - 1))."""
    return 1.0 - x * x / (3.0 * (x / math.tanh(x) - 1.0))


def surface_mean_rho0(rho_minus: float, x: float) -> float:
    """rho0 of the surface-mean closure: the one with rho(R) = rho_-."""
    return rho_minus / surface_ratio(x)


def rho(r: np.ndarray, rho0: float, x: float) -> np.ndarray:
    """rho(r) of the neutral sphere: rho0 [1 - x^3 sinh r / (3 r (x cosh x - sinh x))]."""
    return sphere(r, x, rho0).rho


def field(r: np.ndarray, rho0: float, x: float, lambda_m: float = LAMBDA) -> np.ndarray:
    """The radial field E(r) of the neutral sphere, V/m."""
    return sphere(r, x, rho0, lambda_m=lambda_m).E


def field_excess(r: np.ndarray, rho0: float, x: float, lambda_m: float = LAMBDA) -> np.ndarray:
    """E0 - E (V/m, radial) inside the neutral sphere: the layer's part of the field, with
    E0 = rho0 r lambda / (3 eps0) the field of the uniform rho0."""
    r = np.asarray(r, dtype=float)
    return rho0 / (3.0 * EPS_0) * r * lambda_m - field(r, rho0, x, lambda_m)


def neutral_sphere(
    r_m: np.ndarray, radius_m: float, lambda_m: float, rho0: float
) -> tuple[np.ndarray, np.ndarray]:
    """(rho, radial E) of the neutral sphere in SI: r and the radius in metres."""
    field_ = sphere(
        np.asarray(r_m, dtype=float) / lambda_m, radius_m / lambda_m, rho0, 0.0, lambda_m
    )
    return field_.rho, field_.E


# --------------------------------------------------------------------------------------------
# The London sphere (section 2) and the spin speed (section 3)


def london_shape(x: float) -> float:
    """The London sphere's factor f = 1 - 3 coth(x)/x + 3/x^2."""
    return 1.0 - 3.0 / x / math.tanh(x) + 3.0 / x**2


def london_moment(x: float, field_T, lambda_m: float = LAMBDA) -> np.ndarray:
    """m = -(2 pi R^3 B / mu0) f (A m^2) in the uniform field B (T), R = x lambda."""
    R = x * lambda_m
    return -(2 * math.pi * R**3 / MU_0) * london_shape(x) * np.asarray(field_T, dtype=float)


def london_surface_potential(x: float, field_T: float, lambda_m: float = LAMBDA) -> float:
    """|A| at the equator of the London sphere: (3/2) B lambda (coth x - 1/x), T m."""
    return 1.5 * field_T * lambda_m * (1.0 / math.tanh(x) - 1.0 / x)


def spin_g(x: float) -> float:
    """Surface spin speed |v_sigma - v_sigma0| at the equator in units of v_0:
    g(x) = (x/3) / (x^2 / (3 (x coth x - 1)) - 1)."""
    return (x / 3.0) / (x * x / (3.0 * (x / math.tanh(x) - 1.0)) - 1.0)


def spin_stop_field(x: float, B_s: float) -> float:
    """The applied field (T) that stops the slower spin at the equator (section 3.8):
    B_s (2/3) g(x) / (coth x - 1/x)."""
    return B_s * (2.0 / 3.0) * spin_g(x) / (1.0 / math.tanh(x) - 1.0 / x)


# --------------------------------------------------------------------------------------------
# Applied electric field


def sphere_dipole(x: float, applied_V_m, lambda_m: float = LAMBDA) -> np.ndarray:
    """Dipole moment (C m) of the sphere in a uniform applied field E_a:
    p = 4 pi eps0 R^3 E_a [1 - 3 coth(x)/x + 3/x^2], R = x lambda."""
    R = x * lambda_m
    return 4 * math.pi * EPS_0 * R**3 * london_shape(x) * np.asarray(applied_V_m, dtype=float)


def sphere_centre_field(x: float) -> float:
    """The field at the sphere's centre in units of the applied field: x / sinh x."""
    return x / math.sinh(x) if x < 700 else 0.0


def plate_profile(z: np.ndarray, thickness: float) -> np.ndarray:
    """The induced field across a wide plate of ``thickness`` (lambda) in a normal field,
    relative to its value at the faces: cosh(z)/cosh(D/2), z from the mid-plane."""
    half = 0.5 * thickness
    z = np.abs(np.asarray(z, dtype=float))
    return np.exp(z - half) * (1 + np.exp(-2 * z)) / (1 + np.exp(-2 * half))
