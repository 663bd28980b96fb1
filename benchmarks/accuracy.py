"""Convergence table of the charge sector's headline numbers on a sphere against the exact
solution (docs/formulation.md section 1), with the error estimates of solver/accuracy.py.

    .venv/bin/python benchmarks/accuracy.py [--radius 4] [--runs 2:0.33 3:0.6 3:0.8 3:1.0]
        [--layer 4] [--far-field 5]

Each run (order:surface_size) meshes the sphere, solves the sectors at that order and one
order up on the same mesh (solver/accuracy.py), and prints cells, dofs, the seconds of the
charge sector at the order and of the estimate (all sectors one up), and per number the relative
error against the exact value and the estimated one. The table in the README ("Choosing the
mesh from an accuracy") and the chooser's constants (solver/mesh_choice.py) come from this script.
"""

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from giantatom import accuracy, stages
from giantatom.backend import MPI, fem
from giantatom.case import parse_case
from giantatom.domain import build_domain
from giantatom.log import StageTimer, configure

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
import exact_sphere  # the exact sphere lives with the tests

NUMBERS = ("rho0_C_m3", "surface_rho_min_C_m3", "surface_rho_max_C_m3", "E_max_V_m")


def sphere_text(radius: float, order: int, size: float, layer: float, far_field: float) -> str:
    return f"""
[material]
lambda = "1 um"
[geometry]
unit = "um"
[[geometry.body]]
shape = "sphere"
radius = {radius}
[mesh]
surface_size = {size}
layer = {layer}
far_field = {far_field}
order = {order}
"""


def exact(radius: float, rho_minus: float) -> dict[str, float]:
    rho0 = exact_sphere.surface_mean_rho0(rho_minus, radius)
    r = np.linspace(radius / 2, radius, 20001)
    field = float(np.abs(exact_sphere.field(r, rho0, radius)).max())
    return dict(zip(NUMBERS, (rho0, rho_minus, rho_minus, field), strict=True))


def run(radius: float, order: int, size: float, layer: float, far_field: float) -> dict:
    text = sphere_text(radius, order, size, layer, far_field)
    case = parse_case(text, Path("accuracy_bench.toml"))
    domain = build_domain(case, MPI.COMM_WORLD)
    given, model, timer = stages.inputs(case), stages.FullModel(), StageTimer()
    sections = stages.sections(model, stages.solve(model, domain, given, timer), [], {})
    numbers = sections["charge"]
    seconds = timer.seconds["charge"]
    start = time.perf_counter()
    estimated = accuracy.estimate(domain, given, sections)["charge"]
    truth = exact(radius, case.material.rho_minus)
    return {
        "order": order,
        "size": size,
        "cells": domain.report.cells,
        "dofs": fem.functionspace(domain.mesh, ("Lagrange", order)).dofmap.index_map.size_global,
        "seconds": seconds,
        "estimate_seconds": time.perf_counter() - start,
        "errors": {k: abs(numbers[k] - v) / abs(v) for k, v in truth.items()},
        "estimates": {k: estimated[f"{k}_error"] / abs(v) for k, v in truth.items()},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--radius", type=float, default=4.0)
    parser.add_argument("--runs", nargs="+", default=["2:0.33", "3:0.6", "3:0.8", "3:1.0"])
    parser.add_argument("--layer", type=float, default=4.0)
    parser.add_argument("--far-field", type=float, default=5.0)
    args = parser.parse_args()
    configure(MPI.COMM_WORLD.rank, quiet=True)
    rows = []
    for spec in args.runs:
        order, size = spec.split(":")
        rows.append(run(args.radius, int(order), float(size), args.layer, args.far_field))
    if MPI.COMM_WORLD.rank != 0:
        return
    print(f"sphere R = {args.radius:g} lambda, layer {args.layer:g}, far_field {args.far_field:g}")
    print("relative error, true / estimated (P(k+1) on the same mesh)")
    head = "| mesh | cells | dofs | solve s | estimate s | " + " | ".join(NUMBERS) + " |"
    print(head)
    print("|" + "---|" * (5 + len(NUMBERS)))
    for r in rows:
        cells = " | ".join(f"{r['errors'][k]:.2g} / {r['estimates'][k]:.2g}" for k in NUMBERS)
        print(
            f"| P{r['order']}, {r['size']:g} | {r['cells']} | {r['dofs']} | {r['seconds']:.1f} | "
            f"{r['estimate_seconds']:.1f} | {cells} |"
        )


if __name__ == "__main__":
    main()
