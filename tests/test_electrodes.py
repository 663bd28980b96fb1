"""Electrodes (ideal normal conductors), their charges and capacitances, and the capacitor with
superconducting plates (docs/formulation.md section 4.5)."""

import math
from pathlib import Path

import numpy as np
import pytest

from giantatom.backend import MPI
from giantatom.case import parse_case
from giantatom.charge import solve_charge
from giantatom.charge_summary import summarize
from giantatom.domain import build_domain
from giantatom.stages import inputs
from giantatom.units import EPS_0
from support import body_case, giantatom, sphere, write_case

LAMBDA = 1e-6  # m: the test cases' lambda = 1 um
CHARGE = 1e-16  # C on the capacitor plates


def solve(text: str) -> dict:
    case = parse_case(text, Path("/tmp/electrodes.toml"))
    domain = build_domain(case, MPI.COMM_WORLD)
    return summarize(solve_charge(domain, inputs(case).charge)).to_dict()


def electrode(shape: str, held: str, name: str) -> str:
    return f'[[geometry.electrode]]\nname = "{name}"\n{shape}\n{held}\n'


def test_sphere_electrode_charge_and_floating():
    """A spherical electrode of radius a at 1 V carries 4 pi eps0 a V (a neutral
    superconducting sphere of radius lambda 6 radii away barely changes that); a floating,
    neutral second electrode takes a potential; the capacitance matrix is symmetric and the
    superconducting sphere stays neutral."""
    ball = 'shape = "sphere"\nradius = 2.0\ncenter = [{}, 0, 0]'
    extra = electrode(ball.format(-6.0), "potential = 1.0", "held")
    extra += electrode(ball.format(6.0), "floating = true", "free")
    text = body_case(sphere(1.0), surface_size=0.5, layer=1.0, far_field=4.0, order=2).replace(
        "[mesh]", extra + "[mesh]"
    )
    s = solve(text)
    held, free = s["electric"]["electrodes"]
    C = np.asarray(s["electric"]["capacitance_matrix_F"])
    print("electrodes", held, free, "C", C)
    assert held["potential_V"] == 1.0 and free["charge_C"] == pytest.approx(0.0, abs=1e-30)
    assert abs(C[0, 1] - C[1, 0]) < 2e-3 * abs(C[0, 1])
    # two spheres of radius a, centres b apart (images; cosh beta = b/(2a)):
    # C11 = 4 pi eps0 a sinh(beta) sum 1/sinh((2n-1) beta), C12 = -... sum 1/sinh(2n beta)
    a, b = 2.0 * LAMBDA, 12.0 * LAMBDA
    beta = math.acosh(b / (2 * a))
    n = np.arange(1, 40)
    scale = 4 * math.pi * EPS_0 * a * math.sinh(beta)
    exact = scale * np.array(
        [np.sum(1 / np.sinh((2 * n - 1) * beta)), -np.sum(1 / np.sinh(2 * n * beta))]
    )
    print("C11, C12 exact", exact)
    assert C[0, 0] == pytest.approx(exact[0], rel=0.02)
    assert C[0, 1] == pytest.approx(exact[1], rel=0.05)
    assert free["potential_V"] == pytest.approx(-C[1, 0] / C[1, 1], rel=1e-6)
    assert abs(s["net_charge_C"]) < 1e-6 * abs(held["charge_C"])


def plates(width: float, conductor: str) -> str:
    """Two square plates (width x width x 2 lambda, gap lambda) with charges +-CHARGE, either
    superconducting bodies or floating electrodes, and a small neutral superconducting sphere
    beside them (a case needs a body; it sits where the field is weak)."""
    z = 1.5  # gap/2 + thickness/2
    text = body_case(
        sphere(1.0).replace("radius = 1.0", f"radius = 1.0\ncenter = [{width / 2 + 2.5}, 0, 0]"),
        surface_size=0.5,
        layer=2.0,
        far_field=3.0,
        order=1,
    )
    tables = ""
    for sign, name in ((1, "plus"), (-1, "minus")):
        box = f'shape = "box"\nsize = [{width}, {width}, 2]\ncenter = [0, 0, {sign * z}]'
        if conductor == "superconducting":
            tables += f'[[geometry.body]]\nname = "{name}"\n{box}\nnet_charge = {sign * CHARGE}\n'
        else:
            tables += electrode(box, f"floating = true\ncharge = {sign * CHARGE}", name)
    return text.replace("[mesh]", tables + "[mesh]")


def inverse_capacitances(width: float) -> tuple[float, float]:
    """1/C (1/F) of the superconducting pair (the difference of the plates' electrochemical
    potentials C_m per charge) and of the normal-conductor pair of the same geometry."""
    s = solve(plates(width, "superconducting"))
    shift = dict(zip([b["name"] for b in s["bodies"]], s["phi0_shift_V"], strict=True))
    n = solve(plates(width, "normal"))
    V = {e["name"]: e["potential_V"] for e in n["electric"]["electrodes"]}
    return (shift["plus"] - shift["minus"]) / CHARGE, (V["plus"] - V["minus"]) / CHARGE


def test_capacitor_superconducting_plates():
    """1/C_sc - 1/C_normal against 2 lambda/(eps0 A): the fraction grows towards 1 as the
    plates widen (0.64, 0.73, 0.81 at width 4, 8, 16 lambda, P1; README); the charge
    spreading to the outer faces and edges (fringing) keeps it below 1."""
    ratios = []
    for width in (4.0, 8.0):
        sc, normal = inverse_capacitances(width)
        ratios.append((sc - normal) / (2 * LAMBDA / (EPS_0 * (width * LAMBDA) ** 2)))
    print("ratios", ratios)
    assert 0.55 < ratios[0] < ratios[1] < 1.05
    assert ratios[1] == pytest.approx(0.726, abs=0.03)


BAD = {
    "overlaps the body": (
        'shape = "box"\nsize = [2, 2, 2]\ncenter = [3.5, 0, 0]\npotential = 1.0',
        ("geometry.electrode[1]", "'body1'", "'electrode1'", "overlap"),
    ),
    "both potential and floating": (
        'shape = "sphere"\nradius = 1.0\ncenter = [8, 0, 0]\npotential = 1.0\nfloating = true',
        ("geometry.electrode[1].potential", "not both"),
    ),
    "non-finite potential": (
        'shape = "sphere"\nradius = 1.0\ncenter = [8, 0, 0]\npotential = inf',
        ("geometry.electrode[1].potential", "finite"),
    ),
    "touches the body": (
        'shape = "box"\nsize = [4, 4, 4]\ncenter = [5, 0, 0]\npotential = 0.0',
        ("geometry.electrode[1]", "'body1'", "'electrode1'", "touch"),
    ),
    "potential without a number": (
        'shape = "sphere"\nradius = 1.0\ncenter = [8, 0, 0]\npotential = "1 V"',
        ("geometry.electrode[1].potential", "number"),
    ),
}


@pytest.mark.parametrize("name", BAD)
def test_bad_electrode(tmp_path, name):
    table, words = BAD[name]
    body = 'shape = "box"\nsize = [6, 6, 6]' if "touch" in name else sphere(3.0)
    text = body_case(body, surface_size=0.5).replace(
        "[mesh]", f"[[geometry.electrode]]\n{table}\n[mesh]"
    )
    out = tmp_path / "out"
    proc = giantatom("run", str(write_case(tmp_path, text)), "--out", str(out))
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in proc.stdout + proc.stderr, proc.stderr
    for word in words:
        assert word in lines[0]
    assert not out.exists()


def test_check_lists_the_electrodes(tmp_path):
    """`giantatom check` lists each electrode with its shape and how it is held."""
    held = electrode(
        'shape = "sphere"\nradius = 1.0\ncenter = [8, 0, 0]', "potential = 1.5", "gate"
    )
    free = electrode(
        'shape = "sphere"\nradius = 1.0\ncenter = [-8, 0, 0]', "floating = true", "island"
    )
    text = body_case(sphere(3.0), surface_size=0.5).replace("[mesh]", held + free + "[mesh]")
    proc = giantatom("check", str(write_case(tmp_path, text)))
    assert proc.returncode == 0, proc.stderr
    assert "electrode 'gate': sphere, held at 1.5 V" in proc.stdout
    assert "electrode 'island': sphere, floating, charge 0 C" in proc.stdout
