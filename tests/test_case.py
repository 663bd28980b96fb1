"""Case-file parsing and validation: every bad input names its key."""

import dataclasses
import math
from pathlib import Path

import pytest

from giantatom import sweep
from giantatom.case import (
    Body,
    Box,
    Case,
    ChargeSpec,
    Cylinder,
    ElectricSpec,
    Electrode,
    Ellipsoid,
    FileShape,
    Geometry,
    Hole,
    MagneticSpec,
    Material,
    MeshSpec,
    OutputSpec,
    Probe,
    SolverSpec,
    Sphere,
    SpinSpec,
    Torus,
    load_case,
    parse_case,
)
from giantatom.errors import CaseError

ROOT = Path(__file__).resolve().parents[1]

GOOD = """
[material]
lambda = "40 nm"
[geometry]
unit = "nm"
[[geometry.body]]
shape = "sphere"
radius = 320
"""


def parse(text: str, tmp_path: Path = Path("/nonexistent")):
    return parse_case(text, tmp_path / "case.toml")


def error_key(text: str, tmp_path: Path = Path("/nonexistent")) -> str:
    with pytest.raises(CaseError) as info:
        parse(text, tmp_path)
    return info.value.key


@pytest.mark.parametrize("path", sorted((ROOT / "cases").glob("*.toml")), ids=lambda p: p.stem)
def test_example_cases_parse(path):
    case = load_case(path)
    assert case.geometry.bodies
    assert case.material.lambda_m > 0


def test_defaults():
    case = parse(GOOD)
    assert case.material.lambda_m == pytest.approx(40e-9)
    assert case.lambda_in_units == pytest.approx(40.0)
    assert case.charge.closure == "surface-mean"
    assert case.output.dir == Path("results/case")
    assert case.geometry.bodies[0].net_charge == 0.0
    # no mesh keys: accuracy = 0.01 chooses P3 and the size for R = 8 lambda (mesh_choice.py)
    mesh = case.mesh
    assert (mesh.accuracy, mesh.order, mesh.surface_size, mesh.layer) == (0.01, 3, 0.89, 4.0)
    assert case.mesh_choice.default and case.mesh_choice.radius == pytest.approx(8.0)


def mesh_with(text: str):
    """The mesh, N1curl degree and choice record of GOOD with ``text`` added."""
    case = parse(GOOD + text)
    return case.mesh, case.magnetic.order, case.mesh_choice


@pytest.mark.parametrize(
    ("keys", "expected", "default"),
    [
        ("", (0.01, 3, 0.89, 4.0), True),  # nothing set: accuracy = 0.01's choice
        ("accuracy = 0.01", (0.01, 3, 0.89, 4.0), False),  # the same, asked for
        ("accuracy = 0.01\nlayer = 2", (0.01, 3, 0.89, 2.0), False),  # given keys win
        ("surface_size = 0.5", (None, 2, 0.5, 4.0), None),  # some keys: classic P2, 0.33, 4
        ("order = 3", (None, 3, 0.33, 4.0), None),
        ("far_field = 3", (0.01, 3, 0.89, 4.0), True),  # not a key accuracy chooses
    ],
)
def test_mesh_defaults_follow_the_rule(keys, expected, default):
    mesh, _, choice = mesh_with(f"[mesh]\n{keys}\n")
    assert (mesh.accuracy, mesh.order, mesh.surface_size, mesh.layer) == expected
    assert (None if choice is None else choice.default) == default


@pytest.mark.parametrize(
    ("radius", "degree"),
    [
        (160, 2),  # R = 4 lambda: degree 1 measured 2.1% on the chosen mesh
        (400, 2),  # R = 10: 2.7%
        (1200, 2),  # R = 30: 1.35% (README "Choosing the mesh from an accuracy")
        (4000, 1),  # R = 100: degree 1 within 1% by the fit (0.76%)
    ],
)
def test_accuracy_chooses_the_n1curl_degree(radius, degree):
    """The N1curl degree where [magnetic] order is left out: what 1% needs on the chosen mesh."""
    case = parse(GOOD.replace("radius = 320", f"radius = {radius}"))
    assert case.magnetic.order == degree == case.mesh_choice.magnetic_order
    classic = parse(GOOD.replace("radius = 320", f"radius = {radius}") + "[mesh]\nlayer = 3\n")
    assert classic.magnetic.order == 1  # mesh keys without accuracy: degree 1 as before
    given = parse(GOOD.replace("radius = 320", f"radius = {radius}") + "[magnetic]\norder = 3\n")
    assert given.magnetic.order == 3 and given.mesh_choice.magnetic_order is None


def test_mesh_choice_is_recorded_and_round_trips():
    field = "[magnetic]\napplied_field = [0, 0, 0.01]\n"
    case = parse(GOOD + field)
    choice = case.mesh_choice
    assert choice.mesh == {"order": 3, "surface_size": 0.89, "layer": 4.0}
    assert choice.magnetic_order == case.magnetic.order
    assert choice.describe().startswith("accuracy 0.01 (default): P3, surface_size 0.89 lambda")
    assert choice.summary()["default"] and choice.summary()["surface_size"] == 0.89
    again = Case.from_text(case.to_toml(), case.path)  # written with the chosen keys
    assert again == case and again.mesh_choice is None  # it sets them all: nothing chosen
    other = dataclasses.replace(case, mesh=dataclasses.replace(case.mesh, surface_size=0.5))
    assert other.mesh_choice is None  # no longer what was chosen
    # the thin-layer model is unaffected: its mesh keys stay the classic ones, no accuracy
    thin = parse(GOOD + '[model]\nkind = "thin-layer"\n')
    assert (thin.mesh.accuracy, thin.mesh.order, thin.mesh.surface_size) == (None, 2, 0.33)
    assert thin.mesh_choice is None and thin.magnetic.order == 1


@pytest.mark.parametrize(
    ("edit", "key"),
    [
        (GOOD.replace('unit = "nm"', 'unit = "nm"\ncolour = "red"'), "geometry.colour"),
        (GOOD + "[mesh]\nsurface_sise = 0.3\n", "mesh.surface_sise"),
        (GOOD + "[meshing]\n", "meshing"),
        (GOOD.replace("radius = 320", 'radius = "320"'), "geometry.body[1].radius"),
        (GOOD.replace("radius = 320", "radius = -320"), "geometry.body[1].radius"),
        (GOOD.replace("radius = 320", "size = [1, 2, 3]"), "geometry.body[1].size"),
        (GOOD.replace('lambda = "40 nm"', 'lambda = "-40 nm"'), "material.lambda"),
        (GOOD.replace('lambda = "40 nm"', 'lambda = "40 kg"'), "material.lambda"),
        (GOOD.replace('lambda = "40 nm"', "lambda = 40"), "material.lambda"),
        (GOOD.replace('lambda = "40 nm"', ""), "material.lambda"),
        (GOOD.replace('unit = "nm"', 'unit = "furlong"'), "geometry.unit"),
        (GOOD.replace('shape = "sphere"', 'shape = "cone"'), "geometry.body[1].shape"),
        (GOOD + "[mesh]\nsurface_size = 2.0\n", "mesh.surface_size"),
        (GOOD + "[mesh]\norder = 5\n", "mesh.order"),
        (GOOD + "[mesh]\nfar_field = 1.1\n", "mesh.far_field"),
        (GOOD + '[charge]\nclosure = "rho0"\n', "charge.rho0"),
        (GOOD + '[charge]\nclosure = "magic"\n', "charge.closure"),
        (GOOD + '[[probe]]\nname = "a b"\nstart = [0,0,0]\nend = [1,0,0]\n', "probe[1].name"),
        (GOOD + '[[probe]]\nname = "p"\nstart = [0,0]\nend = [1,0,0]\n', "probe[1].start"),
        (
            GOOD.replace(
                'shape = "sphere"\nradius = 320',
                'shape = "torus"\nmajor_radius = 1\nminor_radius = 2',
            ),
            "geometry.body[1].minor_radius",
        ),
    ],
)
def test_bad_input_names_the_key(edit, key):
    assert error_key(edit) == key


def test_missing_cad_file(tmp_path):
    text = GOOD.replace('shape = "sphere"\nradius = 320', 'shape = "file"\npath = "missing.step"')
    with pytest.raises(CaseError, match="no such file") as info:
        parse(text, tmp_path)
    assert info.value.key == "geometry.body[1].path"


def test_not_toml():
    with pytest.raises(CaseError, match="not valid TOML"):
        parse("[material\nlambda = ")


def test_net_charge_needs_a_single_body():
    two = GOOD + '[[geometry.body]]\nshape = "sphere"\nradius = 100\ncenter = [1000, 0, 0]\n'
    assert error_key(two + "[charge]\nnet_charge = 1e-18\n") == "charge.net_charge"
    case = parse(GOOD + "[charge]\nnet_charge = 1e-18\n")
    assert case.geometry.bodies[0].net_charge == 1e-18


# ------------------------------------------------------------------- cases built in Python


def sphere_case(**kwargs) -> Case:
    return Case(Material(lambda_="40 nm"), Geometry([Body(Sphere(radius=320))]), **kwargs)


def test_python_case_equals_the_case_file():
    case = sphere_case()
    assert case == parse(GOOD)
    assert case.name == "case" and case.path == Path.cwd() / "case.toml"
    assert case.output.dir == Path("results/case") and case.lambda_text == "40 nm"
    assert case.text == case.to_toml()  # what the CLI copies into the results
    assert (
        case.geometry.bodies[0].name == "body1" and case.geometry.bodies[0].shape.kind == "sphere"
    )


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: Sphere(radius=-1), "Sphere.radius: must be positive, got -1"),
        (lambda: Sphere(radius="1"), "Sphere.radius: must be a number, got a string"),
        (lambda: Sphere(radius=1, center=(0, 0)), "Sphere.center: must be a list of 3 numbers"),
        (lambda: Box(size=(1, 1, 1), fillet=0.6), "Box.fillet: must be less than half"),
        (lambda: Torus(major_radius=1, minor_radius=2), "Torus.minor_radius: must be smaller"),
        (lambda: Cylinder(radius=1, height=1, axis=(0, 0, 0)), "Cylinder.axis: must not be"),
        (lambda: FileShape(path="missing.step"), "FileShape.path: no such file"),
        (lambda: Material(lambda_="40 kg"), "Material.lambda: 'kg' is not a length unit"),
        (lambda: Material(lambda_=40e-9), "Material.lambda: must be a length with a unit"),
        (lambda: MeshSpec(order=5), "MeshSpec.order: must be one of [1, 2, 3], got 5"),
        (lambda: ChargeSpec(closure="rho0"), 'ChargeSpec.rho0: is required with closure = "rho0"'),
        (lambda: Probe("p", (0, 0, 0), (0, 0, 0)), "Probe.end: must differ from start"),
        (lambda: Geometry([]), "Geometry.body: at least one"),
        (lambda: Hole(hole_axis=(0, 0, 1)), "Hole.hole_center: is required with hole_axis"),
        (lambda: Body(Sphere(radius=1), holes=[Hole(fluxoid=1)]), "Body.fluxoid: needs hole_axis"),
        (
            lambda: ElectricSpec(applied_field=(0, 0, math.inf)),
            "ElectricSpec.applied_field: must be finite",
        ),
        (lambda: sphere_case(mesh=MeshSpec(surface_size=2)), "mesh.surface_size: 2 lambda is"),
        (lambda: Electrode(Sphere(radius=1)), "Electrode.potential: is required"),
    ],
)
def test_objects_check_themselves(make, message):
    with pytest.raises(CaseError) as info:
        make()
    assert str(info.value).startswith(message)


def test_python_geometry_holes_and_names():
    ring = Body(Torus(major_radius=3, minor_radius=1, rotate=(90, 0, 0)), holes=[Hole(fluxoid=2)])
    washer = Body(
        Cylinder(radius=3, height=1, center=(10, 0, 0)),
        subtract=[Cylinder(radius=1, height=1, center=(10, 0, 0))],
        name="washer",
    )
    tip = Electrode(Sphere(radius=1, center=(0, 0, 8)), potential=1.5)
    case = Case(Material("1 um"), Geometry([ring, washer], unit="um", electrodes=[tip]))
    (hole,) = case.geometry.bodies[0].holes
    assert hole.key == "geometry.body[1]" and hole.fluxoid == 2 and hole.declared
    assert hole.axis == pytest.approx((0, -1, 0)) and hole.center == (0, 0, 0)
    (cut,) = case.geometry.bodies[1].holes
    assert (cut.key, cut.fluxoid, cut.declared) == ("geometry.body[2].subtract[1]", 0, False)
    assert case.magnetic.active  # a fluxoid traps flux
    assert case.geometry.electrodes[0].name == "electrode1"
    assert Case.from_text(case.to_toml(), case.path) == case


def test_python_paths_are_from_the_current_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT / "cases")
    plate = FileShape(path="cad/washer.step", file_unit="nm")
    assert plate.path == ROOT / "cases" / "cad" / "washer.step"
    case = Case(Material("40 nm"), Geometry([Body(plate)]), name="plate")
    written = case.write_toml(tmp_path / "plate.toml")
    assert '"../' in written.read_text() or str(plate.path) in written.read_text()
    monkeypatch.chdir(tmp_path)
    assert Case.from_toml(written) == case  # the relative path is from the written file


@pytest.mark.parametrize("path", sorted((ROOT / "cases").glob("*.toml")), ids=lambda p: p.stem)
def test_case_files_round_trip(path, tmp_path):
    case = Case.from_toml(path)
    assert Case.from_text(case.to_toml(), path) == case
    assert Case.from_toml(case.write_toml(tmp_path / path.name)) == case


def test_python_case_round_trips_with_every_section(tmp_path):
    case = Case(
        Material("40 nm", n_s=2e28),
        Geometry(
            [
                Body(Ellipsoid(semi_axes=(300, 200, 200)), net_charge=1e-18),
                Body(
                    Box(size=(200, 200, 50), fillet=5, center=(800, 0, 0)),
                    subtract=[Sphere(radius=20, center=(800, 0, 0))],
                    holes=[Hole(fluxoid=1, cut=1, hole_axis=(0, 0, 2), hole_center=(800, 0, 0))],
                ),
            ],
            electrodes=[
                Electrode(Cylinder(radius=50, height=20, center=(0, 0, 600)), potential=-2.0),
                Electrode(Sphere(radius=30, center=(0, 0, -600)), floating=True, charge=1e-18),
            ],
        ),
        mesh=MeshSpec(surface_size=0.5, layer=2, far_field=3),
        charge=ChargeSpec(closure="rho0", rho0=-1e6),
        magnetic=MagneticSpec(applied_field=(0, 0, 1e-3), eps=1e-7),
        electric=ElectricSpec(applied_field=[1e5, 0, 0]),
        spin=SpinSpec(axis=(1, 1, 0), direct_check=False),
        solver=SolverSpec(rtol=1e-8),
        output=OutputSpec(figures=(), formats=("vtu", "vtx")),
        probes=[Probe("axis", (0, 0, -500), (0, 0, 500), points=11)],
        sweep={"lambda": ["30 nm", "40 nm"], "geometry.electrode[1].potential": [1.0, 2.0]},
        name="everything",
    )
    assert case.geometry.bodies[1].holes[0].axis == (0, 0, 1) and case.magnetic.eps_given
    assert [p.key for p in case.sweep] == ["material.lambda", "geometry.electrode[1].potential"]
    again = Case.from_toml(case.write_toml(tmp_path / "everything.toml"))
    assert again == case
    members = sweep.members(again)
    assert [m.case.geometry.electrodes[0].potential for m in members] == [1.0, 2.0, 1.0, 2.0]
    assert members[3].case.material.lambda_m == pytest.approx(40e-9)


ELECTRODE = GOOD + '[[geometry.electrode]]\nshape = "sphere"\nradius = 50\ncenter = [0, 0, 900]\n'


def test_electrodes_from_the_case_file():
    case = parse(ELECTRODE + "potential = 2.5\n")
    (tip,) = case.geometry.electrodes
    assert (tip.name, tip.potential, tip.floating, tip.shape) == (
        "electrode1",
        2.5,
        False,
        Sphere(radius=50, center=(0, 0, 900)),
    )
    floating = parse(ELECTRODE + 'name = "tip"\nfloating = true\n').geometry.electrodes[0]
    assert (floating.name, floating.potential, floating.charge) == ("tip", None, 0.0)
    assert parse(GOOD).geometry.electrodes == ()


@pytest.mark.parametrize(
    ("edit", "key", "message"),
    [
        (ELECTRODE + "potential = 1\nfloating = true\n", "potential", "not both"),
        (ELECTRODE, "potential", "is required"),
        (ELECTRODE + "potential = nan\n", "potential", "must be finite"),
        (ELECTRODE + "potential = inf\n", "potential", "must be finite"),
        (ELECTRODE + 'potential = "1 V"\n', "potential", "must be a number"),
        (ELECTRODE + "potential = 1\ncharge = 1e-18\n", "charge", "floating = true"),
        (ELECTRODE + 'potential = 1\nname = "body1"\n', "name", "names another body"),
        (ELECTRODE + "potential = 1\nfluxoid = 1\n", "fluxoid", "is not a key of shape"),
    ],
)
def test_bad_electrodes_name_the_key(edit, key, message):
    with pytest.raises(CaseError, match=message) as info:
        parse(edit)
    assert info.value.key == f"geometry.electrode[1].{key}"


@pytest.mark.parametrize("field", ["[0, 0]", '[0, 0, "x"]', "[0, 0, nan]", '"1e5 V/m"'])
def test_applied_field_needs_three_numbers(field):
    with pytest.raises(CaseError) as info:
        parse(GOOD + f"[electric]\napplied_field = {field}\n")
    assert info.value.key == "electric.applied_field"
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(
    ("edit", "key", "near"),
    [
        (GOOD.replace("radius = 320", "raduis = 320"), "geometry.body[1].raduis", "radius"),
        (GOOD + "[mesh]\nsurface_sise = 0.3\n", "mesh.surface_sise", "surface_size"),
        (GOOD + "[meshh]\n", "meshh", "mesh"),
        (GOOD.replace('lambda = "40 nm"', 'lamda = "40 nm"'), "material.lamda", "lambda"),
    ],
)
def test_misspelled_key_suggests_the_right_one(edit, key, near):
    with pytest.raises(CaseError, match=f"did you mean '{near}'") as info:
        parse(edit)
    assert info.value.key == key


def test_misspelled_sweep_key_suggests_the_right_one():
    with pytest.raises(CaseError, match="did you mean 'lambda'") as info:
        parse(GOOD + '[sweep]\nlamda = ["30 nm"]\n')
    assert info.value.key == "sweep.lamda"
