"""The spin sector's summary (full model), typed: surface speeds with and without the applied
field, the stop field, the direct check of Eq. 62a, the phase and the conservation checks."""

from dataclasses import dataclass

import numpy as np

from giantatom.backend import fem, ufl
from giantatom.linalg import assemble_rhs
from giantatom.parallel import global_max, global_min
from giantatom.phase import surface_values
from giantatom.relations import SPINS
from giantatom.screening import geometry_degree, quadrature
from giantatom.spin import PHASE, REFERENCE_FLOW, SpinSolution
from giantatom.stopfield import (
    STOP_FIELD_SMOOTHING,
    STOP_TOTAL,
    speed_scales,
    stop_field_maps,
    stop_field_summary,
)
from giantatom.summaries import Summary


def surface_averages(sol: SpinSolution, exprs: list, smoothing: int = 0, nodes: bool = False):
    """Patch averages of vector expressions over the body surfaces, from the body side: at
    every owned surface vertex i, int u q_i dS / int q_i dS with q_i its linear hat function
    (a lumped surface L2 projection), then ``smoothing`` more passes of the same average of
    the piecewise linear result. Nodal values of gradients and N1curl fields are noisy on the
    element scale; each pass widens the average by about one element. Returns (vertex
    positions (n, 3) in lambda, [the values (n, 3) of each expression]) and, with ``nodes``,
    the vertices' local dofs of the P1 space."""
    domain = sol.domain
    scalar = fem.functionspace(domain.mesh, ("Lagrange", 1))
    vector = fem.functionspace(domain.mesh, ("Lagrange", 1, (3,)))
    inside = domain.body_indicator
    q, v = ufl.TestFunction(scalar), ufl.TestFunction(vector)
    surfaces = quadrature(domain.dS, geometry_degree(domain))(domain.body_tags)  # P3: 2 x 3
    weights = assemble_rhs(fem.form(q("+") * surfaces))
    facets = np.concatenate([domain.surface_facets(tag) for tag in domain.body_tags])
    vertices = fem.locate_dofs_topological(scalar, 2, facets)
    vertices = vertices[vertices < scalar.dofmap.index_map.size_local]
    linear = fem.Function(vector)
    again = fem.form(ufl.inner(linear("+"), v("+")) * surfaces)

    def average(form: fem.Form) -> np.ndarray:
        b = assemble_rhs(form)
        result = b.array.reshape(-1, 3)[vertices] / weights.array[vertices, None]
        b.destroy()
        return result

    values = []
    for expr in exprs:
        body_side = inside("+") * expr("+") + inside("-") * expr("-")
        value = average(fem.form(ufl.inner(body_side, v("+")) * surfaces))
        for _ in range(smoothing):
            linear.x.array[:] = 0.0
            linear.x.array.reshape(-1, 3)[vertices] = value
            linear.x.scatter_forward()
            value = average(again)
        values.append(value)
    weights.destroy()
    positions = scalar.tabulate_dof_coordinates()[vertices]
    return (positions, values, vertices) if nodes else (positions, values)


@dataclass
class StopFieldMap:
    """The local stop field B_stop(x) on the body surfaces (docs/formulation.md section 3.7):
    the smaller over both spins, T (inf: masked, or the field speeds both spins up there), at
    this rank's owned surface vertices (``nodes``: dofs of the scalar P1 space; positions in
    lambda), from the smoothed surface averages of the shift v_sigma - v_sigma0."""

    nodes: np.ndarray
    positions: np.ndarray
    values: np.ndarray

    def function(self, domain) -> fem.Function:
        """B_stop as a P1 function: the map at the surface vertices, NaN where it is masked or
        infinite, 0 at every other vertex (so a surface face takes its own vertices' values)."""
        f = fem.Function(fem.functionspace(domain.mesh, ("Lagrange", 1)), name="B_stop")
        f.x.array[self.nodes] = np.where(np.isfinite(self.values), self.values, np.nan)
        f.x.scatter_forward()
        return f


@dataclass
class SpinSummary(Summary):
    """The spin section of summary.json (both models). Speeds are [up, down], m/s, the largest
    over the body surfaces, with no applied field unless ``field``."""

    axis: np.ndarray
    v_surface_max_m_s: list[float]  # |v_sigma - v_sigma0|
    v_total_surface_max_m_s: list[float]  # |v_sigma|
    scales: dict  # stopfield.speed_scales: v_0, the angular momentum, B_s
    reference_flow: str
    field: dict | None = None  # with the applied field: the speeds in it, the stop field
    checks: dict | None = None  # full model: the direct check, the phase, conservation
    model: str | None = None  # thin layer: what the model leaves out
    relations: dict | None = None  # full model: the formulas

    def to_dict(self) -> dict:
        head = {
            "axis": self.axis,
            "v_surface_max_m_s": self.v_surface_max_m_s,
            "v_total_surface_max_m_s": self.v_total_surface_max_m_s,
            **self.scales,
        }
        field, checks = self.field or {}, self.checks or {}
        if self.model is not None:
            return head | {"reference_flow": self.reference_flow, "model": self.model} | field
        return (
            head
            | field
            | checks
            | {"reference_flow": self.reference_flow}
            | ({"relations": self.relations} if self.relations is not None else {})
        )


def _stop_field(sol: SpinSolution) -> dict:
    """stop_field_summary on the surface patch averages of the full model, and the map itself
    (``sol.stop_map``, for the output fields)."""
    exprs = [sol.velocity_shift(sigma, applied=a) for a in (False, True) for _, sigma in SPINS]
    exprs += [sol.velocity_in_bodies(sigma, applied=False) for _, sigma in SPINS]
    positions, values, nodes = surface_averages(sol, exprs, STOP_FIELD_SMOOTHING, nodes=True)
    comm, n = sol.domain.comm, len(SPINS)
    shift0, shift, total0 = values[:n], values[n : 2 * n], values[2 * n :]
    applied = sol.inputs.applied_field
    summary = stop_field_summary(comm, shift0, shift, positions, applied, sol.domain.lambda_m)
    # The same map from the total flow v_sigma: the field adds the same B w to it (the
    # reference flow does not depend on B), but v_sigma0 is counted as something to stop.
    strength = float(np.linalg.norm(applied))
    total = [t + (v - v0) for t, v, v0 in zip(total0, shift, shift0, strict=True)]
    by_shift = np.min(stop_field_maps(comm, shift0, shift, strength), axis=0)
    by_total = np.min(stop_field_maps(comm, total0, total, strength), axis=0)
    sol.stop_map = StopFieldMap(nodes=nodes, positions=positions, values=by_shift)
    lowest = global_min(comm, by_total) if comm.allreduce(by_total.size) else np.inf
    summary["stop_field_total_flow_min_T"] = float(lowest) if np.isfinite(lowest) else None
    summary["stop_field_total_flow"] = STOP_TOTAL
    return summary


def summarize(sol: SpinSolution) -> SpinSummary:
    """The spin sector's key numbers, SI. Speeds without "field" in their key are those with no
    applied field."""
    material = sol.material
    domain = sol.domain
    space = fem.functionspace(domain.mesh, ("Lagrange", sol.inputs.order, (3,)))
    bodies = range(len(domain.body_tags))

    def surface_max(velocity) -> list[float]:
        """[up, down]: the largest |velocity(sigma, body)| over the surface nodes of all bodies."""
        speeds = []
        for _, sigma in SPINS:
            values = surface_values(sol.domain, [velocity(sigma, m) for m in bodies], space)
            speeds.append(
                global_max(domain.comm, np.concatenate([np.linalg.norm(v, axis=1) for v in values]))
            )
        return speeds

    shift = surface_max(lambda sigma, m: sol.velocity_shift(sigma, applied=False))
    total = surface_max(lambda sigma, m: sol.velocity(sigma, m, applied=False))
    field = None
    if sol.magnetic is not None:
        field = {
            "v_surface_max_field_m_s": surface_max(
                lambda sigma, m: sol.velocity_shift(sigma, applied=True)
            ),
            **_stop_field(sol),
        }
    checks = {}
    if sol.check_residual is not None:
        checks["direct_check_residual"] = max(sol.check_residual.values())
        checks["direct_check"] = {
            "relative_l2": sol.check_residual,
            "equation": "Eq. 62a: -lap X + X/lambda^2 = 0 in the bodies, X = A_sigma - A_sigma0 "
            "on the body surfaces",
            "iterations": sol.check_stats.iterations,
            "seconds": sol.check_stats.seconds,
        }
    checks["phase_gradient_relative"] = max(sol.phase_relative)
    checks["phase"] = {
        "relative_l2": sol.phase_relative,
        "what": "||grad chi_sigma|| / ||lambda sigma x (E - E0)/c|| over each body",
        "equation": PHASE,
        "iterations": sol.phase_stats.iterations,
        "seconds": sol.phase_stats.seconds,
        "depth_seconds": sol.distance_seconds,
    }
    checks["conservation"] = sol.conservation | {
        "what": "no applied field, spin up (spin down the same): normal_fraction = "
        "int |v . n| dS / int |v| dS over the body surfaces; gradient_fraction = ||grad psi|| / "
        "||v|| over the bodies, grad psi the part of v that is a gradient (int grad psi . grad w "
        "= int v . grad w for every Lagrange w), zero for a flow that stays in the bodies"
    }
    relations = {
        "v_sigma - v_sigma0": "-(e/m_e) (lambda sigma x (E - E0)/c - grad chi_sigma + A)",
        "A_sigma - A_sigma0": "lambda sigma x (E - E0)/c + A (before the phase term)",
        "grad chi_sigma": PHASE,
        "phi_sigma - phi_sigma0": "phi - phi0 - c lambda sigma . B",
        "J_sigma": "(e n_s/2) v_sigma",
        "rho_sigma": "rho/2 + eps0 c sigma . B/(2 lambda) (rho_sigma0 = rho0/2)",
        "J_spin": "J_+ - J_-",
        "senses": "e < 0; at the surface E - E0 points inward, so with no field spin up "
        "(sigma = +1 along the axis s) moves along -(s x n) (clockwise about s, n the outward "
        "normal) and spin down along +(s x n); their electric currents J_sigma - J_sigma0 run "
        "the other way. A field along +s slows spin up and speeds spin down. The reference "
        "flow v_sigma0 (rho0 > 0) runs against v_sigma - v_sigma0: along +(sigma x n) at the "
        "surface.",
        "speeds": "v_surface_max_m_s and v_total_surface_max_m_s: no applied field; "
        "v_surface_max_field_m_s: with the case's applied field",
    }
    return SpinSummary(
        axis=sol.axis,
        v_surface_max_m_s=shift,
        v_total_surface_max_m_s=total,
        scales=speed_scales(material, max(shift)),
        reference_flow=REFERENCE_FLOW,
        field=field,
        checks=checks,
        relations=relations,
    )
