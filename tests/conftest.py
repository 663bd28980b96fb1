"""Fixtures shared by the tests (the helpers they use are in support.py)."""

import pytest

from support import giantatom, sphere_case, write_case


@pytest.fixture(scope="session")
def solved_sphere(tmp_path_factory):
    """One small sphere (R = 4 lambda) solved through the CLI; shared by several tests."""
    directory = tmp_path_factory.mktemp("sphere")
    case = write_case(
        directory,
        sphere_case()
        + """
[[probe]]
name = "radial"
start = [0, 0, 0]
end = [6, 0, 0]
points = 121
""",
    )
    out = directory / "results"
    proc = giantatom("run", str(case), "--out", str(out))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return out
