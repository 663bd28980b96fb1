"""Physical constants (CODATA 2018, SI) and length units.

The paper works in Gaussian units; the solver states its results in SI. Conversions between the
two are done once, here, by the relations used in ``material.py`` (e.g. E_SI = c * B_SI for the
Gaussian identity E = B), so that no other module carries a 4*pi or a factor of c.
"""

import math
import re

HBAR = 1.054571817e-34  # J s
M_E = 9.1093837015e-31  # kg
E_CHARGE = -1.602176634e-19  # C; the electron charge, NEGATIVE as in the paper
C_LIGHT = 299792458.0  # m/s
MU_0 = 1.25663706212e-6  # N/A^2
EPS_0 = 1.0 / (MU_0 * C_LIGHT**2)  # F/m

LENGTH_UNITS: dict[str, float] = {
    "m": 1.0,
    "cm": 1e-2,
    "mm": 1e-3,
    "um": 1e-6,
    "µm": 1e-6,
    "nm": 1e-9,
    "angstrom": 1e-10,
    "pm": 1e-12,
}

_QUANTITY = re.compile(r"^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*([A-Za-zµ]+)\s*$")


def parse_length(text: str) -> tuple[float, str]:
    """``"40 nm"`` -> (4e-8, "nm"). ValueError with a reason on anything else."""
    match = _QUANTITY.match(text)
    if not match:
        raise ValueError(f'expected a number and a length unit, like "40 nm" (got {text!r})')
    value, unit = float(match.group(1)), match.group(2)
    if unit not in LENGTH_UNITS:
        raise ValueError(f"{unit!r} is not a length unit (use one of {', '.join(LENGTH_UNITS)})")
    if not math.isfinite(value):
        raise ValueError(f"{text!r} is not a finite length")
    return value * LENGTH_UNITS[unit], unit
