"""Adaptive against uniform surface refinement: the cells each needs for a relative accuracy of
max |E| and of the surface rho (at the corners: its extremes) on a cube with rounded edges
(README "Adaptive meshing"). Prints one line per mesh and the two cell counts.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/adapt.py [--side 10] [--fillet 0.5] \
        [--accuracy 0.01] [--order 2] [--sizes 1.0 0.7 0.5 0.35 0.25]

Minutes at the defaults (side 10 lambda, the issue's case); a smaller --side is quicker.
"""

import argparse
from pathlib import Path

from giantatom import adapt, stages
from giantatom.accuracy import one_degree_up
from giantatom.backend import MPI
from giantatom.case import parse_case
from giantatom.domain import build_domain
from giantatom.log import StageTimer


def cube_case(side: float, fillet: float, order: int, size: float, **mesh) -> str:
    keys = "".join(f"{k} = {str(v).lower()}\n" for k, v in mesh.items())
    return f"""
[material]
lambda = "1 um"
[geometry]
unit = "um"
[[geometry.body]]
shape = "box"
size = [{side}, {side}, {side}]
fillet = {fillet}
[mesh]
surface_size = {size}
layer = 2
far_field = 3
order = {order}
{keys}"""


def uniform(args) -> int | None:
    """Cells of the first uniform surface size that meets the accuracy (None: none did)."""
    for size in args.sizes:
        case = parse_case(cube_case(args.side, args.fillet, args.order, size), Path("cube.toml"))
        given = stages.inputs(case)
        domain = build_domain(case, MPI.COMM_WORLD)
        _, _, (E, rho) = adapt.charge_pair(domain, given, one_degree_up(given)[0])
        cells = domain.mesh.topology.index_map(3).size_global
        print(f"uniform surface_size {size}: {cells} cells, max |E| {E:.3g}, surface rho {rho:.3g}")
        if max(E, rho) <= args.accuracy:
            return cells
    return None


def adaptive(args) -> int | None:
    """Cells of the adaptive loop's last mesh, if it met the accuracy."""
    mesh = dict(accuracy=args.accuracy, adapt=True, adapt_rounds=args.rounds)
    text = cube_case(args.side, args.fillet, args.order, args.sizes[0], **mesh)
    _, rounds = adapt.adapted_domain(
        parse_case(text, Path("cube.toml")), MPI.COMM_WORLD, StageTimer()
    )
    for r in rounds:
        print(
            f"adaptive round {r.round}: {r.cells} cells, max |E| {r.E_max_error:.3g}, "
            f"surface rho {r.surface_rho_error:.3g}"
        )
    last = rounds[-1]
    return last.cells if max(last.E_max_error, last.surface_rho_error) <= args.accuracy else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--side", type=float, default=10.0)  # lambda
    parser.add_argument("--fillet", type=float, default=0.5)  # lambda
    parser.add_argument("--accuracy", type=float, default=0.01)
    parser.add_argument("--order", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--sizes", type=float, nargs="+", default=[1.0, 0.7, 0.5, 0.35, 0.25])
    args = parser.parse_args()
    a = adaptive(args)
    u = uniform(args)
    print(f"cells to {args.accuracy:g} on max |E| and the surface rho: adaptive {a}, uniform {u}")


if __name__ == "__main__":
    main()
