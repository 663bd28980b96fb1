"""Case-file parsing and validation: every bad input names its key."""

from pathlib import Path

import pytest

from giantatom.case import load_case, parse_case
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
    assert case.mesh.order == 2 and case.charge.closure == "surface-mean"
    assert case.output.dir == Path("results/case")
    assert case.geometry.bodies[0].net_charge == 0.0


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
