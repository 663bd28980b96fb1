"""London-moment error of the magnetic sector (N1curl) against the exact London sphere on the
meshes ``[mesh] accuracy`` chooses (solver/mesh_choice.py), per N1curl degree: the table behind
``magnetic_order`` (README "Choosing the mesh from an accuracy").

    .venv/bin/mpirun -n 2 .venv/bin/python benchmarks/london_order.py --radius 10 \
        [--accuracy 0.01] [--degrees 1 2] [--far-field 5] [--solver direct] [--quadrature Q]

Meshes the sphere once with the chosen order, surface_size and layer, then solves the magnetic
sector alone at each degree (MUMPS; with --solver iterative CG + Hiptmair-Xu, the same
discretisation, for meshes whose LU does not fit) and prints dofs, seconds (wall) and the
relative error of the moment against exact.london_moment. ``--quadrature Q`` assembles the
curl-curl operator with quadrature degree Q instead of UFL's estimate (10 for degree 2 on cubic
geometry): a measurement only, the solver keeps UFL's degrees.
"""

import argparse
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from giantatom import exact, magnetic, stages
from giantatom.backend import MPI, ufl
from giantatom.case import parse_case
from giantatom.domain import build_domain
from giantatom.mesh_choice import choose

B0 = 0.01  # T


def case_text(radius: float, accuracy: float, far_field: float, solver: str) -> str:
    chosen = choose(accuracy, radius)
    return f"""
[material]
lambda = "1 um"
[geometry]
unit = "um"
[[geometry.body]]
shape = "sphere"
radius = {radius}
[mesh]
order = {chosen.order}
surface_size = {chosen.surface_size}
layer = {chosen.layer}
far_field = {far_field}
[magnetic]
applied_field = [0, 0, {B0}]
solver = "{solver}"
"""


def with_quadrature(degree: int) -> None:
    """The magnetic sector's operator assembled with quadrature ``degree`` (this process)."""
    form = magnetic.curl_curl_form

    def lowered(*args):
        meta = {"quadrature_degree": degree}
        return ufl.Form([i.reconstruct(metadata=meta) for i in form(*args).integrals()])

    magnetic.curl_curl_form = lowered


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--radius", type=float, default=10.0)
    parser.add_argument("--accuracy", type=float, default=0.01)
    parser.add_argument("--degrees", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--far-field", type=float, default=5.0)
    parser.add_argument("--solver", choices=("direct", "iterative"), default="direct")
    parser.add_argument("--quadrature", type=int, default=None)
    args = parser.parse_args()
    if args.quadrature is not None:
        with_quadrature(args.quadrature)
    comm = MPI.COMM_WORLD
    text = case_text(args.radius, args.accuracy, args.far_field, args.solver)
    case = parse_case(text, Path("london.toml"))
    start = time.perf_counter()
    domain = build_domain(case, comm)
    meshing = time.perf_counter() - start
    want = exact.london_moment(args.radius, case.magnetic.applied_field)
    if comm.rank == 0:
        m = case.mesh
        print(
            f"R = {args.radius:g}: P{m.order}, surface_size {m.surface_size:g}, layer {m.layer:g},"
            f" far_field {m.far_field:g}: {domain.report.cells} cells, meshing {meshing:.1f} s",
            flush=True,
        )
    for degree in args.degrees:
        degree_case = replace(case, magnetic=replace(case.magnetic, order=degree))
        comm.Barrier()
        start = time.perf_counter()
        sol = magnetic.solve_magnetic(domain, stages.magnetic_inputs(degree_case))
        seconds = comm.allreduce(time.perf_counter() - start, op=MPI.MAX)
        error = np.linalg.norm(sol.moment - want) / np.linalg.norm(want)
        if comm.rank == 0:
            print(
                f"  N1curl {degree}: {sol.dofs} dofs, {seconds:.1f} s, moment error {error:.2e}",
                flush=True,
            )


if __name__ == "__main__":
    main()
