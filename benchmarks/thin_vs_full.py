"""The thin-layer model against the full model where both run: a 2:1 ellipsoid (semi-axes
s, s/2, s/2) and a cube of side s with rounded edges (fillet s/5), s/lambda = 10, 20, 30.

    .venv/bin/python benchmarks/thin_vs_full.py [--sizes 10 20 30] [--shapes ellipsoid cube]
    .venv/bin/mpirun -n 2 .venv/bin/python benchmarks/thin_vs_full.py

For each case both models run on their own meshes (full: surface_size 0.5 lambda, layer 3,
P2; thin-layer: resolution 0.1, P3) and the full solution is read at the thin-layer model's
surface nodes (just inside the body). Printed per shape and size, as relative differences:
rho0; the surface density (L2 over the surface, and its maximum, at the tips or edges);
E_max; the spin speed at the surface (L2 over the surface) from the full model's E - E0 there.
The thin layer is the leading order in lambda/L: the differences must shrink as s grows
(asserted: monotone in s for every column). The full solves at s = 30 are about 1M P2 dofs
each: this takes minutes, and several GB.
"""

import argparse
import itertools
import sys
import time
from pathlib import Path

import numpy as np

from solver import charge, probes, spin, thinlayer
from solver.backend import MPI
from solver.case import parse_case
from solver.domain import build_domain
from solver.fields import FieldSpaces
from solver.log import configure

SHAPES = {
    "ellipsoid": 'shape = "ellipsoid"\nsemi_axes = [{s}, {h}, {h}]',
    "cube": 'shape = "box"\nsize = [{s}, {s}, {s}]\nfillet = {f}',
}


def case_text(shape: str, s: float, model: str) -> str:
    body = SHAPES[shape].format(s=s, h=s / 2, f=s / 5)
    mesh = "surface_size = 0.5\nlayer = 3\nfar_field = 3" if model == "full" else "far_field = 3"
    return f"""
[material]
lambda = "1 um"
[geometry]
unit = "um"
[[geometry.body]]
{body}
[mesh]
{mesh}
[model]
kind = "{model}"
"""


def relative_l2(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.sqrt(np.sum((a - b) ** 2) / np.sum(b**2)))


def compare(shape: str, s: float, comm) -> dict[str, float]:
    start = time.perf_counter()
    thin_case = parse_case(case_text(shape, s, "thin-layer"), Path(f"/tmp/{shape}-thin.toml"))
    thin_domain = build_domain(thin_case, comm)
    thin = thinlayer.solve_thin_layer(thin_case, thin_domain)
    spins = thinlayer.solve_spin(thin, thin_case, None)
    thin_summary = thinlayer.summarize(thin, thin_case)["charge"]
    thin_seconds = time.perf_counter() - start

    start = time.perf_counter()
    full_case = parse_case(case_text(shape, s, "full"), Path(f"/tmp/{shape}-full.toml"))
    full_domain = build_domain(full_case, comm)
    full = charge.solve_charge(full_case, full_domain)
    full_summary = charge.summarize(full, full_case)
    full_seconds = time.perf_counter() - start

    # The full fields just inside the surface at the thin model's surface nodes.
    lam = thin_domain.lambda_m
    local = (thin.surface.x - 1e-3 * thin.surface.n).reshape(-1, 3)
    points = np.concatenate(comm.allgather(local))
    spaces = FieldSpaces(full_domain, full_case.mesh.order)
    rho = spaces.per_body([full.density(0)], "rho")
    E = spaces.everywhere(full.electric_field(full.phi) - full.electric_field(full.phi0_free), "dE")
    columns = [("rho", rho, 0)] + [(f"E{i}", E, i) for i in range(3)]
    values = probes.sample(full_domain, points * full_domain.lambda_in_units, columns)
    gathered = {
        "rho": np.concatenate(comm.allgather(thin.rho_surface.ravel())),
        "v": np.concatenate(comm.allgather(np.linalg.norm(spins.v[0], axis=-1).ravel())),
    }
    result = None
    if comm.rank == 0:
        axis = np.array(thin_case.spin.axis)
        v_full = spin.velocity_shift(values[:, 1:4], 0.0, axis, lam, np.cross)
        ok = np.isfinite(values[:, 0])
        result = {
            "rho0": thin_summary["rho0_C_m3"] / full_summary["rho0_C_m3"] - 1.0,
            "surface_rho_L2": relative_l2(gathered["rho"][ok], values[ok, 0]),
            "surface_rho_max": thin_summary["surface_rho_min_C_m3"]
            / full_summary["surface_rho_min_C_m3"]
            - 1.0,
            "E_max": thin_summary["E_max_V_m"] / full_summary["E_max_V_m"] - 1.0,
            "spin_L2": relative_l2(gathered["v"][ok], np.linalg.norm(v_full[ok], axis=1)),
            "thin_s": thin_seconds,
            "full_s": full_seconds,
            "full_dofs": full.space.dofmap.index_map.size_global,
        }
    return comm.bcast(result, root=0)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=float, nargs="+", default=[10.0, 20.0, 30.0])
    parser.add_argument("--shapes", nargs="+", default=list(SHAPES), choices=list(SHAPES))
    parser.add_argument("-v", "--verbose", action="store_true", help="log the solves")
    args = parser.parse_args()
    comm = MPI.COMM_WORLD
    configure(comm.rank, quiet=not args.verbose)
    metrics = ["rho0", "surface_rho_L2", "surface_rho_max", "E_max", "spin_L2"]
    failures = []
    for shape in args.shapes:
        rows = [(s, compare(shape, s, comm)) for s in args.sizes]
        if comm.rank == 0:
            print(f"\n{shape}: thin-layer minus full, relative (size in lambda)")
            print(
                f"{'size':>6}"
                + "".join(f"{m:>17}" for m in metrics)
                + "   thin s   full s  full dofs"
            )
            for s, r in rows:
                print(
                    f"{s:6.0f}"
                    + "".join(f"{100 * r[m]:16.2f}%" for m in metrics)
                    + f"{r['thin_s']:9.1f}{r['full_s']:9.1f}{r['full_dofs']:11d}",
                    flush=True,
                )
            for m in metrics:
                errors = [abs(r[m]) for _, r in rows]
                if any(b >= a for a, b in itertools.pairwise(errors)):
                    failures.append(f"{shape} {m}: {np.round(100 * np.array(errors), 2)} %")
    if comm.rank == 0 and failures:
        print("\nnot monotone: " + "; ".join(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
