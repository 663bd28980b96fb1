"""The adaptive loop (``[mesh] adapt``): solve the charge sector at degree k and k+1 on the same
mesh (accuracy.py's estimate), stop when max |E| and the surface rho are within ``accuracy``
(relative) or the budget is spent, else remesh finer where the local error is.

Indicator, aimed at the extremes it controls: per cell K, the largest |E_k - E_(k+1)| at the
nodes of K relative to max |E_(k+1)|, counted only where K could hold the maximum (its |E|,
give or take REACH times that error, within ``accuracy`` of max |E|); and on the surface cells
the same for rho relative to max |rho| on the surface, where K could hold one of its extremes.
Elsewhere an error does not move the headline numbers. Cells above ``accuracy`` are refined
to h (accuracy / eta_K)^(1/k) (E converges as h^k), by SHRINK to STEP a round; the others are
left to the rounds before (no coarsening, no drift: only the refined cells get a size, and
every round's sizes are kept). gmsh remeshes the geometry rebuilt
from the case with these sizes given on the old cells (meshes/sizes.py), combined (Min) with
the case's size field: curved surfaces stay exact. The first mesh is the case's, with the
curved body surfaces finer than surface_size meshed at their radius (meshes/curvature.py
curved_sizes): fillets need that much to be curved at all, the faces can start coarse.
"""

import time
from dataclasses import asdict, dataclass

import numpy as np

from giantatom import accuracy, charge, charge_summary, stages
from giantatom.backend import MPI, dolfinx, fem
from giantatom.case import Case
from giantatom.charge import ChargeSolution
from giantatom.domain import Domain, build_domain
from giantatom.errors import CaseError
from giantatom.log import StageTimer, log
from giantatom.meshes.sizes import CellSizes

# The most one round shrinks a cell: the estimate on a coarse mesh is erratic (rounded cube,
# P2: 3.75 and 6.93 relative at uniform sizes 1.0 and 0.7), and with 1/4 the first round
# overshot (README "Adaptive meshing").
SHRINK, STEP = 0.5, 0.8
# A cell counts for an extreme when its value, give or take this many times its local error,
# comes within the accuracy of the extreme (the error of degree k is estimated, not bounded).
REACH = 2.0
# Wanted size of the cells not refined (lambda): larger than any, so the Min leaves them to
# the rounds before and the case's field. Every cell is in the view (a point in none costs
# gmsh a slow search: a few marked cells alone made meshing crawl).
UNREFINED = 1.0e3
HEADLINE = ("E_max_V_m", "surface_rho_min_C_m3", "surface_rho_max_C_m3")


@dataclass(frozen=True)
class Round:
    """One mesh of the loop: its size, the estimated relative errors on it and the headline
    numbers at degree k and k+1 (summary.json mesh.adapt)."""

    round: int
    cells: int
    E_max_error: float  # |max|E|_k - max|E|_(k+1)| / max|E|_(k+1)
    surface_rho_error: float  # the same for the surface rho's extremes, relative to max |rho|
    refined_cells: int  # the cells whose indicator was above the accuracy
    seconds: float
    values: dict  # HEADLINE at degree k
    values_up: dict  # HEADLINE at degree k+1


def headline(summary: dict) -> dict:
    return {key: summary[key] for key in HEADLINE}


def charge_pair(domain: Domain, given: stages.Inputs, up: stages.Inputs):
    """The charge sector at degree k and k+1 on ``domain``, and their headline numbers."""
    coarse = charge.solve_charge(domain, given.charge)
    fine = charge.solve_charge(domain, up.charge)
    summaries = [headline(charge_summary.summarize(s).to_dict()) for s in (coarse, fine)]
    return coarse, fine, summaries


def relative_errors(coarse: dict, fine: dict) -> tuple[float, float]:
    """(max |E|, surface rho) relative errors of the degree-k headline numbers ``coarse``
    against ``fine`` (degree k+1, or any reference)."""
    E = accuracy.difference(coarse["E_max_V_m"], fine["E_max_V_m"]) / abs(fine["E_max_V_m"])
    extremes = ("surface_rho_min_C_m3", "surface_rho_max_C_m3")
    scale = max(abs(fine[key]) for key in extremes)
    rho = max(accuracy.difference(coarse[key], fine[key]) for key in extremes) / scale
    return E, rho


def nodal(domain: Domain, expr, degree: int, shape: tuple, cells=None) -> np.ndarray:
    """(owned cells, nodes, components): ``expr`` at the nodes of a DG ``degree`` space (zero
    outside ``cells`` where given)."""
    W = fem.functionspace(domain.mesh, ("DG", degree, shape))
    f = fem.Function(W)
    points = W.element.interpolation_points
    expression = fem.Expression(expr, points() if callable(points) else points)
    f.interpolate(expression) if cells is None else f.interpolate(expression, cells0=cells)
    owned = domain.mesh.topology.index_map(3).size_local
    return f.x.array.reshape(-1, W.dofmap.bs)[W.dofmap.list[:owned]]


def surface_cells(domain: Domain, tag: int) -> np.ndarray:
    """The cells of body ``tag`` with a facet on its surface (local indices)."""
    topology = domain.mesh.topology
    topology.create_connectivity(2, 3)
    touching = dolfinx.mesh.compute_incident_entities(topology, domain.surface_facets(tag), 2, 3)
    return np.intersect1d(touching, domain.body_cells(tag))


def indicator(coarse: ChargeSolution, fine: ChargeSolution, scales: dict, tol: float) -> np.ndarray:
    """Per owned cell: the local relative error of E where the cell could hold max |E|, and
    of rho where a surface cell could hold one of its extremes (module doc), else 0.
    ``scales``: the degree-(k+1) headline numbers."""
    domain, degree = fine.domain, fine.inputs.order
    E_max = abs(scales["E_max_V_m"])
    E = np.linalg.norm(nodal(domain, fine.electric_field(fine.phi), degree - 1, (3,)), axis=2)
    error = fine.electric_field(fine.phi) - coarse.electric_field(coarse.phi)
    E_error = np.linalg.norm(nodal(domain, error, degree - 1, (3,)), axis=2).max(axis=1) / E_max
    # could this cell's |E|, give or take REACH times its error, be within tol of the maximum?
    eta = np.where(E.max(axis=1) / E_max + REACH * E_error >= 1.0 - tol, E_error, 0.0)
    low, high = scales["surface_rho_min_C_m3"], scales["surface_rho_max_C_m3"]
    scale = max(abs(low), abs(high))
    for m, tag in enumerate(domain.body_tags):
        cells = surface_cells(domain, tag)
        cells = cells[cells < len(eta)]  # owned
        rho = nodal(domain, fine.density(m), degree, (), cells)[cells, :, 0]
        rho_error = nodal(domain, fine.density(m) - coarse.density(m), degree, (), cells)
        rho_error = np.abs(rho_error[cells, :, 0]).max(axis=1) / scale
        reach = REACH * rho_error * scale
        near = (rho.min(axis=1) - reach <= low + tol * scale) | (
            rho.max(axis=1) + reach >= high - tol * scale
        )
        eta[cells] = np.maximum(eta[cells], np.where(near, rho_error, 0.0))
    return eta


def marked(eta: np.ndarray, tol: float, comm: MPI.Comm) -> np.ndarray:
    """The cells to refine: those above ``tol``; if none is (the estimate is above it while
    no single cell is: the closure's global error), the cells above half the largest."""
    refine = eta > tol
    if comm.allreduce(int(refine.sum()), op=MPI.SUM) == 0:
        largest = comm.allreduce(float(eta.max(initial=0.0)), op=MPI.MAX)
        refine = (eta > 0.0) & (eta >= 0.5 * largest)
    return refine


def new_sizes(h: np.ndarray, eta: np.ndarray, tol: float, degree: int) -> np.ndarray:
    """New sizes of marked cells: the size that brings a cell's local error ``eta`` to ``tol``
    for an error going as h^degree, shrinking by SHRINK at most and by STEP at least."""
    factor = (tol / np.maximum(eta, 1e-300)) ** (1.0 / degree)
    return h * np.clip(factor, SHRINK, STEP)


def cell_corners(domain: Domain) -> np.ndarray:
    """(owned cells, 4, 3): the corners of the owned cells (the first 4 geometry nodes of a
    curved tetrahedron are its vertices)."""
    mesh = domain.mesh
    owned = mesh.topology.index_map(3).size_local
    return mesh.geometry.x[mesh.geometry.dofmaps[0][:owned, :4]]


# gmsh's tetrahedra (HXT) come out with a mean edge this many times the size they were meshed
# to (measured: size 0.5 on a box, mean edge 0.673; less on graded meshes). Only the refined
# cells get a size, so the ratio scales their new sizes and does not compound.
EDGE_PER_SIZE = 1.35


def cell_size(corners: np.ndarray) -> np.ndarray:
    """The gmsh size each tetrahedron was meshed to: its mean edge / EDGE_PER_SIZE."""
    pairs = [(0, 1), (0, 2), (0, 3), (1, 2), (1, 3), (2, 3)]
    edges = [np.linalg.norm(corners[:, i] - corners[:, j], axis=1) for i, j in pairs]
    return np.mean(edges, axis=0) / EDGE_PER_SIZE


def gathered(comm: MPI.Comm, corners: np.ndarray, sizes: np.ndarray) -> CellSizes | None:
    """The cells and their sizes on rank 0, where gmsh meshes (None elsewhere)."""
    all_corners, all_sizes = comm.gather(corners, root=0), comm.gather(sizes, root=0)
    if comm.rank != 0:
        return None
    return CellSizes(vertices=np.concatenate(all_corners), sizes=np.concatenate(all_sizes))


def adapted_domain(case: Case, comm: MPI.Comm, timer: StageTimer) -> tuple[Domain, list[Round]]:
    """The loop: the last mesh it made and its rounds."""
    given = stages.inputs(case)
    up, _ = accuracy.one_degree_up(given)
    spec, degree = case.mesh, given.charge.order
    rounds, wanted = [], []
    with timer.stage("mesh", f"adaptive meshing to {spec.accuracy:g} (charge sector, P{degree})"):
        for number in range(1, spec.adapt_rounds + 1):
            start = time.perf_counter()
            domain = build_domain(case, comm, wanted=wanted)
            if domain.report.model_kind == "thin-layer":
                raise CaseError("adapts the full model's mesh only", "mesh.adapt")
            coarse, fine, (values, values_up) = charge_pair(domain, given, up)
            E, rho = relative_errors(values, values_up)
            eta = indicator(coarse, fine, values_up, spec.accuracy)
            refine = marked(eta, spec.accuracy, comm)
            cells = domain.mesh.topology.index_map(3).size_global
            refined = comm.allreduce(int(refine.sum()), op=MPI.SUM)
            seconds = time.perf_counter() - start
            rounds.append(Round(number, cells, E, rho, refined, seconds, values, values_up))
            log.info(
                "adapt round %d: %d cells, estimated max |E| error %.3g, surface rho error "
                "%.3g; %d cells above %g locally",
                *(number, cells, E, rho, refined, spec.accuracy),
            )
            if max(E, rho) <= spec.accuracy:
                log.info("adapt: accuracy %g met", spec.accuracy)
                break
            corners = cell_corners(domain)
            h = cell_size(corners[refine])
            sizes = new_sizes(h, eta[refine], spec.accuracy, degree)
            added = comm.allreduce(float(np.sum((h / sizes) ** 3 - 1.0)), op=MPI.SUM)
            if cells + added > spec.max_cells:
                log.warning(
                    "adapt: stopped at %.3g relative error: the next mesh (about %d cells) would "
                    "exceed mesh.max_cells = %d",
                    *(max(E, rho), cells + added, spec.max_cells),
                )
                break
            if number == spec.adapt_rounds:
                log.warning("adapt: accuracy not met in mesh.adapt_rounds = %d", number)
                break
            all_sizes = np.full(len(refine), UNREFINED)
            all_sizes[refine] = sizes
            wanted.append(gathered(comm, corners, all_sizes))
    return domain, rounds


def table(rounds: list[Round]) -> list[dict]:
    """summary.json mesh.adapt."""
    return [asdict(r) for r in rounds]
