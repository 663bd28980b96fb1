"""Direct (MUMPS) against iterative (CG + Hiptmair-Xu) for the magnetic sector on a London sphere.

    .venv/bin/python benchmarks/magnetic_solvers.py [--radius 10] [--surface-size 0.6 0.45]
        [--order 1] [--solvers direct iterative]

Prints dofs, set-up and per-solve seconds, iterations and the moment error against the exact
London sphere. Meshing (rank 0, gmsh) is not counted. It measures what the solver table of the
README's magnetic section reports (timings depend on the machine and its load).
"""

import argparse
import time
from pathlib import Path

import numpy as np

from giantatom import magnetic, stages
from giantatom.backend import MPI
from giantatom.case import parse_case
from giantatom.domain import build_domain

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
layer = 2
far_field = 1.5
[magnetic]
applied_field = [0, 0, 0.01]
order = {order}
solver = "{solver}"
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--radius", type=float, default=10.0, help="sphere radius, lambda")
    parser.add_argument("--surface-size", type=float, nargs="+", default=[0.6])
    parser.add_argument("--order", type=int, default=1, help="N1curl degree")
    parser.add_argument("--solvers", nargs="+", default=["direct", "iterative"])
    args = parser.parse_args()
    comm = MPI.COMM_WORLD
    for size in args.surface_size:
        domain = None
        for solver in args.solvers:
            text = CASE.format(
                radius=args.radius, surface_size=size, order=args.order, solver=solver
            )
            case = parse_case(text, Path("bench.toml"))
            domain = domain or build_domain(case, comm)
            start = time.perf_counter()
            sol = magnetic.solve_magnetic(domain, stages.magnetic_inputs(case))
            seconds = time.perf_counter() - start
            exact = magnetic.london_sphere_moment(sol.applied, args.radius * 1e-6, 1e-6)
            error = np.linalg.norm(sol.moment - exact) / np.linalg.norm(exact)
            if comm.rank == 0:
                print(
                    f"R {args.radius:g} h {size:g} degree {args.order} {solver:9s} "
                    f"dofs {sol.dofs:8d} iterations {max(sol.stats.iterations.values()):4d} "
                    f"total {seconds:6.1f} s  moment error {error:.2e}",
                    flush=True,
                )


if __name__ == "__main__":
    main()
