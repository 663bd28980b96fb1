"""The pipeline: case -> mesh -> solves -> fields (``solve``: in memory, giantatom.Results),
then -> outputs (``run_case``: the results directory of ``giantatom run``).

This module only calls the stages in order and collects their summaries; the physics lives in
the stage modules.
"""

from pathlib import Path

import numpy as np

from giantatom import accuracy, adapt, backend, output, probes, stages
from giantatom.backend import MPI
from giantatom.case import Case
from giantatom.domain import Domain, build_domain
from giantatom.log import StageTimer, log
from giantatom.meshes.model import quality_warnings
from giantatom.parallel import on_root, peak_memory
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


def log_mesh(report, unit: str, lambda_in_units: float) -> None:
    regions = ", ".join(f"{k} {v}" for k, v in report.cells_by_region.items())
    log.info(
        "mesh: %d tetrahedra (%s), %d nodes, order %d",
        report.cells,
        regions,
        report.nodes,
        report.order,
    )
    log.info(
        "mesh: element size %.3g to %.3g lambda (%.4g to %.4g %s); quality (min SICN) min %.3f, "
        "mean %.3f; outer sphere radius %.4g %s",
        report.h_min,
        report.h_max,
        report.h_min * lambda_in_units,
        report.h_max * lambda_in_units,
        unit,
        report.quality_min,
        report.quality_mean,
        report.outer_radius * lambda_in_units,
        unit,
    )
    for warning in report.warnings + quality_warnings(report):
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


def _report(summary: dict, out: Path) -> None:
    m, c, g = summary["material"], summary["charge"], summary["geometry"]
    lines = [
        "",
        f"  giantatom {summary['case']}: {summary['run']['ranks']} rank(s), "
        f"{summary['run']['seconds']['total']:.1f} s",
        f"  lambda {m['lambda_m']:.4g} m   rho_- {m['rho_minus_C_m3']:.4g} C/m^3   "
        f"E_m {m['E_m_V_m']:.4g} V/m",
        f"  volume {g['volume_m3']:.4g} m^3   area {g['area_m2']:.4g} m^2   "
        f"mesh {summary['mesh']['cells']} cells, {summary['mesh']['dofs']} dofs",
        f"  rho0 {np.ravel(c['rho0_C_m3'])[0]:.5g} C/m^3   net charge {c['net_charge_C']:.3g} C",
        f"  surface rho: mean {c['surface_rho_mean_C_m3']:.5g}, "
        f"min {c['surface_rho_min_C_m3']:.5g}, max {c['surface_rho_max_C_m3']:.5g} C/m^3",
        f"  max |E| inside {c['E_max_V_m']:.5g} V/m = {c['E_max_V_m'] / m['E_m_V_m']:.4f} E_m   "
        f"Eq. 23 residual {c['constitutive_residual']:.2e}",
        *_electric_report(summary.get("electric")),
        *(
            _thin_layer_report(summary)
            if summary.get("model", {}).get("kind") == "thin-layer"
            else [*_magnetic_report(summary.get("magnetic")), *_spin_report(summary["spin"])]
        ),
        f"  results: {out}",
        "",
    ]
    log.info("\n".join(lines))


def _electric_report(e: dict | None) -> list[str]:
    if e is None:
        return []
    lines = []
    if "applied_field_V_m" in e:
        field, dipole = np.asarray(e["applied_field_V_m"]), np.asarray(e["induced_dipole_C_m"])
        lines.append(
            f"  applied E {np.array2string(field, precision=4)} V/m   induced dipole "
            f"{np.array2string(dipole, precision=4)} C m (rho0 as without the field)"
        )
    for electrode in e.get("electrodes", []):
        lines.append(
            f"  electrode {electrode['name']} ({electrode['held']}): "
            f"{electrode['potential_V']:.6g} V, {electrode['charge_C']:.6g} C"
        )
    if "capacitance_matrix_F" in e:
        matrix = np.array2string(np.asarray(e["capacitance_matrix_F"]), precision=5)
        lines.append(f"  capacitance matrix (F) {matrix}")
    return lines


def _figures(case: Case, path: Path) -> None:
    """The pictures (rank 0), drawn from the results just written; never fails the run."""
    try:
        from giantatom import figures
    except Exception as err:  # e.g. an install without a working VTK
        log.warning("figures: not drawn (%s: %s)", type(err).__name__, err)
        return
    log.info("figures ...")
    figures.run_figures(path, case.output.figures, case.output.figure_size)


def _magnetic_report(m: dict | None) -> list[str]:
    if m is None:
        return []
    lines = [
        f"  applied B {np.asarray(m['applied_field_T'])} T   "
        f"moment {np.array2string(np.asarray(m['moment_A_m2']), precision=5)} A m^2",
        f"  max |B| inside {m['B_max_inside_T']:.5g} T   max |J| {m['J_max_A_m2']:.5g} A/m^2",
    ]
    if "london_sphere" in m:
        lines.append(
            f"  London sphere moment: relative error {m['london_sphere']['relative_error']:.2e}"
        )
    return lines + _hole_report(m)


def _hole_report(m: dict) -> list[str]:
    """One line per hole: its fluxoid and the net current around it."""
    return [
        f"  {body['name']}: hole {hole['key']}: fluxoid {hole['fluxoid']} Phi_0, "
        f"circulating current {hole['circulating_current_A']:.5g} A"
        for body in m["bodies"]
        for hole in body.get("holes", [])
    ]


def _spin_report(s: dict) -> list[str]:
    up, down = s["v_surface_max_m_s"]
    lines = [
        f"  spin axis {np.asarray(s['axis'])}   surface |v_sigma - v_sigma0| up {up:.5g}, "
        f"down {down:.5g} m/s = {max(up, down) / s['v0_m_s']:.4f} v_0   "
        f"(angular momentum {s['angular_momentum_hbar']:.4f} hbar)",
    ]
    if "v_surface_max_field_m_s" in s:
        up, down = s["v_surface_max_field_m_s"]
        lines.append(f"  with the applied field: up {up:.5g}, down {down:.5g} m/s")
    for name, (lowest, highest) in s.get("v_along_zero_field_m_s", {}).items():
        lines.append(
            f"  spin {name} along its zero-field sense: {lowest:.5g} .. {highest:.5g} m/s"
            + (" (reversed where negative)" if lowest < 0 else "")
        )
    if "direct_check_residual" in s:
        lines.append(
            f"  Eq. 62a direct check: relative L2 difference {s['direct_check_residual']:.2e}"
        )
    return lines


def _thin_layer_report(summary: dict) -> list[str]:
    m = summary["material"]
    lines = ["  model: thin-layer (lambda << size; the layer is analytic, see surface.vtu)"]
    if "spin" in summary:
        v = summary["spin"]["v_surface_max_m_s"]
        lines.append(
            f"  spin speed at the surface: up {v[0]:.5g}, down {v[1]:.5g} m/s "
            f"= {max(v) / m['v0_m_s']:.4f} v_0"
        )
    if "magnetic" in summary:
        g = summary["magnetic"]
        lines.append(
            f"  moment {np.array2string(np.asarray(g['moment_A_m2']), precision=5)} A m^2   "
            f"max |B| at the surface {g['B_max_inside_T']:.5g} T"
        )
        lines += _hole_report(g)
    return lines


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
        if case.output.figures != ():
            on_root(comm, lambda: _figures(case, folder.path))
        _report(results.summary.to_dict(), folder.final)
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
    if case.mesh.error_estimate and model.kind == "full":
        with timer.stage("error", "error estimates (each sector one degree up)"):
            sections = accuracy.estimate(domain, given, sections)
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
    return Summary(
        case=case.name,
        material=case.material.summary(),
        geometry=GeometrySummary(
            unit=case.geometry.unit,
            volume_m3=sum(b["volume_m3"] for b in bodies),
            area_m2=sum(b["area_m2"] for b in bodies),
            bodies=[b.name for b in case.geometry.bodies],
        ),
        mesh=MeshSummary(**mesh_summary(domain, dofs)),
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
