"""The Python API (README "Python API"): giantatom.solve gives the numbers of `giantatom run`,
on 1 and 2 ranks; save/load round trip; the grid of the field file; errors as exceptions with
the command's messages; the exports; the example notebook runs."""

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from support import BIN, ROOT, load_summary, sphere_case, write_case
from support import giantatom as command

IGNORED = {"memory", "versions"}  # of the run, not of the physics; and timings (*seconds)

PROBE = """
[[probe]]
name = "axis"
start = [0, 0, 0]
end = [0, 0, 4.5]
points = 31
"""


def small_case(tmp_path: Path) -> Path:
    """A sphere of 3 lambda in a field, with a probe: every sector, a few seconds."""
    extra = "[magnetic]\napplied_field = [0, 0, 1e-4]\n[output]\nfigures = []\n" + PROBE
    return write_case(tmp_path, sphere_case(3.0, surface_size=0.5, layer=2.0, extra=extra))


# Dimensionless residuals, zero but for rounding: on 2 ranks MUMPS's parallel order moves them
# by ~1e-15 from run to run (measured: current_outflow_ratio 1.0308287e-06, 3.6e-9 relative).
RESIDUALS = {"constitutive_residual", "poisson_residual", "current_outflow_ratio"}


def differences(a, b, path: str = "", rtol: float = 1e-9) -> list[str]:
    """Where two summary.json trees differ (keys, order, values to rtol), timings ignored."""
    if isinstance(a, dict):
        if not isinstance(b, dict) or list(a) != list(b):
            return [f"{path}: keys differ"]
        kept = [k for k in a if k not in IGNORED and not k.endswith("seconds")]
        return [d for k in kept for d in differences(a[k], b[k], f"{path}.{k}", rtol)]
    if isinstance(a, list):
        if not isinstance(b, list) or len(a) != len(b):
            return [f"{path}: {a} vs {b}"]
        pairs = enumerate(zip(a, b, strict=True))
        return [d for i, (x, y) in pairs for d in differences(x, y, f"{path}[{i}]", rtol)]
    if isinstance(a, float) and isinstance(b, float):
        atol = 1e-12 if path.rsplit(".", 1)[-1] in RESIDUALS else 1e-300
        same = math.isclose(a, b, rel_tol=rtol, abs_tol=atol) or (math.isnan(a) and math.isnan(b))
        return [] if same else [f"{path}: {a} vs {b}"]
    return [] if a == b else [f"{path}: {a!r} vs {b!r}"]


def as_json(summary) -> dict:
    """The summary as summary.json holds it (numpy arrays and tuples become lists)."""
    from giantatom.output import _jsonable

    return json.loads(json.dumps(summary.to_dict(), default=_jsonable))


@pytest.fixture(scope="module")
def solved(tmp_path_factory):
    """The small case through the command, and through giantatom.solve in this process."""
    import giantatom
    from giantatom.backend import MPI

    tmp = tmp_path_factory.mktemp("api")
    case_file = small_case(tmp)
    proc = command("run", str(case_file), "--out", str(tmp / "cli"))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    results = giantatom.solve(giantatom.Case.from_toml(case_file), MPI.COMM_WORLD)
    return tmp, results


def test_solve_gives_the_numbers_of_the_command(solved):
    tmp, results = solved
    assert differences(load_summary(tmp / "cli"), as_json(results.summary)) == []
    s = results.summary
    assert s.rho0 == s.to_dict()["charge"]["rho0_C_m3"] and isinstance(s.rho0, float)
    assert s.moment is not None and s.kind == "full" and results.path is None
    assert {"rho", "E", "B", "J"} <= set(results.fields)
    assert set(results.solutions) == {"charge", "magnetic", "spin"}
    with open(tmp / "cli" / "probe_axis.csv") as stream:
        header = stream.readline().strip().split(",")
    table = np.loadtxt(tmp / "cli" / "probe_axis.csv", delimiter=",", skiprows=1)
    assert list(results.probes["axis"]) == header
    np.testing.assert_allclose(
        np.column_stack(list(results.probes["axis"].values())), table, rtol=1e-8, atol=1e-12
    )


def test_grid_is_the_field_file(solved):
    import pyvista

    tmp, results = solved
    saved = pyvista.read(tmp / "cli" / "fields.pvtu")
    grid = results.grid()
    assert grid.n_points == saved.n_points and grid.n_cells == saved.n_cells
    assert list(grid.point_data.keys()) == list(saved.point_data.keys())
    np.testing.assert_allclose(grid.points, saved.points)
    arrays = results.arrays()
    for name in ("region", "rho", "E", "B"):
        np.testing.assert_allclose(arrays[name], saved.point_data[name], rtol=1e-12)
    assert results.surface() is None


def test_save_and_load(solved):
    import giantatom

    tmp, results = solved
    path = results.save(tmp / "saved")
    assert path == (tmp / "saved").resolve() and results.path == path
    cli = sorted(p.relative_to(tmp / "cli") for p in (tmp / "cli").rglob("*"))
    assert sorted(p.relative_to(path) for p in path.rglob("*")) == cli
    assert not list(tmp.glob(".saved*"))  # written atomically, nothing left behind
    loaded = giantatom.load(path)
    assert loaded.summary.to_dict() == json.loads((path / "summary.json").read_text())
    assert differences(as_json(results.summary), loaded.summary.to_dict()) == []
    assert loaded.summary.rho0 == pytest.approx(results.summary.rho0, rel=1e-12)
    assert loaded.case.magnetic.applied_field == results.case.magnetic.applied_field
    assert loaded.fields == {} and loaded.domain is None
    np.testing.assert_allclose(
        loaded.probes["axis"]["rho_C_m3"], results.probes["axis"]["rho_C_m3"]
    )
    assert loaded.grid().n_points == results.grid().n_points
    with pytest.raises(giantatom.GiantAtomError, match="not a directory"):
        giantatom.load(tmp / "nothing")


def test_import_is_light_and_silent():
    """`import giantatom` does not import DOLFINx; the names load when used."""
    code = (
        "import sys, giantatom; assert 'dolfinx' not in sys.modules; "
        "giantatom.Summary, giantatom.Results, giantatom.load, giantatom.log_to_console; "
        "assert 'dolfinx' not in sys.modules; print(sorted(n for n in dir(giantatom) "
        "if n in ('solve', 'load', 'Results', 'Summary', 'Case')))"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["['Case',", "'Results',", "'Summary',", "'load',", "'solve']"]


def test_case_names_are_exported():
    """Every name of giantatom.case's __all__ is giantatom.<name>, the same object; listed by
    dir(giantatom); and reaching them imports no DOLFINx."""
    code = (
        "import sys, giantatom, giantatom.case as c; "
        "missing = [n for n in c.__all__ if getattr(giantatom, n, None) is not getattr(c, n)]; "
        "hidden = sorted(set(c.__all__) - set(dir(giantatom))); "
        "assert not missing and not hidden, (missing, hidden); "
        "assert 'dolfinx' not in sys.modules; print(len(c.__all__))"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    assert int(proc.stdout) > 20


def test_errors_are_the_commands(tmp_path, capsys):
    """The same message as the command's one line; the library prints nothing."""
    import giantatom
    from giantatom.errors import GiantAtomError

    text = sphere_case(3.0, surface_size=0.5).replace(
        "[mesh]", '[[geometry.body]]\nshape = "box"\nsize = [2, 2, 2]\ncenter = [3, 0, 0]\n[mesh]'
    )
    case_file = write_case(tmp_path, text)
    proc = command("run", str(case_file), "--out", str(tmp_path / "out"))
    assert proc.returncode != 0
    capsys.readouterr()
    with pytest.raises(GiantAtomError) as caught:
        giantatom.solve(giantatom.Case.from_toml(case_file))
    assert proc.stderr.strip() == f"giantatom: error: {caught.value}"
    assert capsys.readouterr().out == ""
    assert not (tmp_path / "out").exists()


TWO_RANKS = """
import json, sys
import giantatom
from giantatom.output import _jsonable

results = giantatom.solve(giantatom.Case.from_toml(sys.argv[1]))
grid = results.grid()  # collective
results.save(sys.argv[2])
if results.domain.comm.rank == 0:
    print(json.dumps({"summary": results.summary.to_dict(), "points": grid.n_points,
                      "rho0": results.summary.rho0}, default=_jsonable))
else:
    assert grid is None and results.arrays() is None
"""


@pytest.mark.mpi
def test_two_ranks(tmp_path):
    """On 2 ranks: solve's numbers are those of `mpirun -n 2 giantatom run`; grid() gathers."""
    import pyvista

    case_file = small_case(tmp_path)
    proc = command("run", str(case_file), "--out", str(tmp_path / "cli"), ranks=2)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    script = write_case(tmp_path, TWO_RANKS, "two.py")
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    mpirun = [str(BIN / "mpirun"), "-n", "2", sys.executable, str(script)]
    run = subprocess.run(
        [*mpirun, str(case_file), str(tmp_path / "api")],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    out = json.loads(run.stdout.strip().splitlines()[-1])
    assert out["summary"]["run"]["ranks"] == 2
    assert differences(load_summary(tmp_path / "cli"), out["summary"]) == []
    assert differences(load_summary(tmp_path / "cli"), load_summary(tmp_path / "api")) == []
    assert out["points"] == pyvista.read(tmp_path / "cli" / "fields.pvtu").n_points


def test_notebook_runs(tmp_path):
    """examples/sphere_notebook.py, executed as a notebook (jupytext + nbclient) where those are
    installed (the dev extra), else as a script."""
    script = ROOT / "examples" / "sphere_notebook.py"
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MPLBACKEND": "Agg"}
    try:
        import jupytext
        import nbclient
    except ImportError:
        command = [sys.executable, str(script)]
    else:
        del jupytext, nbclient
        command = [sys.executable, "-c", RUN_NOTEBOOK, str(script)]
    proc = subprocess.run(
        command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "rho0" in proc.stdout


RUN_NOTEBOOK = """
import sys
import jupytext
from nbclient import NotebookClient

notebook = jupytext.read(sys.argv[1])
NotebookClient(notebook, timeout=600, kernel_name="python3").execute()
for cell in notebook.cells:
    for out in cell.get("outputs", []):
        if out.get("name") == "stdout":
            print(out["text"], end="")
"""
