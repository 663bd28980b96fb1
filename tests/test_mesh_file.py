"""A mesh saved by `giantatom mesh` (on 2 ranks) is reused by `run` on any number of ranks and
gives the run's numbers; a mesh made for other settings is refused."""

import json

import pytest

from support import giantatom, load_summary, sphere_case, write_case

KEYS = ["rho0_C_m3", "surface_rho_mean_C_m3", "surface_rho_min_C_m3", "E_max_V_m"]
TEXT = sphere_case(2.5, surface_size=0.5, layer=1.5, far_field=2.5) + (
    "[output]\nfigures = []\nfields = false\n"
)


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    folder = tmp_path_factory.mktemp("mesh")
    case = write_case(folder, TEXT)
    proc = giantatom("mesh", str(case), "--out", str(folder / "mesh"), ranks=2)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    direct = giantatom("run", str(case), "--out", str(folder / "direct"))
    assert direct.returncode == 0, direct.stdout + direct.stderr
    return folder


def test_mesh_files(saved):
    names = {p.name for p in (saved / "mesh").iterdir()}
    assert {"mesh.msh", "mesh.xdmf", "mesh.h5", "mesh.json"} <= names
    meta = json.loads((saved / "mesh" / "mesh.json").read_text())
    assert meta["length_unit"] == "lambda" and meta["body_names"] == ["body1"]
    assert meta["made_from"]["mesh.surface_size"] == 0.5
    assert meta["report"]["cells"] == load_summary(saved / "direct")["mesh"]["cells"]


@pytest.mark.mpi
@pytest.mark.parametrize("how", ["case", "flag"])
def test_run_on_a_saved_mesh(saved, tmp_path, how):
    mesh = saved / "mesh" / "mesh.xdmf"
    if how == "case":
        case = write_case(tmp_path, TEXT.replace("[mesh]", f'[mesh]\nfile = "{mesh}"'))
        args, ranks = ["run", str(case)], 1
    else:
        case = write_case(tmp_path, TEXT)
        args, ranks = ["run", str(case), "--mesh", str(mesh)], 2
    proc = giantatom(*args, "--out", str(tmp_path / "out"), ranks=ranks)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "reading the mesh" in proc.stdout
    one, two = load_summary(saved / "direct"), load_summary(tmp_path / "out")
    assert (
        one["mesh"]["cells"] == two["mesh"]["cells"] and one["mesh"]["dofs"] == two["mesh"]["dofs"]
    )
    for key in KEYS:
        assert two["charge"][key] == pytest.approx(one["charge"][key], rel=1e-6), key
    memory = two["run"]["memory"]
    assert len(memory["peak_rss_MiB"]) == ranks and min(memory["peak_rss_MiB"]) > 50


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("surface_size = 0.5", "surface_size = 0.45"), "mesh.surface_size = 0.5 (the case: 0.45)"),
        (('lambda = "1 um"', 'lambda = "2 um"'), "material.lambda_m"),
        (("radius = 2.5", "radius = 2.4"), "another geometry"),
    ],
)
def test_a_mesh_for_other_settings_is_refused(saved, tmp_path, change, message):
    mesh = saved / "mesh" / "mesh.xdmf"
    text = TEXT.replace(*change).replace("[mesh]", f'[mesh]\nfile = "{mesh}"')
    proc = giantatom("run", str(write_case(tmp_path, text)), "--out", str(tmp_path / "out"))
    assert proc.returncode == 2
    assert "mesh.file" in proc.stderr and message in proc.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("line", "key", "message"),
    [
        ('file = "nowhere/mesh.xdmf"', "mesh.file", "no such file"),
        ('file = "mesh.msh"', "mesh.file", "must be a mesh.xdmf"),
        ("threads = 0", "mesh.threads", "must be at least 1"),
        ('file = "m.xdmf"\nfar_size = 2', "mesh.file", "order 1 or 2"),  # order = 3 (below)
    ],
)
def test_bad_mesh_keys(tmp_path, line, key, message):
    for name in ("m.xdmf", "m.h5", "m.json"):
        (tmp_path / name).write_text("")
    text = TEXT.replace("[mesh]", f"[mesh]\n{line}")
    if "far_size" in line:  # DOLFINx reads no cubic cells from XDMF
        text = text.replace("order = 2", "order = 3")
    proc = giantatom("check", str(write_case(tmp_path, text)))
    assert proc.returncode == 2 and f"error: {key}:" in proc.stderr
    assert message in proc.stderr
