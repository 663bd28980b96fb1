"""Several bodies (docs/formulation.md section 1, "Several bodies"): each body is its own
superconductor, so its neighbour's uniform rho0 is an external charge that it screens. Two
neutral spheres then superpose exactly: an isolated neutral sphere has no field outside."""

from pathlib import Path

import numpy as np
import pytest

from giantatom.backend import MPI
from giantatom.case import parse_case
from giantatom.charge import solve_charge
from giantatom.charge_summary import summarize
from giantatom.domain import build_domain
from giantatom.fields import FieldSpaces
from giantatom.probes import sample
from giantatom.stages import inputs
from support import body_case, sphere

MESH = {"surface_size": 0.4, "layer": 3.0, "far_field": 3.0}


def solve(text: str):
    case = parse_case(text, Path("/tmp/bodies.toml"))
    domain = build_domain(case, MPI.COMM_WORLD)
    solution = solve_charge(domain, inputs(case).charge)
    return case, domain, solution, summarize(solution).to_dict()


def test_two_neutral_spheres_are_undisturbed():
    """R = 3 lambda, centres 10 lambda apart: each sphere's surface rho is uniform and equal to
    the isolated sphere's, and there is no field at the centres or in the gap."""
    body = sphere(3.0)
    two = body_case(
        f"{body}\ncenter = [-5, 0, 0]\n[[geometry.body]]\n{body}\ncenter = [5, 0, 0]", **MESH
    )
    case, domain, sol, s = solve(two)
    alone = solve(body_case(body, **MESH))[3]
    E_m = case.material.E_m
    rho_minus = case.material.rho_minus
    for b in s["bodies"]:
        print(
            f"{b['name']}: rho0 {b['rho0_C_m3']:.6g} (alone {alone['rho0_C_m3']:.6g}), "
            f"surface rho {b['surface_rho_min_C_m3']:.6g} .. {b['surface_rho_max_C_m3']:.6g} "
            f"(alone {alone['surface_rho_min_C_m3']:.6g} .. {alone['surface_rho_max_C_m3']:.6g})"
        )
        assert b["rho0_C_m3"] == pytest.approx(alone["rho0_C_m3"], rel=1e-3)
        for key in ("surface_rho_min_C_m3", "surface_rho_max_C_m3"):
            assert b[key] == pytest.approx(rho_minus, rel=0.01)
            assert b[key] == pytest.approx(alone[key], rel=0.01)
    E = FieldSpaces(domain, case.mesh.order).everywhere(sol.electric_field(sol.phi), "E")
    points = np.array([[-5.0, 0, 0], [5.0, 0, 0], [0.0, 0, 0]])  # centres, middle of the gap
    values = sample(domain, points * domain.lambda_in_units, [("E", E, i) for i in range(3)])
    if domain.comm.rank == 0:
        magnitude = np.linalg.norm(values, axis=1) / E_m
        print("|E|/E_m at the centres and in the gap:", magnitude)
        assert np.all(magnitude < 1e-3)
