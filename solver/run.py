"""The pipeline: case -> mesh -> solves -> fields (``solve``: in memory, giantatom.Results),
then -> outputs (``run_case``: the results directory of ``giantatom run``).

This module only calls the stages in order and collects their summaries; the physics lives in
the stage modules.
"""

import time
from pathlib import Path

from giantatom import accuracy, adapt, backend, output, probes, stages
from giantatom.backend import MPI
from giantatom.case import Case
from giantatom.domain import Domain, build_domain
from giantatom.log import StageTimer, log
from giantatom.meshes.model import quality_warnings
from giantatom.parallel import on_root, peak_memory
from giantatom.report import report
from giantatom.results import Results, write_data, write_summary
from giantatom.summary import (
    GeometrySummary,
    MeshSummary,
    ModelSummary,
    RunSummary,
    Summary,
    section_dict,
)


def _log_material(case: Case) -> None:
    m = case.material
    log.info(
        "material: lambda = %s; n_s = %.4g m^-3 (%s); rho_- = %.4g C/m^3; E_m = %.4g V/m; "
        "B_s = %.4g T; v_0 = %.4g m/s",
        case.lambda_text,
        m.n_s,
        "case file" if m.n_s_override else "Eq. 8",
        m.rho_minus,
        m.E_m,
        m.B_s,
        m.v_0,
    )


def log_mesh(mesh, unit: str, lambda_in_units: float) -> None:
    regions = ", ".join(f"{k} {v}" for k, v in mesh.cells_by_region.items())
    log.info(
        "mesh: %d tetrahedra (%s), %d nodes, order %d",
        mesh.cells,
        regions,
        mesh.nodes,
        mesh.order,
    )
    log.info(
        "mesh: element size %.3g to %.3g lambda (%.4g to %.4g %s); quality (min SICN) min %.3f, "
        "mean %.3f; outer sphere radius %.4g %s",
        mesh.h_min,
        mesh.h_max,
        mesh.h_min * lambda_in_units,
        mesh.h_max * lambda_in_units,
        unit,
        mesh.quality_min,
        mesh.quality_mean,
        mesh.outer_radius * lambda_in_units,
        unit,
    )
    for warning in mesh.warnings + quality_warnings(mesh):
        log.warning("mesh: %s", warning)


def mesh_summary(domain: Domain, dofs: int) -> dict:
    r = domain.report
    lam = domain.lambda_m
    return {
        "cells": r.cells,
        "cells_by_region": r.cells_by_region,
        "nodes": r.nodes,
        "dofs": dofs,
        "order": r.order,
        "h_min_lambda": r.h_min,
        "h_max_lambda": r.h_max,
        "h_min_m": r.h_min * lam,
        "h_max_m": r.h_max * lam,
        "quality_min_sicn": r.quality_min,
        "quality_mean_sicn": r.quality_mean,
        "quality_p1_sicn": r.quality_p1,
        "outer_radius_m": r.outer_radius * lam,
        "center_m": [c * lam for c in r.center],
        "seconds": r.seconds,
    }


def _figures(case: Case, path: Path) -> None:
    """The pictures (rank 0), drawn from the results just written; never fails the run."""
    try:
        from giantatom import figures
    except Exception as err:  # e.g. an install without a working VTK
        log.warning("figures: not drawn (%s: %s)", type(err).__name__, err)
        return
    log.info("figures ...")
    figures.run_figures(path, case.output.figures, case.output.figure_size)


def solve(case: Case, comm: MPI.Comm | None = None) -> Results:
    """Run a case in memory on every rank of ``comm`` (default MPI.COMM_WORLD): mesh, solves,
    output fields; writes no files. Bad input raises CaseError & co. (solver/errors.py)."""
    comm = MPI.COMM_WORLD if comm is None else comm
    timer = StageTimer()
    results = _solve(case, comm, timer)
    _finish(results, timer)
    return results


def run_case(case: Case, comm: MPI.Comm, out_dir: Path | None = None) -> Path:
    """``giantatom run``: solve, write the results directory (+ figures); returns its path."""
    timer = StageTimer()
    target = Path(out_dir) if out_dir is not None else case.output.dir
    with output.ResultsDir(target, comm) as folder:  # log.txt records the whole run
        results = _solve(case, comm, timer)
        with timer.stage("output", "writing results"):
            write_data(results, folder.path)
        _finish(results, timer)
        write_summary(results, folder.path)
        figures_seconds = None
        if case.output.figures != ():
            start = time.perf_counter()
            on_root(comm, lambda: _figures(case, folder.path))
            figures_seconds = time.perf_counter() - start
        report(results.summary.to_dict(), folder.final, figures_seconds)
        folder.commit()
        results.path = folder.final
    return folder.final


def _solve(case: Case, comm: MPI.Comm, timer: StageTimer) -> Results:
    log.info(
        "giantatom %s: case %s on %d MPI rank(s)",
        backend.versions()["giantatom"],
        case.path,
        comm.size,
    )
    _log_material(case)
    if case.mesh_choice is not None:  # what [mesh] accuracy (or its default) chose, and why
        log.info("mesh: %s", case.mesh_choice.describe())
    meshing = "reading the mesh" if case.mesh.file else "meshing (gmsh, rank 0) and distributing"
    rounds = None
    if case.mesh.adapt:  # remesh where the error is until [mesh] accuracy (solver/adapt.py)
        domain, rounds = adapt.adapted_domain(case, comm, timer)
    else:
        with timer.stage("mesh", meshing):
            domain = build_domain(case, comm)
    log_mesh(domain.report, case.geometry.unit, case.lambda_in_units)
    report = domain.report
    for line in probes.outside_domain(case, report.center, report.outer_radius):
        log.warning(line)
    model = stages.choose_model(case, domain)
    given = stages.inputs(case)
    solutions = stages.solve(model, domain, given, timer)
    with timer.stage("fields", "output fields"):
        all_fields = model.output_fields(domain, solutions, given)
        tables = model.probe_tables(domain, solutions, all_fields, case.probes)
        surface, extra = model.surface(domain, solutions)
    sections = stages.sections(model, solutions, all_fields, extra)
    wanted, magnetic_too = False, False
    if model.kind == "full":
        order = given.charge.order
        chosen = case.mesh_choice is not None
        mode = case.mesh.error_estimate
        wanted, magnetic_too = accuracy.planned(mode, chosen, solutions.dofs, order)
    if wanted:
        with timer.stage("error", "error estimates (each sector one degree up)"):
            sections = accuracy.estimate(domain, given, sections, magnetic_too=magnetic_too)
    if sections.get("model") is not None:
        sections["model"] = ModelSummary(**sections["model"])
    summary = _summary(case, domain, solutions.dofs, **sections)
    if rounds is not None:
        summary.mesh.adapt = adapt.table(rounds)
    solved = {"charge": solutions.charge, "magnetic": solutions.magnetic, "spin": solutions.spin}
    return Results(
        case,
        summary,
        domain=domain,
        solutions={k: v for k, v in solved.items() if v is not None},
        output_fields=all_fields,
        probes=tables,
        surface=surface,
    )


def _summary(case: Case, domain: Domain, dofs: int, **sections) -> Summary:
    """The summary around the sectors' ``sections`` (charge, ...): the case, material,
    geometry, mesh and run, the same for both models."""
    bodies = section_dict(sections["charge"])["bodies"]
    model = sections.get("model")
    full = model is None or model.kind == "full"  # the thin-layer mesh ignores the accuracy
    choice = case.mesh_choice if full else None
    return Summary(
        case=case.name,
        material=case.material.summary(),
        geometry=GeometrySummary(
            unit=case.geometry.unit,
            volume_m3=sum(b["volume_m3"] for b in bodies),
            area_m2=sum(b["area_m2"] for b in bodies),
            bodies=[b.name for b in case.geometry.bodies],
        ),
        mesh=MeshSummary(
            **mesh_summary(domain, dofs),
            accuracy=case.mesh.accuracy if full else None,
            chosen=None if choice is None else choice.summary(),
        ),
        run=RunSummary(ranks=domain.comm.size, versions=backend.versions()),
        **sections,
    )


def _finish(results: Results, timer: StageTimer) -> None:
    """The run's seconds and peak memory into the summary (collective)."""
    comm = results.domain.comm
    results.summary.run.seconds = timer.total()
    results.summary.run.memory = memory = peak_memory(comm)
    log.info(
        "memory: peak RSS per rank %s MiB (total %.0f MiB)",
        ", ".join(f"{m:.0f}" for m in memory["peak_rss_MiB"]),
        memory["total_MiB"],
    )
