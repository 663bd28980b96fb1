"""The command line as a user meets it: help, check, mesh, and bad input."""

import pytest

from conftest import giantatom, sphere_case, write_case

BAD_CASES = {
    "unknown key": ('[material]\nlambda = "40 nm"\ncolor = 1\n', "material.color"),
    "wrong type": (
        sphere_case().replace("radius = 4.0", 'radius = "big"'),
        "geometry.body[1].radius",
    ),
    "negative lambda": (sphere_case().replace('"1 um"', '"-1 um"'), "material.lambda"),
    "missing lambda": (sphere_case().replace('lambda = "1 um"', ""), "material.lambda"),
    "not a length": (sphere_case().replace('"1 um"', '"1 s"'), "material.lambda"),
    "missing CAD file": (
        sphere_case().replace('shape = "sphere"\nradius = 4.0', 'shape = "file"\npath = "no.step"'),
        "geometry.body[1].path",
    ),
    "outside vacuum sphere": (sphere_case() + "outer_radius = 4.5\n", "mesh.outer_radius"),
    "overlapping bodies": (
        sphere_case().replace(
            "[mesh]",
            '[[geometry.body]]\nshape = "box"\nsize = [2, 2, 2]\ncenter = [4, 0, 0]\n[mesh]',
        ),
        "geometry.body[2]",
    ),
    "too coarse": (sphere_case(surface_size=1.5), "mesh.surface_size"),
}


def test_help():
    proc = giantatom("--help")
    assert proc.returncode == 0
    for word in ("run", "mesh", "check", "mpirun", "exit codes"):
        assert word in proc.stdout


@pytest.mark.parametrize("name", BAD_CASES)
def test_bad_input_fails_cleanly(tmp_path, name):
    text, key = BAD_CASES[name]
    case = write_case(tmp_path, text)
    out = tmp_path / "out"
    proc = giantatom("run", str(case), "--out", str(out))
    assert proc.returncode != 0
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("giantatom: error:") and key in lines[0]
    assert "Traceback" not in proc.stdout + proc.stderr
    assert not out.exists()
    assert not list(tmp_path.glob(".out*"))


def test_too_coarse_says_how_fine(tmp_path):
    proc = giantatom("check", str(write_case(tmp_path, sphere_case(surface_size=3))))
    assert proc.returncode == 2 and "at most 1" in proc.stderr


@pytest.mark.mpi
def test_bad_geometry_under_mpi_does_not_hang(tmp_path):
    text, key = BAD_CASES["overlapping bodies"]
    proc = giantatom(
        "run", str(write_case(tmp_path, text)), "--out", str(tmp_path / "o"), ranks=2, timeout=120
    )
    assert proc.returncode != 0
    assert proc.stderr.count("giantatom: error:") == 1 and key in proc.stderr
    assert not (tmp_path / "o").exists()


def test_check_and_mesh(tmp_path):
    case = write_case(tmp_path, sphere_case(radius=2.0, surface_size=0.5, layer=1.5))
    proc = giantatom("check", str(case))
    assert proc.returncode == 0 and "valid" in proc.stdout
    proc = giantatom("mesh", str(case), "--out", str(tmp_path / "m"))
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "m" / "mesh.msh").stat().st_size > 0
    for word in ("tetrahedra", "element size", "quality"):
        assert word in proc.stdout


CRASH_ON_RANK_1 = """
import sys
from solver import cli, run

def crash(case, comm, out=None):
    if comm.rank == 1:
        raise RuntimeError("simulated bug on rank 1")
    comm.Barrier()  # rank 0 waits for a rank that will never come

run.run_case = crash
sys.exit(cli.main(["run", sys.argv[1]]))
"""


@pytest.mark.mpi
def test_a_bug_on_one_rank_aborts_all(tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    script = tmp_path / "crash.py"
    script.write_text(CRASH_ON_RANK_1)
    case = write_case(tmp_path, sphere_case())
    mpirun = Path(sys.executable).parent / "mpirun"
    proc = subprocess.run(
        [str(mpirun), "-n", "2", sys.executable, str(script), str(case)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode != 0
    assert "simulated bug on rank 1" in proc.stderr
