"""The ``giantatom`` command.

Errors a user can fix (case file, geometry, a solve that does not converge) print one line and
exit non-zero, on every rank together, with no traceback and no results directory left behind.
"""

import argparse
import sys
from pathlib import Path

from solver import __version__
from solver.errors import CaseError, GiantAtomError, MeshError, SolveError

EXIT_CODES = {CaseError: 2, MeshError: 3, SolveError: 4}

DESCRIPTION = """\
Finite-element fields of a superconductor in Hirsch's theory of hole superconductivity:
the expelled charge rho (C/m^3), potential phi (V) and interior electric field E (V/m) of a
body of any shape, from a TOML case file. Run in parallel with `mpirun -n N giantatom run CASE`.
"""

EPILOG = """\
examples:
  giantatom check cases/sphere.toml          validate the case file and build the geometry
  giantatom mesh cases/ellipsoid.toml        mesh only, print cell counts and quality
  giantatom run cases/sphere.toml            solve; results in [output] dir
  mpirun -n 4 giantatom run cases/cube.toml --out /scratch/cube

exit codes: 0 success, 2 bad case file, 3 geometry/meshing failed, 4 solve failed.
Case-file keys and output files are documented in README.md.
"""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="giantatom",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"giantatom {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name: str, help_text: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.add_argument("case", type=Path, metavar="CASE", help="case file (TOML)")
        p.add_argument("-v", "--verbose", action="store_true", help="more detail in the log")
        p.add_argument("-q", "--quiet", action="store_true", help="warnings and errors only")
        return p

    run = add("run", "mesh, solve and write the results of a case")
    run.add_argument(
        "--out",
        type=Path,
        metavar="DIR",
        help="results directory (default: [output] dir of the case)",
    )
    mesh = add("mesh", "build and mesh the geometry only; write mesh.msh and report on it")
    mesh.add_argument(
        "--out",
        type=Path,
        metavar="DIR",
        help="directory for mesh.msh (default: [output] dir of the case)",
    )
    add("check", "parse and validate the case file and build its geometry (no mesh, no solve)")
    return parser


def _rank() -> int:
    """This process's MPI rank, without importing MPI when it is not running under mpirun."""
    import os

    for var in ("PMI_RANK", "OMPI_COMM_WORLD_RANK", "PMIX_RANK", "SLURM_PROCID"):
        if var in os.environ:
            return int(os.environ[var])
    return 0


def _check(case) -> None:
    from solver.domain import check_geometry

    info = check_geometry(case)
    lam = case.lambda_in_units
    m = case.material
    print(f"{case.path}: valid")
    print(
        f"  lambda = {case.lambda_text}: rho_- = {m.rho_minus:.4g} C/m^3, E_m = {m.E_m:.4g} V/m, "
        f"B_s = {m.B_s:.4g} T, v_0 = {m.v_0:.4g} m/s"
    )
    for body in case.geometry.bodies:
        holes = f" minus {len(body.subtract)} hole(s)" if body.subtract else ""
        print(f"  body {body.name!r}: {body.shape.kind}{holes}, net charge {body.net_charge:g} C")
    print(
        f"  bodies fit in a sphere of radius {info['bounding_radius'] * lam:.4g} "
        f"{case.geometry.unit} = {info['bounding_radius']:.3g} lambda; outer vacuum sphere "
        f"{info['outer_radius'] * lam:.4g} {case.geometry.unit}"
    )
    print(
        f"  mesh: {case.mesh.surface_size:g} lambda at the surface, {case.mesh.layer:g} lambda "
        f"deep, order {case.mesh.order}; closure {case.charge.closure}"
    )
    if case.magnetic.active:
        mag = case.magnetic
        print(
            f"  magnetic: applied field {list(mag.applied_field)} T, N1curl degree {mag.order}, "
            f"solver {mag.solver}, far-field condition {mag.boundary}"
        )


def _mesh(case, out: Path | None) -> None:
    import meshes
    from solver.domain import _mesh_on_root
    from solver.run import log_mesh

    target = (out or case.output.dir).resolve()
    target.mkdir(parents=True, exist_ok=True)
    with meshes.gmsh_session():
        report = _mesh_on_root(case, target / "mesh.msh")
    log_mesh(report, case.geometry.unit, case.lambda_in_units)
    print(f"mesh written to {target / 'mesh.msh'} ({report.seconds:.1f} s)")


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    rank = _rank()
    try:
        from solver import log as logging_setup
        from solver.case import load_case

        logging_setup.configure(rank, verbose=args.verbose, quiet=args.quiet)
        case = load_case(args.case)
        if args.command == "check":
            if rank == 0:
                _check(case)
        elif args.command == "mesh":
            if rank == 0:
                _mesh(case, args.out)
        elif args.command == "run":
            from solver.backend import MPI
            from solver.run import run_case

            run_case(case, MPI.COMM_WORLD, args.out)
    except GiantAtomError as err:
        if rank == 0:
            print(f"giantatom: error: {err}", file=sys.stderr)
        return EXIT_CODES.get(type(err), 1)
    except KeyboardInterrupt:
        if rank == 0:
            print("giantatom: interrupted", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
