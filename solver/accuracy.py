"""Error estimates of a run's headline numbers: every sector solved again one degree up on the
same mesh (Lagrange P(k+1) for the charge and spin sectors, N1curl degree + 1 for the magnetic
one), and each number's error estimated as |Q_k - Q_(k+1)|, times GEOMETRY_FACTOR for the
numbers made of gradients of the potentials (max |E|, the surface spin speeds).

Why this estimator: the numbers converge fast with the degree (P(k+1) is typically 10 to 50
times more accurate than P(k) on the sphere, README "Error estimates"), so the difference is the
P(k) error to within the P(k+1) error, and it measures everything that moves with the element:
the closures (rho0), nodal extremes (surface rho, max |E|), moments. It does not see what the
degree does not move: the curved geometry's order (that of the mesh, k) and the outer boundary.
For values (rho, rho0) the geometry's error is of the order h^(k+1), as P(k)'s; for gradients it
is of the order h^k, as P(k)'s, and P(k+1) leaves it in: the ratios estimate / true error of
max |E| and of the spin speed measured 0.37 to 0.89 at P3 (max |E| 0.95 at P2), hence the
factor. Solves one degree up cost about 2 to 3 times the sectors and more than their memory
(README "Error estimates"), which is why the estimate is asked for (``[mesh] error_estimate``).

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
# (measured: the estimates at 1e-10 and at this agree to 0.2 %; README "Error estimates").
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

# max |E| and the spin speeds (gradients of the potentials): the curved geometry's error, of
# P(k)'s order and unseen by P(k+1), on top of |Q_k - Q_(k+1)| (the module docstring)
GEOMETRY_FACTOR = 1.5
GRADIENT_NUMBERS = frozenset({"E_max_V_m", "v_surface_max_m_s", "v_surface_max_field_m_s"})

METHOD = (
    "each sector solved again one degree up on the same mesh (Lagrange P(k+1), N1curl degree "
    f"+ 1); <key>_error = |Q_k - Q_(k+1)|, times {GEOMETRY_FACTOR:g} for max |E| and the spin "
    "speeds (the curved geometry's error of gradients); absolute, in the number's unit, for the "
    "degree-k number reported"
)


def difference(coarse, fine) -> float | np.ndarray:
    """|coarse - fine| for a number or an array of them."""
    d = np.abs(np.asarray(coarse, dtype=float) - np.asarray(fine, dtype=float))
    return float(d) if d.ndim == 0 else d


def with_errors(
    coarse: dict,
    fine: dict,
    keys: frozenset[str] = HEADLINE,
    factors: dict[str, float] | None = None,
) -> dict:
    """``coarse`` with a ``<key>_error`` sibling right after each of ``keys`` that ``fine`` also
    has (the difference, times ``factors[key]`` where given), recursively through sub-tables
    and lists of tables (the bodies)."""
    factors = factors or {}
    out = {}
    for key, value in coarse.items():
        other = fine.get(key)
        if isinstance(value, dict) and isinstance(other, dict):
            value = with_errors(value, other, keys, factors)
        elif _tables(value) and _tables(other) and len(value) == len(other):
            value = [with_errors(a, b, keys, factors) for a, b in zip(value, other, strict=True)]
        out[key] = value
        if key in keys and other is not None and np.shape(value) == np.shape(other):
            out[f"{key}_error"] = factors.get(key, 1.0) * difference(value, other)
    return out


def _tables(value) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)


# [mesh] error_estimate = "auto" (the default): where the mesh was chosen from an accuracy
# (the default, or [mesh] accuracy; not where the case sets its own mesh keys), the charge and
# spin sectors' estimates, which check that accuracy, if the degree-up solve stays affordable:
# about 1.1 to 2 times the sectors' time and 1.7 times their memory (README "Error
# estimates"); above this many degree-up Lagrange dofs (about 4 GB) none, said in the log. The
# magnetic sector's (N1curl degree + 1: 6 to 15 times its own time) only with true.
AUTO_MAX_DOFS = 1_000_000


def degree_up_dofs(dofs: int, order: int) -> int:
    """Lagrange dofs one degree up on the same mesh: they scale as the degree cubed (P3 -> P4
    on a sphere R = 30 lambda: 1.46M -> 3.46M, (4/3)^3 = 2.37)."""
    return round(dofs * ((order + 1) / order) ** 3)


def planned(mode: bool | str, chosen: bool, dofs: int, order: int) -> tuple[bool, bool]:
    """(estimate the charge and spin sectors, estimate the magnetic sector too) for
    ``[mesh] error_estimate = mode`` on a run whose mesh was ``chosen`` from an accuracy, with
    ``dofs`` Lagrange dofs of degree ``order``; logs what "auto" decided."""
    if mode != "auto":
        return bool(mode), bool(mode)
    if not chosen:
        return False, False
    up = degree_up_dofs(dofs, order)
    if up > AUTO_MAX_DOFS:
        log.info(
            'error estimates: none (error_estimate = "auto": the degree-up solve would have '
            "about %d dofs, over %d; error_estimate = true asks for them)",
            up,
            AUTO_MAX_DOFS,
        )
        return False, False
    return True, False


def one_degree_up(
    given: Inputs, rtol: float = REFERENCE_RTOL, magnetic_too: bool = True
) -> tuple[Inputs, list[str]]:
    """The sectors' inputs one degree up, with the CG tolerance ``rtol`` (or the case's, if
    looser), and the sectors that cannot go up (an N1curl element already of the highest degree
    the case accepts) or are left out (the magnetic one unless ``magnetic_too``): their
    estimates are left out."""
    solver = replace(given.charge.solver, rtol=max(rtol, given.charge.solver.rtol))
    skipped = []
    magnetic = given.magnetic
    if magnetic is not None:
        if not magnetic_too:
            skipped.append("magnetic")
            magnetic = None
        elif magnetic.spec.order + 1 in ORDERS:
            spec = replace(magnetic.spec, order=magnetic.spec.order + 1)
            magnetic = replace(magnetic, spec=spec, order=magnetic.order + 1, solver=solver)
        else:
            skipped.append("magnetic")
    order = given.charge.order + 1
    spin = given.spin  # its direct check of Eq. 62a is a check, not a number to estimate
    spin = replace(spin, order=order, solver=solver, spin=replace(spin.spin, direct_check=False))
    charge = replace(given.charge, order=order, solver=solver)
    return Inputs(charge=charge, magnetic=magnetic, spin=spin), skipped


def reference_sections(
    domain: Domain, given: Inputs, rtol: float = REFERENCE_RTOL, magnetic_too: bool = True
) -> tuple[dict, list[str], dict[str, float]]:
    """The summary sections of the sectors solved one degree up, the sectors left out, and the
    seconds of each reference sector."""
    up, skipped = one_degree_up(given, rtol, magnetic_too)
    log.info("error estimates: the sectors one degree up (P%d) on the same mesh", up.charge.order)
    model, timer = stages.FullModel(), StageTimer()
    out = stages.sections(model, stages.solve(model, domain, up, timer), [], {})
    for name in skipped:
        if name == "magnetic" and not magnetic_too:
            log.info(
                'error estimates: none for the magnetic sector (error_estimate = "auto": '
                "N1curl degree + 1 costs 6 to 15 times the sector; true asks for it)"
            )
        else:
            log.warning("error estimates: none for the %s sector: its degree is the highest", name)
        out.pop(name, None)
    return out, skipped, dict(timer.seconds)


def estimate(
    domain: Domain,
    given: Inputs,
    sections: dict,
    rtol: float = REFERENCE_RTOL,
    magnetic_too: bool = True,
) -> dict:
    """summary.json's ``sections`` (the full model's) with the error estimates of their
    headline numbers; an "accuracy" section says how they were made and what they cost."""
    fine, skipped, seconds = reference_sections(domain, given, rtol, magnetic_too)
    factors = dict.fromkeys(GRADIENT_NUMBERS, GEOMETRY_FACTOR)
    out = {
        name: with_errors(section, fine[name], HEADLINE, factors)
        if isinstance(fine.get(name), dict)
        else section
        for name, section in sections.items()
    }
    out["accuracy"] = {
        "method": METHOD,
        "degree": given.charge.order,
        "reference_degree": given.charge.order + 1,
        "sectors_without_estimates": skipped,
        "rtol": max(rtol, given.charge.solver.rtol),
        "seconds": seconds,  # of the reference sectors
    }
    return out
