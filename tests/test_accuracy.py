"""Error estimates (solver/accuracy.py): each estimate within a factor 3 of the true error
against the exact sphere (docs/formulation.md sections 1 to 3): P2 on given meshes, and P3 at
the two accuracy settings of the README table (``[mesh] accuracy`` = 0.01 and 0.03)."""

from pathlib import Path

import numpy as np
import pytest

from giantatom import accuracy, magnetic, magnetic_summary, stages
from giantatom import exact as exact_sphere
from giantatom.backend import MPI
from giantatom.case import MeshSpec, parse_case
from giantatom.domain import build_domain
from giantatom.errors import CaseError
from giantatom.log import StageTimer
from giantatom.material import Material
from support import body_case, giantatom, load_summary, sphere, sphere_case, write_case

LAMBDA = 1e-6
FACTOR = 3.0
SETTINGS = (0.01, 0.03)  # [mesh] accuracy: R = 4 lambda gets P3 with surface_size 0.62, 0.91
NO_CHECK = "[spin]\ndirect_check = false\n"  # a check, not a number: the tests' time


def exact_charge(radius: float) -> dict[str, float]:
    """The exact headline charge numbers of a neutral sphere, surface-mean closure."""
    rho_minus = Material(lambda_m=LAMBDA).rho_minus
    rho0 = exact_sphere.surface_mean_rho0(rho_minus, radius)
    r = np.linspace(radius / 2, radius, 20001)
    return {
        "rho0_C_m3": rho0,
        "surface_rho_min_C_m3": rho_minus,
        "surface_rho_max_C_m3": rho_minus,
        "E_max_V_m": float(np.abs(exact_sphere.field(r, rho0, radius)).max()),
    }


def solved_with_errors(text: str) -> dict:
    """summary.json's sections of a case solved in this process, with the error estimates."""
    case = parse_case(text, Path("/tmp/accuracy.toml"))
    domain = build_domain(case, MPI.COMM_WORLD)
    given, model = stages.inputs(case), stages.FullModel()
    sections = stages.sections(model, stages.solve(model, domain, given, StageTimer()), [], {})
    return accuracy.estimate(domain, given, sections)


def spin_speed(radius: float) -> float:
    """The exact surface spin speed (section 3), m/s."""
    return exact_sphere.spin_g(radius) * Material(lambda_m=LAMBDA).v_0


def assert_brackets(section: dict, exact: dict[str, float]) -> None:
    for key, value in exact.items():
        true = np.abs(np.asarray(section[key]) - value)
        estimate = np.asarray(section[f"{key}_error"])
        ratio = estimate / true
        assert np.all((ratio > 1 / FACTOR) & (ratio < FACTOR)), (key, true, estimate)


def test_errors_sit_next_to_their_numbers():
    coarse = {"a_m": 1.0, "bodies": [{"rho0_C_m3": [1.0, 2.0], "name": "b"}], "rho0_C_m3": 3.0}
    fine = {"a_m": 0.0, "bodies": [{"rho0_C_m3": [1.5, 1.0], "name": "b"}], "rho0_C_m3": 2.5}
    out = accuracy.with_errors(coarse, fine)
    assert list(out) == ["a_m", "bodies", "rho0_C_m3", "rho0_C_m3_error"]
    assert out["rho0_C_m3_error"] == 0.5
    assert list(out["bodies"][0]) == ["rho0_C_m3", "rho0_C_m3_error", "name"]
    assert np.allclose(out["bodies"][0]["rho0_C_m3_error"], [0.5, 1.0])
    scaled = accuracy.with_errors(coarse, fine, factors={"rho0_C_m3": 1.5})
    assert scaled["rho0_C_m3_error"] == 0.75
    assert np.allclose(scaled["bodies"][0]["rho0_C_m3_error"], [0.75, 1.5])


def test_console_shows_each_estimate_next_to_its_number():
    from giantatom.report import summary_lines

    body = {"rho0_C_m3": 1.0, "rho0_C_m3_error": 0.01, "surface_rho_min_C_m3": -3.0}
    body |= {"surface_rho_min_C_m3_error": 0.02, "surface_rho_max_C_m3": -2.0}
    body |= {"surface_rho_max_C_m3_error": 0.03, "E_max_V_m": 5.0, "E_max_V_m_error": 0.04}
    charge = {"E_max_V_m": 5.0, "E_max_V_m_error": 0.04, "constitutive_residual": 0.0}
    charge |= {k: v for k, v in body.items() if k.startswith("surface")}
    charge |= {"surface_rho_mean_C_m3": -2.5}
    spin = {"axis": [0, 0, 1], "v_surface_max_m_s": [100.0, 90.0]}
    spin |= {"v_surface_max_m_s_error": [0.5, 0.25]}
    summary = {
        "case": "two",
        "material": {"lambda_m": 4e-8, "rho_minus_C_m3": -1.0, "E_m_V_m": 10.0, "v0_m_s": 700.0},
        "geometry": {"unit": "nm", "volume_m3": 1.0, "area_m2": 1.0},
        "mesh": {"cells": 10, "dofs": 20},
        "charge": charge | {"bodies": [body | {"name": "ball"}], "net_charge_C": 0.0},
        "spin": spin,
        "run": {"ranks": 1, "seconds": {"total": 3.0}},
    }
    one = "\n".join(summary_lines(summary, Path("r")))
    assert "rho0 1 +/- 0.01 C/m^3" in one
    assert "min -3 +/- 0.02, max -2 +/- 0.03 C/m^3" in one
    assert "max |E| inside 5 +/- 0.04 V/m" in one
    assert "up 100 +/- 0.5, down 90 +/- 0.25 m/s" in one
    summary["charge"]["bodies"].append(body | {"name": "cube"})
    two = "\n".join(summary_lines(summary, Path("r")))
    assert "cube estimated errors: rho0 +/- 0.01, surface rho min +/- 0.02 max +/- 0.03" in two


@pytest.mark.parametrize("setting", SETTINGS)
def test_accuracy_estimates_bracket_the_exact_error(setting):
    """P3 numbers as [mesh] accuracy chooses them, P4 the reference (README table)."""
    radius = 4.0
    text = body_case(sphere(radius), accuracy=setting, far_field=2.0, extra=NO_CHECK)
    sections = solved_with_errors(text)
    assert (sections["accuracy"]["degree"], sections["accuracy"]["reference_degree"]) == (3, 4)
    assert_brackets(sections["charge"], exact_charge(radius))
    assert_brackets(sections["charge"]["bodies"][0], exact_charge(radius))
    assert_brackets(sections["spin"], {"v_surface_max_m_s": spin_speed(radius)})


def test_run_reports_estimates_that_bracket_the_exact_error(tmp_path):
    """Through the CLI, all sectors: charge numbers and the surface spin speed (section 3)."""
    radius = 4.0
    text = sphere_case(radius, surface_size=0.7, layer=2.0, far_field=2.0)
    text = text.replace("[mesh]\n", "[mesh]\nerror_estimate = true\n")
    text += "[spin]\ndirect_check = false\n[output]\nfields = false\nfigures = []\n"
    out = tmp_path / "results"
    proc = giantatom("run", str(write_case(tmp_path, text)), "--out", str(out))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    summary = load_summary(out)
    assert_brackets(summary["charge"], exact_charge(radius))
    v0 = summary["material"]["v0_m_s"]
    speed = exact_sphere.spin_g(radius) * v0
    assert_brackets(summary["spin"], {"v_surface_max_m_s": speed})
    assert summary["charge"]["E_max_V_m_error"] > 0
    log = proc.stdout + proc.stderr
    assert "error estimates" in log
    error = summary["charge"]["E_max_V_m_error"]
    assert f"{summary['charge']['E_max_V_m']:.5g} +/- {error:.2g} V/m" in log  # the console


def magnetic_with_errors(text: str) -> tuple[dict, int]:
    """The magnetic section of a case, with its estimate (the magnetic sector alone, N1curl
    degree k and k + 1, as accuracy.estimate solves them), and k."""
    case = parse_case(text, Path("/tmp/accuracy.toml"))
    domain = build_domain(case, MPI.COMM_WORLD)
    given = stages.inputs(case)
    up, skipped = accuracy.one_degree_up(given)
    assert not skipped
    coarse, fine = (
        magnetic_summary.summarize(magnetic.solve_magnetic(domain, inputs.magnetic)).to_dict()
        for inputs in (given, up)
    )
    return accuracy.with_errors(coarse, fine), given.magnetic.spec.order


@pytest.mark.parametrize("setting", SETTINGS)
def test_london_moment_estimate_brackets_the_exact_error(setting):
    """The mesh [mesh] accuracy chooses at R = 4 lambda, N1curl degree 1 (degree 2 the
    reference; accuracy alone would choose degree 2, whose degree-3 reference costs minutes:
    README "Error estimates")."""
    radius, field = 4.0, (0.0, 0.0, 0.01)
    extra = f"[magnetic]\napplied_field = {list(field)}\norder = 1\n"
    text = body_case(sphere(radius), accuracy=setting, far_field=1.5, extra=extra)
    got, degree = magnetic_with_errors(text)
    assert degree == 1
    true = np.linalg.norm(got["moment_A_m2"] - exact_sphere.london_moment(radius, field))
    estimate = np.linalg.norm(got["moment_A_m2_error"])
    assert 1 / FACTOR < estimate / true < FACTOR, (true, estimate)


# --- [mesh] accuracy chooses the mesh ----------------------------------------------------------


def mesh_of(radius: float, **mesh) -> MeshSpec:
    """The mesh a sphere case of ``radius`` lambda gets with the [mesh] keys ``mesh``."""
    text = body_case(sphere(radius), far_field=3.0, **mesh)
    return parse_case(text, Path("/tmp/accuracy.toml")).mesh


def test_accuracy_chooses_order_and_sizes_and_explicit_keys_win():
    chosen = mesh_of(4.0, accuracy=0.01)
    assert (chosen.order, chosen.layer) == (3, 4.0)
    # R = 4 lambda, P3: max |E| 0.64% at h = 0.6, 1.8% at h = 0.8 (README table)
    assert 0.6 <= chosen.surface_size <= 0.65
    assert mesh_of(10.0, accuracy=0.01).surface_size == 1.0  # 0.6% measured at R = 10
    assert mesh_of(4.0, accuracy=0.001).surface_size < chosen.surface_size
    assert mesh_of(4.0, accuracy=0.01, order=2, surface_size=0.5).order == 2
    assert mesh_of(4.0, accuracy=0.01, surface_size=0.5).surface_size == 0.5
    # the London moment of N1curl degree 1 on P3 meshes: 2.1% at R = 4 (h 0.62), 1.35% at R = 30
    # (h 1.0), so degree 2 at 1%; at R = 100 degree 1 suffices (mesh_choice.magnetic_order)
    field = "[magnetic]\napplied_field = [0, 0, 0.01]\n"
    for radius, degree in ((4.0, 2), (30.0, 2), (100.0, 1)):
        text = body_case(sphere(radius), accuracy=0.01, extra=field)
        assert parse_case(text, Path("/tmp/m.toml")).magnetic.order == degree, radius
    # no accuracy and no mesh keys: the default accuracy 0.01; some keys: the classic rest
    assert mesh_of(4.0) == chosen
    classic = mesh_of(4.0, layer=4)
    assert (classic.order, classic.surface_size, classic.layer) == (2, 0.33, 4.0)


def test_bad_accuracy_names_its_key():
    text = sphere_case(4.0).replace("[mesh]\n", "[mesh]\naccuracy = 0.7\n")
    with pytest.raises(CaseError) as err:
        parse_case(text, Path("/tmp/accuracy.toml"))
    assert err.value.key == "mesh.accuracy"
