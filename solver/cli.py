"""The ``giantatom`` command.

Errors a user can fix (case file, geometry, a solve that does not converge) print one line and
exit non-zero, on every rank together, with no traceback and no results directory left behind.
"""

import argparse
import os
import sys
from pathlib import Path

from giantatom import __version__
from giantatom.errors import (
    CaseError,
    FigureError,
    GiantAtomError,
    MeshError,
    OutputError,
    SolveError,
    SweepError,
)
from giantatom.terminate import (
    Terminated,
    interruption,
    leave_terminated,
    terminate_like_interrupt,
)

EXIT_CODES = {
    CaseError: 2,
    MeshError: 3,
    SolveError: 4,
    FigureError: 5,
    SweepError: 6,
    OutputError: 7,
}
INTERRUPTED_EXIT = 130  # Ctrl-C (128 + SIGINT); SIGTERM: parallel.TERMINATED_EXIT = 143

DESCRIPTION = """\
Finite-element fields of a superconductor in Hirsch's theory of hole superconductivity:
the expelled charge rho (C/m^3), potential phi (V) and interior electric field E (V/m) of a
body of any shape, from a TOML case file; with [magnetic] the screened field B (T) and Meissner
current J (A/m^2); with [electric] the answer to an applied electric field (screened over
lambda; dipole and quadrupole moments); the spin currents per spin (m/s, A/m^2) in every run;
and, for samples much larger than lambda, the thin-layer model ([model] kind). Run in parallel with
`mpirun -n N giantatom run CASE`.
"""

EPILOG = """\
examples:
  giantatom check cases/sphere.toml          validate the case file and build the geometry
  giantatom mesh cases/ellipsoid.toml        mesh only, print cell counts and quality
  giantatom run cases/sphere.toml            solve; results in [output] dir
  mpirun -n 4 giantatom run cases/cube.toml --out /scratch/cube
  giantatom plot results/sphere --field rho --clip z --out rho.png
  giantatom mesh cases/big.toml --out mesh/  then [mesh] file = "mesh/mesh.xdmf" reuses it
  giantatom run cases/sweep.toml --member 3  one member of a sweep (Slurm arrays: README)
  giantatom gather results/sweep             sweep.csv, sweep.json, sweep.png of its members
  giantatom bench --radius 10 --ranks 1 2    timings against a bare DOLFINx Poisson solve

A case with a [sweep] table runs every combination of the swept values (README).
Closures ([charge] closure, how rho0 is fixed): surface-mean (default), max-field, spin-speed,
rho0; each body's rho0 is that of its own neutral, field-free solution, and summary.json lists
what every closure gives (charge.bodies[].rho0_by_closure). docs/formulation.md: the physics.
Rings: fluxoid = n (flux quanta h/2|e| trapped in the hole, default 0 = zero-field cooled) in
the [[geometry.body]] table of a torus, in the [[geometry.body.subtract]] table of a cylinder
cut through a body, or with hole_axis = [x, y, z] and hole_center = [x, y, z] in either.
exit codes: 0 success, 1 a bug (traceback), 2 bad case file, 3 geometry/meshing failed,
4 solve failed, 5 a picture could not be drawn (plot), 6 some members of a sweep failed,
7 the results directory cannot be written, 130 interrupted (Ctrl-C), 143 terminated (SIGTERM,
e.g. a batch system's time limit); a run stopped by either leaves no results directory.
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
        _verbosity(p)
        return p

    run = add("run", "mesh, solve and write the results of a case (or of every sweep member)")
    run.add_argument(
        "--out",
        type=Path,
        metavar="DIR",
        help="results directory (default: [output] dir of the case)",
    )
    run.add_argument(
        "--mesh",
        type=Path,
        metavar="MESH_XDMF",
        help="use this saved mesh (from giantatom mesh) instead of [mesh] file or meshing",
    )
    run.add_argument(
        "--resume",
        action="store_true",
        help="a sweep: keep the members that finished before (after a time limit) and run the "
        "others",
    )
    run.add_argument(
        "--member",
        nargs="?",
        const=ARRAY_INDEX,
        metavar="N",
        help="a sweep: run member N alone (1-based; without N: $SLURM_ARRAY_TASK_ID), then "
        "`giantatom gather`",
    )
    mesh = add(
        "mesh",
        "build and mesh the geometry only; write mesh.msh (gmsh) and mesh.xdmf/.h5/.json "
        "(reusable by [mesh] file on any number of ranks) and report on it",
    )
    mesh.add_argument(
        "--out",
        type=Path,
        metavar="DIR",
        help="directory for the mesh files (default: [output] dir with -mesh appended, "
        "results/sphere-mesh: a run replaces its results directory, not this one)",
    )
    add("check", "parse and validate the case file and build its geometry (no mesh, no solve)")
    text = "sweep.csv, sweep.json and sweep.png of a sweep whose members ran apart (--member)"
    gather = sub.add_parser("gather", help=text, description=text)
    gather.add_argument("folder", type=Path, metavar="SWEEP_DIR", help="the sweep's results")
    _verbosity(gather)
    _add_plot(sub)
    from giantatom.bench import add_parser as add_bench

    add_bench(sub)
    return parser


def _add_plot(sub) -> None:
    from giantatom.case import FIGURES

    text = (
        "draw the pictures of a finished run again from its results directory (no MPI, no "
        "solve: works on a copy of the directory anywhere)"
    )
    plot = sub.add_parser("plot", help=text, description=text)
    plot.add_argument("results", type=Path, metavar="RESULTS_DIR", help="a run's results")
    which = plot.add_mutually_exclusive_group()
    which.add_argument(
        "--field",
        choices=("rho", "E", "B", "J", "spin"),
        help="one field's figure: rho -> charge, E -> field, B -> magnetic, J -> current, "
        "spin -> spin (default: every figure the run has the data for)",
    )
    which.add_argument("--figure", choices=FIGURES, help="one figure by its name")
    plot.add_argument("--clip", choices=("x", "y", "z"), help="normal of the cut plane")
    plot.add_argument(
        "--out",
        type=Path,
        metavar="PATH",
        help="the file for one figure, else the folder (default: RESULTS_DIR/figures)",
    )
    plot.add_argument(
        "--size",
        metavar="WxH",
        help="picture size in pixels, e.g. 1600x1200 (default: the case's [output] figure_size)",
    )
    _verbosity(plot)


def _verbosity(p: argparse.ArgumentParser) -> None:
    p.add_argument("-v", "--verbose", action="store_true", help="more detail in the log")
    p.add_argument("-q", "--quiet", action="store_true", help="warnings and errors only")


def _plot(args) -> None:
    from giantatom import figures
    from giantatom.case_output import PIXELS, valid_pixels

    size = None
    if args.size:
        try:
            w, h = (int(v) for v in args.size.lower().split("x"))
        except ValueError:
            raise FigureError(
                f"--size must be WIDTHxHEIGHT, like 1600x1200; got {args.size!r}"
            ) from None
        if not (valid_pixels(w) and valid_pixels(h)):
            raise FigureError(f"--size: {PIXELS[0]} to {PIXELS[1]} pixels each, got {args.size!r}")
        size = (w, h)
    name = figures.FIELD_FIGURES[args.field] if args.field else args.figure
    if name is None and args.out is not None and args.out.suffix:
        raise FigureError(
            f"--out: {args.out} names a file, but every figure is drawn: give --field or "
            "--figure for one picture, or a folder for all"
        )
    if name is None:
        written = figures.render_figures(args.results, folder=args.out, size=size, clip=args.clip)
    else:
        results = figures.load_results(args.results)
        size = size or figures.figure_settings(results)[1]
        folder = results.path / "figures"
        targets = figures.outputs(results, name, folder)
        if args.out is not None and len(targets) == 1:
            targets = [(args.out, targets[0][1])]
        elif args.out is not None and name == "spin":  # spin.png there, spin_stop.png beside it
            targets = [
                (args.out.with_name(path.stem.replace("spin", args.out.stem) + path.suffix), part)
                for path, part in targets
            ]
        elif args.out is not None and args.out.suffix:  # a file name: one per probe line
            out = args.out
            targets = [(out.with_name(f"{out.stem}_{p.stem}{out.suffix}"), q) for p, q in targets]
        elif args.out is not None:  # one file per probe line: --out is their folder
            targets = [(args.out / path.name, probe) for path, probe in targets]
        written = [figures.draw(results, name, p, size, args.clip, q) for p, q in targets]
    for path in written:
        print(path)


ARRAY_INDEX = "SLURM_ARRAY_TASK_ID"


def _member(value: str | None) -> int | None:
    """--member N, or the job array's index when given alone."""
    if value is None:
        return None
    text = os.environ.get(ARRAY_INDEX, "") if value == ARRAY_INDEX else value
    try:
        return int(text)
    except ValueError:
        where = f"${ARRAY_INDEX} ({text!r})" if value == ARRAY_INDEX else repr(text)
        raise CaseError(f"needs a member number, got {where}", "--member") from None


def _rank() -> int:
    """This process's MPI rank, without importing MPI when it is not running under mpirun."""
    import os

    for var in ("PMI_RANK", "OMPI_COMM_WORLD_RANK", "PMIX_RANK", "SLURM_PROCID"):
        if var in os.environ:
            return int(os.environ[var])
    return 0


def _check(case) -> None:
    from giantatom.domain import check_geometry

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
        for hole in body.holes:
            print(
                f"    hole {hole.key}: fluxoid {hole.fluxoid} Phi_0 along {list(hole.axis)} "
                f"through {list(hole.center)}"
            )
    for electrode in case.geometry.electrodes:
        held = (
            f"floating, charge {electrode.charge:g} C"
            if electrode.floating
            else f"held at {electrode.potential:g} V"
        )
        print(f"  electrode {electrode.name!r}: {electrode.shape.kind}, {held}")
    print(
        f"  bodies fit in a sphere of radius {info['bounding_radius'] * lam:.4g} "
        f"{case.geometry.unit} = {info['bounding_radius']:.3g} lambda; outer vacuum sphere "
        f"{info['outer_radius'] * lam:.4g} {case.geometry.unit}"
    )
    if case.model.kind == "full":
        print(
            f"  mesh: {case.mesh.surface_size:g} lambda at the surface, {case.mesh.layer:g} "
            f"lambda deep, order {case.mesh.order}; closure {case.charge.closure}"
        )
        if case.mesh_choice is not None:
            print(f"  mesh chosen: {case.mesh_choice.describe()}")
    else:
        auto = case.model.kind == "auto"
        print(
            f"  model: {case.model.kind}"
            + (f" (thin-layer above {case.model.auto_threshold:g} lambda)" if auto else "")
            + f"; thin-layer mesh: resolution {case.model.resolution:g} of the radius of "
            f"curvature, order {case.model.order}; closure {case.charge.closure}"
        )
    _print_estimate(case, info)
    if case.magnetic.active:
        mag = case.magnetic
        how = (
            "thin-layer: perfect diamagnet outside, exp(-depth/lambda) in the layer"
            if case.model.kind == "thin-layer"
            else f"N1curl degree {mag.order}, solver {mag.solver}, far-field condition "
            f"{mag.boundary}" + (" (full model)" if case.model.kind == "auto" else "")
        )
        print(f"  magnetic: applied field {list(mag.applied_field)} T, {how}")
        if info["magnetic_eps"] is not None:
            _print_eps(info["magnetic_eps"], info["outer_radius"])
    if case.sweep:
        from giantatom.sweep import members

        found = members(case)
        print(f"  sweep: {len(found)} members, each checked as a case:")
        for member in found:
            check_geometry(member.case)
            print(f"    {member.name}")


def _print_estimate(case, info: dict) -> None:
    """The mesh estimate (README "Large meshes"), and warnings a run would give before meshing."""
    from giantatom.parallel import MEMORY_VARIABLE, node_memory
    from giantatom.probes import outside_domain

    est = info["estimate"]
    print(
        f"  mesh estimate: about {est.cells:,} tetrahedra, {est.dofs:,} dofs, "
        f"{est.memory_bytes / 1e9:.2g} GB of memory on 1 rank (+0.3 GB per extra rank), "
        f"{est.disk_bytes / 1e9:.2g} GB of fields on disk"
    )
    available = node_memory()
    try:
        available = float(os.environ[MEMORY_VARIABLE])
    except (KeyError, ValueError):
        pass
    if available is not None and est.memory_bytes > available:
        print(
            f"  WARNING: more memory than the {available / 1e9:.2g} GB available here: coarsen "
            "[mesh] or run on more nodes"
        )
    for line in outside_domain(case, info["center"], info["outer_radius"]):
        print(f"  WARNING: {line}")


def _print_eps(eps: float, outer_radius: float) -> None:
    from giantatom.case import EPS_BIAS

    r2 = eps * outer_radius**2
    print(
        f"  vacuum regularisation eps = {eps:.3g}: eps (R_out/lambda)^2 = {r2:.3g}, moment "
        f"bias about {EPS_BIAS * r2:.1e}"
    )


def _mesh(case, out: Path | None) -> None:
    from dataclasses import replace

    from giantatom.backend import MPI
    from giantatom.domain import build_domain, save_mesh
    from giantatom.log import log
    from giantatom.parallel import on_root
    from giantatom.run import log_mesh

    comm = MPI.COMM_WORLD
    case = replace(case, mesh=replace(case.mesh, file=None))  # mesh it, whatever [mesh] file says
    target = (out or mesh_dir(case)).resolve()

    def make() -> None:
        try:
            target.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            key = "--out" if out else "output.dir"
            raise OutputError(f"cannot write {target}: {err.strerror or err}", key) from None

    on_root(comm, make)
    domain = build_domain(case, comm, msh_file=target / "mesh.msh")
    log_mesh(domain.report, case.geometry.unit, case.lambda_in_units)
    if domain.report.model_kind == "thin-layer":
        log.info("mesh written to %s (thin-layer model: no saved mesh.xdmf)", target / "mesh.msh")
        return
    path = save_mesh(domain, case, target)
    log.info(
        "mesh written to %s (gmsh) and %s (+ .h5, .json: [mesh] file = %r), %.1f s",
        target / "mesh.msh",
        path,
        str(path),
        domain.report.seconds,
    )


def mesh_dir(case) -> Path:
    """Where ``giantatom mesh`` saves a mesh by default: beside the results directory, not in
    it, since the next run replaces that directory whole."""
    return case.output.dir.with_name(case.output.dir.name + "-mesh")


def _check_mesh_kept(case, out: Path | None) -> None:
    """A saved mesh inside the results directory a run replaces would be deleted by it."""
    target = (out or case.output.dir).resolve()
    mesh = case.mesh.file
    if mesh is not None and not case.sweep and Path(mesh).resolve().is_relative_to(target):
        raise CaseError(
            f"{mesh} lies inside {target}, which this run replaces with its results: move the "
            f"mesh (giantatom mesh saves into {mesh_dir(case)} by default) or write elsewhere",
            "mesh.file",
        )


def _with_mesh(case, mesh: Path | None):
    """The case with ``--mesh`` as its [mesh] file."""
    if mesh is None:
        return case
    from dataclasses import replace

    from giantatom.case import check_mesh_file

    mesh = mesh.resolve()
    check_mesh_file(mesh, case.model.kind, case.mesh.order, "--mesh")
    return replace(case, mesh=replace(case.mesh, file=mesh))


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    rank = _rank()
    terminate_like_interrupt()
    try:
        from giantatom import log as logging_setup
        from giantatom.case import load_case

        logging_setup.configure(rank, verbose=args.verbose, quiet=args.quiet)
        if args.command == "plot":
            _plot(args)
            return 0
        if args.command == "bench":
            from giantatom.bench import main as bench

            return bench(args)
        if args.command == "gather":
            from giantatom.sweep_table import gather

            if rank == 0:
                gather(args.folder)
            return 0
        case = load_case(args.case)
        if args.command == "check":
            if rank == 0:
                _check(case)
        elif args.command == "mesh":
            _mesh(case, args.out)
        elif args.command == "run":
            from giantatom.backend import MPI
            from giantatom.run import run_case
            from giantatom.sweep import run_sweep

            case = _with_mesh(case, args.mesh)
            _check_mesh_kept(case, args.out)
            member = _member(args.member)
            if not case.sweep and (member is not None or args.resume):
                option = "--member" if member is not None else "--resume"
                raise CaseError("only for a case with a [sweep] table", option)
            if case.sweep:
                run_sweep(case, MPI.COMM_WORLD, args.out, resume=args.resume, member=member)
            else:
                run_case(case, MPI.COMM_WORLD, args.out)
    except GiantAtomError as err:
        if getattr(args, "out", None) is not None and err.key == "output.dir":
            err.key = "--out"  # the option, not the case file, chose the directory
        if getattr(args, "mesh", None) is not None and err.key == "mesh.file":
            err.key = "--mesh"
        if rank == 0:
            print(f"giantatom: error: {err}", file=sys.stderr)
        return EXIT_CODES.get(type(err), 1)
    except Terminated:
        leave_terminated(rank)
    except KeyboardInterrupt:
        if rank == 0:
            print("giantatom: interrupted", file=sys.stderr)
        return INTERRUPTED_EXIT
    except Exception as err:
        if isinstance(interruption(err), Terminated):  # raised inside a C library's callback
            leave_terminated(rank)
        if interruption(err) is not None:
            if rank == 0:
                print("giantatom: interrupted", file=sys.stderr)
            return INTERRUPTED_EXIT
        # A bug, not bad input: show the traceback, and under MPI take every rank down with
        # this one, since the others may be waiting for it in a collective call.
        import traceback

        traceback.print_exc()
        _abort_others()
        return 1
    return 0


def _abort_others() -> None:
    """MPI_Abort when running on several ranks (only if MPI is already loaded)."""
    mpi = sys.modules.get("mpi4py.MPI")
    if mpi is not None and mpi.COMM_WORLD.size > 1:
        sys.stderr.flush()
        mpi.COMM_WORLD.Abort(1)


if __name__ == "__main__":
    sys.exit(main())
