"""1 and 2 MPI ranks give the same summary numbers (same mesh from rank 0, tight solves)."""

import pytest

from support import giantatom, load_summary, sphere_case, write_case

KEYS = [
    "rho0_C_m3",
    "net_charge_C",
    "surface_rho_mean_C_m3",
    "surface_rho_min_C_m3",
    "surface_rho_max_C_m3",
    "E_max_V_m",
]


@pytest.mark.mpi
def test_one_and_two_ranks_agree(tmp_path, solved_sphere):
    case = write_case(tmp_path, (solved_sphere / "case.toml").read_text())
    proc = giantatom("run", str(case), "--out", str(tmp_path / "two"), ranks=2)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    one, two = load_summary(solved_sphere), load_summary(tmp_path / "two")
    assert two["run"]["ranks"] == 2 and one["run"]["ranks"] == 1
    assert one["mesh"]["cells"] == two["mesh"]["cells"]
    scale = abs(one["charge"]["rho0_C_m3"]) * one["geometry"]["volume_m3"]
    for key in KEYS:
        a, b = one["charge"][key], two["charge"][key]
        if key == "net_charge_C":
            assert abs(a - b) < 1e-9 * scale
        else:
            assert b == pytest.approx(a, rel=1e-6), key
    assert len(list((tmp_path / "two" / "fields").glob("part*.vtu"))) == 2
    # only rank 0 speaks
    assert proc.stdout.count("charge sector: done") == 1


def test_sphere_case_helper_is_small():
    assert "surface_size = 0.4" in sphere_case()
