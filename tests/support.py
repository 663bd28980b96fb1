"""Shared test helpers: small cases, and the CLI run as a user runs it (subprocess, mpirun)."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def giantatom(
    *args: str,
    ranks: int = 1,
    cwd: Path | None = None,
    timeout: float = 900,
    env: dict[str, str] | None = None,
):
    """Run the ``giantatom`` command (under mpirun with ``ranks`` > 1); returns the process.
    ``env``: extra environment variables."""
    exe = BIN / "giantatom"
    command = [str(exe), *args]
    if ranks > 1:
        mpirun = BIN / "mpirun" if (BIN / "mpirun").exists() else shutil.which("mpirun")
        command = [str(mpirun), "-n", str(ranks), *command]
    environment = {**os.environ, "PYTHONUNBUFFERED": "1", "OMP_NUM_THREADS": "1", **(env or {})}
    return subprocess.run(
        command, cwd=cwd, env=environment, capture_output=True, text=True, timeout=timeout
    )


def body_case(body: str, *, extra: str = "", **mesh: float | None) -> str:
    """A one-body case in units of lambda (lambda = 1 um, geometry unit um): ``body`` the lines
    of its [[geometry.body]] table, ``mesh`` the [mesh] keys (None: left out), ``extra`` more
    tables after [mesh]."""
    settings = "".join(f"{key} = {value}\n" for key, value in mesh.items() if value is not None)
    return f"""
[material]
lambda = "1 um"
[geometry]
unit = "um"
[[geometry.body]]
{body}
[mesh]
{settings}{extra}
"""


def sphere(radius: float) -> str:
    """The [[geometry.body]] lines of a sphere of ``radius`` lambda at the origin."""
    return f'shape = "sphere"\nradius = {radius}'


def sphere_case(
    radius: float = 4.0,
    *,
    surface_size: float = 0.4,
    layer: float = 3.0,
    far_field: float = 3.0,
    order: int = 2,
    extra: str = "",
) -> str:
    """A sphere case in units of lambda (lambda = 1 um, geometry unit um)."""
    return body_case(
        sphere(radius),
        surface_size=surface_size,
        layer=layer,
        far_field=far_field,
        order=order,
        extra=extra,
    )


def write_case(directory: Path, text: str, name: str = "case.toml") -> Path:
    path = directory / name
    path.write_text(text)
    return path


def load_summary(results: Path) -> dict:
    return json.loads((results / "summary.json").read_text())
