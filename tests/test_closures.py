"""Each closure does what it says; net charges and several bodies are handled."""

from pathlib import Path

import numpy as np
import pytest

from giantatom import exact as exact_sphere
from giantatom import spin, spin_summary
from giantatom.backend import MPI
from giantatom.case import parse_case
from giantatom.charge import solve_charge
from giantatom.charge_summary import summarize
from giantatom.domain import build_domain
from giantatom.stages import inputs, spin_inputs
from support import sphere_case


def solve(text: str):
    case = parse_case(text, Path("/tmp/closure.toml"))
    domain = build_domain(case, MPI.COMM_WORLD)
    solution = solve_charge(domain, inputs(case).charge)
    return case, solution, summarize(solution).to_dict()


COARSE = {"radius": 3.0, "surface_size": 0.5, "layer": 2.0}


def test_surface_mean():
    case, _, s = solve(sphere_case(**COARSE))
    assert s["surface_rho_mean_C_m3"] == pytest.approx(case.material.rho_minus, rel=1e-9)
    exact = exact_sphere.surface_mean_rho0(case.material.rho_minus, COARSE["radius"])
    print(f"surface-mean rho0 {s['rho0_C_m3']:.6g}, exact {exact:.6g}")
    assert s["rho0_C_m3"] == pytest.approx(exact, rel=0.01)


def test_max_field():
    case, _, s = solve(sphere_case(**COARSE, extra='[charge]\nclosure = "max-field"'))
    assert s["E_max_V_m"] == pytest.approx(case.material.E_m, rel=1e-9)
    assert s["rho0_C_m3"] > 0
    # every closure's value is reported; on a small sphere they differ (docs/formulation.md)
    by_closure = s["bodies"][0]["rho0_by_closure"]
    assert by_closure["max-field"] == s["rho0_C_m3"]
    exact = exact_sphere.surface_mean_rho0(case.material.rho_minus, COARSE["radius"])
    assert by_closure["surface-mean"] == pytest.approx(exact, rel=0.01)
    # a small sphere does not reach E_m with the surface-mean rho0 (0.64 E_m at R = 5 lambda)
    assert by_closure["max-field"] > 1.2 * by_closure["surface-mean"]


def test_spin_speed():
    """rho0 with the largest surface spin-velocity shift equal to v_0: Eq. 29a exactly for a
    sphere of any size (docs/formulation.md section 1.4), and the spin sector then reports v_0."""
    case, sol, s = solve(sphere_case(**COARSE, extra='[charge]\nclosure = "spin-speed"'))
    eq29a = -3.0 * case.material.rho_minus / COARSE["radius"]  # lambda = 1 in the test cases
    by_closure = s["bodies"][0]["rho0_by_closure"]
    print(f"spin-speed rho0 {s['rho0_C_m3']:.6g}, Eq. 29a {eq29a:.6g}")
    assert s["rho0_C_m3"] == by_closure["spin-speed"]
    assert s["rho0_C_m3"] == pytest.approx(eq29a, rel=0.01)
    spins = spin_summary.summarize(spin.solve_spin(spin_inputs(case), sol, None)).to_dict()
    assert spins["v_surface_max_m_s"] == pytest.approx([case.material.v_0] * 2, rel=1e-6)


def test_net_charge_does_not_move_rho0():
    """rho0 is a ground-state property: the closure is evaluated on the neutral body."""
    neutral = solve(sphere_case(**COARSE))[2]
    charged = solve(sphere_case(**COARSE, extra="[charge]\nnet_charge = 1e-16"))[2]
    assert charged["rho0_C_m3"] == pytest.approx(neutral["rho0_C_m3"], rel=1e-12)
    assert charged["net_charge_C"] == pytest.approx(1e-16, rel=1e-8)
    assert charged["surface_rho_mean_C_m3"] > neutral["surface_rho_mean_C_m3"]


def test_given_rho0_and_net_charge():
    _, _, s = solve(
        sphere_case(**COARSE, extra='[charge]\nclosure = "rho0"\nrho0 = 2.5e3\nnet_charge = 1e-16')
    )
    assert s["rho0_C_m3"] == 2.5e3
    assert s["net_charge_C"] == pytest.approx(1e-16, rel=1e-8)
    # a charged body: the extra charge also sits in the surface layer, so the mean moves
    neutral = solve(sphere_case(**COARSE, extra='[charge]\nclosure = "rho0"\nrho0 = 2.5e3'))[2]
    assert abs(neutral["net_charge_C"]) < 1e-8 * 2.5e3 * neutral["bodies"][0]["volume_m3"]
    assert s["surface_rho_mean_C_m3"] > neutral["surface_rho_mean_C_m3"]


def test_two_bodies_each_neutral_or_charged():
    two = sphere_case(**COARSE).replace(
        "[mesh]",
        '[[geometry.body]]\nshape = "sphere"\nradius = 2\ncenter = [7, 0, 0]\nnet_charge = 3e-17\n'
        "[mesh]",
    )
    two = two.replace("radius = 3.0", "radius = 3.0\ncenter = [-2, 0, 0]")
    case, sol, s = solve(two)
    charges = [b["net_charge_C"] for b in s["bodies"]]
    scale = max(abs(b["rho0_C_m3"]) * b["volume_m3"] for b in s["bodies"])
    assert abs(charges[0]) < 1e-8 * scale
    assert charges[1] == pytest.approx(3e-17, rel=1e-8)
    # each body is its own superconductor, its rho0 that of its own neutral expulsion solution:
    # the smaller body (more surface per volume) has the larger rho0, as Eq. 29 says (rho0 ~ 1/R)
    for b, radius in zip(s["bodies"], (3.0, 2.0), strict=True):
        assert b["rho0_C_m3"] == b["rho0_by_closure"]["surface-mean"]
        exact = exact_sphere.surface_mean_rho0(case.material.rho_minus, radius)
        assert b["rho0_C_m3"] == pytest.approx(exact, rel=0.02)
    assert s["bodies"][1]["rho0_C_m3"] > s["bodies"][0]["rho0_C_m3"]
    # the neutral body keeps rho_- as its surface mean (to the neighbour's small polarisation);
    # the charged one holds its extra charge in its surface layer
    assert s["bodies"][0]["surface_rho_mean_C_m3"] == pytest.approx(
        case.material.rho_minus, rel=1e-4
    )
    assert s["bodies"][1]["surface_rho_mean_C_m3"] > case.material.rho_minus
    assert np.isfinite(sol.residual) and sol.residual < 1e-6
