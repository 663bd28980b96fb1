"""The container recipes, read as text (no Docker or Apptainer here to build them)."""

import re
import subprocess
import tomllib

import pytest

from support import ROOT

CONTAINERS = ROOT / "containers"
# What the DOLFINx image already provides (pip must not install a second copy of these).
FROM_IMAGE = {"numpy", "gmsh"}


def pip_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if "pip install" in line]


def requirement_names(lines: list[str]) -> set[str]:
    return {
        re.split(r"[<>=!~\[]", m)[0].lower()
        for line in lines
        for m in re.findall(r'"([^"]+)"', line)
    }


@pytest.mark.parametrize("name", ["Dockerfile", "giantatom.def"])
def test_recipe_pins_dolfinx_and_installs_only_what_is_missing(name):
    text = (CONTAINERS / name).read_text()
    # pinned to a DOLFINx release the code supports (0.10 or 0.11), not :latest/:stable/:nightly
    images = re.findall(r"dolfinx/dolfinx:(\S+)", text)
    assert images and all(re.fullmatch(r"v0\.1[01]\.\d+(-r\d+)?", tag) for tag in images), images
    lines = pip_lines(text)
    assert any("--no-deps ." in line for line in lines), "giantatom itself without dependencies"
    joined = "\n".join(lines)
    assert "[wheel]" not in joined and "dolfinx-solver" not in joined
    # exactly the pyproject dependencies that the image lacks
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = {re.split(r"[<>=!~\[ ]", d)[0].lower() for d in project["dependencies"]}
    assert requirement_names(lines) == wanted - FROM_IMAGE


def test_dockerfile_entrypoint():
    text = (CONTAINERS / "Dockerfile").read_text()
    assert 'ENTRYPOINT ["giantatom"]' in text
    assert "COPY solver" in text and "COPY meshes" in text


def test_slurm_script_is_valid_bash():
    script = CONTAINERS / "slurm.sh"
    assert subprocess.run(["bash", "-n", str(script)], capture_output=True).returncode == 0
    text = script.read_text()
    for directive in ("--nodes", "--ntasks-per-node", "--time"):
        assert f"#SBATCH {directive}" in text
    assert "apptainer exec" in text and "giantatom run" in text
