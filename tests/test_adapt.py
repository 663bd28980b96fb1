"""The adaptive loop (solver/adapt.py): sizes from the indicator, the loop on a small rounded
cube, and its case keys."""

from pathlib import Path

import numpy as np
import pytest

from giantatom import adapt
from giantatom.backend import MPI
from giantatom.case import parse_case
from giantatom.errors import CaseError
from giantatom.log import StageTimer
from support import body_case

SIDE, FILLET = 2.5, 0.5  # lambda
CUBE = f'shape = "box"\nsize = [{SIDE}, {SIDE}, {SIDE}]\nfillet = {FILLET}'


def test_sizes_equidistribute_within_clip():
    h = np.ones(4)
    eta = np.array([1e-6, 0.01, 0.03, 100.0])
    sizes = adapt.new_sizes(h, eta, tol=0.01, degree=3)
    assert sizes == pytest.approx([1.0, 1.0, (1 / 3) ** (1 / 3), adapt.SHRINK])


def test_relative_errors():
    coarse = {"E_max_V_m": 1.1, "surface_rho_min_C_m3": -2.0, "surface_rho_max_C_m3": 3.9}
    fine = {"E_max_V_m": 1.0, "surface_rho_min_C_m3": -2.1, "surface_rho_max_C_m3": 4.0}
    assert adapt.relative_errors(coarse, fine) == pytest.approx((0.1, 0.025))


@pytest.mark.parametrize(
    ("keys", "message"), [({"adapt": "true"}, "accuracy"), ({"adapt": 1}, "adapt")]
)
def test_bad_keys_name_the_key(keys, message):
    with pytest.raises(CaseError) as err:
        parse_case(body_case(CUBE, surface_size=0.8, **keys), Path("/tmp/adapt.toml"))
    assert "mesh.adapt" in str(err.value) and message in str(err.value)


def test_two_rounds_refine_the_corners():
    """Two rounds on a rounded cube: the estimated errors fall, and the cells get smaller at the
    corners (where E peaks and the indicator is large) than at the face centres."""
    mesh = dict(surface_size=0.8, layer=1.0, far_field=2.2, order=2, accuracy=0.3)
    text = body_case(CUBE, adapt="true", adapt_rounds=2, **mesh)
    case = parse_case(text, Path("/tmp/adapt.toml"))
    domain, rounds = adapt.adapted_domain(case, MPI.COMM_WORLD, StageTimer())
    assert [r.round for r in rounds] == [1, 2]
    first, second = rounds
    assert second.cells > first.cells
    assert second.E_max_error < 0.5 * first.E_max_error
    assert second.surface_rho_error < first.surface_rho_error

    corners = adapt.cell_corners(domain)
    h, middle = adapt.cell_size(corners), np.abs(corners.mean(axis=1))
    inside = middle.max(axis=1) < 0.5 * SIDE
    near_corner = inside & (middle.min(axis=1) > 0.5 * SIDE - 1.0)
    near_face_centre = inside & (middle.max(axis=1) > 0.5 * SIDE - 1.0)
    near_face_centre &= np.sort(middle, axis=1)[:, 1] < 0.5
    assert near_corner.any() and near_face_centre.any()
    assert np.mean(h[near_corner]) < 0.7 * np.mean(h[near_face_centre])
