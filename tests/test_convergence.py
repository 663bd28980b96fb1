"""Mesh convergence of the screened solve: observed L2 order = element degree + 1.

The exact screening profile of a sphere of radius R (lengths in lambda) is
v = sinh(r) / (r cosh R) inside; outside it is 1 - beta/r, which satisfies the Robin
condition on the outer sphere exactly, so the only error is the discretisation's.
"""

from pathlib import Path

import numpy as np
import pytest

from giantatom.backend import MPI, ufl
from giantatom.case import parse_case
from giantatom.charge import solve_charge
from giantatom.domain import build_domain
from giantatom.stages import inputs
from support import sphere_case

R = 2.0


def profile_error(h: float, order: int) -> float:
    text = sphere_case(R, surface_size=h, layer=R, far_field=2.0, order=order)
    case = parse_case(text.replace("[mesh]", "[mesh]\ngrowth = 0.5"), Path("/tmp/conv.toml"))
    domain = build_domain(case, MPI.COMM_WORLD)
    sol = solve_charge(domain, inputs(case).charge)
    x = ufl.SpatialCoordinate(domain.mesh)
    r = ufl.sqrt(ufl.dot(x, x))
    exact = ufl.sinh(r) / (r * np.cosh(R))
    error = domain.integrate((sol.screening_profile() - exact) ** 2 * domain.dx(1))
    norm = domain.integrate(exact**2 * domain.dx(1))
    return float(np.sqrt(error / norm))


@pytest.mark.parametrize(("order", "sizes"), [(1, (0.5, 0.35, 0.25)), (2, (0.6, 0.42, 0.3))])
def test_observed_order(order, sizes):
    errors = [profile_error(h, order) for h in sizes]
    rates = [np.log(errors[i] / errors[i + 1]) / np.log(sizes[i] / sizes[i + 1]) for i in range(2)]
    assert all(abs(rate - (order + 1)) < 0.35 for rate in rates), (errors, rates)
