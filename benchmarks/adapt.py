"""Adaptive against uniform surface refinement: the cells each needs for a relative accuracy of
max |E| and of the surface rho (its extremes sit at the corners) on a cube with rounded edges
(README "Adaptive meshing"). Prints two tables: the adaptive rounds (cells, estimate, true
error) and the uniform meshes (size, cells, true error); the truth is the degree-(k+1) solution
on the loop's last mesh.

    OMP_NUM_THREADS=1 mpirun -n 2 .venv/bin/python benchmarks/adapt.py [--side 10] \
        [--fillet 0.5] [--accuracy 0.01] [--order 3] [--start 1.0] [--sizes 0.6 0.45 0.35]

Tens of minutes at the defaults (side 10 lambda, the issue's case); a smaller --side is quicker.
"""

import argparse
import time
from pathlib import Path

from giantatom import adapt, charge, charge_summary, stages
from giantatom.backend import MPI
from giantatom.case import parse_case
from giantatom.domain import build_domain
from giantatom.log import StageTimer, log_to_console


def cube_case(side: float, fillet: float, order: int, size: float, layer: float, **mesh) -> str:
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
layer = {layer}
far_field = 3
order = {order}
{keys}"""


def say(text: str) -> None:
    if MPI.COMM_WORLD.rank == 0:
        print(text, flush=True)


def adaptive(args) -> tuple[list[adapt.Round], float]:
    """The loop's rounds from surface size ``--start`` (the fillets at their radius where that
    is finer: meshes/curvature.py), and its wall time."""
    mesh = dict(accuracy=args.accuracy, adapt=True, adapt_rounds=args.rounds)
    text = cube_case(args.side, args.fillet, args.order, args.start, args.layer, **mesh)
    start = time.perf_counter()
    _, rounds = adapt.adapted_domain(
        parse_case(text, Path("cube.toml")), MPI.COMM_WORLD, StageTimer()
    )
    return rounds, time.perf_counter() - start


def uniform(args, size: float) -> tuple[int, dict, float]:
    """Cells, degree-k headline numbers and wall time on the uniform surface size ``size``."""
    text = cube_case(args.side, args.fillet, args.order, size, args.layer)
    case = parse_case(text, Path("cube.toml"))
    start = time.perf_counter()
    domain = build_domain(case, MPI.COMM_WORLD)
    solution = charge.solve_charge(domain, stages.inputs(case).charge)
    values = adapt.headline(charge_summary.summarize(solution).to_dict())
    return domain.mesh.topology.index_map(3).size_global, values, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--side", type=float, default=10.0)  # lambda
    parser.add_argument("--fillet", type=float, default=0.5)  # lambda
    parser.add_argument("--layer", type=float, default=1.0)  # lambda
    parser.add_argument("--accuracy", type=float, default=0.01)
    parser.add_argument("--order", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--start", type=float, default=1.0)  # the loop's first surface size
    parser.add_argument("--sizes", type=float, nargs="*", default=[0.6, 0.45, 0.35])
    args = parser.parse_args()
    log_to_console()  # the loop's rounds as they come
    rounds, seconds = adaptive(args)
    truth = rounds[-1].values_up  # P(k+1) on the finest adaptive mesh
    last = rounds[-1].round
    say(f"adaptive ({seconds:.0f} s), truth: P{args.order + 1} on round {last}: {truth}")
    say("| round | cells | estimate max|E| | estimate rho | true max|E| | true rho | s | P_k |")
    for r in rounds:
        E, rho = adapt.relative_errors(r.values, truth)
        say(
            f"| {r.round} | {r.cells} | {r.E_max_error:.2e} | {r.surface_rho_error:.2e} | "
            f"{E:.2e} | {rho:.2e} | {r.seconds:.0f} | {r.values} |"
        )
    say("| uniform size | cells | true max|E| | true rho | s | P_k |")
    for size in args.sizes:
        cells, values, seconds = uniform(args, size)
        E, rho = adapt.relative_errors(values, truth)
        say(f"| {size} | {cells} | {E:.2e} | {rho:.2e} | {seconds:.0f} | {values} |")


if __name__ == "__main__":
    main()
