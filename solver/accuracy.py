"""Error estimates of a run's headline numbers: every sector solved again one degree up on the
same mesh (Lagrange P(k+1) for the charge and spin sectors, N1curl degree + 1 for the magnetic
one), and each number's error estimated as |Q_k - Q_(k+1)|.

Why this estimator: the numbers converge fast with the degree (P(k+1) is typically 10 to 50
times more accurate than P(k) on the sphere, README "Error estimates"), so the difference is the
P(k) error to within the P(k+1) error, and it measures everything that moves with the element:
the closures (rho0), nodal extremes (surface rho, max |E|), moments. It does not see what the
degree does not move: the curved geometry's order (that of the mesh) and the outer boundary.

The reported numbers stay those of degree k; the estimates are ``<key>_error`` siblings next to
them in summary.json, absolute and in the number's unit.
"""

from dataclasses import replace

import numpy as np

from giantatom import charge_summary, magnetic, spin
from giantatom.case import ORDERS, Case
from giantatom.charge import ChargeInputs, solve_charge
from giantatom.domain import Domain
from giantatom.errors import GiantAtomError
from giantatom.log import log

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


def one_degree_up(case: Case) -> Case | None:
    """The case with the Lagrange and N1curl degrees raised by one, or None where that leaves
    the degrees the case accepts (the spin and magnetic sectors read them from the case)."""
    mesh_order, magnetic_order = case.mesh.order + 1, case.magnetic.order + 1
    if mesh_order not in ORDERS or (case.magnetic.active and magnetic_order not in ORDERS):
        return None
    try:
        return replace(
            case,
            mesh=replace(case.mesh, order=mesh_order),
            magnetic=replace(case.magnetic, order=magnetic_order)
            if case.magnetic.active
            else case.magnetic,
            spin=replace(case.spin, direct_check=False),  # a check, not a number to estimate
        )
    except GiantAtomError:  # e.g. a saved mesh file read with cubic elements
        return None


def estimate(case: Case, domain: Domain, inputs: ChargeInputs, sections: dict) -> dict:
    """``sections`` (summary.json's "charge", "electric", "magnetic", "spin") with the error
    estimates of their headline numbers; an "accuracy" section says how they were made."""
    order = inputs.order
    log.info("error estimates: the sectors one degree up (P%d) on the same mesh", order + 1)
    fine, fine_charge = {}, None
    if "charge" in sections or "spin" in sections:
        fine_charge = solve_charge(domain, replace(inputs, order=order + 1))
        charge_numbers = charge_summary.summarize(fine_charge).to_dict()
        fine = {"electric": charge_numbers.pop("electric", None), "charge": charge_numbers}
    up = one_degree_up(case)
    skipped = []
    if up is None:
        skipped = [s for s in ("magnetic", "spin") if s in sections]
    else:
        fine_magnetic = None
        if "magnetic" in sections:
            fine_magnetic = magnetic.solve_magnetic(up, domain)
            fine["magnetic"] = magnetic.summarize(fine_magnetic, up)
        if "spin" in sections:
            fine["spin"] = spin.summarize(spin.solve_spin(up, fine_charge, fine_magnetic), up)
    if skipped:
        log.warning(
            "error estimates: none for the %s sector(s): their degree is already the highest",
            " and ".join(skipped),
        )
    out = {
        name: with_errors(section, fine[name]) if isinstance(fine.get(name), dict) else section
        for name, section in sections.items()
    }
    out["accuracy"] = {
        "method": METHOD,
        "degree": order,
        "reference_degree": order + 1,
        "sectors_without_estimates": skipped,
    }
    return out
