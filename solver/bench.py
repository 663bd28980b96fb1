"""``giantatom bench``: how far the pipeline is from what DOLFINx and PETSc can do.

For a sphere of radius R (in lambda) it times the stages of a run (meshing and distribution,
the charge sector with each setup and solve, output fields and writing) and, in the same
process on the same mesh, the floor: a bare DOLFINx Poisson solve as a DOLFINx demo writes it
(``LinearProblem``, same element, CG + GAMG with PETSc's default GAMG options, same rtol, a unit
source in the body). It prints dofs, iterations, seconds, dofs/s, the ratio charge sector /
floor and meshing / charge sector, peak memory per rank; with several rank counts, the parallel
efficiency T(1) / (n T(n)); with several surface sizes, the iteration counts under refinement.

Each rank count runs as its own ``mpirun -n N`` worker (``--worker``), which first runs a tiny
sphere through the same code so that form compilation (cached on disk by FFCx) is not timed.
Times are wall-clock seconds of rank 0 after a barrier; CPU seconds are given too, since on a
shared machine the two differ.
"""

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from giantatom import meshes

CASE = """
[material]
lambda = "1 um"
[geometry]
unit = "um"
[[geometry.body]]
shape = "sphere"
radius = {radius}
[mesh]
surface_size = {surface_size}
far_field = {far_field}
order = {order}
threads = {threads}
[solver]
rtol = {rtol}
[output]
figures = []
"""


def add_parser(sub) -> None:
    text = (
        "time meshing, the charge sector and output on a sphere against a bare DOLFINx Poisson "
        "solve (the floor), on 1 and more MPI ranks"
    )
    bench = sub.add_parser("bench", help=text, description=text)
    bench.add_argument("--radius", type=float, default=10.0, help="R/lambda (default 10)")
    bench.add_argument(
        "--sizes",
        type=float,
        nargs="+",
        default=[0.33],
        metavar="H",
        help="surface element sizes in lambda, one run each (default 0.33, the case default); "
        "three sizes show the iteration counts under refinement",
    )
    bench.add_argument("--far-field", type=float, default=4.0, help="default 4")
    bench.add_argument("--order", type=int, default=2, choices=(1, 2, 3), help="default 2")
    bench.add_argument("--rtol", type=float, default=1e-10, help="default 1e-10 (the case's)")
    bench.add_argument(
        "--ranks", type=int, nargs="+", default=[1, 2], metavar="N", help="default 1 2"
    )
    bench.add_argument("--threads", type=int, default=1, help="gmsh threads ([mesh] threads)")
    bench.add_argument("--json", type=Path, metavar="FILE", help="also write the numbers here")
    bench.add_argument("--worker", type=Path, help=argparse.SUPPRESS)
    bench.add_argument("-v", "--verbose", action="store_true", help="the runs' logs too")
    bench.add_argument("-q", "--quiet", action="store_true", help=argparse.SUPPRESS)


def main(args) -> int:
    if args.worker is not None:
        _worker(args)
        return 0
    results = []
    for size in args.sizes:
        for ranks in args.ranks:
            results.append(_spawn(args, size, ranks))
            _print_run(results[-1])
    _print_summary(args, results)
    if args.json:
        args.json.write_text(json.dumps({"machine": _machine(), "runs": results}, indent=2))
    return 0


# --------------------------------------------------------------------------------- the parent


def _mpirun() -> str:
    here = Path(sys.executable).parent / "mpirun"
    return str(here) if here.exists() else shutil.which("mpirun") or "mpirun"


def _spawn(args, size: float, ranks: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="giantatom-bench-") as tmp:
        out = Path(tmp) / "result.json"
        command = [sys.executable, "-m", "giantatom.cli", "bench", "--worker", str(out)]
        command += ["--radius", str(args.radius), "--sizes", str(size)]
        command += ["--far-field", str(args.far_field), "--order", str(args.order)]
        command += ["--rtol", str(args.rtol), "--threads", str(args.threads)]
        if args.verbose:
            command.append("--verbose")
        if ranks > 1 or os.environ.get("GIANTATOM_BENCH_MPIRUN"):
            command = [_mpirun(), "-n", str(ranks), *command]
        env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONUNBUFFERED": "1"}
        proc = subprocess.run(command, env=env, cwd=tmp, text=True, capture_output=not args.verbose)
        if proc.returncode != 0 or not out.exists():
            print(proc.stdout or "", proc.stderr or "", file=sys.stderr)
            raise SystemExit(f"giantatom bench: the {ranks}-rank run failed")
        return json.loads(out.read_text())


def _machine() -> dict:
    cpu = platform.processor()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "load_average": os.getloadavg() if hasattr(os, "getloadavg") else None,
        "python": platform.python_version(),
    }


def _print_run(r: dict) -> None:
    c, f = r["charge"], r["floor"]
    print(
        f"\n{r['ranks']} rank(s), R = {r['radius']:g} lambda, h = {r['surface_size']:g} lambda, "
        f"P{r['order']}: {r['cells']} cells, {r['dofs']} dofs"
    )
    print(
        f"  meshing {r['mesh_s']:7.2f} s  (gmsh {r['gmsh_s']:.2f} s on rank 0, distribution "
        f"{r['mesh_s'] - r['gmsh_s']:.2f} s)"
    )
    for name, seconds in c["setup_seconds"].items():
        print(f"    setup {name:34s} {seconds:7.2f} s")
    for label, seconds in c["solve_seconds"].items():
        its = c["iterations"][label]
        print(f"    solve {label:34s} {seconds:7.2f} s  {its:3d} CG iterations")
    print(
        f"  charge sector {c['seconds']:7.2f} s  (cpu {c['cpu_s']:.2f} s)  "
        f"{r['dofs'] / c['seconds']:,.0f} dofs/s"
    )
    print(
        f"  floor: bare Poisson {f['seconds']:7.2f} s  (cpu {f['cpu_s']:.2f} s)  "
        f"{f['iterations']} CG+GAMG iterations  {r['dofs'] / f['seconds']:,.0f} dofs/s"
    )
    print(f"  output {r['output_s']:7.2f} s   total {r['total_s']:7.2f} s")
    print(
        f"  charge/floor {c['seconds'] / f['seconds']:.2f}   meshing/charge "
        f"{r['mesh_s'] / c['seconds']:.2f}   peak RSS per rank "
        + ", ".join(f"{m:.0f}" for m in r["memory"]["peak_rss_MiB"])
        + " MiB"
    )


def _print_summary(args, results: list[dict]) -> None:
    m = _machine()
    print(f"\nmachine: {m['cpu']}, {m['cores']} cores, load average {m['load_average']}")
    head = (
        f"{'ranks':>5} {'h':>5} {'cells':>9} {'dofs':>9} {'mesh s':>7} {'charge s':>8} "
        f"{'its':>7} {'floor s':>7} {'its':>4} {'ch/fl':>5} {'mesh/ch':>7} {'total s':>7} "
        f"{'dofs/s':>9} {'MiB max':>7}"
    )
    print(head)
    for r in results:
        c, f = r["charge"], r["floor"]
        its = "/".join(str(i) for i in c["iterations"].values())
        print(
            f"{r['ranks']:>5} {r['surface_size']:>5g} {r['cells']:>9} {r['dofs']:>9} "
            f"{r['mesh_s']:>7.1f} {c['seconds']:>8.1f} {its:>7} {f['seconds']:>7.1f} "
            f"{f['iterations']:>4} {c['seconds'] / f['seconds']:>5.2f} "
            f"{r['mesh_s'] / c['seconds']:>7.2f} {r['total_s']:>7.1f} "
            f"{r['dofs'] / c['seconds']:>9,.0f} {r['memory']['max_MiB']:>7.0f}"
        )
    for size in args.sizes:
        runs = {r["ranks"]: r for r in results if r["surface_size"] == size}
        if 1 not in runs:
            continue
        for n, r in sorted(runs.items()):
            if n == 1:
                continue
            one = runs[1]
            eff = {
                key: get(one) / (n * get(r))
                for key, get in {
                    "total": lambda x: x["total_s"],
                    "meshing": lambda x: x["mesh_s"],
                    "charge": lambda x: x["charge"]["seconds"],
                    "floor": lambda x: x["floor"]["seconds"],
                }.items()
            }
            print(
                f"parallel efficiency, h = {size:g}, {n} ranks: "
                + ", ".join(f"{k} {v:.0%}" for k, v in eff.items())
            )
    if len(args.sizes) > 1:
        for n in args.ranks:
            runs = [r for r in results if r["ranks"] == n]
            its = [max(r["charge"]["iterations"].values()) for r in runs]
            floor = [r["floor"]["iterations"] for r in runs]
            print(
                f"CG iterations under refinement ({n} rank(s), h = "
                + " -> ".join(f"{r['surface_size']:g}" for r in runs)
                + f"): charge sector {its} (+{its[-1] / its[0] - 1:.0%}), "
                f"bare GAMG Poisson {floor} (+{floor[-1] / floor[0] - 1:.0%})"
            )


# --------------------------------------------------------------------------------- the worker


def _clock(comm) -> tuple[float, float]:
    comm.Barrier()
    return time.perf_counter(), time.process_time()


def _bare_poisson(domain, order: int, rtol: float) -> dict:
    """The floor: -lap u = 1 in the body, Robin on the outer sphere, as a demo would solve it."""
    from giantatom.backend import fem, ufl

    comm = domain.comm
    V = fem.functionspace(domain.mesh, ("Lagrange", order))
    u, v = ufl.TrialFunction(V), ufl.TestFunction(V)
    a = ufl.inner(ufl.grad(u), ufl.grad(v)) * domain.dx
    a += domain.robin * u * v * domain.ds(meshes.OUTER)
    L = domain.constant(1.0) * v * domain.dx(domain.body_tags)
    options = {"ksp_type": "cg", "pc_type": "gamg", "ksp_rtol": rtol, "ksp_atol": 0.0}
    t0, c0 = _clock(comm)
    problem = fem.petsc.LinearProblem(
        a, L, petsc_options_prefix="giantatom_bench_floor_", petsc_options=options
    )
    problem.solve()
    t1, c1 = _clock(comm)
    ksp = problem.solver
    if ksp.getConvergedReason() <= 0:
        raise RuntimeError(f"the bare Poisson solve did not converge ({ksp.getConvergedReason()})")
    return {"seconds": t1 - t0, "cpu_s": c1 - c0, "iterations": ksp.getIterationNumber()}


def _one_run(text: str, folder: Path, comm, order: int, rtol: float, warmup: bool) -> dict:
    from giantatom import charge, charge_summary, fields, output, stages
    from giantatom.case import parse_case
    from giantatom.domain import build_domain
    from giantatom.parallel import peak_memory

    case = parse_case(text, folder / "bench.toml")
    start, _ = _clock(comm)
    domain = build_domain(case, comm)
    t_mesh, _ = _clock(comm)
    c0 = time.process_time()
    solution = charge.solve_charge(domain, stages.inputs(case).charge)
    charge_summary.summarize(solution)
    t_charge, c_charge = _clock(comm)
    spaces = fields.FieldSpaces(domain, case.mesh.order)
    all_fields = [fields.region_field(spaces), *fields.charge_fields(solution, spaces)]
    results = folder / "results"
    if comm.rank == 0:
        results.mkdir(exist_ok=True)
    output.write_vtu(domain, all_fields, results)
    t_out, _ = _clock(comm)
    floor = _bare_poisson(domain, order, rtol)
    if warmup:
        return {}
    stats = solution.stats
    return {
        "ranks": comm.size,
        "cells": domain.report.cells,
        "dofs": solution.space.dofmap.index_map.size_global,
        "order": order,
        "mesh_s": t_mesh - start,
        "gmsh_s": domain.report.seconds,
        "charge": {
            "seconds": t_charge - t_mesh,
            "cpu_s": c_charge - c0,
            "iterations": stats.iterations,
            "solve_seconds": stats.solve_seconds,
            "setup_seconds": stats.setup_seconds,
        },
        "output_s": t_out - t_charge,
        "total_s": t_out - start,
        "floor": floor,
        "memory": peak_memory(comm),
    }


def _worker(args) -> None:
    from giantatom import log as logging_setup
    from giantatom.backend import MPI

    comm = MPI.COMM_WORLD
    logging_setup.configure(comm.rank if args.verbose else 1)
    size = args.sizes[0]

    def text(radius: float, h: float) -> str:
        return CASE.format(
            radius=radius,
            surface_size=h,
            far_field=args.far_field,
            order=args.order,
            threads=args.threads,
            rtol=args.rtol,
        )

    with tempfile.TemporaryDirectory(prefix="giantatom-bench-") as tmp:
        folder = Path(comm.bcast(tmp if comm.rank == 0 else None))
        # compiles every form once (FFCx caches them on disk), so the timed run does not
        _one_run(text(2.0, 0.6), folder, comm, args.order, args.rtol, warmup=True)
        result = _one_run(text(args.radius, size), folder, comm, args.order, args.rtol, False)
    result |= {"radius": args.radius, "surface_size": size, "machine": _machine()}
    if comm.rank == 0:
        args.worker.write_text(json.dumps(result, indent=2))
