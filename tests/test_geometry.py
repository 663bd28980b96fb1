"""Every shape builder: the curved mesh has the volume and area of the shape it was asked for."""

import math
import shutil
from pathlib import Path

import numpy as np
import pytest

from giantatom.backend import MPI
from giantatom.case import parse_case
from giantatom.domain import build_domain

ROOT = Path(__file__).resolve().parents[1]
PI = math.pi

# (body table, exact volume, exact area or None), lengths in lambda
SHAPES = {
    "sphere": ('shape = "sphere"\nradius = 2', 4 / 3 * PI * 8, 4 * PI * 4),
    "ellipsoid": ('shape = "ellipsoid"\nsemi_axes = [3, 2, 1.5]', 4 / 3 * PI * 9, None),
    "box": ('shape = "box"\nsize = [3, 2, 1.5]\ncenter = [1, 0, 0]', 9.0, 2 * (6 + 4.5 + 3)),
    "cylinder": (
        'shape = "cylinder"\nradius = 1.5\nheight = 3\naxis = [1, 1, 0]',
        PI * 2.25 * 3,
        2 * PI * 1.5 * 3 + 2 * PI * 2.25,
    ),
    "torus": (
        'shape = "torus"\nmajor_radius = 2.5\nminor_radius = 1\naxis = [0, 1, 0]',
        2 * PI**2 * 2.5,
        4 * PI**2 * 2.5,
    ),
    "box minus hole": (
        'shape = "box"\nsize = [4, 4, 2]\nrotate = [0, 0, 45]\n'
        '[[geometry.body.subtract]]\nshape = "cylinder"\nradius = 1\nheight = 3',
        32 - PI * 2,
        2 * (16 - PI) + 4 * 4 * 2 + 2 * PI * 2,
    ),
}


def mesh_volume_area(body: str, lam: str = "1 um", unit: str = "um") -> tuple[float, float]:
    """Volume and area (in lambda^3, lambda^2) of the body in its curved, distributed mesh."""
    text = f"""
[material]
lambda = "{lam}"
[geometry]
unit = "{unit}"
[[geometry.body]]
{body}
[mesh]
surface_size = 0.4
layer = 1.5
far_field = 2.5
"""
    case = parse_case(text, Path("/tmp/shape.toml"))
    domain = build_domain(case, MPI.COMM_WORLD)
    return float(domain.volumes()[0]), float(domain.areas()[0])


@pytest.mark.parametrize("name", SHAPES)
def test_shape_volume_and_area(name):
    body, volume, area = SHAPES[name]
    v, a = mesh_volume_area(body)
    assert v == pytest.approx(volume, rel=1e-3)
    if area is not None:
        assert a == pytest.approx(area, rel=1e-3)


def test_step_import_keeps_the_cad_volume():
    import gmsh

    step = ROOT / "cases" / "cad" / "washer.step"
    gmsh.initialize()
    gmsh.option.setNumber("General.Terminal", 0)
    try:
        cad_volume = sum(
            gmsh.model.occ.getMass(*dt) for dt in gmsh.model.occ.importShapes(str(step))
        )
    finally:
        gmsh.finalize()
    # the file is drawn in nm (read by OpenCASCADE as mm): file_unit says so; lambda = 40 nm
    v, _ = mesh_volume_area(f'shape = "file"\npath = "{step}"\nfile_unit = "nm"', "40 nm", "nm")
    assert v * 40.0**3 == pytest.approx(cad_volume, rel=2e-3)
    # a plate 400 x 400 x 120 with a hole of radius 80, minus its rounded edges (r = 30)
    assert 0.95 < cad_volume / (400 * 400 * 120 - PI * 80**2 * 120) < 1.0


def test_msh_body(tmp_path):
    shutil.copy(ROOT / "tests" / "data" / "ball.msh", tmp_path)
    body = f'shape = "file"\npath = "{tmp_path / "ball.msh"}"\ncenter = [0.5, 0, 0]'
    v, a = mesh_volume_area(body)
    # a triangulated sphere of radius 2: the remeshed body keeps its faceted volume
    assert v == pytest.approx(4 / 3 * PI * 8, rel=0.02)
    assert a == pytest.approx(4 * PI * 4, rel=0.02)
    assert np.isfinite(v)
