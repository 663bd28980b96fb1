"""The error estimates of solver/accuracy.py against the exact sphere (docs/formulation.md
sections 1 to 3): per number the true error, the estimate, their ratio, and the seconds.

    .venv/bin/python benchmarks/accuracy.py [--accuracy 0.01 0.03] [--radii 4 8 10]
        [--london 4] [--far-field 3] [--runs 3:0.6 ...] [--rtol 1e-8]

Each sphere (radius R lambda, neutral, surface-mean closure) is meshed as ``[mesh] accuracy``
chooses (or, with ``--runs order:surface_size``, as given, layer 4), its sectors solved, then
estimated (every sector one degree up on the same mesh). Numbers: rho0, surface rho min and
max, max |E| (exact: the sphere of section 1), the surface spin speed (section 3). With
``--london R`` the same sphere in an applied field of 0.01 T adds its magnetic moment (section
2; the N1curl degree is the one the accuracy chooses). Seconds: the sectors, and the estimate
(the reference sectors); the ratio of the two is what the estimate costs. The README table
("Error estimates") comes from this script.
"""

import argparse
import time
from pathlib import Path

import numpy as np

from giantatom import accuracy, exact, stages
from giantatom.backend import MPI
from giantatom.case import Case, parse_case
from giantatom.domain import build_domain
from giantatom.log import StageTimer, configure

FIELD_T = (0.0, 0.0, 0.01)
CHARGE = ("rho0_C_m3", "surface_rho_min_C_m3", "surface_rho_max_C_m3", "E_max_V_m")


def sphere_text(radius: float, mesh: dict, far_field: float, london: bool) -> str:
    keys = "".join(f"{k} = {v}\n" for k, v in mesh.items())
    magnetic = f"[magnetic]\napplied_field = {list(FIELD_T)}\n" if london else ""
    return f"""
[material]
lambda = "1 um"
[geometry]
unit = "um"
[[geometry.body]]
shape = "sphere"
radius = {radius}
[mesh]
far_field = {far_field}
{keys}{magnetic}[spin]
direct_check = false
"""


def exact_numbers(radius: float, rho_minus: float, v0: float) -> dict[str, float]:
    """The exact headline numbers of a neutral sphere of ``radius`` lambda."""
    rho0 = exact.surface_mean_rho0(rho_minus, radius)
    r = np.linspace(radius / 2, radius, 20001)
    field = float(np.abs(exact.field(r, rho0, radius)).max())
    charge = dict(zip(CHARGE, (rho0, rho_minus, rho_minus, field), strict=True))
    return {**charge, "v_surface_max_m_s": exact.spin_g(radius) * v0}


def errors(got: dict, key: str, value) -> tuple[float, float]:
    """True and estimated error of ``got[key]`` (vectors, the up/down pair: the largest)."""
    true = np.abs(np.asarray(got[key], dtype=float) - np.asarray(value, dtype=float))
    estimate = np.asarray(got[f"{key}_error"], dtype=float)
    if key == "moment_A_m2":
        return float(np.linalg.norm(true)), float(np.linalg.norm(estimate))
    worst = int(np.argmax(true)) if true.ndim else 0
    return float(true.flat[worst]), float(estimate.flat[worst])


def sphere_case(radius: float, mesh: dict, far_field: float, london: bool) -> Case:
    return parse_case(sphere_text(radius, mesh, far_field, london), Path("accuracy_bench.toml"))


def run(radius: float, mesh: dict, far_field: float, london: bool, rtol: float) -> dict:
    case = sphere_case(radius, mesh, far_field, london)
    domain = build_domain(case, MPI.COMM_WORLD)
    given, model, timer = stages.inputs(case), stages.FullModel(), StageTimer()
    sections = stages.sections(model, stages.solve(model, domain, given, timer), [], {})
    start = time.perf_counter()
    estimated = accuracy.estimate(domain, given, sections, rtol)
    estimate_seconds = time.perf_counter() - start
    m = case.material
    truth = exact_numbers(radius, m.rho_minus, m.v_0)
    rows = {k: errors(estimated["charge"], k, v) for k, v in truth.items() if k in CHARGE}
    if london:
        moment = exact.london_moment(radius, FIELD_T)
        rows["moment_A_m2"] = errors(estimated["magnetic"], "moment_A_m2", moment)
    else:
        speed = truth["v_surface_max_m_s"]
        rows["v_surface_max_m_s"] = errors(estimated["spin"], "v_surface_max_m_s", [speed] * 2)
    return {
        "case": f"R = {radius:g}, " + ", ".join(f"{k} {v}" for k, v in mesh.items()),
        "mesh": f"P{case.mesh.order}, h {case.mesh.surface_size:g}"
        + (f", N1curl {case.magnetic.order}" if london else ""),
        "cells": domain.report.cells,
        "seconds": sum(timer.seconds.values()),
        "estimate_seconds": estimate_seconds,
        "truth": truth | ({"moment_A_m2": np.linalg.norm(moment)} if london else {}),
        "rows": rows,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accuracy", type=float, nargs="*", default=[0.01, 0.03])
    parser.add_argument("--radii", type=float, nargs="*", default=[4.0, 8.0, 10.0])
    parser.add_argument("--london", type=float, nargs="*", default=[])
    parser.add_argument("--runs", nargs="*", default=[], help="order:surface_size, layer 4")
    parser.add_argument("--far-field", type=float, default=3.0)
    parser.add_argument("--rtol", type=float, default=accuracy.REFERENCE_RTOL)
    args = parser.parse_args()
    configure(MPI.COMM_WORLD.rank, quiet=True)
    meshes = [{"accuracy": a} for a in args.accuracy]
    for spec in args.runs:
        order, size = spec.split(":")
        meshes.append({"order": int(order), "surface_size": float(size), "layer": 4.0})
    jobs = [(r, mesh, False) for r in args.radii for mesh in meshes]
    jobs += [(r, mesh, True) for r in args.london for mesh in meshes]
    chosen = [sphere_case(r, mesh, args.far_field, london) for r, mesh, london in jobs]
    # an accuracy that chooses the mesh (and N1curl degree) of an earlier one: left out
    seen = [
        (job[0], job[2], c.mesh.order, c.mesh.surface_size, c.mesh.layer, c.magnetic.order)
        for job, c in zip(jobs, chosen, strict=True)
    ]
    jobs = [job for i, job in enumerate(jobs) if seen[i] not in seen[:i]]
    comm = MPI.COMM_WORLD
    if comm.rank == 0:
        print(f"far_field {args.far_field:g}, {comm.size} rank(s), reference rtol {args.rtol:g}")
        print(
            "| case | mesh | cells | sectors s | estimate s | number | true error | estimate "
            "| ratio |"
        )
        print("|---|---|---|---|---|---|---|---|---|")
    for radius, mesh, london in jobs:
        r = run(radius, mesh, args.far_field, london, args.rtol)
        if comm.rank != 0:
            continue
        head = (
            f"| {r['case']} | {r['mesh']} | {r['cells']} | {r['seconds']:.1f} | "
            f"{r['estimate_seconds']:.1f} |"
        )
        for key, (true, estimate) in r["rows"].items():
            scale = abs(r["truth"][key])
            print(
                f"{head} {key} | {true / scale:.2e} | {estimate / scale:.2e} | "
                f"{estimate / true:.2f} |",
                flush=True,
            )
            head = "| | | | | |"


if __name__ == "__main__":
    main()
