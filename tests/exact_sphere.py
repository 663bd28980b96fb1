"""Exact results of docs/formulation.md for a sphere of radius x lambda (sections 1 to 3),
shared by the tests: the neutral sphere with the surface-mean closure, the spin speed, the London
sphere.

Radii r and x are in units of lambda; fields come out in SI for lambda = ``lambda_m`` (the test
cases' 1 um by default)."""

import math

import numpy as np

from giantatom.units import EPS_0, MU_0

LAMBDA = 1e-6  # m: the test cases use lambda = 1 um and lengths in um


def surface_ratio(x: float) -> float:
    """rho(R)/rho0 = 1 - x^2 / (3 (x coth x - 1))."""
    return 1.0 - x * x / (3.0 * (x / math.tanh(x) - 1.0))


def surface_mean_rho0(rho_minus: float, x: float) -> float:
    """rho0 of the surface-mean closure: the one with rho(R) = rho_-."""
    return rho_minus / surface_ratio(x)


def rho(r: np.ndarray, rho0: float, x: float) -> np.ndarray:
    """rho(r) = rho0 [1 - x^3 sinh r / (3 r (x cosh x - sinh x))]."""
    return rho0 * (1 - x**3 * np.sinh(r) / (3 * r * (x * np.cosh(x) - np.sinh(x))))


def field_excess(r: np.ndarray, rho0: float, x: float, lambda_m: float = LAMBDA) -> np.ndarray:
    """E0 - E (V/m, radial) at radius r: the layer's part of the field, |E - E0|;
    E = (rho0/(3 eps0)) [r - x^3 (r cosh r - sinh r)/(r^2 (x cosh x - sinh x))] lambda."""
    shape = x**3 * (r * np.cosh(r) - np.sinh(r)) / (r**2 * (x * np.cosh(x) - np.sinh(x)))
    return rho0 / (3 * EPS_0) * shape * lambda_m


def field(r: np.ndarray, rho0: float, x: float, lambda_m: float = LAMBDA) -> np.ndarray:
    """The radial field E(r), V/m: E0 = rho0 r lambda/(3 eps0) less the layer's part."""
    return rho0 / (3 * EPS_0) * r * lambda_m - field_excess(r, rho0, x, lambda_m)


def spin_g(x: float) -> float:
    """Surface spin speed |v_sigma - v_sigma0| in units of v_0 (section 3):
    g(x) = (x/3) / (x^2 / (3 (x coth x - 1)) - 1)."""
    return (x / 3.0) / (x * x / (3.0 * (x / math.tanh(x) - 1.0)) - 1.0)


def london_shape(x: float) -> float:
    """The London sphere's factor f = 1 - 3 coth(x)/x + 3/x^2 (section 2)."""
    return 1.0 - 3.0 / x / math.tanh(x) + 3.0 / x**2


def london_moment(x: float, field_T, lambda_m: float = LAMBDA) -> np.ndarray:
    """m = -(2 pi R^3 B / mu0) f (A m^2) in the uniform field B (T), R = x lambda."""
    R = x * lambda_m
    return -(2 * math.pi * R**3 / MU_0) * london_shape(x) * np.asarray(field_T, dtype=float)
