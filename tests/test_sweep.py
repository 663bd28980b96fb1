"""Parameter sweeps: [sweep] keys, member cases, and a sweep run through the CLI."""

import csv
import tomllib
from pathlib import Path

import pytest

from giantatom import exact as exact_sphere
from giantatom.case import parse_case
from giantatom.errors import CaseError
from giantatom.material import Material
from giantatom.sweep import dump_toml, members
from support import ROOT, giantatom, sphere_case, write_case

TWO_BODIES = (ROOT / "cases" / "two_bodies.toml").read_text()


def parse(text: str):
    return parse_case(text, Path("/nonexistent/case.toml"))


def sweep_error(text: str) -> str:
    with pytest.raises(CaseError) as info:
        members(parse(text))
    return str(info.value)


@pytest.mark.parametrize("path", sorted((ROOT / "cases").glob("*.toml")), ids=lambda p: p.stem)
def test_case_files_survive_the_toml_writer(path):
    raw = tomllib.loads(path.read_text())
    assert tomllib.loads(dump_toml(raw)) == raw


def test_every_combination_with_its_values():
    case = parse(
        sphere_case(4.0)
        + '[sweep]\nlambda = ["1 um", "2 um"]\nradius = [2, 3, 4]\n"mesh.surface_size" = [0.5]\n'
    )
    assert [p.key for p in case.sweep] == [
        "material.lambda",
        "geometry.body[1].radius",
        "mesh.surface_size",
    ]
    found = members(case)
    assert len(found) == 6
    assert [(m.case.material.lambda_m, m.case.geometry.bodies[0].shape.radius) for m in found] == [
        (lam, r) for lam in (1e-6, 2e-6) for r in (2.0, 3.0, 4.0)
    ]
    assert all(m.case.mesh.surface_size == 0.5 and not m.case.sweep for m in found)
    assert found[4].name == "05_lambda-2um_radius-3_mesh.surface_size-0.5"
    # a member's case file is a case file: parsed again it is the same case
    again = parse(found[4].case.text)
    assert again.geometry == found[4].case.geometry and again.material == found[4].case.material


def test_bodies_by_index():
    case = parse(TWO_BODIES + '\n[sweep]\n"geometry.body[2].size" = [[200, 200, 200]]\n')
    (member,) = members(case)
    assert member.case.geometry.bodies[1].shape.size == (200.0, 200.0, 200.0)
    assert member.case.geometry.bodies[0].shape.radius == 160.0


@pytest.mark.parametrize(
    ("sweep", "message"),
    [
        ("radius = [2, -1]", "sweep.radius: geometry.body[1].radius: must be positive"),
        ('lambda = ["40 nm", 40]', "sweep.lambda: material.lambda"),
        ('"mesh.nonsense" = [1]', "sweep.mesh.nonsense"),
        ('"geometry.body[3].radius" = [1]', "geometry.body[3]"),
    ],
)
def test_bad_values_name_the_sweep_key(sweep, message):
    assert message in sweep_error(sphere_case(4.0) + f"[sweep]\n{sweep}\n")


@pytest.mark.parametrize(
    ("sweep", "key"),
    [
        ("radius = 3", "sweep.radius"),
        ("radius = []", "sweep.radius"),
        ("radius = [2, 2]", "sweep.radius"),
        ('"output.dir" = ["a"]', "sweep.output.dir"),
        ("colour = [1]", "sweep.colour"),
        ('radius = [1]\n"geometry.body[1].radius" = [2]', "sweep"),
    ],
)
def test_bad_sweep_tables(sweep, key):
    with pytest.raises(CaseError) as info:
        parse(sphere_case(4.0) + f"[sweep]\n{sweep}\n")
    assert info.value.key == key


def test_short_body_names_need_a_single_body():
    with pytest.raises(CaseError) as info:
        parse(TWO_BODIES + "\n[sweep]\nradius = [100]\n")
    assert info.value.key == "sweep.radius" and "geometry.body[1].radius" in info.value.message


@pytest.mark.parametrize("ranks", [1, pytest.param(2, marks=pytest.mark.mpi)])
def test_sweep_run(tmp_path, ranks):
    """Two radii times two iteration limits: the members with max_iterations = 1 fail and are
    reported; the others run and match the exact rho0 of their radius."""
    text = sphere_case(2.5, surface_size=0.5, layer=1.5, far_field=2.5)
    text += "[output]\nfigures = []\nfields = false\n"
    text += '[sweep]\nradius = [2.0, 3.0]\n"solver.max_iterations" = [1, 300]\n'
    case = write_case(tmp_path, text)
    out = tmp_path / "sweep"
    proc = giantatom("run", str(case), "--out", str(out), ranks=ranks)
    assert proc.returncode == 6, proc.stdout + proc.stderr
    assert "2 of 4 sweep members failed" in proc.stderr
    with open(out / "sweep.csv") as stream:
        rows = list(csv.DictReader(stream))
    assert [r["status"] for r in rows] == ["failed", "ok", "failed", "ok"]
    assert all("did not converge" in r["error"] for r in rows if r["status"] == "failed")
    rho_minus = Material(1e-6).rho_minus
    for row in rows[1::2]:
        assert (out / row["member"] / "summary.json").is_file()
        assert float(row["charge.surface_rho_mean_C_m3"]) == pytest.approx(rho_minus, rel=1e-9)
        rho0 = exact_sphere.surface_mean_rho0(rho_minus, float(row["radius"]))
        assert float(row["charge.rho0_C_m3"]) == pytest.approx(rho0, rel=0.01)
    assert not (out / rows[0]["member"]).exists()
    assert (out / "sweep.png").stat().st_size > 10_000
    assert (out / "case.toml").read_text() == text
