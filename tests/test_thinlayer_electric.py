"""The thin-layer model in a uniform applied electric field (issue 13; docs/formulation.md 5.8).

A sphere R = 100 lambda: the layers' induced dipole p = 4 pi eps0 R^3 E_a f(x) with the London
sphere's shape factor f(x) = 1 - 3 coth(x)/x + 3/x^2 (4.4); the finite-lambda correction 1 - f,
about 3 lambda/R = 3%, is what is tested, within 2% of itself. The same mesh in a field of another
size and direction checks linearity and direction independence."""

import math
from pathlib import Path

import numpy as np
import pytest

from giantatom import stages
from giantatom.backend import MPI
from giantatom.case import parse_case
from giantatom.domain import build_domain
from giantatom.thinlayer.charge import solve_thin_layer, summarize
from giantatom.units import EPS_0
from support import body_case, sphere

LAMBDA = 1e-6  # lengths in um = lambda
X = 100.0  # R/lambda


def field_case(field: tuple[float, float, float]):
    extra = (
        f'[model]\nkind = "thin-layer"\nresolution = 0.3\n[electric]\napplied_field = {list(field)}'
    )
    return parse_case(body_case(sphere(X), far_field=3, extra=extra), Path("/tmp/thinE.toml"))


@pytest.fixture(scope="module")
def solved():
    """Two fields on one mesh: along z, and larger in an oblique direction."""
    fields = [(0.0, 0.0, 1e6), (1e6, -2e6, 0.5e6)]
    cases = [field_case(f) for f in fields]
    domain = build_domain(cases[0], MPI.COMM_WORLD)
    solutions = [solve_thin_layer(domain, stages.inputs(case).charge) for case in cases]
    return fields, cases, solutions


def test_sphere_dipole_has_the_finite_lambda_correction(solved):
    fields, _, solutions = solved
    E_a = np.array(fields[0])
    sol = solutions[0]
    p = sol.field_response.dipole
    ratio = p[2] / (4.0 * math.pi * EPS_0 * (X * LAMBDA) ** 3 * E_a[2])
    correction, exact = 1.0 - ratio, 3.0 / (math.tanh(X) * X) - 3.0 / X**2
    assert correction == pytest.approx(exact, rel=0.02)  # measured -0.4%
    assert np.linalg.norm(p[:2]) < 1e-5 * abs(p[2])
    # the sphere stays neutral and at the centre's potential (C_m ~ 1e-6 of E_a R)
    assert abs(sol.field_response.constants[0]) < 1e-5 * E_a[2] * X * LAMBDA
    summary = summarize(sol).to_dict()
    assert summary["electric"]["applied_field_V_m"] == pytest.approx(E_a)
    assert summary["electric"]["induced_dipole_C_m"] == pytest.approx(p)
    assert summary["bodies"][0]["dipole_moment_C_m"] == pytest.approx(p, rel=1e-9, abs=1e-30)
    assert abs(summary["net_charge_C"]) < 1e-6 * abs(p[2]) / (X * LAMBDA)


def test_sphere_layer_field_carries_the_applied_field(solved):
    """Under the surface the field-induced layer field is (sigma/eps0) n, sigma = eps0 (E_a +
    2 P) cos(theta) (P = f E_a), plus the tangential field (E_a - P) along E_a at the equator:
    E_a (1 - f), the part the layer lets through."""
    fields, _, solutions = solved
    E_a = fields[0][2]
    response = solutions[0].field_response
    n = solutions[0].surface.n
    f = 1.0 - (3.0 / (math.tanh(X) * X) - 3.0 / X**2)
    sigma_exact = EPS_0 * E_a * (1.0 + 2.0 * f) * n[..., 2]
    # patch averages over the coarse mesh (h = 0.3 R): measured 3.3% of the largest sigma
    assert np.abs(response.sigma - sigma_exact).max() < 0.05 * EPS_0 * E_a * 3.0
    equator = np.abs(n[..., 2]) < 0.05
    E_normal = np.einsum("fpi,fpi->fp", response.E_layer, n)
    tangential = (response.E_layer[..., 2] - E_normal * n[..., 2])[equator]
    assert tangential.mean() == pytest.approx(E_a * (1.0 - f), rel=0.05)


def test_linear_and_independent_of_direction(solved):
    fields, _, solutions = solved
    ratios = [  # p . E_a / |E_a|^2
        s.field_response.dipole @ np.array(f) / np.dot(f, f)
        for f, s in zip(fields, solutions, strict=True)
    ]
    p, E = solutions[1].field_response.dipole, np.array(fields[1])
    assert np.linalg.norm(np.cross(p, E)) < 1e-4 * np.linalg.norm(p) * np.linalg.norm(E)
    assert ratios[1] == pytest.approx(ratios[0], rel=1e-4)  # measured 2e-6
    # rho0 is field-free: the same in both fields
    assert solutions[1].rho0 == pytest.approx(solutions[0].rho0, rel=1e-12)
