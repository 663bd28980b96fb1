"""The adaptive loop (``[mesh] adapt``): solve the charge sector at degree k and k+1 on the same
mesh (accuracy.py's estimate), stop when max |E| and the surface rho are within ``accuracy``
(relative) or the budget is spent, else remesh with sizes from a local error indicator.

Indicator: per cell K, the RMS over K of |grad(phi_k - phi_(k+1))|, relative to the largest such
RMS of the degree-(k+1) field itself (the local error of E), scaled so its largest value is the
estimated error of the headline numbers. E converges as h^k, so equidistribution asks
h_new = h_old (tol / eta_K)^(1/k), clipped to [SHRINK, GROW] h_old (no coarsening). gmsh remeshes
the geometry rebuilt from the case with these sizes given on the old cells (meshes/sizes.py),
combined (Min) with the case's size field: curved surfaces stay exact.
"""

import time
from dataclasses import asdict, dataclass

import numpy as np

from giantatom import accuracy, charge, charge_summary, stages
from giantatom.backend import MPI, fem, ufl
from giantatom.case import Case
from giantatom.domain import Domain, build_domain
from giantatom.errors import CaseError
from giantatom.log import StageTimer, log
from giantatom.meshes.sizes import CellSizes

# The most one round changes a cell's size by. No coarsening (GROW = 1): with 2, the cells
# refined for the extremes coarsened again the next round and the error came back; with
# SHRINK = 1/4 the first round overshot (rounded cube 4 lambda, P2, to 5%: README).
SHRINK, GROW = 0.5, 1.0


@dataclass(frozen=True)
class Round:
    """One mesh of the loop: its size and the estimated relative errors on it (summary.json
    mesh.adapt)."""

    round: int
    cells: int
    E_max_error: float  # |max|E|_k - max|E|_(k+1)| / max|E|_(k+1)
    surface_rho_error: float  # the same for the surface rho's extremes, relative to max |rho|
    seconds: float


def charge_pair(domain: Domain, given: stages.Inputs, up: stages.Inputs):
    """The charge sector at degree k and k+1 on ``domain``, and the relative errors of max |E|
    and the surface rho at degree k."""
    coarse = charge.solve_charge(domain, given.charge)
    fine = charge.solve_charge(domain, up.charge)
    summaries = [charge_summary.summarize(s).to_dict() for s in (coarse, fine)]
    return coarse, fine, relative_errors(*summaries)


def relative_errors(coarse: dict, fine: dict) -> tuple[float, float]:
    """(max |E|, surface rho) relative errors of the degree-k charge summary ``coarse`` against
    the degree-(k+1) one ``fine``."""
    E = accuracy.difference(coarse["E_max_V_m"], fine["E_max_V_m"]) / abs(fine["E_max_V_m"])
    extremes = ("surface_rho_min_C_m3", "surface_rho_max_C_m3")
    scale = max(abs(fine[key]) for key in extremes)
    rho = max(accuracy.difference(coarse[key], fine[key]) for key in extremes) / scale
    return E, rho


def indicator(coarse: fem.Function, fine: fem.Function, degree: int) -> np.ndarray:
    """Per owned cell: RMS of |grad(coarse - fine)| over the cell, relative to the largest
    cellwise RMS of |grad fine| (collective); ``degree``: fine's."""
    mesh = fine.function_space.mesh
    v = ufl.TestFunction(fem.functionspace(mesh, ("DG", 0)))
    dx = ufl.Measure("dx", mesh, metadata={"quadrature_degree": 2 * degree})
    e = ufl.grad(coarse - fine)

    def per_cell(integrand) -> np.ndarray:
        vector = fem.assemble_vector(fem.form(integrand * v * dx))
        return vector.array[: mesh.topology.index_map(3).size_local].copy()

    volume = per_cell(1.0)
    error = np.sqrt(per_cell(ufl.inner(e, e)) / volume)
    scale = np.sqrt(per_cell(ufl.inner(ufl.grad(fine), ufl.grad(fine))) / volume)
    return error / mesh.comm.allreduce(scale.max(initial=0.0), op=MPI.MAX)


def calibrated(eta: np.ndarray, error: float, comm: MPI.Comm) -> np.ndarray:
    """The indicator scaled so that its largest value is the estimated ``error`` of the
    headline numbers: the indicator says where the error is, the estimate how large (the
    extremes sit in the cells with the largest indicator, and a cell RMS underrates them)."""
    return eta * (error / max(comm.allreduce(eta.max(initial=0.0), op=MPI.MAX), 1e-300))


def new_sizes(h: np.ndarray, eta: np.ndarray, tol: float, degree: int) -> np.ndarray:
    """Equidistribution: the size that brings each cell's indicator to ``tol`` for an error
    going as h^degree, within [SHRINK, GROW] of the old one."""
    factor = (tol / np.maximum(eta, 1e-300)) ** (1.0 / degree)
    return h * np.clip(factor, SHRINK, GROW)


def cell_corners(domain: Domain) -> np.ndarray:
    """(owned cells, 4, 3): the corners of the owned cells (the first 4 geometry nodes of a
    curved tetrahedron are its vertices)."""
    mesh = domain.mesh
    owned = mesh.topology.index_map(3).size_local
    return mesh.geometry.x[mesh.geometry.dofmaps[0][:owned, :4]]


# gmsh's tetrahedra (HXT) come out with a mean edge this many times the size they were meshed
# to (measured: size 0.5 on a box, mean edge 0.673): the sizes of a round are the old cells'
# requested sizes, so the cells kept as they are do not grow round after round
EDGE_PER_SIZE = 1.45  # 1.35 on a uniform mesh; graded meshes still shrank round by round


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
    rounds, wanted = [], None
    with timer.stage("mesh", f"adaptive meshing to {spec.accuracy:g} (charge sector, P{degree})"):
        for number in range(1, spec.adapt_rounds + 1):
            start = time.perf_counter()
            domain = build_domain(case, comm, wanted=wanted)
            if domain.report.model_kind == "thin-layer":
                raise CaseError("adapts the full model's mesh only", "mesh.adapt")
            coarse, fine, (E, rho) = charge_pair(domain, given, up)
            cells = domain.mesh.topology.index_map(3).size_global
            rounds.append(Round(number, cells, E, rho, time.perf_counter() - start))
            log.info(
                "adapt round %d: %d cells, estimated max |E| error %.3g, surface rho error %.3g",
                number,
                cells,
                E,
                rho,
            )
            if max(E, rho) <= spec.accuracy:
                log.info("adapt: accuracy %g met", spec.accuracy)
                break
            corners = cell_corners(domain)
            h = cell_size(corners)
            eta = calibrated(indicator(coarse.phi, fine.phi, degree + 1), max(E, rho), comm)
            sizes = new_sizes(h, eta, spec.accuracy, degree)
            expected = comm.allreduce(float(np.sum((h / np.minimum(sizes, h)) ** 3)), op=MPI.SUM)
            if expected > spec.max_cells:
                log.warning(
                    "adapt: stopped at %.3g relative error: the next mesh (about %d cells) would "
                    "exceed mesh.max_cells = %d",
                    max(E, rho),
                    expected,
                    spec.max_cells,
                )
                break
            if number == spec.adapt_rounds:
                log.warning("adapt: accuracy not met in mesh.adapt_rounds = %d", number)
                break
            wanted = gathered(comm, corners, sizes)
    return domain, rounds


def table(rounds: list[Round]) -> list[dict]:
    """summary.json mesh.adapt."""
    return [asdict(r) for r in rounds]
