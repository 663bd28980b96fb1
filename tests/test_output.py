"""Result files and the results directory: the field files' format and size, output errors,
SIGTERM, stale partial directories, sweeps run apart and resumed, the console summary."""

import csv
import os
import signal
import socket
import subprocess
import time

import numpy as np
import pytest

from support import BIN, giantatom, load_summary, sphere_case, write_case

TINY = sphere_case(2.0, surface_size=0.5, layer=1.5, far_field=2.5)
NO_FIGURES = "[output]\nfigures = []\n"


def one_line_error(proc, key: str, code: int) -> None:
    assert proc.returncode == code, proc.stdout + proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("giantatom: error:") and key in lines[0], lines
    assert "Traceback" not in proc.stdout + proc.stderr


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tiny")
    out = folder / "out"
    proc = giantatom("run", str(write_case(folder, TINY + NO_FIGURES)), "--out", str(out))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return out, proc.stdout


def test_field_files_compact_and_readable(tiny_run):
    import pyvista

    out, _ = tiny_run
    piece = out / "fields" / "part0.vtu"
    head = piece.read_bytes()[:4000].decode("latin-1")
    assert 'compressor="vtkZLibDataCompressor"' in head and 'format="appended"' in head
    grid = pyvista.read(out / "fields.pvtu")
    cells = load_summary(out)["mesh"]["cells"]
    assert grid.n_cells == cells
    assert piece.stat().st_size < 400 * cells  # was 2.7 kB a cell (DG nodes, float64)
    assert grid.points.dtype == np.float32 and grid.point_data["rho"].dtype == np.float32
    # nodes shared within a region, split where regions meet: P2 has ~1.4 nodes a cell, DG 10
    assert grid.n_points < 2.5 * cells
    region = np.asarray(grid.point_data["region"])
    rho = np.asarray(grid.point_data["rho"])
    assert set(np.unique(region)) == {0.0, 1.0}
    assert np.all(rho[region == 0] == 0) and rho[region == 1].min() < 0  # rho jumps at R
    radius = np.linalg.norm(np.asarray(grid.points, dtype=float), axis=1)
    surface = np.abs(radius - 2.0) < 1e-3
    assert {0.0, 1.0} <= set(region[surface])  # the surface nodes are there twice


def test_console_summary(tiny_run):
    _, stdout = tiny_run
    assert "lambda 1 um" in stdout  # the case's unit, not 1e-06 m
    assert "rho0" in stdout and "surface rho" in stdout


def test_report_of_several_bodies_and_spin_senses():
    from pathlib import Path

    from giantatom.report import summary_lines

    body = {
        "rho0_C_m3": 1.0,
        "surface_rho_min_C_m3": -3.0,
        "surface_rho_max_C_m3": -2.0,
        "E_max_V_m": 5.0,
    }
    summary = {
        "case": "two",
        "material": {"lambda_m": 4e-8, "rho_minus_C_m3": -1.0, "E_m_V_m": 10.0, "v0_m_s": 700.0},
        "geometry": {"unit": "nm", "volume_m3": 1.0, "area_m2": 1.0},
        "mesh": {"cells": 10, "dofs": 20},
        "charge": {
            "bodies": [{**body, "name": "ball"}, {**body, "name": "cube", "rho0_C_m3": 2.0}],
            "net_charge_C": 0.0,
            "E_max_V_m": 5.0,
            "constitutive_residual": 0.0,
        },
        "spin": {
            "axis": [0, 0, 1],
            "v_surface_max_m_s": [100.0, 100.0],
            "v_surface_max_field_m_s": [90.0, 110.0],
            "v_along_zero_field_m_s": {"up": [-5.0, 90.0], "down": [10.0, 110.0]},
        },
        "run": {"ranks": 1, "seconds": {"total": 3.0}},
    }
    text = "\n".join(summary_lines(summary, Path("r"), figures_seconds=2.0))
    assert "lambda 40 nm" in text and "3.0 s (+ 2.0 s for the figures)" in text
    assert "ball" in text and "cube" in text and "rho0 C/m^3" in text
    assert "spin up slowed" in text and "spin down sped up" in text and "-5 .." in text


def test_output_dir_errors(tmp_path):
    case = write_case(tmp_path, TINY + NO_FIGURES)
    (tmp_path / "a_file").write_text("x")
    for out in (tmp_path / "a_file", tmp_path / "a_file" / "below", "/proc/giantatom"):
        one_line_error(giantatom("run", str(case), "--out", str(out)), "--out", 7)
    text = TINY + f'[output]\nfigures = []\ndir = "{tmp_path / "a_file"}"\n'
    one_line_error(giantatom("run", str(write_case(tmp_path, text, "b.toml"))), "output.dir", 7)
    assert not list(tmp_path.glob(".a_file*"))


def test_stale_partial_directories_removed(tmp_path, tiny_run):
    out = tmp_path / "out"
    host = socket.gethostname()
    dead = 2**22 + 1  # beyond the largest pid_max: never a live process
    stale = [tmp_path / f".out.partial-{dead}@{host}-0123abcd", tmp_path / ".out.old-0123abcd"]
    live = tmp_path / f".out.partial-{os.getpid()}@{host}-4567abcd"  # a run going on now
    other = tmp_path / f".other.partial-{dead}@{host}-89abcdef"  # another run's
    for folder in [*stale, live, other]:
        (folder / "fields").mkdir(parents=True)
    proc = giantatom("run", str(write_case(tmp_path, TINY + NO_FIGURES)), "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    assert (out / "summary.json").is_file()
    assert not any(p.exists() for p in stale) and live.exists() and other.exists()


@pytest.mark.mpi
def test_sigterm_under_mpirun_leaves_nothing(tmp_path):
    """SIGTERM to mpirun (what a batch system sends at its time limit): every rank leaves
    cleanly, one line, exit 143, no partial directory, no MPICH banner."""
    text = sphere_case(3.0, surface_size=0.3, layer=2.0, far_field=3.0) + NO_FIGURES
    case = write_case(tmp_path, text)
    out = tmp_path / "out"
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONUNBUFFERED": "1"}
    command = [str(BIN / "mpirun"), "-n", "2", str(BIN / "giantatom"), "run", str(case)]
    proc = subprocess.Popen(
        [*command, "--out", str(out)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 120
    while not list(tmp_path.glob(".out.partial-*")) and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(1.0)  # into meshing: rank 0 in gmsh, rank 1 waiting in Python
    proc.send_signal(signal.SIGTERM)
    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 143, stdout + stderr
    assert stderr.count("giantatom: terminated") == 1, stderr
    assert "Traceback" not in stderr and "TERMINATED" not in stdout + stderr
    assert not out.exists() and not list(tmp_path.glob(".out*"))


def test_sweep_members_apart_gathered_and_resumed(tmp_path):
    text = TINY + "[output]\nfigures = []\nfields = false\n[sweep]\nradius = [2.0, 2.5]\n"
    case = write_case(tmp_path, text)
    out = tmp_path / "sweep"
    proc = giantatom(
        "run", str(case), "--out", str(out), "--member", env={"SLURM_ARRAY_TASK_ID": "2"}
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert [p.name for p in out.iterdir() if p.is_dir()] == ["02_radius-2.5"]
    proc = giantatom("gather", str(out))
    assert proc.returncode == 6 and "1 of 2 sweep members did not finish" in proc.stderr
    rows = list(csv.DictReader(open(out / "sweep.csv")))
    assert [r["status"] for r in rows] == ["missing", "ok"]
    # --resume keeps member 2 (as a time limit would have left it) and runs member 1
    before = (out / "02_radius-2.5" / "summary.json").stat().st_mtime_ns
    proc = giantatom("run", str(case), "--out", str(out), "--resume")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "kept from before" in proc.stdout
    assert (out / "02_radius-2.5" / "summary.json").stat().st_mtime_ns == before
    rows = list(csv.DictReader(open(out / "sweep.csv")))
    assert [r["status"] for r in rows] == ["ok", "ok"]
    assert giantatom("gather", str(out)).returncode == 0
    one_line_error(giantatom("run", str(case), "--out", str(out), "--member", "3"), "--member", 2)


def test_saved_mesh_survives_the_next_run(tmp_path):
    results = tmp_path / "results" / "tiny"
    case = write_case(
        tmp_path, TINY + f'[output]\nfigures = []\nfields = false\ndir = "{results}"\n'
    )
    proc = giantatom("mesh", str(case))
    assert proc.returncode == 0, proc.stderr
    mesh = tmp_path / "results" / "tiny-mesh" / "mesh.xdmf"
    assert mesh.is_file()
    assert giantatom("run", str(case), "--mesh", str(mesh)).returncode == 0
    assert giantatom("run", str(case), "--mesh", str(mesh)).returncode == 0  # mesh still there
    inside = results / "mesh"
    assert giantatom("mesh", str(case), "--out", str(inside)).returncode == 0
    one_line_error(giantatom("run", str(case), "--mesh", str(inside / "mesh.xdmf")), "--mesh", 2)


def test_plot_out_file_is_a_file(tmp_path):
    proc = giantatom("plot", str(tmp_path / "none"), "--out", str(tmp_path / "prof.png"))
    one_line_error(proc, "--out", 5)
    assert not (tmp_path / "prof.png").exists()


@pytest.mark.mpi
def test_sigterm_a_rank_stuck_in_a_collective_is_killed(tmp_path):
    """A rank blocked in a collective that the other rank, gone at SIGTERM, never joins cannot
    see the signal: the watchdog kills it after the grace period instead of a hang."""
    script = tmp_path / "stuck.py"
    script.write_text(
        "import sys, time\n"
        "from giantatom.terminate import Terminated, terminate_like_interrupt\n"
        "terminate_like_interrupt(grace=2.0)\n"
        "from mpi4py import MPI\n"
        "try:\n"
        "    time.sleep(60) if MPI.COMM_WORLD.rank == 0 else MPI.COMM_WORLD.Barrier()\n"
        "except Terminated:\n"
        "    sys.exit(143)\n"
    )
    command = [str(BIN / "mpirun"), "-n", "2", str(BIN / "python"), str(script)]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    time.sleep(3.0)
    start = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    proc.communicate(timeout=60)
    assert proc.returncode != 0 and time.monotonic() - start < 20
