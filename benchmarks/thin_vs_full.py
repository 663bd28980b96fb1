"""The thin-layer model against the full model where both run: a 2:1 ellipsoid (semi-axes
s, s/2, s/2) and a cube of side s with rounded edges (fillet s/5), s/lambda = 10, 20, 30.

    .venv/bin/python benchmarks/thin_vs_full.py [--sizes 10 20 30] [--shapes ellipsoid cube]
    .venv/bin/mpirun -n 2 .venv/bin/python benchmarks/thin_vs_full.py

For each case both models run on their own meshes (full: surface_size 0.5 lambda, layer 3,
P2; thin-layer: resolution 0.1, P3) and the full solution is read under the thin-layer model's
surface nodes. Printed per shape and size, as relative differences (L2 over the surface):
rho0; the surface density; E in the layer (depths 0.05 to 4 lambda, the thin model's profile
against the full field); the spin speed at the surface from the full model's E - E0; and, for
information, E_max and the extreme surface density (tips, edges), which depend on both models'
meshes. The thin layer is an expansion in lambda/L: the differences of the first four columns
must shrink as s grows (asserted: monotone in s). The full solves at s = 30 are about 1M P2 dofs
each: this takes minutes, and several GB.
"""

import argparse
import itertools
import sys
import time
from pathlib import Path

import numpy as np

from giantatom import charge, charge_summary, probes, relations, stages
from giantatom.backend import MPI, fem
from giantatom.case import parse_case
from giantatom.domain import build_domain
from giantatom.fields import FieldSpaces
from giantatom.log import configure
from giantatom.thinlayer import charge as thin_charge
from giantatom.thinlayer import spin as thin_spin
from giantatom.units import EPS_0

SHAPES = {
    "ellipsoid": 'shape = "ellipsoid"\nsemi_axes = [{s}, {h}, {h}]',
    "cube": 'shape = "box"\nsize = [{s}, {s}, {s}]\nfillet = {f}',
}


def case_text(shape: str, s: float, model: str, coarse: bool = False) -> str:
    """The case at size s (lambda = 1 um); ``coarse``: the test suite's quicker meshes."""
    body = SHAPES[shape].format(s=s, h=s / 2, f=s / 5)
    mesh = f"surface_size = {0.6 if coarse else 0.5}\nlayer = 3\n" if model == "full" else ""
    thin = "resolution = 0.2\norder = 2\n" if coarse and model != "full" else ""
    return f"""
[material]
lambda = "1 um"
[geometry]
unit = "um"
[[geometry.body]]
{body}
[mesh]
{mesh}far_field = 3
[model]
kind = "{model}"
{thin}"""


def relative_l2(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.sqrt(np.sum((a - b) ** 2) / np.sum(b**2)))


def compare(shape: str, s: float, comm, coarse: bool = False) -> dict[str, float]:
    """Both models at size s; the differences of the thin-layer one from the full one."""
    start = time.perf_counter()
    thin_text = case_text(shape, s, "thin-layer", coarse)
    thin_case = parse_case(thin_text, Path(f"/tmp/{shape}-thin.toml"))
    thin_domain = build_domain(thin_case, comm)
    thin = thin_charge.solve_thin_layer(thin_domain, stages.charge_inputs(thin_case))
    spins = thin_spin.solve_spin(stages.spin_inputs(thin_case), thin, None)
    thin_summary = thin_charge.summarize(thin).to_dict()
    thin_seconds = time.perf_counter() - start

    start = time.perf_counter()
    full_text = case_text(shape, s, "full", coarse)
    full_case = parse_case(full_text, Path(f"/tmp/{shape}-full.toml"))
    full_domain = build_domain(full_case, comm)
    full = charge.solve_charge(full_domain, stages.charge_inputs(full_case))
    full_summary = charge_summary.summarize(full).to_dict()
    full_seconds = time.perf_counter() - start

    # The full fields under the thin model's surface nodes, at depths d: rho and the spin
    # speed just under the surface (d = 0.05 lambda: the two meshes' surfaces differ by about
    # 1e-2 lambda), E over the layer (d = 0.05 ... 4 lambda); the thin model's values at the
    # same depths from its profile.
    lam = thin_domain.lambda_m
    depths = np.array([0.05, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0])
    x, n = thin.surface.x.reshape(-1, 3), thin.surface.n.reshape(-1, 3)
    rate = thin.decay.ravel()
    sigma = thin.sigma.ravel()
    rho_s = (thin.rho_surface.ravel() - thin.rho0[0]) * np.exp(-rate * depths[0])
    E0, Gn = _thin_E0(thin)
    layer = (sigma / EPS_0)[:, None, None] * np.exp(-rate[:, None] * depths[None, :])[..., None]
    E_thin = E0[:, None, :] - depths[None, :, None] * Gn[:, None, :] + layer * n[:, None, :]
    v_thin = np.linalg.norm(spins.v[0], axis=-1).ravel() * np.exp(-rate * depths[0])
    points = (x[:, None, :] - depths[None, :, None] * n[:, None, :]).reshape(-1, 3)
    gathered = {
        key: np.concatenate(comm.allgather(value))
        for key, value in {
            "points": points,
            "rho": thin.rho0[0] + rho_s,
            "E": E_thin.reshape(-1, 3),
            "v": v_thin,
        }.items()
    }
    spaces = FieldSpaces(full_domain, full_case.mesh.order)
    region = spaces.per_body([full_domain.constant(1.0)], "region")
    rho = spaces.per_body([full.density(0)], "rho")
    E = spaces.everywhere(full.electric_field(full.phi), "E")
    dE = spaces.everywhere(full.electric_field(full.phi) - full.reference_field(0), "dE")
    columns = [("region", region, 0), ("rho", rho, 0)]
    columns += [(f"E{i}", E, i) for i in range(3)] + [(f"dE{i}", dE, i) for i in range(3)]
    values = probes.sample(full_domain, gathered["points"] * full_domain.lambda_in_units, columns)
    result = None
    if comm.rank == 0:
        m = len(depths)
        values = values.reshape(-1, m, values.shape[1])
        inside = values[..., 0] == 1.0  # some points of the coarse layer lie out of the body
        first = inside[:, 0]
        axis = np.array(thin_case.spin.axis)
        v_full = np.linalg.norm(
            relations.velocity_shift(values[first, 0, 5:8], 0.0, axis, lam, np.cross), axis=1
        )
        E_full = values[..., 2:5][inside]
        E_mine = gathered["E"].reshape(-1, m, 3)[inside]
        result = {
            "rho0": thin_summary["rho0_C_m3"] / full_summary["rho0_C_m3"] - 1.0,
            "surface_rho": relative_l2(gathered["rho"][first], values[first, 0, 1]),
            "E_layer": relative_l2(E_mine, E_full),
            "spin": relative_l2(gathered["v"][first], v_full),
            "E_max": thin_summary["E_max_V_m"] / full_summary["E_max_V_m"] - 1.0,
            "tip_rho": thin_summary["surface_rho_min_C_m3"] / full_summary["surface_rho_min_C_m3"]
            - 1.0,
            "thin_s": thin_seconds,
            "full_s": full_seconds,
            "full_dofs": full.space.dofmap.index_map.size_global,
        }
    return comm.bcast(result, root=0)


def _thin_E0(thin) -> tuple[np.ndarray, np.ndarray]:
    """E0 and (grad E0) n at the thin model's surface nodes, (m, 3) each."""
    from giantatom.thinlayer.conductors import field_traces
    from giantatom.thinlayer.surface import SurfaceFlux

    unit = fem.Function(thin.space)
    unit.x.array[:] = thin.phi0_free.x.array / thin.rho0[0]
    E0, Gn = field_traces(thin.domain, thin.surface, SurfaceFlux(thin.domain), unit, 0)
    return thin.rho0[0] * E0.reshape(-1, 3), thin.rho0[0] * Gn.reshape(-1, 3)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=float, nargs="+", default=[10.0, 20.0, 30.0])
    parser.add_argument("--shapes", nargs="+", default=list(SHAPES), choices=list(SHAPES))
    parser.add_argument("-v", "--verbose", action="store_true", help="log the solves")
    args = parser.parse_args()
    comm = MPI.COMM_WORLD
    configure(comm.rank, quiet=not args.verbose)
    metrics = ["rho0", "surface_rho", "E_layer", "spin"]  # asserted monotone
    extra = ["E_max", "tip_rho"]  # printed: extremes, sensitive to both models' meshes
    failures = []
    for shape in args.shapes:
        rows = [(s, compare(shape, s, comm)) for s in args.sizes]
        if comm.rank == 0:
            print(f"\n{shape}: thin-layer minus full, relative (size in lambda)")
            names = metrics + extra
            print(
                f"{'size':>6}" + "".join(f"{m:>13}" for m in names) + "  thin s  full s  full dofs"
            )
            for s, r in rows:
                print(
                    f"{s:6.0f}"
                    + "".join(f"{100 * r[m]:12.2f}%" for m in names)
                    + f"{r['thin_s']:8.1f}{r['full_s']:8.1f}{r['full_dofs']:11d}",
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
