"""The adaptive loop (solver/adapt.py): sizes from the indicator, the loop on a small rounded
cube, and its case keys."""

from pathlib import Path

import numpy as np
import pytest

from giantatom import adapt, meshes
from giantatom.backend import MPI
from giantatom.case import parse_case
from giantatom.domain import build_domain
from giantatom.errors import CaseError
from giantatom.log import StageTimer
from giantatom.meshes.curvature import curved_sizes, radius_of_curvature
from giantatom.meshes.sizes import CellSizes, dilated
from support import body_case

SIDE, FILLET = 2.5, 0.5  # lambda
CUBE = f'shape = "box"\nsize = [{SIDE}, {SIDE}, {SIDE}]\nfillet = {FILLET}'


def test_sizes_equidistribute_within_clip():
    h = np.ones(3)
    eta = np.array([0.005, 0.03, 100.0])  # marked cells (fallback: below tol)
    sizes = adapt.new_sizes(h, eta, tol=0.01, degree=3)
    assert sizes == pytest.approx([adapt.STEP, (1 / 3) ** (1 / 3), adapt.SHRINK])


def test_sizes_reach_the_cells_around():
    """A refined cell's size reaches the cells across its faces (the curved surface bulges
    into the old vacuum cells), not those sharing only a vertex."""
    tetrahedron = np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1]], dtype=float)
    across = np.array([[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 1]], dtype=float)
    at_a_vertex = tetrahedron + np.array([0, 0, 1])
    cells = np.stack([tetrahedron, across, at_a_vertex, tetrahedron + 5.0])
    wanted = CellSizes(cells, np.array([0.1, 1e3, 1e3, 1e3]))
    assert dilated(wanted).sizes == pytest.approx([0.1, 0.1, 1e3, 1e3])


def test_curved_surfaces_get_their_own_size():
    """The rounded cube's fillets (radius 0.5 lambda) are found curved, its flat faces flat;
    the adaptive loop's first mesh gives the fillets their radius where the surface size is
    coarser, and nothing where it is finer."""
    case = parse_case(body_case(CUBE, surface_size=1.0), Path("/tmp/adapt.toml"))
    with meshes.gmsh_session():
        model = meshes.build_geometry(case)
        surfaces = model.body_surfaces[0]
        radii = np.array([radius_of_curvature(s) for s in surfaces])
        start, finer = curved_sizes(surfaces, 1.0), curved_sizes(surfaces, 0.4)
    flat = np.isinf(radii)
    assert flat.sum() == 6 and radii[~flat] == pytest.approx(FILLET)  # 12 edges, 8 corners
    assert sorted(start) == sorted(np.array(surfaces)[~flat]) and finer == {}
    assert list(start.values()) == pytest.approx([FILLET] * 20)


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


def regions(domain) -> dict[str, int]:
    """Cells of the rounded cube's mesh by where they are: on the fillets (within 0.3 lambda of
    their surface, both sides) and around the middle of the faces (within 0.5 lambda of the
    axes through the face centres, inside and out)."""
    middle = np.abs(adapt.cell_corners(domain).mean(axis=1))
    centre = 0.5 * SIDE - FILLET  # of the fillets' spheres and cylinders
    rounded = np.sum(middle > centre, axis=1)  # 3: at a corner, 2: on an edge's fillet
    outward = np.linalg.norm(np.maximum(middle - centre, 0.0), axis=1)
    fillet = (rounded >= 2) & (np.abs(outward - FILLET) < 0.3)
    face = (rounded == 1) & (np.sort(middle, axis=1)[:, 1] < 0.5) & (middle.max(axis=1) > 0.25)
    return {"fillets": int(fillet.sum()), "faces": int(face.sum())}


def test_two_rounds_refine_the_fillets(monkeypatch):
    """Two rounds on a rounded cube at P3: the estimated max |E| error falls below the target,
    and most cells added sit on the fillets (edges and corners, where |E| peaks), not around
    the middle of the faces (some do: on this coarse mesh the estimate there is large too),
    though the first mesh already has the fillets at their radius (0.5), the faces at 0.8."""
    meshes_made = []

    def build_and_keep(*args, **kwargs):
        meshes_made.append(build_domain(*args, **kwargs))
        return meshes_made[-1]

    monkeypatch.setattr(adapt, "build_domain", build_and_keep)
    mesh = dict(surface_size=0.8, layer=1.0, far_field=2.2, order=3, accuracy=0.02)
    text = body_case(CUBE, adapt="true", adapt_rounds=2, **mesh)
    case = parse_case(text, Path("/tmp/adapt.toml"))
    _, rounds = adapt.adapted_domain(case, MPI.COMM_WORLD, StageTimer())
    assert [r.round for r in rounds] == [1, 2]
    first, second = rounds  # measured: 8,242 cells, 0.17; 12,396 cells, 0.0024
    assert first.E_max_error > 2 * case.mesh.accuracy > second.E_max_error
    assert 0 < first.refined_cells < 0.3 * first.cells
    assert first.cells < second.cells < 2.5 * first.cells
    assert max(first.surface_rho_error, second.surface_rho_error) < case.mesh.accuracy

    before, after = (regions(domain) for domain in meshes_made)
    added = {region: after[region] - before[region] for region in before}
    assert added["fillets"] > 1.3 * added["faces"] > 0  # measured: 1,469 and 881; 1,423, 863
