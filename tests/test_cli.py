"""The command line as a user meets it: help, check, mesh, and bad input."""

import re

import pytest

from support import giantatom, load_summary, sphere_case, write_case

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
    # R_out = 12 lambda: eps (R_out/lambda)^2 = 1.44e-3 > 1e-3, though eps < 1e-3 alone
    "eps too large for the vacuum": (
        sphere_case(extra="[magnetic]\napplied_field = [0, 0, 1e-5]\neps = 1e-5\n"),
        "magnetic.eps",
    ),
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
    estimated = re.search(r"mesh estimate: about ([\d,]+) tetrahedra", proc.stdout)
    assert estimated, proc.stdout
    assert "WARNING" not in proc.stdout
    proc = giantatom("mesh", str(case), "--out", str(tmp_path / "m"))
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "m" / "mesh.msh").stat().st_size > 0
    for word in ("tetrahedra", "element size", "quality"):
        assert word in proc.stdout
    # the estimate made before meshing (measured: 11,431 against 12,400 cells)
    cells = int(re.search(r"mesh: (\d+) tetrahedra", proc.stdout).group(1))
    assert int(estimated.group(1).replace(",", "")) == pytest.approx(cells, rel=0.2)
    assert "WARNING" not in proc.stdout  # a good mesh: no quality warning


def test_check_warns_and_states_eps(tmp_path):
    """`giantatom check`: the memory warning (with $GIANTATOM_MEMORY below the estimate), a
    probe leaving the domain, and the vacuum regularisation chosen for the outer sphere."""
    probe = '[[probe]]\nname = "far"\nstart = [0, 0, 0]\nend = [0, 0, 80]\npoints = 5\n'
    field = "[magnetic]\napplied_field = [0, 0, 1e-5]\n"
    text = sphere_case(radius=4.0, far_field=10.0, extra=field + probe)  # R_out = 40 lambda
    proc = giantatom("check", str(write_case(tmp_path, text)), env={"GIANTATOM_MEMORY": "1e6"})
    assert proc.returncode == 0, proc.stderr
    warnings = [line for line in proc.stdout.splitlines() if "WARNING" in line]
    assert len(warnings) == 2, proc.stdout
    assert "memory" in warnings[0]
    assert "'far'" in warnings[1] and "2 of its 5 points" in warnings[1]
    # the default eps, capped at 1e-3 / 40^2
    assert "eps = 6.25e-07: eps (R_out/lambda)^2 = 0.001" in proc.stdout
    proc = giantatom("check", str(write_case(tmp_path, sphere_case(extra=field))))
    assert "WARNING" not in proc.stdout and "eps = 1e-06" in proc.stdout


RUN_CASE = """
[magnetic]
applied_field = [0, 0, {field}]
[spin]
direct_check = false
[output]
figures = []
fields = false
[[probe]]
name = "axis"
start = [0, 0, 0]
end = [0, 0, {end}]
points = 7
"""


def test_run_warns_and_goes_on(tmp_path):
    """The warnings of a run, one line each, and the run still succeeds: a field above the
    smallest local stop field, a probe leaving the domain and too little memory; with a weak
    field, a probe inside and enough memory, none."""
    runs = {}
    for name, field, end, env in (
        ("quiet", 1e-6, 5.0, {}),
        ("loud", 1e-3, 12.0, {"GIANTATOM_MEMORY": "1e6"}),
    ):
        text = sphere_case(
            radius=3.0, surface_size=0.6, layer=1.0, far_field=2.0, extra=RUN_CASE
        ).format(field=field, end=end)
        out = tmp_path / name
        proc = giantatom(
            "run", str(write_case(tmp_path, text, f"{name}.toml")), "--out", str(out), env=env
        )
        assert proc.returncode == 0, proc.stdout + proc.stderr
        runs[name] = [line for line in proc.stdout.splitlines() if "WARNING" in line]
        summary = load_summary(out)
        # B_s = 1.65e-4 T at lambda = 1 um; the stop field of a sphere R = 3 lambda is 1.5 B_s
        assert 1.0e-4 < summary["spin"]["stop_field_min_T"] < 5.0e-4
        assert summary["mesh"]["quality_p1_sicn"] > 0.25
        assert summary["magnetic"]["eps"] == 1e-6
        assert summary["magnetic"]["eps_moment_bias"] == pytest.approx(0.08e-6 * 36)
    assert runs["quiet"] == []
    loud = runs["loud"]
    assert len(loud) == 3, loud
    assert "memory" in loud[0]
    assert "probe 'axis'" in loud[1] and "3 of its 7 points" in loud[1]
    assert "stop field" in loud[2] and "spin up" in loud[2]


def test_quality_warnings():
    from giantatom.meshes.model import QUALITY_MIN, QUALITY_P1, MeshReport, quality_warnings

    def report(worst: float, p1: float | None) -> MeshReport:
        return MeshReport(1, {}, 1, 2, 0.1, 1.0, worst, 0.8, [0, 0, 0], 1.0, 2.0, quality_p1=p1)

    assert quality_warnings(report(0.3, 0.41)) == []  # the examples' meshes
    assert quality_warnings(report(0.3, None)) == []  # a mesh.json from before the percentile
    (line,) = quality_warnings(report(0.5 * QUALITY_MIN, 0.41))
    assert "worst element quality" in line
    (line,) = quality_warnings(report(0.3, 0.9 * QUALITY_P1))
    assert "1% of the elements" in line
    assert len(quality_warnings(report(0.0, 0.1))) == 2


CRASH_ON_RANK_1 = """
import sys
from giantatom import cli, run

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
