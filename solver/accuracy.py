"""Error estimates of a run's headline numbers: every sector solved again one degree up on the
same mesh (Lagrange P(k+1) for the charge and spin sectors, N1curl degree + 1 for the magnetic
one), and each number's error estimated as |Q_k - Q_(k+1)|.

Why this estimator: the numbers converge fast with the degree (P(k+1) is typically 10 to 50
times more accurate than P(k) on the sphere, README "Error estimates"), so the difference is the
P(k) error to within the P(k+1) error, and it measures everything that moves with the element:
the closures (rho0), nodal extremes (surface rho, max |E|), moments. It does not see what the
degree does not move: the curved geometry's order (that of the mesh) and the outer boundary.

A run at P3 gets P4 references (the inputs, not the case, carry the degrees); an N1curl
element of degree 3 gets none. The reported numbers stay those of degree k; the estimates are
``<key>_error`` siblings next to them in summary.json, absolute and in the number's unit.
"""

from dataclasses import replace

import numpy as np

from giantatom import stages
from giantatom.case import ORDERS
from giantatom.domain import Domain
from giantatom.log import StageTimer, log
from giantatom.stages import Inputs

# CG tolerance of the reference solves: the estimate needs two digits of |Q_k - Q_(k+1)|, whose
# smallest (rho0, about 1e-6 relative at P3) stays exact to those digits at this tolerance
# (README "Error estimates": the estimates at 1e-10 and at this agree to 1e-3 of themselves).
REFERENCE_RTOL = 1e-8

# The numbers that get an estimate, wherever they sit in a section (overall and per body).
HEADLINE = frozenset(
    {
        "rho0_C_m3",
        "surface_rho_mean_C_m3",
        "surface_rho_min_C_m3",
        "surface_rho_max_C_m3",
        "E_max_V_m",
        "dipole_moment_C_m",
        "quadrupole_moment_C_m2",
        "induced_dipole_C_m",
        "moment_A_m2",
        "B_max_inside_T",
        "v_surface_max_m_s",
        "v_surface_max_field_m_s",
    }
)

METHOD = (
    "each sector solved again one degree up on the same mesh (Lagrange P(k+1), N1curl degree "
    "+ 1); <key>_error = |Q_k - Q_(k+1)|, absolute, in the number's unit, for the degree-k "
    "number reported"
)


def difference(coarse, fine) -> float | np.ndarray:
    """|coarse - fine| for a number or an array of them."""
    d = np.abs(np.asarray(coarse, dtype=float) - np.asarray(fine, dtype=float))
    return float(d) if d.ndim == 0 else d


def with_errors(coarse: dict, fine: dict, keys: frozenset[str] = HEADLINE) -> dict:
    """``coarse`` with a ``<key>_error`` sibling right after each of ``keys`` that ``fine`` also
    has, recursively through sub-tables and lists of tables (the bodies)."""
    out = {}
    for key, value in coarse.items():
        other = fine.get(key)
        if isinstance(value, dict) and isinstance(other, dict):
            value = with_errors(value, other, keys)
        elif _tables(value) and _tables(other) and len(value) == len(other):
            value = [with_errors(a, b, keys) for a, b in zip(value, other, strict=True)]
        out[key] = value
        if key in keys and other is not None and np.shape(value) == np.shape(other):
            out[f"{key}_error"] = difference(value, other)
    return out


def _tables(value) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)


def one_degree_up(given: Inputs, rtol: float = REFERENCE_RTOL) -> tuple[Inputs, list[str]]:
    """The sectors' inputs one degree up, their CG tolerance ``rtol`` (or the case's, if
    looser), and the sectors that cannot go up (an N1curl element already of the highest
    degree the case accepts: its estimate is left out)."""
    solver = replace(given.charge.solver, rtol=max(rtol, given.charge.solver.rtol))
    skipped = []
    magnetic = given.magnetic
    if magnetic is not None:
        if magnetic.spec.order + 1 in ORDERS:
            spec = replace(magnetic.spec, order=magnetic.spec.order + 1)
            magnetic = replace(magnetic, spec=spec, order=magnetic.order + 1, solver=solver)
        else:
            skipped.append("magnetic")
    spin = given.spin  # its direct check of Eq. 62a is a check, not a number to estimate
    spin = replace(
        spin, order=spin.order + 1, solver=solver, spin=replace(spin.spin, direct_check=False)
    )
    charge = replace(given.charge, order=given.charge.order + 1, solver=solver)
    return Inputs(charge=charge, magnetic=magnetic, spin=spin), skipped


def estimate(domain: Domain, given: Inputs, sections: dict, rtol: float = REFERENCE_RTOL) -> dict:
    """summary.json's ``sections`` (the full model's) with the error estimates of their
    headline numbers; an "accuracy" section says how they were made and what they cost."""
    up, skipped = one_degree_up(given, rtol)
    log.info("error estimates: the sectors one degree up (P%d) on the same mesh", up.charge.order)
    model, timer = stages.FullModel(), StageTimer()
    fine = stages.sections(model, stages.solve(model, domain, up, timer), [], {})
    for name in skipped:
        log.warning("error estimates: none for the %s sector: its degree is the highest", name)
        fine.pop(name, None)
    out = {
        name: with_errors(section, fine[name]) if isinstance(fine.get(name), dict) else section
        for name, section in sections.items()
    }
    out["accuracy"] = {
        "method": METHOD,
        "degree": given.charge.order,
        "reference_degree": up.charge.order,
        "sectors_without_estimates": skipped,
        "rtol": up.charge.solver.rtol,
        "seconds": dict(timer.seconds),  # of the reference sectors
    }
    return out
