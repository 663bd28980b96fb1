"""`giantatom bench` runs and reports consistent numbers (speed targets are in the README's
performance section, measured with it, never asserted here)."""

import json

from support import giantatom


def test_bench_reports(tmp_path):
    out = tmp_path / "bench.json"
    proc = giantatom("bench", "--radius", "2", "--sizes", "0.6", "--ranks", "1", "--json", str(out))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (run,) = json.loads(out.read_text())["runs"]
    assert run["ranks"] == 1 and run["dofs"] > 1000 and run["cells"] > 1000
    charge, floor = run["charge"], run["floor"]
    # the screening profile, the Poisson potential of rho0 and the spin-speed closure's phase
    assert set(charge["iterations"]) == {
        "screening profile body1",
        "phi0 for rho0(body1) = 1",
        "spin phase for rho0(body1) = 1",
    }
    assert all(0 < its < 100 for its in charge["iterations"].values())
    assert 0 < floor["iterations"] < 200
    assert 0 < charge["seconds"] < run["total_s"] and floor["seconds"] > 0
    assert "charge/floor" in proc.stdout and "dofs/s" in proc.stdout
